/**
 * The review report's sections on changing and removing a deployed lake: what a
 * deploy of the working tree would replace or remove compared with the
 * baseline, and what `cdk destroy --all` would leave behind.
 */
import type { Templates } from '../cost/estimate';
import { table } from '../cost/format';
import { destroyLeftovers, keysPendingDeletion, Leftover } from './leftovers';
import { GuardResult } from './replacement-guard';

const flag = (b: boolean) => (b ? '⚠' : ' ');

/** `guard` is the result, or why the comparison did not run. */
export function guardSection(profile: string, guard: GuardResult | string | undefined): string[] {
  const md = ['## Replacements compared with the deployed baseline', ''];
  if (guard === undefined || typeof guard === 'string') return [...md, `Not compared: ${guard ?? 'no baseline given'}.`, ''];
  md.push(
    `What a deploy of the working tree would replace, remove or re-key, compared with test/baseline/${profile}/. ` +
      'A stateful resource needs an acknowledgement in test/baseline/acknowledged-replacements.json (docs/changing-a-deployed-lake.md).',
    '',
  );
  if (guard.changes.length === 0) md.push('Nothing: the deploy replaces and removes no resource.', '');
  else {
    const acknowledged = new Map(guard.acknowledged.map((a) => [`${a.change.stack}/${a.change.logicalId}`, a.reason]));
    md.push(table(['', 'stack', 'resource', 'type', 'change', 'why', 'data at stake', 'acknowledged'], guard.changes.map((c) => {
      const ack = acknowledged.get(`${c.stack}/${c.logicalId}`);
      return [flag(c.atStake !== undefined && ack === undefined), c.stack, c.logicalId, c.type, c.kind, c.reason, c.atStake ?? 'none', ack ?? (c.atStake ? 'no' : '—')];
    })), '');
  }
  if (guard.unusedAcknowledgements.length > 0) {
    md.push('⚠ Acknowledgements that match no change (remove them):', '');
    for (const a of guard.unusedAcknowledgements) md.push(`- ${a.stack}/${a.logicalId}: ${a.reason}`);
    md.push('');
  }
  return md;
}

export function destroySection(profile: string, templates: Templates): { markdown: string[]; leftovers: Leftover[] } {
  const leftovers = destroyLeftovers(templates);
  const md = ['## What `cdk destroy --all` leaves behind', ''];
  if (leftovers.length === 0) md.push('Nothing.', '');
  else {
    if (profile === 'production') md.push('By design, production keeps its data, keys and logs.', '');
    md.push(table(['', 'stack', 'resource', 'type', 'why', 'kept on purpose'], leftovers.map((l) =>
      [flag(profile !== 'production' && !l.deliberate), l.stack, l.logicalId, l.type, l.why, l.deliberate ?? '—'])), '');
  }
  const keys = keysPendingDeletion(templates);
  if (keys.length > 0) {
    const days = [...new Set(keys.map((k) => k.days))].sort((a, b) => a - b).join(' or ');
    md.push(`The ${keys.length} KMS key(s) the destroy deletes stay pending deletion for ${days} days first (KMS requires a 7–30 day waiting period).`, '');
  }
  md.push("Outside the app: the CDK bootstrap stack and the assets `cdk deploy` uploaded to it stay; they serve every CDK app of the account and region.", '');
  return { markdown: md, leftovers };
}
