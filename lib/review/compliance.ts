/**
 * Findings and acknowledgements per cdk-nag pack, for `npm run review`: every pack is run
 * over the synthesized app, whether or not the profile runs it at synth, so the report
 * shows what each pack would say.
 */
import type { IConstruct } from 'constructs';
import { allFindings, PACK_NAMES, PACKS, PACKS_BY_PROFILE, PackName } from '../compliance';
import type { ProfileName } from '../config';

export interface PackSummary {
  readonly pack: PackName;
  /** Whether the profile runs the pack at synth (and fails on an open finding). */
  readonly runsAtSynth: boolean;
  /** Findings, one per rule (with detail) and resource, acknowledged or not. */
  readonly findings: number;
  readonly acknowledged: number;
  /** Findings no acknowledgement covers. */
  readonly open: readonly string[];
  /** Acknowledged findings per rule (detail dropped), most first. */
  readonly byRule: ReadonlyArray<{ readonly rule: string; readonly count: number }>;
}

export function complianceSummary(root: IConstruct, profile: ProfileName): PackSummary[] {
  return PACK_NAMES.map((pack) => {
    const open = new PACKS[pack]().validateScope(root).violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath}`));
    let findings = 0;
    const byRule = new Map<string, number>();
    for (const [id, paths] of allFindings(root, pack)) {
      for (const path of paths) {
        findings++;
        if (open.includes(`${id} ${path}`)) continue;
        const rule = id.replace(/\[.*$/, '');
        byRule.set(rule, (byRule.get(rule) ?? 0) + 1);
      }
    }
    return {
      pack,
      runsAtSynth: PACKS_BY_PROFILE[profile].includes(pack),
      findings,
      acknowledged: findings - open.length,
      open,
      byRule: [...byRule].map(([rule, count]) => ({ rule, count })).sort((a, b) => b.count - a.count || a.rule.localeCompare(b.rule)),
    };
  });
}
