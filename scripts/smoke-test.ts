/**
 * Smoke test of a deployed lake: sends generated events and follows them
 * through the raw zone, the crawler, Athena, the endpoint, the real-time view
 * and the batch job. Each step is timed; the first failure exits 1. Steps for
 * layers that are not deployed are skipped.
 *
 *   npm run smoke-test -- --prefix lake --events 200
 */
import { parseArgs } from 'node:util';
import { AthenaClient } from '@aws-sdk/client-athena';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EMRClient } from '@aws-sdk/client-emr';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { GlueClient } from '@aws-sdk/client-glue';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { SFNClient } from '@aws-sdk/client-sfn';
import { takeEvents } from './lib/generator';
import { DEFAULT_TIMEOUTS, formatResults, realClock, runSmokeTest, SmokeClients } from './lib/smoke';

const HELP = `Usage: npm run smoke-test -- [--prefix lake] [--events 200] [--seed N] [--raw-timeout-min 15] [--batch-timeout-min 60]

Runs against the stacks <prefix>-storage, -ingestion, -catalog, -batch and
-serving in the current AWS credentials' account and region.`;

export function smokeClients(): SmokeClients {
  return {
    cfn: new CloudFormationClient({}),
    // The producer retries failed records itself; the SDK's retries would hide them.
    kinesis: new KinesisClient({ maxAttempts: 1 }),
    firehose: new FirehoseClient({}),
    s3: new S3Client({}),
    glue: new GlueClient({}),
    athena: new AthenaClient({}),
    runtime: new SageMakerRuntimeClient({}),
    dynamodb: new DynamoDBClient({}),
    emr: new EMRClient({}),
    sfn: new SFNClient({}),
  };
}

/** Runs the smoke test and returns the exit code. The deploy test calls this too. */
export async function smokeTest(options: { prefix: string; events: number; seed?: number; rawTimeoutMin?: number; batchTimeoutMin?: number }): Promise<number> {
  if (!(Number.isInteger(options.events) && options.events >= 1 && options.events <= 10_000)) throw new Error(`--events must be an integer 1–10000, got ${options.events}`);
  const seed = options.seed ?? Math.floor(Date.now() / 1000) % 1_000_000_000;
  const startedAt = Date.now();
  const events = takeEvents(options.events, { seed, start: new Date(startedAt - 60_000), eventsPerSecond: 50 });
  const results = await runSmokeTest(
    smokeClients(),
    { prefix: options.prefix, events, idPrefix: `evt-${seed}-`, outputs: {}, startedAt },
    realClock,
    { ...DEFAULT_TIMEOUTS, rawZoneMs: (options.rawTimeoutMin ?? 15) * 60_000, batchMs: (options.batchTimeoutMin ?? 60) * 60_000 },
  );
  console.log(formatResults(results));
  const failed = results.some((r) => r.status === 'failed');
  console.log(failed ? '\nSmoke test FAILED' : `\nSmoke test passed (${results.filter((r) => r.status === 'skipped').length} step(s) skipped)`);
  return failed ? 1 : 0;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      prefix: { type: 'string', default: 'lake' },
      events: { type: 'string', default: '200' },
      seed: { type: 'string' },
      'raw-timeout-min': { type: 'string', default: '15' },
      'batch-timeout-min': { type: 'string', default: '60' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  process.exitCode = await smokeTest({
    prefix: values.prefix!,
    events: Number(values.events),
    seed: values.seed === undefined ? undefined : Number(values.seed),
    rawTimeoutMin: Number(values['raw-timeout-min']),
    batchTimeoutMin: Number(values['batch-timeout-min']),
  });
}

if (require.main === module) {
  main().catch((err: Error) => {
    console.error(err.message);
    process.exit(1);
  });
}
