/**
 * BatchCluster's workflow, run: the definition's own JSONata expressions evaluated by the
 * interpreter in test/workflow.ts against mocked task results, one behaviour per test.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { BatchClusterProps } from '../../lib/constructs/batch-cluster';
import { testStack } from '../helpers';
import { EXECUTION, Json, newBatchCluster, simulate, TaskMocks, workflowDefinition } from '../workflow';

function definitionOf(overrides: Partial<BatchClusterProps> = {}): Json {
  const stack = testStack();
  newBatchCluster(stack, overrides);
  return workflowDefinition(Template.fromStack(stack));
}

const transient = definitionOf();
const persistent = definitionOf({ lifecycle: 'persistent' });
const RANGE = { start: '2026-11-01', end: '2026-11-02' };

const crawlerIs = (State: string, Status?: string, ErrorMessage?: string) => ({ result: { Crawler: { State, LastCrawl: Status ? { Status, ErrorMessage } : undefined } } });
/** A run where every task succeeds: the cluster starts, the crawl runs once and ends SUCCEEDED. */
const ALL_GOOD: TaskMocks = {
  CreateCluster: { result: { ClusterId: 'j-RUN1' } },
  RunStep: { result: { Step: { Id: 's-1', Status: { State: 'COMPLETED' } } } },
  GetCrawler: [crawlerIs('RUNNING', 'SUCCEEDED'), crawlerIs('READY', 'SUCCEEDED')],
};
const failure = (error: string, cause: string) => ({ error, cause });

