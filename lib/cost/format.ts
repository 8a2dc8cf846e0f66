/**
 * Markdown tables for the cost estimates, shared by `npm run cost`,
 * `npm run plan` and the review report.
 */
import { IdleEstimate, RunEstimate, UsageEstimate } from './estimate';

export function money(n: number): string {
  if (n === 0) return '$0';
  if (Math.abs(n) < 0.01) return `$${n.toFixed(4)}`;
  return `$${n.toFixed(2)}`;
}

export function table(header: string[], rows: string[][]): string {
  const esc = (c: string) => c.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
}

/** Idle cost: per-stack totals, the priced lines, while-running, unpriced and free resources, assumptions. */
export function formatIdle(e: IdleEstimate, options: { readonly listFree?: boolean } = {}): string {
  const out: string[] = [];
  out.push(table(['stack', 'idle $/day', 'idle $/month'], [
    ...e.stacks.map((s) => [s.stack, money(s.perDay), money(s.perMonth)]),
    ['**total**', `**${money(e.perDay)}**`, `**${money(e.perMonth)}**`],
  ]));
  out.push('', 'Idle cost by resource:', '');
  out.push(table(['stack', 'resource', 'type', 'basis', '$/day', '$/month'], e.lines.map((l) => [l.stack, l.logicalId, l.type, l.basis, money(l.perDay), money(l.perMonth)])));
  if (e.whileRunning.length > 0) {
    out.push('', 'While a long-running EMR cluster runs (not in the idle total; it terminates itself when idle):', '');
    out.push(table(['stack', 'resource', 'basis', '$/day running'], e.whileRunning.map((l) => [l.stack, l.logicalId, l.basis, money(l.perDay)])));
  }
  if (e.unpriced.length > 0) {
    out.push('', 'May cost money but not priced here:', '');
    out.push(table(['stack', 'resource', 'type', 'why'], e.unpriced.map((f) => [f.stack, f.logicalId, f.type, f.reason])));
  }
  if (options.listFree ?? true) {
    out.push('', '$0 when idle:', '');
    out.push(table(['stack', 'resource', 'type', 'why'], e.free.map((f) => [f.stack, f.logicalId, f.type, f.reason])));
  }
  out.push('', 'Assumptions:', '', ...e.assumptions.map((a) => `- ${a}`));
  return out.join('\n');
}

export function formatUsage(u: UsageEstimate): string {
  return [
    table(['item', 'basis', '$/day', '$/month'], [
      ...u.lines.map((l) => [l.item, l.basis, money(l.perDay), money(l.perMonth)]),
      ['**total**', '', `**${money(u.perDay)}**`, `**${money(u.perMonth)}**`],
    ]),
    '',
    'Assumptions:',
    '',
    ...u.assumptions.map((a) => `- ${a}`),
  ].join('\n');
}

/** One batch run: the cluster's instances for the run's minutes and the crawl, with assumptions. */
export function formatRun(r: RunEstimate): string {
  if (r.lines.length === 0) return 'No workflow in the templates creates a cluster per run: a run costs nothing beyond its steps on a running cluster.';
  return [
    table(['stack', 'resource', 'item', 'basis', '$/run'], [
      ...r.lines.map((l) => [l.stack, l.logicalId, l.item, l.basis, money(l.perRun)]),
      ['**total**', '', '', '', `**${money(r.perRun)}**`],
    ]),
    ...(r.unpriced.length > 0 ? ['', 'Not priced (no price in the table):', '', ...r.unpriced.map((u) => `- ${u}`)] : []),
    '',
    'Assumptions:',
    '',
    ...r.assumptions.map((a) => `- ${a}`),
  ].join('\n');
}
