import { gzipSync } from 'node:zlib';
import { AthenaClient, GetQueryExecutionCommand, GetQueryResultsCommand, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { BatchGetItemCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeClusterCommand, EMRClient } from '@aws-sdk/client-emr';
import { DescribeDeliveryStreamCommand, FirehoseClient } from '@aws-sdk/client-firehose';
import { GetCrawlerCommand, GetCrawlerMetricsCommand, GetTablesCommand, GlueClient, StartCrawlerCommand } from '@aws-sdk/client-glue';
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { GetExecutionHistoryCommand, HistoryEvent, ListExecutionsCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { takeEvents } from '../../scripts/lib/generator';
import { Clock, DEFAULT_TIMEOUTS, parseScore, runSmokeTest, SmokeContext, viewKey } from '../../scripts/lib/smoke';
import { smokeClients, smokeTest } from '../../scripts/smoke-test';

const T0 = Date.parse('2026-11-22T03:00:00Z');
const N = 120;
const events = takeEvents(N, { seed: 7 });

const cfn = mockClient(CloudFormationClient);
const kinesis = mockClient(KinesisClient);
const firehose = mockClient(FirehoseClient);
const s3 = mockClient(S3Client);
const glue = mockClient(GlueClient);
const athena = mockClient(AthenaClient);
const runtime = mockClient(SageMakerRuntimeClient);
const dynamodb = mockClient(DynamoDBClient);
const emr = mockClient(EMRClient);
const sfn = mockClient(SFNClient);

/** Real client objects; the class-level mocks above answer for every instance. */
const clients = smokeClients();

/** A clock whose sleep moves time on at once. */
function fakeClock(): Clock {
  let now = T0;
  return { now: () => now, sleep: async (ms) => void (now += ms) };
}

const OUTPUTS: Record<string, Record<string, string>> = {
  'lake-storage': { RawBucketName: 'raw-bucket', CuratedBucketName: 'curated-bucket' },
  'lake-ingestion': { StreamName: 'stream', DeliveryStreamName: 'delivery', TransformFunctionName: 'transform' },
  'lake-catalog': { DatabaseName: 'lake_lake', WorkgroupName: 'lake', RawCrawlerName: 'raw-crawler', CuratedCrawlerName: 'curated-crawler' },
  'lake-batch': {
    StateMachineArn: 'arn:aws:states:us-east-1:111111111111:stateMachine:batch', LockTableName: 'lock',
    JobScriptUri: 's3://code/job.py', JobLibraryUri: 's3://code/lib.zip', ClusterLogUri: 's3://logs/',
    RawPaymentsUri: 's3://raw-bucket/raw/payments', CuratedUri: 's3://curated-bucket/curated',
  },
  'lake-serving': { EndpointName: 'scorer', ViewTableName: 'view', DeadLetterQueueUrl: 'https://q', SpeedLayerFunctionName: 'speed' },
};

function deploy(stacks: string[]): void {
  for (const name of Object.keys(OUTPUTS)) {
    const call = cfn.on(DescribeStacksCommand, { StackName: name });
    if (stacks.includes(name)) {
      call.resolves({ Stacks: [{ StackName: name, CreationTime: new Date(T0), StackStatus: 'CREATE_COMPLETE', Outputs: Object.entries(OUTPUTS[name]).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })) }] });
    } else {
      call.rejects(Object.assign(new Error(`Stack with id ${name} does not exist`), { name: 'ValidationError' }));
    }
  }
}

const rawObject = (ids: readonly string[]) => gzipSync(ids.map((event_id) => JSON.stringify({ event_id, amount: 1 })).join('\n') + '\n');

