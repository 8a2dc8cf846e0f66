import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { AddJobFlowStepsCommand, DescribeClusterCommand, DescribeStepCommand, EMRClient } from '@aws-sdk/client-emr';
import { mockClient } from 'aws-sdk-client-mock';
import { parseRunBatchArgs, runBatch, RunBatchOptions, UsageError } from '../../scripts/lib/batch-run';

const cfn = mockClient(CloudFormationClient);
const emr = mockClient(EMRClient);

const OUTPUTS = {
  ClusterId: 'j-ABC',
  JobScriptUri: 's3://assets/job.py',
  JobLibraryUri: 's3://assets/lib.zip',
  ClusterLogUri: 's3://logs/emr-logs/',
  RawPaymentsUri: 's3://raw/raw/payments',
  CuratedUri: 's3://curated/curated',
};
const OPTIONS: RunBatchOptions = { start: '2026-11-01', end: '2026-11-02', prefix: 'lake', pollSeconds: 30 };

function deps() {
  const lines: string[] = [];
  let clock = 0;
  const sleeps: number[] = [];
  return {
    lines,
    sleeps,
    deps: {
      cfn: new CloudFormationClient({}),
      emr: new EMRClient({}),
      log: (line: string) => lines.push(line),
      sleep: async (ms: number) => {
        sleeps.push(ms);
        clock += ms;
      },
      now: () => clock,
    },
  };
}

function stackWith(outputs: Record<string, string>) {
  cfn.on(DescribeStacksCommand, { StackName: 'lake-batch' }).resolves({
    Stacks: [
      {
        StackName: 'lake-batch',
        CreationTime: new Date(),
        StackStatus: 'CREATE_COMPLETE',
        Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
      },
    ],
  });
}

function clusterIn(state: string, reason?: { Code: string; Message: string }) {
  emr.on(DescribeClusterCommand, { ClusterId: 'j-ABC' }).resolves({
    Cluster: { Id: 'j-ABC', Name: 'lake-batch', Status: { State: state as any, StateChangeReason: reason as any } },
  });
}

beforeEach(() => {
  cfn.reset();
  emr.reset();
  stackWith(OUTPUTS);
});

describe('run-batch arguments', () => {
  test('parses a date range with defaults', () => {
    expect(parseRunBatchArgs(['--start', '2026-11-01', '--end', '2026-11-02'])).toEqual(OPTIONS);
    expect(parseRunBatchArgs(['--start', '2026-11-01', '--end', '2026-11-01', '--prefix', 'demo', '--poll-seconds', '5'])).toEqual({
      start: '2026-11-01',
      end: '2026-11-01',
      prefix: 'demo',
      pollSeconds: 5,
    });
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
    [['--days', '3'], 'Unknown argument "--days"'],
  ])('rejects %j', (argv, message) => {
    expect(() => parseRunBatchArgs(argv)).toThrow(new UsageError(message));
  });
});