describe('a batch run (transient cluster)', () => {
  test('succeeds through lock, cluster, step, termination, crawl and unlock', async () => {
    const run = await simulate(transient, RANGE, ALL_GOOD);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.path).toEqual([
      'StartRun', 'CheckInput', 'UseGivenDates', 'CheckDates', 'AcquireLock', 'CreateCluster', 'RunStep', 'TerminateCluster',
      'StartCrawler', 'WaitForCrawler', 'GetCrawler', 'CrawlFinished', 'WaitForCrawler', 'GetCrawler', 'CrawlFinished',
      'ReleaseLock', 'RunSucceeded',
    ]);
    expect(run.output).toEqual({ start: '2026-11-01', end: '2026-11-02', clusterId: 'j-RUN1' });
  });

  test('the lock names the run and lasts until the run would time out', async () => {
    const run = await simulate(transient, RANGE, ALL_GOOD);
    const acquire = run.visits.find((v) => v.state === 'AcquireLock')!.args;
    expect(acquire.Item).toEqual({
      lockId: { S: 'curated-zone' },
      holder: { S: EXECUTION.Id },
      runName: { S: EXECUTION.Name },
      start: { S: '2026-11-01' },
      end: { S: '2026-11-02' },
      // 2026-11-30T10:15:00.123Z is 1796033700 s; plus the 4-hour run timeout.
      expiresAt: { N: String(1_796_033_700 + 14_400) },
    });
    expect(Number(acquire.ExpressionAttributeValues[':now'].N)).toBeGreaterThan(1_700_000_000);
    expect(acquire.ExpressionAttributeValues[':me']).toEqual({ S: EXECUTION.Id });
  });

  test('creates a cluster named after the dates, and adds the step with the dates to it', async () => {
    const run = await simulate(transient, RANGE, ALL_GOOD);
    expect(run.visits.find((v) => v.state === 'CreateCluster')!.args.Name).toBe('TestStack-Batch 2026-11-01..2026-11-02');
    expect(run.visits.find((v) => v.state === 'RunStep')!.args).toEqual({
      ClusterId: 'j-RUN1',
      Step: {
        Name: 'curate 2026-11-01..2026-11-02',
        ActionOnFailure: 'TERMINATE_CLUSTER',
        HadoopJarStep: { Jar: 'command-runner.jar', Args: ['spark-submit', 's3://code/job.py', '--start-date', '2026-11-01', '--end-date', '2026-11-02'] },
      },
    });
    expect(run.visits.find((v) => v.state === 'TerminateCluster')!.args).toEqual({ ClusterId: 'j-RUN1' });
  });

  test('a scheduled run rebuilds the lookbackDays whole days before its time', async () => {
    const run = await simulate(transient, { asOf: '2026-12-01T02:00:00Z', lookbackDays: 2 }, ALL_GOOD);
    expect(run.path.slice(0, 4)).toEqual(['StartRun', 'CheckInput', 'UseLookbackDates', 'CheckDates']);
    expect([run.variables.start, run.variables.end]).toEqual(['2026-11-29', '2026-11-30']);
  });

  test('a failed step terminates the cluster, releases the lock and fails naming the step and its cause', async () => {
    const run = await simulate(transient, RANGE, { ...ALL_GOOD, RunStep: failure('States.TaskFailed', 'Step s-1 FAILED: spark exited 1') });
    expect(run.path.slice(6)).toEqual(['RunStep', 'TerminateIfCreated', 'TerminateAfterFailure', 'ReleaseLockAfterFailure', 'RunFailed']);
    expect(run.visits.find((v) => v.state === 'TerminateAfterFailure')!.args).toEqual({ ClusterId: 'j-RUN1' });
    expect([run.status, run.error, run.cause]).toEqual(['FAILED', 'States.TaskFailed', 'RunStep failed: Step s-1 FAILED: spark exited 1']);
  });

  test('a step that times out terminates the cluster too', async () => {
    const run = await simulate(transient, RANGE, { ...ALL_GOOD, RunStep: failure('States.Timeout', 'Task timed out') });
    expect(run.path).toContain('TerminateAfterFailure');
    expect([run.error, run.cause]).toEqual(['States.Timeout', 'RunStep failed: Task timed out']);
  });

  test('a failed RunJobFlow leaves no cluster to terminate, and still releases the lock', async () => {
    const run = await simulate(transient, RANGE, { CreateCluster: failure('ElasticMapReduce.ValidationException', 'Instance type x is not supported') });
    expect(run.path.slice(5)).toEqual(['CreateCluster', 'TerminateIfCreated', 'ReleaseLockAfterFailure', 'RunFailed']);
    expect(run.cause).toBe('CreateCluster failed: Instance type x is not supported');
  });

  test('a failed termination is retried by the failure path', async () => {
    const run = await simulate(transient, RANGE, { ...ALL_GOOD, TerminateCluster: failure('States.Timeout', 'still TERMINATING') });
    expect(run.path.slice(7)).toEqual(['TerminateCluster', 'TerminateIfCreated', 'TerminateAfterFailure', 'ReleaseLockAfterFailure', 'RunFailed']);
  });

  test('when even the failure path cannot terminate the cluster, the cause says that it auto-terminates', async () => {
    const run = await simulate(transient, RANGE, {
      ...ALL_GOOD,
      RunStep: failure('States.TaskFailed', 'step failed'),
      TerminateAfterFailure: failure('ElasticMapReduce.InternalServerException', 'EMR unavailable'),
    });
    expect(run.path.slice(-2)).toEqual(['ReleaseLockAfterFailure', 'RunFailed']);
    expect(run.cause).toBe('RunStep failed: step failed (terminating cluster j-RUN1 failed too: EMR unavailable; it auto-terminates when idle)');
  });

  test('a failed crawl after termination fails the run without a second termination', async () => {
    const run = await simulate(transient, RANGE, { ...ALL_GOOD, GetCrawler: crawlerIs('READY', 'FAILED', 'Access denied to s3://curated') });
    expect(run.path.slice(-5)).toEqual(['GetCrawler', 'CrawlFinished', 'TerminateIfCreated', 'ReleaseLockAfterFailure', 'RunFailed']);
    expect([run.error, run.cause]).toEqual(['CrawlFailed', 'Crawl failed: crawler curated-crawler ended FAILED: Access denied to s3://curated']);
  });

  test('a crawl that never ends fails the run after the crawler timeout', async () => {
    const run = await simulate(transient, RANGE, { ...ALL_GOOD, GetCrawler: crawlerIs('RUNNING') });
    expect(run.path.filter((s) => s === 'GetCrawler')).toHaveLength(60); // 30 minutes of 30-second polls
    expect([run.error, run.cause]).toEqual(['CrawlTimeout', 'Crawl failed: crawler curated-crawler still RUNNING after 30 minutes']);
  });

  test('a lock that another run took meanwhile does not fail a finished run', async () => {
    const run = await simulate(transient, RANGE, { ...ALL_GOOD, ReleaseLock: failure('DynamoDB.ConditionalCheckFailedException', 'The conditional request failed') });
    expect([run.status, run.path.at(-1)]).toEqual(['SUCCEEDED', 'RunSucceeded']);
  });
});