function happyPath(count = N): void {
  deploy(Object.keys(OUTPUTS));
  firehose.on(DescribeDeliveryStreamCommand).resolves({
    DeliveryStreamDescription: {
      DeliveryStreamName: 'delivery', DeliveryStreamARN: 'arn', DeliveryStreamStatus: 'ACTIVE', DeliveryStreamType: 'KinesisStreamAsSource', VersionId: '1', HasMoreDestinations: false,
      Destinations: [{ DestinationId: 'd', ExtendedS3DestinationDescription: { BucketARN: 'arn:aws:s3:::raw-bucket', Prefix: 'raw/payments/', RoleARN: 'r', BufferingHints: {}, CompressionFormat: 'GZIP', EncryptionConfiguration: {} } }],
    },
  });
  // The first PutRecords call fails one record; the retry sends it.
  kinesis.on(PutRecordsCommand).resolvesOnce({ FailedRecordCount: 1, Records: [{ ErrorCode: 'ProvisionedThroughputExceededException' }, ...Array(N - 1).fill({ SequenceNumber: '1' })] })
    .resolves({ FailedRecordCount: 0, Records: [{ SequenceNumber: '2' }] });
  // Nothing in the raw zone at the first look; everything at the second.
  s3.on(ListObjectsV2Command).resolvesOnce({ Contents: [] })
    .resolves({ Contents: [{ Key: 'raw/payments/event_date=2026-01-01/a.gz', LastModified: new Date(T0 + 120_000) }, { Key: 'raw/payments/event_date=2026-01-01/old.gz', LastModified: new Date(T0 - 3_600_000) }] });
  s3.on(GetObjectCommand, { Key: 'raw/payments/event_date=2026-01-01/a.gz' }).resolves({ Body: { transformToByteArray: async () => rawObject(events.map((e) => e.event_id)) } as any });
  // Each crawl is seen running once, then finished.
  let crawling = false;
  glue.on(StartCrawlerCommand).callsFake(() => void (crawling = true));
  glue.on(GetCrawlerCommand).callsFake(() => {
    const running = crawling;
    crawling = false;
    return { Crawler: running ? { State: 'RUNNING' } : { State: 'READY', LastCrawl: { Status: 'SUCCEEDED', StartTime: new Date(T0) } } };
  });
  glue.on(GetCrawlerMetricsCommand).resolves({ CrawlerMetricsList: [{ TablesCreated: 1, TablesUpdated: 0 }] });
  glue.on(GetTablesCommand).resolves({ TableList: [{ Name: 'raw_payments' }] });
  athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q1' });
  athena.on(GetQueryExecutionCommand).resolvesOnce({ QueryExecution: { Status: { State: 'RUNNING' } } }).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
  athena.on(GetQueryResultsCommand).resolves({
    ResultSet: { ResultSetMetadata: { ColumnInfo: [{ Name: '_col0', Type: 'bigint' }] }, Rows: [{ Data: [{ VarCharValue: '_col0' }] }, { Data: [{ VarCharValue: String(count) }] }] },
  });
  runtime.on(InvokeEndpointCommand).resolves({ Body: new TextEncoder().encode('{"score": 0.12}') as any });
  dynamodb.on(DescribeTableCommand).resolves({ Table: { KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }] } });
  // The view returns each requested item, with the event_id attribute the speed layer writes.
  dynamodb.on(BatchGetItemCommand).callsFake((input) => ({
    Responses: { view: input.RequestItems.view.Keys.map((k: any) => ({ ...k, event_id: { S: k.sk.S.replace('event#', '') } })) },
  }));
  sfn.on(ListExecutionsCommand).resolves({ executions: [] });
  sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:aws:states:us-east-1:111111111111:execution:batch:run-1', startDate: new Date(T0) });
  sfn.on(GetExecutionHistoryCommand)
    .resolvesOnce({ events: batchHistory() })
    .resolves({ events: batchHistory({ id: 4, timestamp: new Date(T0 + 1_200_000), type: 'ExecutionSucceeded' }) });
}

/** A batch run's history: started, in RunStep, then the given end. */
function batchHistory(...end: HistoryEvent[]): HistoryEvent[] {
  return [
    { id: 1, timestamp: new Date(T0), type: 'ExecutionStarted' },
    { id: 2, timestamp: new Date(T0), type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'CreateCluster' } },
    { id: 3, timestamp: new Date(T0 + 1000), type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'RunStep' } },
    ...end,
  ];
}

const context = (): SmokeContext => ({ prefix: 'lake', events, idPrefix: 'evt-7-', outputs: {}, startedAt: T0 });

beforeEach(() => {
  for (const m of [cfn, kinesis, firehose, s3, glue, athena, runtime, dynamodb, emr, sfn]) m.reset();
});

