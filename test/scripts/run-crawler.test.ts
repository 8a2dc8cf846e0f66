import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  CrawlerRunningException,
  GetCrawlerCommand,
  GetCrawlerMetricsCommand,
  GetTablesCommand,
  GlueClient,
  StartCrawlerCommand,
} from '@aws-sdk/client-glue';
import { mockClient } from 'aws-sdk-client-mock';
import { formatCrawlOutcome, runCrawler } from '../../scripts/lib/crawler';
import { crawlMain, parseCrawlArgs } from '../../scripts/run-crawler';

const glue = mockClient(GlueClient);
const cfn = mockClient(CloudFormationClient);

beforeEach(() => {
  glue.reset();
  cfn.reset();
});

/** A clock that advances only when the code under test sleeps. */
function fakeClock(start = Date.UTC(2026, 10, 22, 1, 0, 0)) {
  let t = start;
  return { now: () => t, sleep: async (ms: number) => void (t += ms), start };
}

const crawlStart = new Date(Date.UTC(2026, 10, 22, 1, 0, 5));

function mockSuccessfulCrawl() {
  glue.on(StartCrawlerCommand).resolves({});
  glue
    .on(GetCrawlerCommand)
    .resolvesOnce({ Crawler: { State: 'READY', LastCrawl: { Status: 'SUCCEEDED', StartTime: new Date(Date.UTC(2026, 10, 21)) } } })
    .resolvesOnce({ Crawler: { State: 'RUNNING' } })
    .resolvesOnce({ Crawler: { State: 'STOPPING' } })
    .resolves({ Crawler: { State: 'READY', LastCrawl: { Status: 'SUCCEEDED', StartTime: crawlStart } } });
  glue.on(GetCrawlerMetricsCommand).resolves({ CrawlerMetricsList: [{ TablesCreated: 1, TablesUpdated: 1, TablesDeleted: 0 }] });
  glue
    .on(GetTablesCommand)
    .resolvesOnce({
      TableList: [
        {
          Name: 'raw_payments',
          CreateTime: new Date(crawlStart.getTime() + 60_000),
          StorageDescriptor: { Columns: new Array(11).fill({ Name: 'c' }), Location: 's3://raw/raw/payments/' },
          PartitionKeys: [{ Name: 'event_date' }],
        },
      ],
      NextToken: 'page-2',
    })
    .resolvesOnce({
      TableList: [
        { Name: 'raw_refunds', CreateTime: new Date(Date.UTC(2026, 0, 1)), UpdateTime: new Date(crawlStart.getTime() + 1), PartitionKeys: [] },
        { Name: 'raw_old', CreateTime: new Date(Date.UTC(2026, 0, 1)), UpdateTime: new Date(Date.UTC(2026, 0, 2)) },
      ],
    });
}

