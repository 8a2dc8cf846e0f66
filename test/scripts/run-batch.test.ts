import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeClusterCommand, EMRClient } from '@aws-sdk/client-emr';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  HistoryEvent,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { EXIT, parseRunBatchArgs, runBatch, RunBatchOptions, runName, UsageError } from '../../scripts/lib/batch-run';

const cfn = mockClient(CloudFormationClient);
const sfn = mockClient(SFNClient);
const emr = mockClient(EMRClient);

const MACHINE = 'arn:aws:states:us-east-1:111111111111:stateMachine:lake-batch-Workflow';
const NAME = '2026-11-01_2026-11-02_20261130T101500Z';
const EXECUTION = `arn:aws:states:us-east-1:111111111111:execution:lake-batch-Workflow:${NAME}`;
const T0 = Date.parse('2026-11-30T10:15:00Z');
const OUTPUTS = {
  StateMachineArn: MACHINE,
  LockTableName: 'lake-batch-lock',
  JobScriptUri: 's3://assets/job.py',
  JobLibraryUri: 's3://assets/lib.zip',
  ClusterLogUri: 's3://logs/emr-logs/',
  RawPaymentsUri: 's3://raw/raw/payments',
  CuratedUri: 's3://curated/curated',
};
const OPTIONS: RunBatchOptions = { start: '2026-11-01', end: '2026-11-02', prefix: 'lake', pollSeconds: 10, noWait: false };

function deps(abortAfterPolls?: number) {
  const lines: string[] = [];
  let clock = T0;
  const sleeps: number[] = [];
  const controller = new AbortController();
  return {
    lines,
    sleeps,
    deps: {
      cfn: new CloudFormationClient({}),
      sfn: new SFNClient({}),
      emr: new EMRClient({}),
      log: (line: string) => lines.push(line),
      sleep: async (ms: number) => {
        sleeps.push(ms);
        clock += ms;
        if (abortAfterPolls !== undefined && sleeps.length >= abortAfterPolls) controller.abort();
      },
      now: () => clock,
      signal: controller.signal,
    },
  };
}

function stackWith(outputs: Record<string, string>, name = 'lake-batch') {
  cfn.on(DescribeStacksCommand, { StackName: name }).resolves({
    Stacks: [
      {
        StackName: name,
        CreationTime: new Date(),
        StackStatus: 'CREATE_COMPLETE',
        Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
      },
    ],
  });
}

/** History events at the given seconds after T0, numbered from 1. */
function events(...items: Array<[number, Omit<HistoryEvent, 'id' | 'timestamp'>]>): HistoryEvent[] {
  return items.map(([seconds, e], i) => ({ id: i + 1, timestamp: new Date(T0 + seconds * 1000), ...e }) as HistoryEvent);
}
const entered = (name: string, type = 'TaskStateEntered') => ({ type, stateEnteredEventDetails: { name } }) as Omit<HistoryEvent, 'id' | 'timestamp'>;

/** The first part of every run: input checks, lock, cluster, step submitted. */
const START: Array<[number, Omit<HistoryEvent, 'id' | 'timestamp'>]> = [
  [0, { type: 'ExecutionStarted' }],
  [0, entered('StartRun', 'PassStateEntered')],
  [0, entered('CheckInput', 'ChoiceStateEntered')],
  [0, entered('UseGivenDates', 'PassStateEntered')],
  [0, entered('CheckDates', 'ChoiceStateEntered')],
  [1, entered('AcquireLock')],
  [2, entered('CreateCluster')],
  [3, { type: 'TaskSucceeded', taskSucceededEventDetails: { resourceType: 'elasticmapreduce', resource: 'createCluster', output: '{"ClusterId":"j-RUN1"}' } }],
  [3, entered('RunStep')],
  [4, { type: 'TaskScheduled', taskScheduledEventDetails: { resourceType: 'elasticmapreduce', resource: 'addStep.sync', region: 'us-east-1', parameters: '{"ClusterId":"j-RUN1"}' } }],
  [5, { type: 'TaskSubmitted', taskSubmittedEventDetails: { resourceType: 'elasticmapreduce', resource: 'addStep.sync', output: '{"StepId":"s-STEP1"}' } }],
];

beforeEach(() => {
  cfn.reset();
  sfn.reset();
  emr.reset();
  stackWith(OUTPUTS);
  sfn.on(ListExecutionsCommand).resolves({ executions: [] });
  sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: new Date(T0) });
});

