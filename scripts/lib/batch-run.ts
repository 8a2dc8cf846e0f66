/**
 * The parts of scripts/run-batch.ts that talk to AWS, with injected clients and clock,
 * so tests can drive them with aws-sdk-client-mock.
 *
 * A run is one execution of the batch workflow (BatchCluster's state machine): it takes the
 * lock, creates its cluster, runs the Spark step, terminates the cluster and crawls. This
 * module starts one and follows its history, state by state.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DescribeClusterCommand, EMRClient } from '@aws-sdk/client-emr';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  HistoryEvent,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { stackName, stackOutputs } from './stack-outputs';

/** The longest range one run may cover; the workflow and the Spark job enforce the same limit. */
export const MAX_RANGE_DAYS = 366;

export const EXIT = { ok: 0, failed: 1, refused: 3, usage: 64, interrupted: 130 } as const;

export type RunBatchOptions =
  | {
      readonly start: string;
      readonly end: string;
      readonly prefix: string;
      /** Seconds between GetExecutionHistory calls. */
      readonly pollSeconds: number;
      /** Print the execution ARN and return instead of following the run. */
      readonly noWait: boolean;
    }
  | {
      /** Follow a run already started: its execution ARN or name. */
      readonly follow: string;
      readonly prefix: string;
      readonly pollSeconds: number;
    };

export interface RunBatchDeps {
  readonly cfn: CloudFormationClient;
  readonly sfn: SFNClient;
  readonly emr: EMRClient;
  readonly log: (line: string) => void;
  /** Resolves after `ms`, or sooner once `signal` is aborted. */
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
  /** Aborted on Ctrl-C: stop following, leave the run going. */
  readonly signal?: AbortSignal;
}

export const USAGE = `Usage: npm run run-batch -- --start YYYY-MM-DD --end YYYY-MM-DD [--prefix lake] [--poll-seconds 10] [--no-wait]
       npm run run-batch -- --follow <execution ARN or name> [--prefix lake]

Starts a batch run that curates raw payments with event dates from --start to --end
(inclusive) into the curated zone: the workflow creates an EMR cluster for the run, runs
the Spark job, terminates the cluster and crawls the curated zone. It prints a line per
state with the time since the run started; on failure, the failed state, its cause and
the step's log folder. Ctrl-C stops following and leaves the run going.
Exits 0 when the run succeeds, 1 when it fails, times out or is stopped, 3 when another
run is writing the curated zone (runs are serialised), 64 for bad arguments.`;

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

const FLAGS = ['--start', '--end', '--prefix', '--poll-seconds', '--follow'];

/** Parses the CLI arguments; `undefined` means --help. */
export function parseRunBatchArgs(argv: readonly string[]): RunBatchOptions | undefined {
  const flags: Record<string, string> = {};
  let noWait = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') return undefined;
    if (arg === '--no-wait') {
      noWait = true;
      continue;
    }
    if (!FLAGS.includes(arg)) throw new UsageError(`Unknown argument "${arg}"`);
    const value = argv[++i];
    if (value === undefined || value.startsWith('--')) throw new UsageError(`${arg} needs a value`);
    flags[arg] = value;
  }
  const prefix = flags['--prefix'] ?? 'lake';
  const pollSeconds = Number(flags['--poll-seconds'] ?? '10');
  if (!Number.isInteger(pollSeconds) || pollSeconds < 1) {
    throw new UsageError(`--poll-seconds must be a whole number ≥ 1, got "${flags['--poll-seconds']}"`);
  }
  if (flags['--follow'] !== undefined) {
    if (flags['--start'] !== undefined || flags['--end'] !== undefined || noWait) {
      throw new UsageError('--follow takes no --start, --end or --no-wait');
    }
    return { follow: flags['--follow'], prefix, pollSeconds };
  }
  const start = parseDay('--start', flags['--start']);
  const end = parseDay('--end', flags['--end']);
  if (end < start) throw new UsageError(`--end ${flags['--end']} is before --start ${flags['--start']}`);
  const days = (end - start) / 86_400_000 + 1;
  if (days > MAX_RANGE_DAYS) throw new UsageError(`the range covers ${days} days, more than ${MAX_RANGE_DAYS}`);
  return { start: flags['--start'], end: flags['--end'], prefix, pollSeconds, noWait };
}

