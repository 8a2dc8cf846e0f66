/**
 * The parts of scripts/run-batch.ts that talk to AWS, with injected clients and clock,
 * so tests can drive them with aws-sdk-client-mock.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { AddJobFlowStepsCommand, DescribeClusterCommand, DescribeStepCommand, EMRClient, StepState } from '@aws-sdk/client-emr';
import { curationStepArgs } from '../../lib/batch-step';
import { stackName, stackOutputs } from './stack-outputs';

/** The longest range one run may cover; the Spark job enforces the same limit. */
export const MAX_RANGE_DAYS = 366;

export interface RunBatchOptions {
  readonly start: string;
  readonly end: string;
  readonly prefix: string;
  /** Seconds between DescribeStep calls. */
  readonly pollSeconds: number;
}

export interface RunBatchDeps {
  readonly cfn: CloudFormationClient;
  readonly emr: EMRClient;
  readonly log: (line: string) => void;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
}

export const USAGE = `Usage: npm run run-batch -- --start YYYY-MM-DD --end YYYY-MM-DD [--prefix lake] [--poll-seconds 30]

Adds a Spark step to the batch cluster that curates raw payments with event dates
from --start to --end (inclusive) into the curated zone, then waits for it and
reports progress. Exits 0 when the step completes, 1 when it fails, 2 when the
cluster is not running, 64 for bad arguments.`;

export class UsageError extends Error {}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** 'YYYY-MM-DD' that is a real calendar date → epoch ms, else a UsageError naming the flag. */
export function parseDay(flag: string, value: string | undefined): number {
  const m = value === undefined ? null : DAY.exec(value);
  const ms = m ? Date.UTC(+m[1], +m[2] - 1, +m[3]) : NaN;
  if (!m || new Date(ms).toISOString().slice(0, 10) !== value) {
    throw new UsageError(`${flag} must be a date as YYYY-MM-DD, got "${value ?? ''}"`);
  }
  return ms;
}

/** Parses the CLI arguments; `undefined` means --help. */
export function parseRunBatchArgs(argv: readonly string[]): RunBatchOptions | undefined {
  const flags: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') return undefined;
    if (!['--start', '--end', '--prefix', '--poll-seconds'].includes(arg)) throw new UsageError(`Unknown argument "${arg}"`);
    const value = argv[++i];
    if (value === undefined || value.startsWith('--')) throw new UsageError(`${arg} needs a value`);
    flags[arg] = value;
  }
  const start = parseDay('--start', flags['--start']);
  const end = parseDay('--end', flags['--end']);
  if (end < start) throw new UsageError(`--end ${flags['--end']} is before --start ${flags['--start']}`);
  const days = (end - start) / 86_400_000 + 1;
  if (days > MAX_RANGE_DAYS) throw new UsageError(`the range covers ${days} days, more than ${MAX_RANGE_DAYS}`);
  const pollSeconds = Number(flags['--poll-seconds'] ?? '30');
  if (!Number.isInteger(pollSeconds) || pollSeconds < 1) {
    throw new UsageError(`--poll-seconds must be a whole number ≥ 1, got "${flags['--poll-seconds']}"`);
  }
  return { start: flags['--start'], end: flags['--end'], prefix: flags['--prefix'] ?? 'lake', pollSeconds };
}

const DONE: readonly string[] = [StepState.COMPLETED, StepState.FAILED, StepState.CANCELLED, StepState.INTERRUPTED];
const CLUSTER_GONE = ['TERMINATING', 'TERMINATED', 'TERMINATED_WITH_ERRORS'];

/** Adds the step and waits for it. Returns the process exit code. */
export async function runBatch(options: RunBatchOptions, deps: RunBatchDeps): Promise<number> {
  const { emr, log } = deps;
  const batchStack = stackName(options.prefix, 'batch');
  const outputs = await stackOutputs(deps.cfn, batchStack);
  const need = ['ClusterId', 'JobScriptUri', 'JobLibraryUri', 'ClusterLogUri', 'RawPaymentsUri', 'CuratedUri'];
  const missing = need.filter((k) => outputs[k] === undefined);
  if (missing.length > 0) throw new Error(`Stack ${batchStack} has no output ${missing.join(', ')}; redeploy it`);
  const clusterId = outputs.ClusterId;

  const { Cluster: cluster } = await emr.send(new DescribeClusterCommand({ ClusterId: clusterId }));
  const state = cluster?.Status?.State ?? 'UNKNOWN';
  if (CLUSTER_GONE.includes(state)) {
    const why = cluster?.Status?.StateChangeReason;
    log(`Cluster ${clusterId} is ${state}${why?.Message ? ` (${why.Code ?? ''}: ${why.Message})` : ''}.`);
    log('It terminates itself after its idle timeout; CloudFormation still lists it. Start a new one with:');
    // The CDK CLI selects stacks by construct id (Batch), not by stack name (<prefix>-batch).
    log(`  npx cdk destroy Batch && npx cdk deploy Batch   (with the same -c options as your deploy, e.g. -c prefix=${options.prefix})`);
    return 2;
  }

  const args = curationStepArgs(
    { jobScriptUri: outputs.JobScriptUri, jobLibraryUri: outputs.JobLibraryUri, rawUri: outputs.RawPaymentsUri, curatedUri: outputs.CuratedUri },
    { start: options.start, end: options.end },
  );
  const { StepIds: stepIds } = await emr.send(
    new AddJobFlowStepsCommand({
      JobFlowId: clusterId,
      Steps: [
        {
          Name: `curate-payments ${options.start}..${options.end}`,
          ActionOnFailure: 'CONTINUE',
          HadoopJarStep: { Jar: 'command-runner.jar', Args: args },
        },
      ],
    }),
  );
  const stepId = stepIds?.[0];
  if (!stepId) throw new Error(`EMR returned no step id for cluster ${clusterId}`);
  const logDir = `${outputs.ClusterLogUri.replace(/\/?$/, '/')}${clusterId}/steps/${stepId}/`;
  log(`Added step ${stepId} to cluster ${clusterId} (${state}): ${options.start}..${options.end}`);

  const began = deps.now();
  let last = '';
  for (;;) {
    const { Step: step } = await emr.send(new DescribeStepCommand({ ClusterId: clusterId, StepId: stepId }));
    const stepState = step?.Status?.State ?? 'UNKNOWN';
    const elapsed = Math.round((deps.now() - began) / 1000);
    if (stepState !== last) {
      log(`[${formatElapsed(elapsed)}] step ${stepId} ${stepState}`);
      last = stepState;
    }
    if (stepState === StepState.COMPLETED) {
      log(`Done. Curated Parquet is under ${outputs.CuratedUri}/payments/ and ${outputs.CuratedUri}/merchant_daily/.`);
      log('Run the curated crawler to register new partitions in the Glue catalog.');
      return 0;
    }
    if (DONE.includes(stepState)) {
      const failure = step?.Status?.FailureDetails;
      log(`Step ${stepId} ended ${stepState}.`);
      if (failure?.Reason) log(`  Reason:   ${failure.Reason}`);
      if (failure?.Message) log(`  Message:  ${failure.Message}`);
      if (failure?.LogFile) log(`  Log file: ${failure.LogFile}`);
      log(`  Step logs (stderr, stdout, controller; a few minutes late): ${logDir}`);
      return 1;
    }
    await deps.sleep(options.pollSeconds * 1000);
  }
}

function formatElapsed(seconds: number): string {
  const m = Math.floor(seconds / 60);
  return `${String(m).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}`;
}