describe('run-batch arguments', () => {
  test('parses a date range with defaults', () => {
    expect(parseRunBatchArgs(['--start', '2026-11-01', '--end', '2026-11-02'])).toEqual(OPTIONS);
    expect(parseRunBatchArgs(['--start', '2026-11-01', '--end', '2026-11-01', '--prefix', 'demo', '--poll-seconds', '5', '--no-wait'])).toEqual({
      start: '2026-11-01',
      end: '2026-11-01',
      prefix: 'demo',
      pollSeconds: 5,
      noWait: true,
    });
  });

  test('--follow takes an execution', () => {
    expect(parseRunBatchArgs(['--follow', EXECUTION])).toEqual({ follow: EXECUTION, prefix: 'lake', pollSeconds: 10 });
  });

  test('--help returns no options', () => {
    expect(parseRunBatchArgs(['--help'])).toBeUndefined();
  });

  test.each([
    [['--start', '2026-02-30', '--end', '2026-03-01'], '--start must be a date as YYYY-MM-DD, got "2026-02-30"'],
    [['--start', '2026-11-01', '--end', '11/02/2026'], '--end must be a date as YYYY-MM-DD, got "11/02/2026"'],
    [['--start', '2026-11-01'], '--end must be a date as YYYY-MM-DD, got ""'],
    [['--start', '2026-11-02', '--end', '2026-11-01'], '--end 2026-11-01 is before --start 2026-11-02'],
    [['--start', '2026-01-01', '--end', '2027-01-02'], 'the range covers 367 days, more than 366'],
    [['--start', '2026-11-01', '--end', '2026-11-02', '--poll-seconds', '0'], '--poll-seconds must be a whole number ≥ 1, got "0"'],
    [['--start'], '--start needs a value'],
    [['--follow', 'x', '--start', '2026-11-01'], '--follow takes no --start, --end or --no-wait'],
    [['--days', '3'], 'Unknown argument "--days"'],
  ])('rejects %j', (argv, message) => {
    expect(() => parseRunBatchArgs(argv)).toThrow(new UsageError(message));
  });

  test('names a run after its dates and its start time, in the characters execution names allow', () => {
    expect(runName('2026-11-01', '2026-11-02', Date.parse('2026-11-30T10:15:00.456Z'))).toBe(NAME);
    expect(NAME).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
  });
});