/**
 * The execution name: the date range and the start time, so the console history reads
 * naturally. Names are unique per state machine for 90 days and may use letters, digits,
 * '-' and '_' (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html).
 */
export function runName(start: string, end: string, now: number): string {
  const stamp = new Date(now).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${start}_${end}_${stamp}`;
}

interface BatchOutputs {
  readonly stateMachineArn: string;
  readonly clusterLogUri: string;
  readonly curatedUri: string;
}

async function batchOutputs(cfn: CloudFormationClient, prefix: string): Promise<BatchOutputs> {
  const name = stackName(prefix, 'batch');
  const outputs = await stackOutputs(cfn, name);
  const need = ['StateMachineArn', 'ClusterLogUri', 'CuratedUri'];
  const missing = need.filter((k) => outputs[k] === undefined);
  if (missing.length > 0) throw new Error(`Stack ${name} has no output ${missing.join(', ')}; deploy it again (npx cdk deploy Batch)`);
  return { stateMachineArn: outputs.StateMachineArn, clusterLogUri: outputs.ClusterLogUri, curatedUri: outputs.CuratedUri };
}

/** Starts a run (or follows one) and returns the process exit code. */
export async function runBatch(options: RunBatchOptions, deps: RunBatchDeps): Promise<number> {
  const out = await batchOutputs(deps.cfn, options.prefix);
  let executionArn: string;
  if ('follow' in options) {
    executionArn = options.follow.startsWith('arn:') ? options.follow : executionArnFor(out.stateMachineArn, options.follow);
  } else {
    const refusedBy = await runningRun(deps, out.stateMachineArn);
    if (refusedBy) {
      deps.log(`Refused: run ${refusedBy.name} (${refusedBy.dates}) is writing the curated zone, started ${refusedBy.started}.`);
      deps.log('Runs are serialised, so that two never write the curated zone at once. Wait for it, or follow it with:');
      deps.log(`  npm run run-batch -- --follow ${refusedBy.arn} --prefix ${options.prefix}`);
      return EXIT.refused;
    }
    const name = runName(options.start, options.end, deps.now());
    const started = await deps.sfn.send(
      new StartExecutionCommand({ stateMachineArn: out.stateMachineArn, name, input: JSON.stringify({ start: options.start, end: options.end }) }),
    );
    executionArn = started.executionArn!;
    deps.log(`Started run ${name} (${options.start}..${options.end})`);
    deps.log(`  ${executionArn}`);
    deps.log(`  console: ${consoleUrl(executionArn)}`);
    if (options.noWait) {
      deps.log(`Follow it with: npm run run-batch -- --follow ${executionArn} --prefix ${options.prefix}`);
      return EXIT.ok;
    }
  }
  return follow(executionArn, options, out, deps);
}

/** A run of this workflow that is still running, if any: the lock admits one at a time. */
async function runningRun(deps: RunBatchDeps, stateMachineArn: string) {
  const { executions } = await deps.sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING', maxResults: 10 }));
  const running = executions?.[0];
  if (!running?.executionArn) return undefined;
  const detail = await deps.sfn.send(new DescribeExecutionCommand({ executionArn: running.executionArn }));
  const input = parseJson(detail.input) ?? {};
  const dates = typeof input.start === 'string' ? `${input.start}..${input.end}` : `the ${input.lookbackDays} days before ${input.asOf}`;
  return { arn: running.executionArn, name: running.name ?? running.executionArn, dates, started: running.startDate?.toISOString() ?? 'earlier' };
}

function executionArnFor(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

/** The Step Functions console page of an execution. */
export function consoleUrl(executionArn: string): string {
  const region = executionArn.split(':')[3];
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- event inputs and outputs are free-form JSON
function parseJson(text: string | undefined): Record<string, any> | undefined {
  if (!text) return undefined;
  try {
    const value = JSON.parse(text);
    return value && typeof value === 'object' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** What the history has told about the run so far. */
interface RunState {
  lastEventId: number;
  startedAt?: number;
  clusterId?: string;
  stepId?: string;
  /** The last state whose task failed or timed out. */
  failedState?: string;
  current?: string;
  /** States already shown; the crawler poll loop is shown once. */
  readonly shown: Set<string>;
  /** When the last line was printed (local clock), for the "still in" line. */
  lastLineAt: number;
}

/** The crawler poll loop enters these every 30 s. */
const LOOP_STATES = new Set(['WaitForCrawler', 'GetCrawler', 'CrawlFinished']);
/** A quiet state (a long step) gets a "still in" line this often. */
const STILL_EVERY_MS = 5 * 60_000;

async function follow(executionArn: string, options: RunBatchOptions, out: BatchOutputs, deps: RunBatchDeps): Promise<number> {
  const run: RunState = { lastEventId: 0, shown: new Set(), lastLineAt: deps.now() };
  const followAgain = () => {
    deps.log(`Stopped following; the run goes on. Follow it again with: npm run run-batch -- --follow ${executionArn} --prefix ${options.prefix}`);
    deps.log(`  (stop it with: aws stepfunctions stop-execution --execution-arn ${executionArn})`);
    return EXIT.interrupted;
  };
  for (;;) {
    if (deps.signal?.aborted) return followAgain();
    for (const event of await newEvents(deps.sfn, executionArn, run.lastEventId)) {
      run.lastEventId = Math.max(run.lastEventId, event.id ?? 0);
      const code = await onEvent(event, run, out, deps);
      if (code !== undefined) return code;
    }
    if (run.current && run.startedAt !== undefined && deps.now() - run.lastLineAt >= STILL_EVERY_MS) {
      deps.log(`[${elapsed(run, new Date(deps.now()))}] still in ${run.current}`);
      run.lastLineAt = deps.now();
    }
    await deps.sleep(options.pollSeconds * 1000);
  }
}

/** The history events after `afterId`, across pages. */
async function newEvents(sfn: SFNClient, executionArn: string, afterId: number): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken, includeExecutionData: true }));
    events.push(...(page.events ?? []).filter((e) => (e.id ?? 0) > afterId));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

function elapsed(run: RunState, at: Date | undefined): string {
  const seconds = Math.max(0, Math.round(((at?.getTime() ?? 0) - (run.startedAt ?? at?.getTime() ?? 0)) / 1000));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${h > 0 ? `${h}:` : ''}${two(m)}:${two(seconds % 60)}`;
}

