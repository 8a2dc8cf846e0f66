/**
 * Runs one Athena query in a workgroup: start, poll with progress, page through the
 * results, and stop the query when the user interrupts.
 */
import {
  AthenaClient,
  BatchGetNamedQueryCommand,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  ListNamedQueriesCommand,
  NamedQuery,
  QueryExecution,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { sleep as defaultSleep } from './cli-args';

/** Something that emits SIGINT: `process` in the CLI, an EventEmitter in tests. */
export interface InterruptSource {
  once(event: 'SIGINT', listener: () => void): unknown;
  removeListener(event: 'SIGINT', listener: () => void): unknown;
}

export interface RunQueryOptions {
  readonly athena: AthenaClient;
  readonly workGroup: string;
  readonly database: string;
  readonly sql: string;
  /** Values for the query's `?` placeholders, sent as execution parameters (never spliced into the SQL). */
  readonly parameters?: readonly string[];
  readonly pollMs: number;
  /** Stop the query and give up after this long. */
  readonly timeoutMs: number;
  /** Stop paging after this many data rows. */
  readonly maxRows: number;
  readonly interrupts?: InterruptSource;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
  readonly log?: (line: string) => void;
}

export interface QueryOutcome {
  readonly queryExecutionId: string;
  readonly columns: string[];
  readonly rows: (string | null)[][];
  /** True when more rows existed than `maxRows`. */
  readonly truncated: boolean;
  readonly dataScannedBytes: number;
  readonly engineMs: number;
  readonly statementType?: string;
}

/** The query ended FAILED; the message carries Athena's StateChangeReason. */
export class QueryFailedError extends Error {
  constructor(
    message: string,
    public readonly dataScannedBytes: number,
  ) {
    super(message);
    this.name = 'QueryFailedError';
  }
}

/** The query was stopped: by the user (`interrupted`), by the timeout, or by someone else. */
export class QueryCancelledError extends Error {
  constructor(
    message: string,
    public readonly dataScannedBytes: number,
    public readonly interrupted = false,
  ) {
    super(message);
    this.name = 'QueryCancelledError';
  }
}

/** An Athena execution parameter for a string value: a quoted SQL literal. */
export function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export async function runQuery(o: RunQueryOptions): Promise<QueryOutcome> {
  const sleep = o.sleep ?? defaultSleep;
  const now = o.now ?? Date.now;
  const log = o.log ?? (() => undefined);
  const begin = now();

  const { QueryExecutionId: id } = await o.athena.send(
    new StartQueryExecutionCommand({
      QueryString: o.sql,
      WorkGroup: o.workGroup,
      QueryExecutionContext: { Database: o.database },
      ExecutionParameters: o.parameters?.map(sqlString),
    }),
  );
  if (!id) throw new Error('Athena returned no query execution id');
  log(`Query ${id} started in workgroup ${o.workGroup}.`);

  let interrupted = false;
  const onInterrupt = () => {
    interrupted = true;
  };
  o.interrupts?.once('SIGINT', onInterrupt);
  try {
    let execution: QueryExecution | undefined;
    for (;;) {
      ({ QueryExecution: execution } = await o.athena.send(new GetQueryExecutionCommand({ QueryExecutionId: id })));
      const state = execution?.Status?.State ?? 'UNKNOWN';
      const scanned = execution?.Statistics?.DataScannedInBytes ?? 0;
      if (state === 'SUCCEEDED') break;
      if (state === 'FAILED') {
        const reason = execution?.Status?.StateChangeReason ?? execution?.Status?.AthenaError?.ErrorMessage ?? 'no reason given';
        throw new QueryFailedError(`Query ${id} failed: ${reason}`, scanned);
      }
      if (state === 'CANCELLED') {
        throw new QueryCancelledError(`Query ${id} was cancelled: ${execution?.Status?.StateChangeReason ?? 'no reason given'}`, scanned);
      }
      const elapsed = now() - begin;
      if (interrupted || elapsed >= o.timeoutMs) {
        await o.athena.send(new StopQueryExecutionCommand({ QueryExecutionId: id }));
        const why = interrupted ? 'interrupted' : `timed out after ${Math.round(o.timeoutMs / 1000)} s`;
        throw new QueryCancelledError(`Query ${id} ${why}; stopped it.`, scanned, interrupted);
      }
      log(`  ${state.toLowerCase()} (${Math.round(elapsed / 1000)} s, ${formatBytes(scanned)} scanned)`);
      await sleep(o.pollMs);
    }

    const { columns, rows, truncated } = await fetchResults(o.athena, id, o.maxRows);
    return {
      queryExecutionId: id,
      columns,
      rows,
      truncated,
      dataScannedBytes: execution?.Statistics?.DataScannedInBytes ?? 0,
      engineMs: execution?.Statistics?.EngineExecutionTimeInMillis ?? 0,
      statementType: execution?.StatementType,
    };
  } finally {
    o.interrupts?.removeListener('SIGINT', onInterrupt);
  }
}

async function fetchResults(
  athena: AthenaClient,
  id: string,
  maxRows: number,
): Promise<{ columns: string[]; rows: (string | null)[][]; truncated: boolean }> {
  let columns: string[] = [];
  const rows: (string | null)[][] = [];
  let token: string | undefined;
  let first = true;
  do {
    const page = await athena.send(
      new GetQueryResultsCommand({ QueryExecutionId: id, NextToken: token, MaxResults: 1000 }),
    );
    let pageRows = (page.ResultSet?.Rows ?? []).map((r) => (r.Data ?? []).map((d) => d.VarCharValue ?? null));
    if (first) {
      columns = (page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []).map((c) => c.Label ?? c.Name ?? '');
      // For SELECT, Athena repeats the column names as the first row.
      if (pageRows.length > 0 && pageRows[0].join('\u0000') === columns.join('\u0000')) pageRows = pageRows.slice(1);
      first = false;
    }
    rows.push(...pageRows);
    token = page.NextToken;
    if (rows.length >= maxRows) {
      return { columns, rows: rows.slice(0, maxRows), truncated: rows.length > maxRows || token !== undefined };
    }
  } while (token);
  return { columns, rows, truncated: false };
}

/** Finds a named query of the workgroup by name, or says which names exist. */
export async function findNamedQuery(athena: AthenaClient, workGroup: string, name: string): Promise<NamedQuery> {
  const ids: string[] = [];
  let token: string | undefined;
  do {
    const page = await athena.send(new ListNamedQueriesCommand({ WorkGroup: workGroup, NextToken: token }));
    ids.push(...(page.NamedQueryIds ?? []));
    token = page.NextToken;
  } while (token);
  const queries: NamedQuery[] = [];
  for (let i = 0; i < ids.length; i += 50) {
    const batch = await athena.send(new BatchGetNamedQueryCommand({ NamedQueryIds: ids.slice(i, i + 50) }));
    queries.push(...(batch.NamedQueries ?? []));
  }
  const found = queries.find((q) => q.Name === name);
  if (!found) {
    const names = queries.map((q) => q.Name).sort().join(', ') || 'none';
    throw new Error(`Workgroup ${workGroup} has no named query "${name}" (it has: ${names})`);
  }
  return found;
}

/** Athena's price, US East: $5 per TB scanned, rounded up to the megabyte, 10 MB minimum per query. */
export const USD_PER_TB = 5;
const MB = 1024 * 1024;
const TB = 1024 ** 4;
export const MIN_BILLED_BYTES = 10 * MB;

/** Approximate charge for a query; DDL statements and failed queries are not charged. */
export function estimateCost(scannedBytes: number, statementType?: string): { billedBytes: number; usd: number } {
  if (statementType === 'DDL') return { billedBytes: 0, usd: 0 };
  const billedBytes = Math.max(MIN_BILLED_BYTES, Math.ceil(scannedBytes / MB) * MB);
  return { billedBytes, usd: (billedBytes / TB) * USD_PER_TB };
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** "Data scanned: 12.0 MB (billed 12.0 MB), about $0.000057" */
export function formatCost(scannedBytes: number, statementType?: string): string {
  const { billedBytes, usd } = estimateCost(scannedBytes, statementType);
  return `Data scanned: ${formatBytes(scannedBytes)} (billed ${formatBytes(billedBytes)}), about $${usd.toFixed(6)} at $${USD_PER_TB}/TB`;
}