describe('runCrawler', () => {
  test('starts the crawler, waits through running and stopping, and reports the crawl', async () => {
    mockSuccessfulCrawl();
    const clock = fakeClock();
    const lines: string[] = [];
    const outcome = await runCrawler({
      glue: new GlueClient({}),
      crawlerName: 'raw-crawler',
      databaseName: 'lake_lake',
      tablePrefix: 'raw_',
      timeoutMs: 900_000,
      pollMs: 15_000,
      ...clock,
      log: (l) => lines.push(l),
    });
    expect(glue.commandCalls(StartCrawlerCommand)[0].args[0].input).toEqual({ Name: 'raw-crawler' });
    // The first READY still shows yesterday's crawl, so it is not taken for the end of this one.
    expect(glue.commandCalls(GetCrawlerCommand)).toHaveLength(4);
    expect(lines).toEqual([
      'Started crawler raw-crawler.',
      '  ready (0 s)',
      '  running (15 s)',
      '  stopping (30 s)',
      'Crawl finished after 45 s.',
    ]);
    expect(outcome).toEqual({
      crawlerName: 'raw-crawler',
      started: true,
      tablesCreated: 1,
      tablesUpdated: 1,
      tablesDeleted: 0,
      tables: [
        { name: 'raw_payments', change: 'created', columns: 11, partitionKeys: ['event_date'], location: 's3://raw/raw/payments/' },
        { name: 'raw_refunds', change: 'updated', columns: 0, partitionKeys: [], location: undefined },
        { name: 'raw_old', change: 'unchanged', columns: 0, partitionKeys: [], location: undefined },
      ],
    });
  });

  test('lists the tables page by page, filtered by the zone prefix', async () => {
    mockSuccessfulCrawl();
    await runCrawler({ glue: new GlueClient({}), crawlerName: 'c', databaseName: 'lake_lake', tablePrefix: 'raw_', timeoutMs: 900_000, pollMs: 1, ...fakeClock() });
    expect(glue.commandCalls(GetTablesCommand).map((c) => c.args[0].input)).toEqual([
      { DatabaseName: 'lake_lake', Expression: 'raw_.*', NextToken: undefined },
      { DatabaseName: 'lake_lake', Expression: 'raw_.*', NextToken: 'page-2' },
    ]);
  });

  test('waits for a crawl that is already running instead of failing', async () => {
    glue.on(StartCrawlerCommand).rejects(new CrawlerRunningException({ message: 'Crawler with name c has already started', $metadata: {} }));
    glue
      .on(GetCrawlerCommand)
      .resolvesOnce({ Crawler: { State: 'RUNNING' } })
      .resolves({ Crawler: { State: 'READY', LastCrawl: { Status: 'SUCCEEDED', StartTime: crawlStart } } });
    glue.on(GetCrawlerMetricsCommand).resolves({ CrawlerMetricsList: [{ TablesCreated: 0, TablesUpdated: 0, TablesDeleted: 0 }] });
    glue.on(GetTablesCommand).resolves({ TableList: [] });
    const lines: string[] = [];
    const outcome = await runCrawler({
      glue: new GlueClient({}),
      crawlerName: 'c',
      databaseName: 'lake_lake',
      timeoutMs: 900_000,
      pollMs: 15_000,
      ...fakeClock(),
      log: (l) => lines.push(l),
    });
    expect(outcome.started).toBe(false);
    expect(lines[0]).toBe('Crawler c is already running; waiting for that crawl.');
    expect(lines.at(-1)).toBe('Crawl finished after 15 s.');
  });

  test('a failed crawl fails with the crawler\'s error message and log location', async () => {
    glue.on(StartCrawlerCommand).resolves({});
    glue
      .on(GetCrawlerCommand)
      .resolvesOnce({ Crawler: { State: 'RUNNING' } })
      .resolves({
        Crawler: {
          State: 'READY',
          LastCrawl: {
            Status: 'FAILED',
            ErrorMessage: 'Service Principal: glue.amazonaws.com is not authorized to perform: logs:AssociateKmsKey',
            LogGroup: '/aws-glue/crawlers-role/r-sc',
            LogStream: 'c',
            StartTime: crawlStart,
          },
        },
      });
    await expect(
      runCrawler({ glue: new GlueClient({}), crawlerName: 'c', databaseName: 'd', timeoutMs: 900_000, pollMs: 15_000, ...fakeClock() }),
    ).rejects.toThrow(
      'Crawler c failed: Service Principal: glue.amazonaws.com is not authorized to perform: logs:AssociateKmsKey. Logs: /aws-glue/crawlers-role/r-sc c',
    );
    expect(glue.commandCalls(GetCrawlerMetricsCommand)).toHaveLength(0);
  });

  test('gives up after the timeout and says the crawl continues', async () => {
    glue.on(StartCrawlerCommand).resolves({});
    glue.on(GetCrawlerCommand).resolves({ Crawler: { State: 'RUNNING' } });
    const clock = fakeClock();
    await expect(
      runCrawler({ glue: new GlueClient({}), crawlerName: 'c', databaseName: 'd', timeoutMs: 60_000, pollMs: 15_000, ...clock }),
    ).rejects.toThrow('Timed out after 60 s waiting for crawler c (state RUNNING); the crawl continues in AWS.');
    expect(glue.commandCalls(GetCrawlerCommand)).toHaveLength(5);
  });

  test('other start errors propagate', async () => {
    glue.on(StartCrawlerCommand).rejects(Object.assign(new Error('Crawler entry with name c does not exist'), { name: 'EntityNotFoundException' }));
    await expect(
      runCrawler({ glue: new GlueClient({}), crawlerName: 'c', databaseName: 'd', timeoutMs: 1, pollMs: 1, ...fakeClock() }),
    ).rejects.toThrow('Crawler entry with name c does not exist');
  });
});

describe('formatCrawlOutcome', () => {
  test('summarizes the counts and each table', () => {
    expect(
      formatCrawlOutcome({
        crawlerName: 'c',
        started: true,
        tablesCreated: 1,
        tablesUpdated: 0,
        tablesDeleted: 0,
        tables: [{ name: 'raw_payments', change: 'created', columns: 11, partitionKeys: ['event_date'], location: 's3://b/raw/payments/' }],
      }),
    ).toBe(
      'Crawler c: 1 table(s) created, 0 updated, 0 deleted.\n  raw_payments (created): 11 columns, partitioned by event_date at s3://b/raw/payments/',
    );
  });

  test('says when there are no tables yet', () => {
    expect(formatCrawlOutcome({ crawlerName: 'c', started: true, tablesCreated: 0, tablesUpdated: 0, tablesDeleted: 0, tables: [] })).toContain(
      "No tables yet: is there data under the crawler's paths?",
    );
  });
});

