/**
 * The saved queries must run against the tables the crawlers create: every table is
 * one of the lake's, and every column exists in the contract of a table it reads.
 */
import { PAYMENT_EVENT_FIELDS, RAW_RECORD_FIELDS } from '../lambda/shared/payment-event';
import { LAKE_TABLES, NAMED_QUERIES, PARTITION_COLUMN } from '../lib/queries';

/** SQL functions the queries call. Keywords are written in upper case and never collected. */
const FUNCTIONS = new Set([
  'count',
  'count_if',
  'sum',
  'avg',
  'max',
  'min',
  'round',
  'nullif',
  'coalesce',
  'date',
  'date_diff',
  'date_format',
  'from_iso8601_timestamp',
]);

interface Parsed {
  tables: string[];
  aliases: Set<string>;
  identifiers: string[];
}

/** Lower-case identifiers outside string literals, split into tables, aliases and the rest. */
function parse(sql: string): Parsed {
  const code = sql.replace(/'[^']*'/g, "''");
  const aliases = new Set<string>();
  for (const m of code.matchAll(/\bAS\s+([a-z_][a-z0-9_]*)/g)) aliases.add(m[1]);
  for (const m of code.matchAll(/\b([a-z_][a-z0-9_]*)\s+AS\s*\(/g)) aliases.add(m[1]);
  const sources = [...code.matchAll(/\b(?:FROM|JOIN)\s+([a-z_][a-z0-9_]*)/g)].map((m) => m[1]);
  const tables = sources.filter((s) => !aliases.has(s));
  const identifiers = [...code.matchAll(/\b[a-z_][a-z0-9_]*\b/g)]
    .map((m) => m[0])
    .filter((id) => !FUNCTIONS.has(id) && !aliases.has(id) && !sources.includes(id));
  return { tables, aliases, identifiers };
}

describe('named queries', () => {
  test('the table contracts follow the shared schema', () => {
    expect(LAKE_TABLES.raw_payments).toEqual([...RAW_RECORD_FIELDS, PARTITION_COLUMN]);
    expect(LAKE_TABLES.curated_payments).toEqual([...PAYMENT_EVENT_FIELDS, PARTITION_COLUMN]);
    expect(RAW_RECORD_FIELDS).toContain('ingested_at');
  });

  test('cover the four questions the lake answers', () => {
    expect(NAMED_QUERIES.map((q) => q.name)).toEqual(
      expect.arrayContaining([
        'daily_volume_and_amount',
        'fraud_rate_by_merchant_category',
        'late_arriving_events',
        'raw_vs_curated_reconciliation',
      ]),
    );
    expect(new Set(NAMED_QUERIES.map((q) => q.name)).size).toBe(NAMED_QUERIES.length);
  });

  test.each(NAMED_QUERIES.map((q) => [q.name, q.sql]))('%s reads only lake tables', (_name, sql) => {
    const { tables } = parse(sql);
    expect(tables.length).toBeGreaterThan(0);
    for (const t of tables) expect(Object.keys(LAKE_TABLES)).toContain(t);
  });

  test.each(NAMED_QUERIES.map((q) => [q.name, q.sql]))('%s uses only columns of the tables it reads', (_name, sql) => {
    const { tables, identifiers } = parse(sql);
    const columns = new Set(tables.flatMap((t) => LAKE_TABLES[t]));
    expect(identifiers.filter((id) => !columns.has(id))).toEqual([]);
  });

  test.each(NAMED_QUERIES.map((q) => [q.name, q.sql]))('%s filters on the event_date partition, so it scans only recent days', (_name, sql) => {
    const { tables } = parse(sql);
    const filters = sql.match(/WHERE\s+event_date >= /g) ?? [];
    expect(filters.length).toBe(tables.length);
  });

  test('late arrivals compare the event date with the arrival date, both parsed from ISO strings', () => {
    const late = NAMED_QUERIES.find((q) => q.name === 'late_arriving_events');
    expect(late?.sql).toContain('date(from_iso8601_timestamp(event_time)) < date(from_iso8601_timestamp(ingested_at))');
  });

  test('reconciliation counts distinct raw events against curated rows per day', () => {
    const rec = NAMED_QUERIES.find((q) => q.name === 'raw_vs_curated_reconciliation');
    expect(parse(rec?.sql ?? '').tables.sort()).toEqual(['curated_payments', 'raw_payments']);
    expect(rec?.sql).toContain('count(DISTINCT event_id)');
  });

  describe('the checker itself', () => {
    test('catches an unknown column and an unknown table', () => {
      const bad = parse('SELECT merchant_name, count(*) AS n FROM raw_payments JOIN refunds AS r ON r.id = event_id');
      expect(bad.tables).toEqual(['raw_payments', 'refunds']);
      const columns = new Set(LAKE_TABLES.raw_payments);
      expect(bad.identifiers.filter((id) => !columns.has(id))).toEqual(['merchant_name', 'id']);
    });

    test('ignores string literals, functions and aliases', () => {
      const ok = parse("SELECT date_format(CURRENT_DATE, '%Y-%m-%d') AS today, 'hour' FROM raw_payments");
      expect(ok.identifiers).toEqual([]);
    });
  });
});