/** Prints what an event means; returns an exit code once the run has ended. */
async function onEvent(event: HistoryEvent, run: RunState, out: BatchOutputs, deps: RunBatchDeps): Promise<number | undefined> {
  const at = event.timestamp;
  const line = (text: string) => {
    deps.log(`[${elapsed(run, at)}] ${text}`);
    run.lastLineAt = deps.now();
  };
  switch (event.type) {
    case 'ExecutionStarted':
      run.startedAt = at?.getTime();
      return undefined;
    case 'TaskStateEntered':
    case 'ChoiceStateEntered':
    case 'PassStateEntered':
    case 'WaitStateEntered':
    case 'FailStateEntered':
    case 'SucceedStateEntered': {
      const name = event.stateEnteredEventDetails?.name ?? '?';
      run.current = name;
      if (!(LOOP_STATES.has(name) && run.shown.has(name))) line(name);
      run.shown.add(name);
      return undefined;
    }
    case 'TaskScheduled': {
      const parameters = parseJson(event.taskScheduledEventDetails?.parameters);
      if (typeof parameters?.ClusterId === 'string' && !run.clusterId) run.clusterId = parameters.ClusterId;
      return undefined;
    }
    case 'TaskSubmitted': {
      const output = parseJson(event.taskSubmittedEventDetails?.output);
      if (typeof output?.StepId === 'string') {
        run.stepId = output.StepId;
        line(`step ${output.StepId} added to cluster ${run.clusterId ?? '?'}; waiting for it (a new cluster takes some minutes to start)`);
      }
      return undefined;
    }
    case 'TaskSucceeded': {
      const output = parseJson(event.taskSucceededEventDetails?.output);
      if (typeof output?.ClusterId === 'string') {
        run.clusterId = output.ClusterId;
        line(`cluster ${output.ClusterId} is starting`);
      }
      return undefined;
    }
    case 'TaskFailed':
    case 'TaskTimedOut':
    case 'TaskStartFailed':
    case 'TaskSubmitFailed':
      run.failedState = run.current;
      return undefined;
    case 'ExecutionSucceeded':
      line('run succeeded');
      deps.log(`Done. Curated Parquet is under ${out.curatedUri}/payments/ and ${out.curatedUri}/merchant_daily/, and the curated crawler has registered it.`);
      return EXIT.ok;
    case 'ExecutionFailed':
      return failed(event, run, out, deps, line);
    case 'ExecutionTimedOut':
    case 'ExecutionAborted':
      line(event.type === 'ExecutionTimedOut' ? 'run TIMED OUT' : 'run STOPPED');
      deps.log(
        event.type === 'ExecutionTimedOut'
          ? 'The run exceeded its timeout; Step Functions ran no cleanup. Its lock expires now, and its cluster'
          : "Someone stopped the run; Step Functions ran no cleanup. Its lock lasts until the run's timeout, and its cluster",
      );
      deps.log('terminates itself after its idle timeout (the workflow sets auto-termination on every cluster).');
      await clusterReport(run, out, deps);
      return EXIT.failed;
    default:
      return undefined;
  }
}