describe('the smoke test', () => {
  test('passes every step in order when the lake works', async () => {
    happyPath();
    const results = await runSmokeTest(clients, context(), fakeClock());
    expect(results.map((r) => [r.name, r.status])).toEqual([
      ['read stack outputs', 'passed'],
      ['delivery stream is active', 'passed'],
      ['send events', 'passed'],
      ['events land in the raw zone', 'passed'],
      ['raw crawler', 'passed'],
      ['Athena counts the events', 'passed'],
      ['endpoint scores a known event', 'passed'],
      ['real-time view has the events', 'passed'],
      ['batch job runs', 'passed'],
      ['curated count equals the deduplicated count', 'passed'],
    ]);
  });

  test('retries records that PutRecords rejects', async () => {
    happyPath();
    const results = await runSmokeTest(clients, context(), fakeClock());
    expect(kinesis.commandCalls(PutRecordsCommand).map((c) => c.args[0].input.Records?.length)).toEqual([N, 1]);
    expect(results.find((r) => r.name === 'send events')?.detail).toBe(`${N} events sent (ids evt-7-*), 1 retried`);
  });

  test('fails when Kinesis keeps rejecting records after the retries', async () => {
    happyPath();
    kinesis.on(PutRecordsCommand).callsFake((input) => ({
      FailedRecordCount: 1,
      Records: input.Records.map((_: unknown, i: number) => (i === 0 ? { ErrorCode: 'InternalFailure' } : { SequenceNumber: '1' })),
    }));
    const results = await runSmokeTest(clients, context(), fakeClock());
    expect(results.at(-1)).toEqual(expect.objectContaining({ name: 'send events', status: 'failed', detail: `1 of ${N} events not accepted by Kinesis: {"InternalFailure":1}` }));
  });

  test('counts only events in objects written since the start', async () => {
    happyPath();
    await runSmokeTest(clients, context(), fakeClock());
    expect(s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input.Key)).toEqual(['raw/payments/event_date=2026-01-01/a.gz']);
  });

  test('queries Athena in the lake workgroup and database for this run only', async () => {
    happyPath();
    await runSmokeTest(clients, context(), fakeClock());
    expect(athena.commandCalls(StartQueryExecutionCommand)[0].args[0].input).toEqual({
      QueryString: "SELECT count(DISTINCT event_id) FROM raw_payments WHERE event_id LIKE 'evt-7-%'",
      WorkGroup: 'lake',
      QueryExecutionContext: { Database: 'lake_lake' },
    });
  });

  test('starts a batch run over the dates of the events it sent, as run-batch does', async () => {
    happyPath();
    await runSmokeTest(clients, context(), fakeClock());
    const dates = events.map((e) => e.event_time.slice(0, 10)).sort();
    const started = sfn.commandCalls(StartExecutionCommand)[0].args[0].input;
    expect(started.stateMachineArn).toBe(OUTPUTS['lake-batch'].StateMachineArn);
    expect(JSON.parse(started.input!)).toEqual({ start: dates[0], end: dates[dates.length - 1] });
  });

  test('fails when the batch run goes on past its timeout', async () => {
    happyPath();
    sfn.on(GetExecutionHistoryCommand).resolves({ events: batchHistory() });
    const results = await runSmokeTest(clients, context(), fakeClock(), { ...DEFAULT_TIMEOUTS, batchMs: 60_000, pollMs: 10_000 });
    expect(results.at(-1)).toEqual(expect.objectContaining({ name: 'batch job runs', status: 'failed', detail: expect.stringMatching(/^Timed out after 60 s waiting for the batch run: \[00:01\] RunStep$/) }));
  });

  test('stops at the first failure and reports why', async () => {
    happyPath(N - 3);
    const results = await runSmokeTest(clients, context(), fakeClock());
    expect(results.at(-1)).toEqual(expect.objectContaining({ name: 'Athena counts the events', status: 'failed', detail: `Athena counts ${N - 3} events in raw_payments, expected ${N}` }));
    expect(results.map((r) => r.name)).not.toContain('endpoint scores a known event');
    expect(runtime.commandCalls(InvokeEndpointCommand)).toHaveLength(0);
  });

  test('fails a wait that runs past its timeout', async () => {
    happyPath();
    s3.on(ListObjectsV2Command).resolves({ Contents: [] });
    const results = await runSmokeTest(clients, context(), fakeClock(), { ...DEFAULT_TIMEOUTS, rawZoneMs: 60_000, pollMs: 10_000 });
    expect(results.at(-1)).toEqual(expect.objectContaining({
      name: 'events land in the raw zone',
      status: 'failed',
      detail: `Timed out after 60 s waiting for ${N} events under s3://raw-bucket/raw/payments/ (found 0)`,
    }));
  });

  test('skips the steps of layers that are not deployed', async () => {
    happyPath();
    cfn.reset();
    deploy(['lake-storage', 'lake-ingestion', 'lake-catalog']);
    const results = await runSmokeTest(clients, context(), fakeClock());
    expect(results.filter((r) => r.status === 'skipped').map((r) => [r.name, r.detail])).toEqual([
      ['endpoint scores a known event', 'layer off: lake-serving not deployed'],
      ['real-time view has the events', 'layer off: lake-serving not deployed'],
      ['batch job runs', 'layer off: lake-batch not deployed'],
      ['curated count equals the deduplicated count', 'layer off: lake-batch not deployed'],
    ]);
    expect(results.every((r) => r.status !== 'failed')).toBe(true);
  });

  test('waits for the view and says how many events are missing', async () => {
    happyPath();
    dynamodb.on(BatchGetItemCommand).resolves({ Responses: { view: [] } });
    const results = await runSmokeTest(clients, context(), fakeClock(), { ...DEFAULT_TIMEOUTS, viewMs: 30_000, pollMs: 10_000 });
    expect(results.at(-1)).toEqual(expect.objectContaining({ name: 'real-time view has the events', status: 'failed', detail: `Timed out after 30 s waiting for ${N} events in view (${N} missing)` }));
    expect(dynamodb.commandCalls(BatchGetItemCommand).length).toBe(4 * 2);
  });

  test('fails with the failed state and cause when the batch run fails', async () => {
    happyPath();
    sfn.on(GetExecutionHistoryCommand).resolves({
      events: batchHistory({ id: 4, timestamp: new Date(T0 + 60_000), type: 'ExecutionFailed', executionFailedEventDetails: { error: 'States.TaskFailed', cause: 'CreateCluster failed: no capacity' } }),
    });
    emr.on(DescribeClusterCommand).rejects(new Error('not reached'));
    const results = await runSmokeTest(clients, context(), fakeClock());
    expect(results.at(-1)).toEqual(expect.objectContaining({
      name: 'batch job runs',
      status: 'failed',
      detail: expect.stringContaining('[01:00] run FAILED |   Failed state: CreateCluster |   Error:        States.TaskFailed |   Cause:        no capacity'),
    }));
  });

  test('the command exits 1 when the storage stack is missing', async () => {
    deploy([]);
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    await expect(smokeTest({ prefix: 'lake', events: 5 })).resolves.toBe(1);
    expect(log.mock.calls.map((c) => c[0]).join('\n')).toContain('FAIL  read stack outputs');
    log.mockRestore();
  });

  test('rejects a bad event count', async () => {
    await expect(smokeTest({ prefix: 'lake', events: 0 })).rejects.toThrow('--events must be an integer 1–10000, got 0');
  });
});

