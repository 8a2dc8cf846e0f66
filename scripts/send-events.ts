/**
 * Sends generated payment events to the ingestion stream.
 *
 *   npm run send-events -- --count 5000 --rate 200 --seed 7
 *
 * The stream name comes from the `<prefix>-ingestion` stack's StreamName output
 * unless --stream is given. Exits 1 if any record is finally lost.
 */
import { parseArgs } from 'node:util';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { GeneratedEvent, takeEvents } from './lib/generator';
import { ProducerRecord, sendRecords, SendStats } from './lib/producer';
import { stackName, stackOutput } from './lib/stack-outputs';

const HELP = `Usage: npm run send-events -- [options]

Sends seeded synthetic payment events to the ingestion stream with PutRecords
(batches of ≤ 500 records and ≤ 5 MB, partition key customer_id). Failed entries
and throttled calls are retried with exponential backoff and full jitter.

Options:
  --count N       events to send (default 1000)
  --rate R        events per second (default: as fast as the stream takes them)
  --duration S    send for S seconds at --rate (sends rate × S events; needs --rate)
  --seed N        generator seed; the same seed sends the same events (default 42)
  --prefix P      stack prefix, to find <prefix>-ingestion (default lake)
  --stream NAME   stream name, instead of reading the stack output
  --help          this text

Exit status: 0 if every event was accepted, 1 if any was lost, 2 on bad options.`;

export interface SendEventsOptions {
  readonly count: number;
  readonly rate?: number;
  readonly seed: number;
  readonly prefix: string;
  readonly stream?: string;
}

/** Parses argv; throws an Error with a user-facing message on bad input. */
export function parseOptions(argv: string[]): SendEventsOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      count: { type: 'string' },
      rate: { type: 'string' },
      duration: { type: 'string' },
      seed: { type: 'string' },
      prefix: { type: 'string' },
      stream: { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const number = (name: string, v: string | undefined, ok: (n: number) => boolean, rule: string) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!ok(n)) throw new Error(`--${name} must be ${rule}, got "${v}"`);
    return n;
  };
  const positiveInt = (n: number) => Number.isInteger(n) && n > 0;
  const rate = number('rate', values.rate, (n) => Number.isFinite(n) && n > 0, 'a number > 0');
  const duration = number('duration', values.duration, (n) => Number.isFinite(n) && n > 0, 'a number of seconds > 0');
  if (duration !== undefined && rate === undefined) throw new Error('--duration needs --rate');
  if (duration !== undefined && values.count !== undefined) throw new Error('give --count or --duration, not both');
  const count = duration !== undefined && rate !== undefined
    ? Math.max(1, Math.round(rate * duration))
    : number('count', values.count, positiveInt, 'a whole number > 0') ?? 1000;
  return {
    count,
    rate,
    seed: number('seed', values.seed, Number.isInteger, 'a whole number') ?? 42,
    prefix: values.prefix ?? 'lake',
    stream: values.stream,
  };
}

export function toRecord(event: GeneratedEvent): ProducerRecord {
  return { data: new TextEncoder().encode(JSON.stringify(event)), partitionKey: event.customer_id };
}

export function progressBar(stats: Readonly<SendStats>, total: number, width = 30): string {
  const done = stats.sent + stats.failed;
  const filled = Math.round((done / Math.max(total, 1)) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} sent ${stats.sent}, retried ${stats.retried}, failed ${stats.failed}`;
}

export function summary(stats: Readonly<SendStats>, stream: string): string {
  const lost = Object.entries(stats.failures).map(([code, n]) => `${code} × ${n}`).join(', ');
  return `${stream}: sent ${stats.sent}, retried ${stats.retried} (${stats.throttledCalls} throttled calls), failed ${stats.failed}` +
    (stats.failed > 0 ? ` — LOST: ${lost}` : '');
}

export interface MainDeps {
  readonly kinesis: KinesisClient;
  readonly cfn: CloudFormationClient;
  readonly stderr: { write(s: string): unknown; isTTY?: boolean };
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

/** Runs the CLI; resolves to the exit status. */
export async function main(argv: string[], deps: MainDeps): Promise<number> {
  let options;
  try {
    options = parseOptions(argv);
  } catch (err) {
    deps.stderr.write(`send-events: ${(err as Error).message}\n\n${HELP}\n`);
    return 2;
  }
  if (options === 'help') {
    deps.stderr.write(`${HELP}\n`);
    return 0;
  }
  const stream = options.stream ?? await stackOutput(deps.cfn, stackName(options.prefix, 'ingestion'), 'StreamName');
  const records = takeEvents(options.count, { seed: options.seed }).map(toRecord);
  const stats = await sendRecords(records, {
    client: deps.kinesis,
    streamName: stream,
    rate: options.rate,
    sleep: deps.sleep,
    random: deps.random,
    onProgress: (s, total) => { if (deps.stderr.isTTY) deps.stderr.write(`\r${progressBar(s, total)}`); },
  });
  if (deps.stderr.isTTY) deps.stderr.write('\n');
  deps.stderr.write(`${summary(stats, stream)}\n`);
  return stats.failed > 0 ? 1 : 0;
}

if (require.main === module) {
  // Our own retry loop handles throttling and partial failures; the SDK's would hide them.
  main(process.argv.slice(2), { kinesis: new KinesisClient({ maxAttempts: 1 }), cfn: new CloudFormationClient({}), stderr: process.stderr })
    .then((code) => { process.exitCode = code; })
    .catch((err: Error) => {
      process.stderr.write(`send-events: ${err.message}\n`);
      process.exitCode = 1;
    });
}
