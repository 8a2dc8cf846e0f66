import {
  AthenaClient,
  BatchGetNamedQueryCommand,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  ListNamedQueriesCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { EventEmitter } from 'node:events';
import { estimateCost, findNamedQuery, formatCost, MIN_BILLED_BYTES, runQuery } from '../../scripts/lib/athena-query';
import { formatResults } from '../../scripts/lib/result-format';
import { parseQueryArgs, queryMain, QueryDeps } from '../../scripts/query';

const athena = mockClient(AthenaClient);
const cfn = mockClient(CloudFormationClient);

beforeEach(() => {
  athena.reset();
  cfn.reset();
  cfn.on(DescribeStacksCommand, { StackName: 'lake-catalog' }).resolves({
    Stacks: [
      {
        StackName: 'lake-catalog',
        CreationTime: new Date(),
        StackStatus: 'CREATE_COMPLETE',
        Outputs: [
          { OutputKey: 'WorkgroupName', OutputValue: 'lake-lake' },
          { OutputKey: 'DatabaseName', OutputValue: 'lake_lake' },
        ],
      },
    ],
  });
});

function fakeClock() {
  let t = 0;
  return { now: () => t, sleep: async (ms: number) => void (t += ms) };
}

const row = (...values: (string | undefined)[]) => ({ Data: values.map((v) => (v === undefined ? {} : { VarCharValue: v })) });
const columnInfo = [
  { Name: 'event_date', Label: 'event_date', Type: 'varchar' },
  { Name: 'events', Label: 'events', Type: 'bigint' },
];

function mockThreePages() {
  athena
    .on(GetQueryResultsCommand)
    .resolvesOnce({ ResultSet: { ResultSetMetadata: { ColumnInfo: columnInfo }, Rows: [row('event_date', 'events'), row('2026-11-22', '10')] }, NextToken: 't2' })
    .resolvesOnce({ ResultSet: { ResultSetMetadata: { ColumnInfo: columnInfo }, Rows: [row('2026-11-21', '20'), row('2026-11-20', undefined)] }, NextToken: 't3' })
    .resolvesOnce({ ResultSet: { ResultSetMetadata: { ColumnInfo: columnInfo }, Rows: [row('2026-11-19', '40')] } });
}

function mockSucceeded(scanned = 52_428_800) {
  athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
  athena
    .on(GetQueryExecutionCommand)
    .resolvesOnce({ QueryExecution: { Status: { State: 'QUEUED' } } })
    .resolvesOnce({ QueryExecution: { Status: { State: 'RUNNING' }, Statistics: { DataScannedInBytes: 1024 } } })
    .resolves({
      QueryExecution: { StatementType: 'DML', Status: { State: 'SUCCEEDED' }, Statistics: { DataScannedInBytes: scanned, EngineExecutionTimeInMillis: 2300 } },
    });
}

const baseOptions = { workGroup: 'lake-lake', database: 'lake_lake', sql: 'SELECT 1', pollMs: 1000, timeoutMs: 60_000, maxRows: 1000 };

describe('runQuery', () => {
  test('runs in the workgroup and database, polls with progress, and pages through every result page', async () => {
    mockSucceeded();
    mockThreePages();
    const lines: string[] = [];
    const result = await runQuery({ athena: new AthenaClient({}), ...baseOptions, ...fakeClock(), log: (l) => lines.push(l) });
    expect(athena.commandCalls(StartQueryExecutionCommand)[0].args[0].input).toEqual({
      QueryString: 'SELECT 1',
      WorkGroup: 'lake-lake',
      QueryExecutionContext: { Database: 'lake_lake' },
    });
    expect(lines).toEqual(['Query q-1 started in workgroup lake-lake.', '  queued (0 s, 0 B scanned)', '  running (1 s, 1.0 KB scanned)']);
    expect(athena.commandCalls(GetQueryResultsCommand).map((c) => c.args[0].input.NextToken)).toEqual([undefined, 't2', 't3']);
    expect(result).toEqual({
      queryExecutionId: 'q-1',
      columns: ['event_date', 'events'],
      rows: [
        ['2026-11-22', '10'],
        ['2026-11-21', '20'],
        ['2026-11-20', null],
        ['2026-11-19', '40'],
      ],
      truncated: false,
      dataScannedBytes: 52_428_800,
      engineMs: 2300,
      statementType: 'DML',
    });
  });

  test('stops paging at maxRows and says the result is truncated', async () => {
    mockSucceeded();
    mockThreePages();
    const result = await runQuery({ athena: new AthenaClient({}), ...baseOptions, maxRows: 2, ...fakeClock() });
    expect(result.rows).toEqual([
      ['2026-11-22', '10'],
      ['2026-11-21', '20'],
    ]);
    expect(result.truncated).toBe(true);
    expect(athena.commandCalls(GetQueryResultsCommand)).toHaveLength(2);
  });

  test('a FAILED query raises Athena\'s StateChangeReason', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-2' });
    athena.on(GetQueryExecutionCommand).resolves({
      QueryExecution: {
        Status: {
          State: 'FAILED',
          StateChangeReason: "TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.lake_lake.raw_payments' does not exist",
        },
      },
    });
    await expect(runQuery({ athena: new AthenaClient({}), ...baseOptions, ...fakeClock() })).rejects.toThrow(
      "Query q-2 failed: TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.lake_lake.raw_payments' does not exist",
    );
    expect(athena.commandCalls(GetQueryResultsCommand)).toHaveLength(0);
  });

  test('Ctrl-C stops the running query', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-3' });
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'RUNNING' }, Statistics: { DataScannedInBytes: 5 } } });
    athena.on(StopQueryExecutionCommand).resolves({});
    const interrupts = new EventEmitter();
    const clock = fakeClock();
    const sleep = async (ms: number) => {
      await clock.sleep(ms);
      interrupts.emit('SIGINT');
    };
    await expect(runQuery({ athena: new AthenaClient({}), ...baseOptions, now: clock.now, sleep, interrupts })).rejects.toMatchObject({
      name: 'QueryCancelledError',
      interrupted: true,
      message: 'Query q-3 interrupted; stopped it.',
    });
    expect(athena.commandCalls(StopQueryExecutionCommand).map((c) => c.args[0].input)).toEqual([{ QueryExecutionId: 'q-3' }]);
    expect(interrupts.listenerCount('SIGINT')).toBe(0);
  });

  test('stops the query when it runs past the timeout', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-4' });
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'RUNNING' } } });
    athena.on(StopQueryExecutionCommand).resolves({});
    await expect(runQuery({ athena: new AthenaClient({}), ...baseOptions, timeoutMs: 3000, ...fakeClock() })).rejects.toMatchObject({
      interrupted: false,
      message: 'Query q-4 timed out after 3 s; stopped it.',
    });
    expect(athena.commandCalls(StopQueryExecutionCommand)).toHaveLength(1);
  });
});

