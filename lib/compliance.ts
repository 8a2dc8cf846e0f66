/**
 * The app's compliance set-up: which cdk-nag packs run in which profile, and the audit of
 * every acknowledgement.
 *
 * Every acknowledgement sits in the construct (or, for a profile choice, the stack)
 * whose resources raise the finding, next to the code that causes it. Each names a single
 * finding (with its `[Action::…]`/`[Resource::…]` detail where the rule gives one) and says
 * why the finding stands.
 */
import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NagPack, NIST80053R5Checks, PCIDSS321Checks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import type { ProfileName } from './config';

/** The cdk-nag packs, by the prefix each gives its rule ids. */
export const PACKS = {
  AwsSolutions: AwsSolutionsChecks,
  'PCI.DSS.321': PCIDSS321Checks,
  'NIST.800.53.R5': NIST80053R5Checks,
  'HIPAA.Security': HIPAASecurityChecks,
} as const;
export type PackName = keyof typeof PACKS;
export const PACK_NAMES = Object.keys(PACKS) as PackName[];

/**
 * The packs each profile runs at synth. Production runs all four: a card-payments lake is
 * judged against PCI DSS. The sandbox runs AwsSolutions: it holds synthetic data only, is
 * never in PCI or HIPAA scope, and its deliberate differences (no point-in-time recovery,
 * no in-transit encryption, short log retention) are the profile's purpose. The compliance
 * suite still runs every pack over both profiles to audit the acknowledgements.
 */
export const PACKS_BY_PROFILE: Record<ProfileName, readonly PackName[]> = {
  sandbox: ['AwsSolutions'],
  production: PACK_NAMES,
};

export function addPacks(root: IConstruct, profile: ProfileName): void {
  Validations.of(root).addPlugins(...PACKS_BY_PROFILE[profile].map((name) => new PACKS[name](root)));
}

/** The pack an acknowledgement id belongs to, from its prefix; undefined for an id without one. */
export function packOf(id: string): PackName | undefined {
  return PACK_NAMES.find((name) => id.startsWith(`${name}-`));
}

/** Every finding of a pack in the tree, acknowledged or not: rule id (with detail) → construct paths. */
export function allFindings(root: IConstruct, name: PackName): Map<string, string[]> {
  const pack: NagPack = new PACKS[name]();
  (pack as unknown as { isAcknowledged: () => boolean }).isAcknowledged = () => false;
  const findings = new Map<string, string[]>();
  for (const v of pack.validateScope(root).violations) findings.set(v.ruleName, v.violatingResources.map((r) => r.constructPath ?? ''));
  return findings;
}

export interface AuditedAcknowledgement {
  readonly path: string;
  readonly id: string;
  readonly reason: string;
}

/**
 * What is wrong with each acknowledgement, as `<id> on <path>: <problem>`; empty when every
 * one names a pack, one finding (with its detail for IAM4/IAM5), gives a reason of at least
 * 20 characters, sits below a stack, and matches a finding on its construct or below it.
 * An id without a pack prefix matches nothing in any pack, so it would silence nothing.
 */
export function auditAcknowledgements(root: IConstruct, acknowledgements: readonly AuditedAcknowledgement[], onStackOrApp: ReadonlySet<string>): string[] {
  const findings = new Map<PackName, Map<string, string[]>>();
  const problems: string[] = [];
  for (const ack of acknowledgements) {
    const where = `${ack.id} on ${ack.path}`;
    const pack = packOf(ack.id);
    if (!pack) {
      problems.push(`${where}: no pack prefix (${PACK_NAMES.map((p) => `${p}-`).join(', ')}), so it matches no finding`);
      continue;
    }
    if (!/^[A-Za-z0-9.]+-[A-Za-z0-9]+(\[[^\]]+\])?$/.test(ack.id)) problems.push(`${where}: not one rule id`);
    if (/^AwsSolutions-IAM[45]/.test(ack.id) && !/\[(Action|Resource|Policy)::.+\]$/.test(ack.id)) {
      problems.push(`${where}: vague (IAM4/IAM5 need the [Action::…], [Resource::…] or [Policy::…] detail)`);
    }
    if (ack.reason.trim().length < 20) problems.push(`${where}: no real reason`);
    if (onStackOrApp.has(ack.path)) problems.push(`${where}: on a stack or the app, not the narrowest construct`);
    if (!findings.has(pack)) findings.set(pack, allFindings(root, pack));
    const paths = findings.get(pack)!.get(ack.id) ?? [];
    if (!paths.some((p) => p === ack.path || p.startsWith(`${ack.path}/`))) problems.push(`${where}: matches no finding`);
  }
  return problems;
}
