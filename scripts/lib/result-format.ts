/** Prints query results as an aligned table, CSV (RFC 4180) or JSON. */

export type ResultFormat = 'table' | 'csv' | 'json';
export const RESULT_FORMATS: readonly ResultFormat[] = ['table', 'csv', 'json'];

type Row = readonly (string | null)[];

export function formatResults(format: ResultFormat, columns: readonly string[], rows: readonly Row[]): string {
  switch (format) {
    case 'csv':
      return [columns, ...rows].map((r) => r.map(csvField).join(',')).join('\n');
    case 'json':
      return JSON.stringify(
        rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i] ?? null]))),
        null,
        2,
      );
    case 'table':
      return table(columns, rows);
  }
}

function csvField(value: string | null): string {
  if (value === null) return '';
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function table(columns: readonly string[], rows: readonly Row[]): string {
  const cells = rows.map((r) => columns.map((_, i) => r[i] ?? 'NULL'));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i].length)));
  const line = (values: readonly string[]) => values.map((v, i) => v.padEnd(widths[i])).join(' | ').trimEnd();
  return [line(columns), widths.map((w) => '-'.repeat(w)).join('-+-'), ...cells.map(line)].join('\n');
}
