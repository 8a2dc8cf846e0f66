import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';

export interface AthenaQuery {
  readonly sql: string;
  readonly workgroup: string;
  readonly database: string;
  /** Values for the `?` placeholders, passed as Athena execution parameters (never spliced into the SQL). */
  readonly parameters?: readonly string[];
}

export interface PollOptions {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly sleep: (ms: number) => Promise<void>;
}

/** A string literal for an Athena execution parameter. */
export function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** Runs a query in the workgroup and returns the rows of its first result page as objects. */
export async function runQuery(client: AthenaClient, query: AthenaQuery, poll: PollOptions): Promise<Array<Record<string, string>>> {
  const { QueryExecutionId: id } = await client.send(new StartQueryExecutionCommand({
    QueryString: query.sql,
    WorkGroup: query.workgroup,
    QueryExecutionContext: { Database: query.database },
    ExecutionParameters: query.parameters?.map(sqlString),
  }));
  let waited = 0;
  for (;;) {
    const { QueryExecution: q } = await client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
    const state = q?.Status?.State;
    if (state === 'SUCCEEDED') break;
    if (state === 'FAILED' || state === 'CANCELLED') {
      throw new Error(`Athena query ${id} ${state}: ${q?.Status?.StateChangeReason ?? 'no reason given'}`);
    }
    if (waited >= poll.timeoutMs) throw new Error(`Athena query ${id} still ${state} after ${waited / 1000} s`);
    await poll.sleep(poll.intervalMs);
    waited += poll.intervalMs;
  }
  const { ResultSet } = await client.send(new GetQueryResultsCommand({ QueryExecutionId: id }));
  const [header, ...rows] = ResultSet?.Rows ?? [];
  const names = (header?.Data ?? []).map((d) => d.VarCharValue ?? '');
  return rows.map((r) => Object.fromEntries(names.map((n, i) => [n, r.Data?.[i]?.VarCharValue ?? ''])));
}