describe('runBatch', () => {
  test('adds a spark-submit step for the range and reports success', async () => {
    clusterIn('WAITING');
    emr.on(AddJobFlowStepsCommand).resolves({ StepIds: ['s-1'] });
    emr
      .on(DescribeStepCommand, { ClusterId: 'j-ABC', StepId: 's-1' })
      .resolvesOnce({ Step: { Status: { State: 'PENDING' } } })
      .resolvesOnce({ Step: { Status: { State: 'RUNNING' } } })
      .resolvesOnce({ Step: { Status: { State: 'RUNNING' } } })
      .resolves({ Step: { Status: { State: 'COMPLETED' } } });
    const { deps: d, lines, sleeps } = deps();

    await expect(runBatch(OPTIONS, d)).resolves.toBe(0);

    const added = emr.commandCalls(AddJobFlowStepsCommand)[0].args[0].input;
    expect(added.JobFlowId).toBe('j-ABC');
    expect(added.Steps![0]).toEqual({
      Name: 'curate-payments 2026-11-01..2026-11-02',
      ActionOnFailure: 'CONTINUE',
      HadoopJarStep: {
        Jar: 'command-runner.jar',
        Args: [
          'spark-submit', '--deploy-mode', 'cluster', '--py-files', 's3://assets/lib.zip', 's3://assets/job.py',
          '--raw-uri', 's3://raw/raw/payments', '--curated-uri', 's3://curated/curated',
          '--start-date', '2026-11-01', '--end-date', '2026-11-02',
        ],
      },
    });
    expect(sleeps).toEqual([30000, 30000, 30000]);
    expect(lines).toEqual([
      'Added step s-1 to cluster j-ABC (WAITING): 2026-11-01..2026-11-02',
      '[00:00] step s-1 PENDING',
      '[00:30] step s-1 RUNNING',
      '[01:30] step s-1 COMPLETED',
      'Done. Curated Parquet is under s3://curated/curated/payments/ and s3://curated/curated/merchant_daily/.',
      'Run the curated crawler to register new partitions in the Glue catalog.',
    ]);
  });

  test('on failure prints the state, the failure details and the step log location', async () => {
    clusterIn('RUNNING');
    emr.on(AddJobFlowStepsCommand).resolves({ StepIds: ['s-2'] });
    emr.on(DescribeStepCommand).resolves({
      Step: {
        Status: {
          State: 'FAILED',
          FailureDetails: {
            Reason: 'Unknown Error.',
            Message: 'Exception in thread "main" org.apache.spark.SparkException: Application failed',
            LogFile: 's3://logs/emr-logs/j-ABC/steps/s-2/stderr.gz',
          },
        },
      },
    });
    const { deps: d, lines } = deps();

    await expect(runBatch(OPTIONS, d)).resolves.toBe(1);
    expect(lines.slice(1)).toEqual([
      '[00:00] step s-2 FAILED',
      'Step s-2 ended FAILED.',
      '  Reason:   Unknown Error.',
      '  Message:  Exception in thread "main" org.apache.spark.SparkException: Application failed',
      '  Log file: s3://logs/emr-logs/j-ABC/steps/s-2/stderr.gz',
      '  Step logs (stderr, stdout, controller; a few minutes late): s3://logs/emr-logs/j-ABC/steps/s-2/',
    ]);
  });

  test('a cancelled step without details still names the log location', async () => {
    clusterIn('WAITING');
    emr.on(AddJobFlowStepsCommand).resolves({ StepIds: ['s-3'] });
    emr.on(DescribeStepCommand).resolves({ Step: { Status: { State: 'CANCELLED' } } });
    const { deps: d, lines } = deps();
    await expect(runBatch(OPTIONS, d)).resolves.toBe(1);
    expect(lines).toContain('  Step logs (stderr, stdout, controller; a few minutes late): s3://logs/emr-logs/j-ABC/steps/s-3/');
  });

  test('a terminated cluster gets no step and the user learns how to start a new one', async () => {
    clusterIn('TERMINATED', { Code: 'ALL_STEPS_COMPLETED', Message: 'Cluster was terminated due to idle timeout' });
    const { deps: d, lines } = deps();

    await expect(runBatch(OPTIONS, d)).resolves.toBe(2);
    expect(emr.commandCalls(AddJobFlowStepsCommand)).toHaveLength(0);
    expect(lines).toEqual([
      'Cluster j-ABC is TERMINATED (ALL_STEPS_COMPLETED: Cluster was terminated due to idle timeout).',
      'It terminates itself after its idle timeout; CloudFormation still lists it. Start a new one with:',
      '  npx cdk destroy Batch && npx cdk deploy Batch   (with the same -c options as your deploy, e.g. -c prefix=lake)',
    ]);
  });

  test('reads the stack of the given prefix and fails clearly when an output is missing', async () => {
    cfn.reset();
    cfn.on(DescribeStacksCommand, { StackName: 'demo-batch' }).resolves({
      Stacks: [{ StackName: 'demo-batch', CreationTime: new Date(), StackStatus: 'CREATE_COMPLETE', Outputs: [{ OutputKey: 'ClusterId', OutputValue: 'j-1' }] }],
    });
    const { deps: d } = deps();
    await expect(runBatch({ ...OPTIONS, prefix: 'demo' }, d)).rejects.toThrow(
      'Stack demo-batch has no output JobScriptUri, JobLibraryUri, ClusterLogUri, RawPaymentsUri, CuratedUri; redeploy it',
    );
  });
});