async function failed(event: HistoryEvent, run: RunState, out: BatchOutputs, deps: RunBatchDeps, line: (text: string) => void): Promise<number> {
  const error = event.executionFailedEventDetails?.error ?? 'unknown error';
  const cause = event.executionFailedEventDetails?.cause ?? '';
  if (error === 'RunRefused') {
    line('run REFUSED');
    deps.log(`Refused: ${cause}`);
    return EXIT.refused;
  }
  line('run FAILED');
  const named = /^(\w+) failed: /.exec(cause);
  deps.log(`  Failed state: ${named?.[1] ?? run.failedState ?? run.current ?? 'unknown'}`);
  deps.log(`  Error:        ${error}`);
  deps.log(`  Cause:        ${named ? cause.slice(named[0].length) : cause}`);
  await clusterReport(run, out, deps);
  return EXIT.failed;
}

/** The cluster's end state and reason, and the step's log folder. */
async function clusterReport(run: RunState, out: BatchOutputs, deps: RunBatchDeps): Promise<void> {
  if (!run.clusterId) return;
  try {
    const { Cluster: cluster } = await deps.emr.send(new DescribeClusterCommand({ ClusterId: run.clusterId }));
    const reason = cluster?.Status?.StateChangeReason;
    deps.log(`  Cluster:      ${run.clusterId} ${cluster?.Status?.State ?? ''}${reason?.Message ? ` (${reason.Code ?? ''}: ${reason.Message})` : ''}`);
  } catch (err) {
    deps.log(`  Cluster:      ${run.clusterId} (could not describe it: ${(err as Error).message})`);
  }
  if (run.stepId) {
    deps.log(`  Step logs (stderr, stdout, controller; a few minutes late): ${out.clusterLogUri.replace(/\/?$/, '/')}${run.clusterId}/steps/${run.stepId}/`);
  }
}