describe('findNamedQuery', () => {
  test('pages through the workgroup\'s named queries and finds one by name', async () => {
    athena
      .on(ListNamedQueriesCommand)
      .resolvesOnce({ NamedQueryIds: ['a', 'b'], NextToken: 'n' })
      .resolvesOnce({ NamedQueryIds: ['c'] });
    athena.on(BatchGetNamedQueryCommand).resolves({
      NamedQueries: [
        { Name: 'daily_volume_and_amount', Database: 'lake_lake', QueryString: 'SELECT 1' },
        { Name: 'late_arriving_events', Database: 'lake_lake', QueryString: 'SELECT 2' },
      ],
    });
    const found = await findNamedQuery(new AthenaClient({}), 'lake-lake', 'late_arriving_events');
    expect(found.QueryString).toBe('SELECT 2');
    expect(athena.commandCalls(ListNamedQueriesCommand).map((c) => c.args[0].input)).toEqual([
      { WorkGroup: 'lake-lake', NextToken: undefined },
      { WorkGroup: 'lake-lake', NextToken: 'n' },
    ]);
    expect(athena.commandCalls(BatchGetNamedQueryCommand)[0].args[0].input).toEqual({ NamedQueryIds: ['a', 'b', 'c'] });
  });

  test('an unknown name lists the names that exist', async () => {
    athena.on(ListNamedQueriesCommand).resolves({ NamedQueryIds: ['a'] });
    athena.on(BatchGetNamedQueryCommand).resolves({ NamedQueries: [{ Name: 'b_query', Database: 'd', QueryString: '' }, { Name: 'a_query', Database: 'd', QueryString: '' }] });
    await expect(findNamedQuery(new AthenaClient({}), 'lake-lake', 'nope')).rejects.toThrow(
      'Workgroup lake-lake has no named query "nope" (it has: a_query, b_query)',
    );
  });
});

describe('cost', () => {
  test('bills at least 10 MB per query', () => {
    expect(MIN_BILLED_BYTES).toBe(10 * 1024 * 1024);
    expect(estimateCost(0).billedBytes).toBe(MIN_BILLED_BYTES);
    expect(estimateCost(1).billedBytes).toBe(MIN_BILLED_BYTES);
  });

  test('rounds up to the next megabyte and charges $5 per TB', () => {
    expect(estimateCost(11 * 1024 * 1024 + 1).billedBytes).toBe(12 * 1024 * 1024);
    expect(estimateCost(1024 ** 4).usd).toBeCloseTo(5, 10);
  });

  test('DDL statements cost nothing', () => {
    expect(estimateCost(123_456_789, 'DDL')).toEqual({ billedBytes: 0, usd: 0 });
  });

  test('reports scanned and billed data with the approximate charge', () => {
    expect(formatCost(52_428_800, 'DML')).toBe('Data scanned: 50.0 MB (billed 50.0 MB), about $0.000238 at $5/TB');
  });
});