describe('overlapping runs', () => {
  test('a run is refused while another holds the lock, naming the holder and its dates', async () => {
    const run = await simulate(transient, RANGE, {
      AcquireLock: failure('DynamoDB.ConditionalCheckFailedException', 'The conditional request failed'),
      ReadLockHolder: { result: { Item: { runName: { S: 'nightly-1' }, start: { S: '2026-10-31' }, end: { S: '2026-11-01' }, expiresAt: { N: '1796040000' } } } },
    });
    expect(run.path.slice(4)).toEqual(['AcquireLock', 'ReadLockHolder', 'RunRefused']);
    expect(run.error).toBe('RunRefused');
    expect(run.cause).toBe(
      'Another run is writing the output: nightly-1 (2026-10-31..2026-11-01), its lock lasts until 2026-11-30T12:00:00.000Z. ' +
        'Runs are serialised: start this one again when that one has ended.',
    );
    expect(run.path).not.toContain('CreateCluster');
  });

  test('a refusal still reads well when the lock was released in between', async () => {
    const run = await simulate(transient, RANGE, {
      AcquireLock: failure('DynamoDB.ConditionalCheckFailedException', 'The conditional request failed'),
      ReadLockHolder: { result: {} },
    });
    expect(run.cause).toMatch(/^Another run is writing the output: unknown \(unknown\.\.unknown\), its lock lasts until unknown\./);
  });

  test('the SDK spelling of the condition failure is refused the same way', async () => {
    const run = await simulate(transient, RANGE, { AcquireLock: failure('DynamoDb.ConditionalCheckFailedException', 'failed'), ReadLockHolder: { result: {} } });
    expect(run.error).toBe('RunRefused');
  });
});

describe('the run input', () => {
  test.each([
    [{}, 'InvalidInput'],
    [{ start: '2026-11-01' }, 'InvalidInput'],
    [{ start: '01/11/2026', end: '2026-11-02' }, 'InvalidInput'],
    [{ asOf: '2026-11-30T02:00:00Z', lookbackDays: 0 }, 'InvalidInput'],
    [{ asOf: '2026-11-30T02:00:00Z', lookbackDays: 1.5 }, 'InvalidInput'],
    [{ asOf: 'yesterday', lookbackDays: 2 }, 'InvalidInput'],
    [{ start: '2026-02-30', end: '2026-03-01' }, 'InvalidDates'],
    [{ start: '2026-11-02', end: '2026-11-01' }, 'InvalidDates'],
    [{ start: '2026-01-01', end: '2027-01-02' }, 'InvalidDates'],
  ])('%j fails as %s before taking the lock', async (input, error) => {
    const run = await simulate(transient, input);
    expect([run.status, run.error]).toEqual(['FAILED', error]);
    expect(run.path).not.toContain('AcquireLock');
  });

  test('366 days is the longest range', async () => {
    const run = await simulate(transient, { start: '2026-01-01', end: '2027-01-01' }, ALL_GOOD);
    expect(run.status).toBe('SUCCEEDED');
  });

  test('the invalid-dates cause quotes the dates', async () => {
    const run = await simulate(transient, { start: '2026-11-02', end: '2026-11-01' });
    expect(run.cause).toBe('Dates must be real days, start <= end, at most 366 days; got 2026-11-02..2026-11-01');
  });
});

describe('a batch run (persistent cluster)', () => {
  test('adds the step to the long-running cluster, crawls and unlocks', async () => {
    const run = await simulate(persistent, RANGE, ALL_GOOD);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.path).not.toEqual(expect.arrayContaining(['CreateCluster']));
    expect(run.path.slice(4, 7)).toEqual(['AcquireLock', 'RunStep', 'StartCrawler']);
    expect(run.visits.find((v) => v.state === 'RunStep')!.args.ClusterId).toMatch(/^\$\{Ref:BatchCluster/);
  });

  test('a failed step releases the lock and fails, leaving the cluster running', async () => {
    const run = await simulate(persistent, RANGE, { RunStep: failure('States.TaskFailed', 'step failed') });
    expect(run.path.slice(5)).toEqual(['RunStep', 'ReleaseLockAfterFailure', 'RunFailed']);
    expect(run.cause).toBe('RunStep failed: step failed');
  });
});