describe('the real-time view key', () => {
  const [event] = events;

  test('follows the speed layer layout: customer partition, event sort key', () => {
    expect(viewKey(['pk:HASH', 'sk:RANGE'], 'view')(event)).toEqual({ pk: { S: `customer#${event.customer_id}` }, sk: { S: `event#${event.event_id}` } });
  });

  test('or a table keyed by event_id', () => {
    expect(viewKey(['event_id:HASH'], 'view')(event)).toEqual({ event_id: { S: event.event_id } });
  });

  test('names a key schema it does not know', () => {
    expect(() => viewKey(['id:HASH'], 'view')).toThrow('Table view has key schema id:HASH; the smoke test knows pk/sk (speed layer) or event_id');
  });
});

describe('reading the endpoint score', () => {
  test.each([
    ['0.25', 0.25],
    ['{"score": 0.5}', 0.5],
    ['{"scores": [0.75]}', 0.75],
    ['{"predictions": [{"score": 0.9}]}', 0.9],
    ['[0.1, 0.2]', 0.1],
  ])('%s → %d', (body, score) => {
    expect(parseScore(body)).toBe(score);
  });

  test('says what it could not read', () => {
    expect(() => parseScore('{"label": "fraud"}')).toThrow('Cannot read a score from the endpoint\'s response: {"label": "fraud"}');
  });
});