describe('run-crawler CLI', () => {
  test('needs exactly one of --zone and --crawler', () => {
    expect(() => parseCrawlArgs([])).toThrow('Give exactly one of --zone raw|curated or --crawler <name>.');
    expect(() => parseCrawlArgs(['--zone', 'raw', '--crawler', 'x'])).toThrow('Give exactly one of');
    expect(() => parseCrawlArgs(['--zone', 'gold'])).toThrow('--zone must be raw or curated, got "gold".');
    expect(() => parseCrawlArgs(['--zone', 'raw', '--timeout', '0'])).toThrow('--timeout must be a positive number of seconds, got "0".');
  });

  test('defaults to prefix lake, a 15-minute timeout and 15-second polls', () => {
    expect(parseCrawlArgs(['--zone', 'curated'])).toEqual({
      zone: 'curated',
      crawler: undefined,
      prefix: 'lake',
      timeoutSeconds: 900,
      pollSeconds: 15,
      help: false,
    });
  });

  test('--help prints the usage and exits 0', async () => {
    const out: string[] = [];
    const code = await crawlMain(['--help'], { glue: new GlueClient({}), cfn: new CloudFormationClient({}), out: (l) => out.push(l), err: () => undefined });
    expect(code).toBe(0);
    expect(out[0]).toMatch(/^Usage: npm run crawl -- \(--zone raw\|curated \| --crawler <name>\)/);
  });

  test('a bad argument exits 2 with the usage', async () => {
    const err: string[] = [];
    const code = await crawlMain(['--zone'], { glue: new GlueClient({}), cfn: new CloudFormationClient({}), out: () => undefined, err: (l) => err.push(l) });
    expect(code).toBe(2);
    expect(err[0]).toContain('Usage: npm run crawl');
  });

  test('reads the crawler and database from the catalog stack outputs and prints the tables', async () => {
    cfn.on(DescribeStacksCommand, { StackName: 'demo-catalog' }).resolves({
      Stacks: [
        {
          StackName: 'demo-catalog',
          CreationTime: new Date(),
          StackStatus: 'CREATE_COMPLETE',
          Outputs: [
            { OutputKey: 'RawCrawlerName', OutputValue: 'raw-crawler' },
            { OutputKey: 'CuratedCrawlerName', OutputValue: 'curated-crawler' },
            { OutputKey: 'DatabaseName', OutputValue: 'demo_lake' },
          ],
        },
      ],
    });
    mockSuccessfulCrawl();
    const out: string[] = [];
    const code = await crawlMain(['--zone', 'raw', '--prefix', 'demo', '--poll', '1'], {
      glue: new GlueClient({}),
      cfn: new CloudFormationClient({}),
      out: (l) => out.push(l),
      err: () => undefined,
      ...fakeClock(),
    });
    expect(code).toBe(0);
    expect(glue.commandCalls(StartCrawlerCommand)[0].args[0].input).toEqual({ Name: 'raw-crawler' });
    expect(glue.commandCalls(GetTablesCommand)[0].args[0].input).toEqual(expect.objectContaining({ DatabaseName: 'demo_lake', Expression: 'raw_.*' }));
    expect(out.join('\n')).toContain('raw_payments (created): 11 columns, partitioned by event_date');
  });

  test('a failed crawl exits 1 with the error', async () => {
    cfn.on(DescribeStacksCommand).resolves({
      Stacks: [{ StackName: 'lake-catalog', CreationTime: new Date(), StackStatus: 'CREATE_COMPLETE', Outputs: [{ OutputKey: 'DatabaseName', OutputValue: 'lake_lake' }] }],
    });
    glue.on(StartCrawlerCommand).resolves({});
    glue
      .on(GetCrawlerCommand)
      .resolvesOnce({ Crawler: { State: 'RUNNING' } })
      .resolves({ Crawler: { State: 'READY', LastCrawl: { Status: 'FAILED', ErrorMessage: 'Access Denied', StartTime: crawlStart } } });
    const err: string[] = [];
    const code = await crawlMain(['--crawler', 'custom'], { glue: new GlueClient({}), cfn: new CloudFormationClient({}), out: () => undefined, err: (l) => err.push(l), ...fakeClock() });
    expect(code).toBe(1);
    expect(err.at(-1)).toBe('Error: Crawler custom failed: Access Denied.');
  });
});