describe('formatResults', () => {
  const columns = ['name', 'note'];
  const rows = [
    ['a', 'plain'],
    ['b', 'has, comma and "quotes"'],
    ['c', null],
  ];

  test('table aligns columns and shows NULL', () => {
    expect(formatResults('table', columns, rows)).toBe(
      ['name | note', '-----+------------------------', 'a    | plain', 'b    | has, comma and "quotes"', 'c    | NULL'].join('\n'),
    );
  });

  test('csv quotes fields that need it and leaves NULL empty', () => {
    expect(formatResults('csv', columns, rows)).toBe('name,note\na,plain\nb,"has, comma and ""quotes"""\nc,');
  });

  test('json gives one object per row', () => {
    expect(JSON.parse(formatResults('json', columns, rows))).toEqual([
      { name: 'a', note: 'plain' },
      { name: 'b', note: 'has, comma and "quotes"' },
      { name: 'c', note: null },
    ]);
  });
});

describe('query CLI', () => {
  function deps(extra: Partial<QueryDeps> = {}): QueryDeps & { outText: string[]; errLines: string[] } {
    const outText: string[] = [];
    const errLines: string[] = [];
    return {
      athena: new AthenaClient({}),
      cfn: new CloudFormationClient({}),
      out: (t) => outText.push(t),
      err: (l) => errLines.push(l),
      ...fakeClock(),
      outText,
      errLines,
      ...extra,
    };
  }

  test('needs exactly one of --sql and --named, and a known format', () => {
    expect(() => parseQueryArgs([])).toThrow('Give exactly one of --sql <sql> or --named <name>.');
    expect(() => parseQueryArgs(['--sql', 'x', '--named', 'y'])).toThrow('Give exactly one of');
    expect(() => parseQueryArgs(['--sql', 'x', '--format', 'xml'])).toThrow('--format must be one of table, csv, json, got "xml".');
    expect(() => parseQueryArgs(['--sql', 'x', '--max-rows', '0'])).toThrow('--max-rows must be a whole number ≥ 1, got "0".');
  });

  test('--help prints the usage', async () => {
    const d = deps();
    expect(await queryMain(['--help'], d)).toBe(0);
    expect(d.outText[0]).toMatch(/^Usage: npm run query -- \(--sql <sql> \| --named <name>\)/);
  });

  test('runs a named query in the workgroup from the stack outputs and prints CSV with the cost', async () => {
    athena.on(ListNamedQueriesCommand).resolves({ NamedQueryIds: ['id-1'] });
    athena.on(BatchGetNamedQueryCommand).resolves({
      NamedQueries: [{ Name: 'daily_volume_and_amount', Description: 'Events per day', Database: 'lake_lake', QueryString: 'SELECT event_date, events FROM raw_payments' }],
    });
    mockSucceeded();
    mockThreePages();
    const d = deps();
    expect(await queryMain(['--named', 'daily_volume_and_amount', '--format', 'csv'], d)).toBe(0);
    expect(athena.commandCalls(StartQueryExecutionCommand)[0].args[0].input).toEqual({
      QueryString: 'SELECT event_date, events FROM raw_payments',
      WorkGroup: 'lake-lake',
      QueryExecutionContext: { Database: 'lake_lake' },
    });
    expect(d.outText).toEqual(['event_date,events\n2026-11-22,10\n2026-11-21,20\n2026-11-20,\n2026-11-19,40']);
    expect(d.errLines).toContain('4 row(s) in 2.3 s.');
    expect(d.errLines.at(-1)).toBe('Data scanned: 50.0 MB (billed 50.0 MB), about $0.000238 at $5/TB');
  });

  test('a FAILED query exits 1 and prints Athena\'s reason', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-5' });
    athena.on(GetQueryExecutionCommand).resolves({
      QueryExecution: { Status: { State: 'FAILED', StateChangeReason: 'Query exhausted resources at this scale factor' } },
    });
    const d = deps();
    expect(await queryMain(['--sql', 'SELECT * FROM raw_payments'], d)).toBe(1);
    expect(d.errLines).toContain('Error: Query q-5 failed: Query exhausted resources at this scale factor');
    expect(d.errLines.at(-1)).toBe('Failed queries are not charged.');
  });

  test('Ctrl-C exits 130 after stopping the query', async () => {
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-6' });
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'RUNNING' } } });
    athena.on(StopQueryExecutionCommand).resolves({});
    const interrupts = new EventEmitter();
    const d = deps({ interrupts, sleep: async () => void interrupts.emit('SIGINT') });
    expect(await queryMain(['--sql', 'SELECT 1'], d)).toBe(130);
    expect(athena.commandCalls(StopQueryExecutionCommand)).toHaveLength(1);
    expect(d.errLines).toContain('Query q-6 interrupted; stopped it.');
  });
});