describe('runBatch', () => {
  test('starts a run named from its dates and follows it state by state to success', async () => {
    sfn
      .on(GetExecutionHistoryCommand)
      .resolvesOnce({ events: events(...START) })
      .resolves({
        events: events(
          ...START,
          [1500, entered('TerminateCluster')],
          [1620, entered('StartCrawler')],
          [1621, entered('WaitForCrawler', 'WaitStateEntered')],
          [1651, entered('GetCrawler')],
          [1652, entered('CrawlFinished', 'ChoiceStateEntered')],
          [1653, entered('WaitForCrawler', 'WaitStateEntered')],
          [1683, entered('GetCrawler')],
          [1684, entered('CrawlFinished', 'ChoiceStateEntered')],
          [1685, entered('ReleaseLock')],
          [1686, entered('RunSucceeded', 'SucceedStateEntered')],
          [1686, { type: 'ExecutionSucceeded' }],
        ),
      });
    const { deps: d, lines, sleeps } = deps();

    await expect(runBatch(OPTIONS, d)).resolves.toBe(EXIT.ok);

    expect(sfn.commandCalls(StartExecutionCommand)[0].args[0].input).toEqual({
      stateMachineArn: MACHINE,
      name: NAME,
      input: '{"start":"2026-11-01","end":"2026-11-02"}',
    });
    expect(sleeps).toEqual([10_000]);
    expect(lines).toEqual([
      `Started run ${NAME} (2026-11-01..2026-11-02)`,
      `  ${EXECUTION}`,
      `  console: https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/${EXECUTION}`,
      '[00:00] StartRun',
      '[00:00] CheckInput',
      '[00:00] UseGivenDates',
      '[00:00] CheckDates',
      '[00:01] AcquireLock',
      '[00:02] CreateCluster',
      '[00:03] cluster j-RUN1 is starting',
      '[00:03] RunStep',
      '[00:05] step s-STEP1 added to cluster j-RUN1; waiting for it (a new cluster takes some minutes to start)',
      '[25:00] TerminateCluster',
      '[27:00] StartCrawler',
      '[27:01] WaitForCrawler',
      '[27:31] GetCrawler',
      '[27:32] CrawlFinished',
      '[28:05] ReleaseLock',
      '[28:06] RunSucceeded',
      '[28:06] run succeeded',
      'Done. Curated Parquet is under s3://curated/curated/payments/ and s3://curated/curated/merchant_daily/, and the curated crawler has registered it.',
    ]);
  });

  test('reads every page of the history', async () => {
    sfn
      .on(GetExecutionHistoryCommand, { nextToken: undefined })
      .resolves({ events: events(...START).slice(0, 5), nextToken: 'page-2' })
      .on(GetExecutionHistoryCommand, { nextToken: 'page-2' })
      .resolves({ events: [...events(...START, [60, { type: 'ExecutionSucceeded' }])].slice(5) });
    const { deps: d, lines } = deps();
    await expect(runBatch(OPTIONS, d)).resolves.toBe(EXIT.ok);
    expect(lines).toContain('[00:02] CreateCluster');
    expect(lines).toContain('[01:00] run succeeded');
  });

  test('a failed step prints the failed state, the cause, the cluster\'s end and the step log folder', async () => {
    sfn.on(GetExecutionHistoryCommand).resolves({
      events: events(
        ...START,
        [900, { type: 'TaskFailed', taskFailedEventDetails: { resourceType: 'elasticmapreduce', resource: 'addStep.sync', error: 'States.TaskFailed', cause: 'Step s-STEP1 FAILED' } }],
        [900, entered('TerminateIfCreated', 'ChoiceStateEntered')],
        [901, entered('TerminateAfterFailure')],
        [902, entered('ReleaseLockAfterFailure')],
        [903, entered('RunFailed', 'FailStateEntered')],
        [903, { type: 'ExecutionFailed', executionFailedEventDetails: { error: 'States.TaskFailed', cause: 'RunStep failed: Step s-STEP1 FAILED: Exception in thread "main"' } }],
      ),
    });
    emr.on(DescribeClusterCommand, { ClusterId: 'j-RUN1' }).resolves({
      Cluster: { Id: 'j-RUN1', Status: { State: 'TERMINATING', StateChangeReason: { Code: 'STEP_FAILURE', Message: 'Shut down as step failed' } } },
    });
    const { deps: d, lines } = deps();

    await expect(runBatch(OPTIONS, d)).resolves.toBe(EXIT.failed);
    expect(lines.slice(-6)).toEqual([
      '[15:03] run FAILED',
      '  Failed state: RunStep',
      '  Error:        States.TaskFailed',
      '  Cause:        Step s-STEP1 FAILED: Exception in thread "main"',
      '  Cluster:      j-RUN1 TERMINATING (STEP_FAILURE: Shut down as step failed)',
      '  Step logs (stderr, stdout, controller; a few minutes late): s3://logs/emr-logs/j-RUN1/steps/s-STEP1/',
    ]);
  });

  test('a run that times out says what Step Functions left behind and how it ends', async () => {
    sfn.on(GetExecutionHistoryCommand).resolves({ events: events(...START, [14_400, { type: 'ExecutionTimedOut', executionTimedOutEventDetails: {} }]) });
    emr.on(DescribeClusterCommand).resolves({ Cluster: { Id: 'j-RUN1', Status: { State: 'RUNNING' } } });
    const { deps: d, lines } = deps();

    await expect(runBatch(OPTIONS, d)).resolves.toBe(EXIT.failed);
    expect(lines.slice(-5)).toEqual([
      '[4:00:00] run TIMED OUT',
      'The run exceeded its timeout; Step Functions ran no cleanup. Its lock expires now, and its cluster',
      'terminates itself after its idle timeout (the workflow sets auto-termination on every cluster).',
      '  Cluster:      j-RUN1 RUNNING',
      '  Step logs (stderr, stdout, controller; a few minutes late): s3://logs/emr-logs/j-RUN1/steps/s-STEP1/',
    ]);
  });

  test('refuses to start while another run is writing the curated zone, and says how to follow it', async () => {
    const other = 'arn:aws:states:us-east-1:111111111111:execution:lake-batch-Workflow:2026-11-01_2026-11-01_20261130T090000Z';
    sfn.on(ListExecutionsCommand, { stateMachineArn: MACHINE, statusFilter: 'RUNNING' }).resolves({
      executions: [{ executionArn: other, stateMachineArn: MACHINE, name: '2026-11-01_2026-11-01_20261130T090000Z', status: 'RUNNING', startDate: new Date('2026-11-30T09:00:00Z') }],
    });
    sfn.on(DescribeExecutionCommand, { executionArn: other }).resolves({ executionArn: other, stateMachineArn: MACHINE, status: 'RUNNING', startDate: new Date(), input: '{"start":"2026-11-01","end":"2026-11-01"}' });
    const { deps: d, lines } = deps();

    await expect(runBatch(OPTIONS, d)).resolves.toBe(EXIT.refused);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect(lines).toEqual([
      'Refused: run 2026-11-01_2026-11-01_20261130T090000Z (2026-11-01..2026-11-01) is writing the curated zone, started 2026-11-30T09:00:00.000Z.',
      'Runs are serialised, so that two never write the curated zone at once. Wait for it, or follow it with:',
      `  npm run run-batch -- --follow ${other} --prefix lake`,
    ]);
  });

  test('a run the workflow refuses (another started meanwhile) exits as refused with the holder', async () => {
    const cause = 'Another run is writing the output: nightly (2026-10-31..2026-11-01), its lock lasts until 2026-11-30T14:00:00.000Z. Runs are serialised: start this one again when that one has ended.';
    sfn.on(GetExecutionHistoryCommand).resolves({
      events: events(...START.slice(0, 6), [2, entered('ReadLockHolder')], [3, entered('RunRefused', 'FailStateEntered')], [3, { type: 'ExecutionFailed', executionFailedEventDetails: { error: 'RunRefused', cause } }]),
    });
    const { deps: d, lines } = deps();
    await expect(runBatch(OPTIONS, d)).resolves.toBe(EXIT.refused);
    expect(lines.slice(-2)).toEqual(['[00:03] run REFUSED', `Refused: ${cause}`]);
  });

  test('--no-wait prints the execution ARN and how to follow it', async () => {
    const { deps: d, lines } = deps();
    await expect(runBatch({ ...OPTIONS, noWait: true }, d)).resolves.toBe(EXIT.ok);
    expect(sfn.commandCalls(GetExecutionHistoryCommand)).toHaveLength(0);
    expect(lines[1]).toBe(`  ${EXECUTION}`);
    expect(lines.at(-1)).toBe(`Follow it with: npm run run-batch -- --follow ${EXECUTION} --prefix lake`);
  });

  test('--follow by name finds the execution of the deployed workflow', async () => {
    sfn.on(GetExecutionHistoryCommand, { executionArn: EXECUTION }).resolves({ events: events(...START, [60, { type: 'ExecutionSucceeded' }]) });
    const { deps: d } = deps();
    await expect(runBatch({ follow: NAME, prefix: 'lake', pollSeconds: 10 }, d)).resolves.toBe(EXIT.ok);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  test('Ctrl-C stops following, leaves the run going and says how to follow it again', async () => {
    sfn.on(GetExecutionHistoryCommand).resolves({ events: events(...START) });
    const { deps: d, lines } = deps(2);
    await expect(runBatch(OPTIONS, d)).resolves.toBe(EXIT.interrupted);
    expect(lines.slice(-2)).toEqual([
      `Stopped following; the run goes on. Follow it again with: npm run run-batch -- --follow ${EXECUTION} --prefix lake`,
      `  (stop it with: aws stepfunctions stop-execution --execution-arn ${EXECUTION})`,
    ]);
  });

  test('a long quiet step gets a "still in" line every five minutes', async () => {
    sfn.on(GetExecutionHistoryCommand).resolves({ events: events(...START) });
    const { deps: d, lines } = deps(31);
    await runBatch(OPTIONS, d);
    expect(lines.filter((l) => l.includes('still in'))).toEqual(['[05:00] still in RunStep']);
  });

  test('fails clearly when the batch stack has no workflow output', async () => {
    cfn.reset();
    stackWith({ ClusterId: 'j-1' }, 'demo-batch');
    const { deps: d } = deps();
    await expect(runBatch({ ...OPTIONS, prefix: 'demo' }, d)).rejects.toThrow(
      'Stack demo-batch has no output StateMachineArn, ClusterLogUri, CuratedUri; deploy it again (npx cdk deploy Batch)',
    );
  });
});
