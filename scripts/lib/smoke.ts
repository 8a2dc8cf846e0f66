/**
 * The smoke test's steps, as functions of injected SDK clients, a clock and a
 * context, so that they can be tested with aws-sdk-client-mock and a fake
 * clock. scripts/smoke-test.ts wires real clients and prints the report.
 *
 * Steps run in order; the first failure stops the run. A step whose layer is
 * not deployed (its stack is missing) is reported as skipped.
 */
import { gunzipSync } from 'node:zlib';
import { AthenaClient } from '@aws-sdk/client-athena';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { BatchGetItemCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EMRClient } from '@aws-sdk/client-emr';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DescribeDeliveryStreamCommand, FirehoseClient } from '@aws-sdk/client-firehose';
import { GlueClient } from '@aws-sdk/client-glue';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { DATASET } from '../../lambda/shared/payment-event';
import { runQuery } from './athena-query';
import { runBatch } from './batch-run';
import { sleep } from './cli-args';
import { runCrawler } from './crawler';
import { sendRecords } from './producer';
import { toRecord } from '../send-events';
import { GeneratedEvent } from './generator';
import { stackName, stackOutputs } from './stack-outputs';

export interface SmokeClients {
  readonly cfn: CloudFormationClient;
  readonly kinesis: KinesisClient;
  readonly firehose: FirehoseClient;
  readonly s3: S3Client;
  readonly glue: GlueClient;
  readonly athena: AthenaClient;
  readonly runtime: SageMakerRuntimeClient;
  readonly dynamodb: DynamoDBClient;
  readonly emr: EMRClient;
  readonly sfn: SFNClient;
}

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep,
};

export interface Timeouts {
  /** Events to appear in the raw zone (Firehose buffers up to 900 s). @default 15 min */
  readonly rawZoneMs: number;
  /** A crawler run. @default 10 min */
  readonly crawlerMs: number;
  /** An Athena query. @default 5 min */
  readonly queryMs: number;
  /** Events to appear in the real-time view. @default 3 min */
  readonly viewMs: number;
  /** The batch run: a new cluster's start, the step, its termination and the crawl. @default 60 min */
  readonly batchMs: number;
  /** Poll interval. @default 10 s */
  readonly pollMs: number;
}

export const DEFAULT_TIMEOUTS: Timeouts = {
  rawZoneMs: 15 * 60_000,
  crawlerMs: 10 * 60_000,
  queryMs: 5 * 60_000,
  viewMs: 3 * 60_000,
  batchMs: 60 * 60_000,
  pollMs: 10_000,
};

export type Layer = 'storage' | 'ingestion' | 'catalog' | 'batch' | 'serving';

/** What the steps share: the events sent, the stack outputs per layer, the start time. */
export interface SmokeContext {
  readonly prefix: string;
  readonly events: readonly GeneratedEvent[];
  /** Every event id starts with this (the generator's `evt-<seed>-`). */
  readonly idPrefix: string;
  /** Stack outputs per deployed layer; a missing layer has no entry. */
  outputs: Partial<Record<Layer, Record<string, string>>>;
  /** When the run started, ms since the epoch. */
  startedAt: number;
}

export interface Step {
  readonly name: string;
  /** Layers the step needs; it is skipped when one of them is not deployed. */
  readonly needs: readonly Layer[];
  run(clients: SmokeClients, ctx: SmokeContext, clock: Clock, timeouts: Timeouts): Promise<string>;
}

export interface StepResult {
  readonly name: string;
  readonly status: 'passed' | 'failed' | 'skipped';
  readonly ms: number;
  readonly detail: string;
}

/** Polls `check` until it returns a value, or throws after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, clock: Clock, timeoutMs: number, pollMs: number): Promise<T> {
  const deadline = clock.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (clock.now() >= deadline) throw new Error(`Timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await clock.sleep(pollMs);
  }
}

const output = (ctx: SmokeContext, layer: Layer, key: string): string => {
  const value = ctx.outputs[layer]?.[key];
  if (value === undefined) throw new Error(`Stack ${stackName(ctx.prefix, layer)} has no output ${key}`);
  return value;
};

/** Runs an Athena query in the lake's workgroup and returns the first cell of the first data row. */
export async function queryScalar(athena: AthenaClient, ctx: SmokeContext, sql: string, clock: Clock, timeouts: Timeouts): Promise<string> {
  const outcome = await runQuery({
    athena,
    workGroup: output(ctx, 'catalog', 'WorkgroupName'),
    database: output(ctx, 'catalog', 'DatabaseName'),
    sql,
    pollMs: Math.min(timeouts.pollMs, 2000),
    timeoutMs: timeouts.queryMs,
    maxRows: 1,
    sleep: (ms) => clock.sleep(ms),
    now: () => clock.now(),
  });
  const value = outcome.rows[0]?.[0];
  if (value === undefined || value === null) throw new Error(`Athena query returned no rows (${sql})`);
  return value;
}

/** Runs one of the lake's crawlers to completion (or joins its current run). */
async function crawl(glue: GlueClient, ctx: SmokeContext, key: 'RawCrawlerName' | 'CuratedCrawlerName', clock: Clock, timeouts: Timeouts): Promise<string> {
  const name = output(ctx, 'catalog', key);
  const outcome = await runCrawler({
    glue,
    crawlerName: name,
    databaseName: output(ctx, 'catalog', 'DatabaseName'),
    timeoutMs: timeouts.crawlerMs,
    pollMs: timeouts.pollMs,
    sleep: (ms) => clock.sleep(ms),
    now: () => clock.now(),
  });
  return `crawler ${name}: ${outcome.tablesCreated} table(s) created, ${outcome.tablesUpdated} updated`;
}

/** Event ids found in the GZIP JSON-lines objects written under raw/payments/ since the start. */
async function idsInRawZone(s3: S3Client, bucket: string, since: number, wanted: ReadonlySet<string>): Promise<Set<string>> {
  const found = new Set<string>();
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `raw/${DATASET}/`, ContinuationToken: token }));
    for (const obj of page.Contents ?? []) {
      if (!obj.Key || !obj.LastModified || obj.LastModified.getTime() < since) continue;
      const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: obj.Key }));
      const bytes = await res.Body?.transformToByteArray();
      if (!bytes) continue;
      for (const line of gunzipSync(bytes).toString('utf8').split('\n')) {
        if (!line.trim()) continue;
        const id = (JSON.parse(line) as { event_id?: string }).event_id;
        if (id && wanted.has(id)) found.add(id);
      }
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return found;
}

/** The endpoint's fraud score from the usual response shapes: a number, `{score}`, `{scores: []}`, `{predictions: [...]}`. */
export function parseScore(body: string): number {
  const pick = (v: unknown): number | undefined => {
    if (typeof v === 'number') return v;
    if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v.split(/[,\n]/)[0]);
    if (Array.isArray(v)) return pick(v[0]);
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      for (const k of ['score', 'scores', 'probability', 'predictions', 'prediction']) if (k in o) return pick(o[k]);
    }
    return undefined;
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = body;
  }
  const score = pick(parsed);
  if (score === undefined) throw new Error(`Cannot read a score from the endpoint's response: ${body.slice(0, 200)}`);
  return score;
}

type ViewKey = Record<string, { S: string }>;

/**
 * The real-time view's key for an event: the speed layer's `pk = customer#<id>`,
 * `sk = event#<id>` layout, or a table keyed by `event_id` alone.
 */
export function viewKey(keySchema: readonly string[], table: string): (e: GeneratedEvent) => ViewKey {
  const schema = [...keySchema].sort().join(',');
  if (schema === 'pk:HASH,sk:RANGE') return (e) => ({ pk: { S: `customer#${e.customer_id}` }, sk: { S: `event#${e.event_id}` } });
  if (schema === 'event_id:HASH') return (e) => ({ event_id: { S: e.event_id } });
  throw new Error(`Table ${table} has key schema ${schema || 'none'}; the smoke test knows pk/sk (speed layer) or event_id`);
}

const sqlString = (s: string) => `'${s.replace(/'/g, "''")}'`;

export const STEPS: readonly Step[] = [
  {
    name: 'delivery stream is active',
    needs: ['ingestion'],
    async run(c, ctx) {
      const name = output(ctx, 'ingestion', 'DeliveryStreamName');
      const { DeliveryStreamDescription: d } = await c.firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: name }));
      if (d?.DeliveryStreamStatus !== 'ACTIVE') throw new Error(`Delivery stream ${name} is ${d?.DeliveryStreamStatus}`);
      const dest = d.Destinations?.[0]?.ExtendedS3DestinationDescription;
      const bucket = dest?.BucketARN?.split(':::')[1];
      const raw = output(ctx, 'storage', 'RawBucketName');
      if (bucket !== raw) throw new Error(`Delivery stream ${name} writes to ${bucket}, not the raw bucket ${raw}`);
      return `${name} ACTIVE, writing to s3://${bucket}/${dest?.Prefix ?? ''}`;
    },
  },
  {
    name: 'send events',
    needs: ['ingestion'],
    async run(c, ctx, clock) {
      const stats = await sendRecords(ctx.events.map(toRecord), {
        client: c.kinesis,
        streamName: output(ctx, 'ingestion', 'StreamName'),
        sleep: (ms) => clock.sleep(ms),
        now: () => clock.now(),
      });
      if (stats.failed > 0) throw new Error(`${stats.failed} of ${ctx.events.length} events not accepted by Kinesis: ${JSON.stringify(stats.failures)}`);
      return `${stats.sent} events sent (ids ${ctx.idPrefix}*), ${stats.retried} retried`;
    },
  },
  {
    name: 'events land in the raw zone',
    needs: ['ingestion'],
    async run(c, ctx, clock, t) {
      const wanted = new Set(ctx.events.map((e) => e.event_id));
      const bucket = output(ctx, 'storage', 'RawBucketName');
      let seen = 0;
      await waitFor(`${wanted.size} events under s3://${bucket}/raw/${DATASET}/ (last count ${seen})`, async () => {
        seen = (await idsInRawZone(c.s3, bucket, ctx.startedAt - 60_000, wanted)).size;
        return seen >= wanted.size ? seen : undefined;
      }, clock, t.rawZoneMs, t.pollMs).catch((err: Error) => {
        throw new Error(err.message.replace(/last count \d+/, `found ${seen}`));
      });
      return `${seen} of ${wanted.size} events found`;
    },
  },
  {
    name: 'raw crawler',
    needs: ['ingestion', 'catalog'],
    run: (c, ctx, clock, t) => crawl(c.glue, ctx, 'RawCrawlerName', clock, t),
  },
  {
    name: 'Athena counts the events',
    needs: ['ingestion', 'catalog'],
    async run(c, ctx, clock, t) {
      const count = Number(await queryScalar(c.athena, ctx, `SELECT count(DISTINCT event_id) FROM raw_payments WHERE event_id LIKE ${sqlString(`${ctx.idPrefix}%`)}`, clock, t));
      if (count !== ctx.events.length) throw new Error(`Athena counts ${count} events in raw_payments, expected ${ctx.events.length}`);
      return `raw_payments has all ${count}`;
    },
  },
  {
    name: 'endpoint scores a known event',
    needs: ['serving'],
    async run(c, ctx) {
      const name = output(ctx, 'serving', 'EndpointName');
      const res = await c.runtime.send(new InvokeEndpointCommand({ EndpointName: name, ContentType: 'application/json', Accept: 'application/json', Body: new TextEncoder().encode(JSON.stringify(ctx.events[0])) }));
      const score = parseScore(new TextDecoder().decode(res.Body));
      if (!(score >= 0 && score <= 1)) throw new Error(`Endpoint ${name} scored ${score}, expected a value in [0, 1]`);
      return `${ctx.events[0].event_id} scored ${score.toFixed(3)}`;
    },
  },
  {
    name: 'real-time view has the events',
    needs: ['ingestion', 'serving'],
    async run(c, ctx, clock, t) {
      const table = output(ctx, 'serving', 'ViewTableName');
      const { Table } = await c.dynamodb.send(new DescribeTableCommand({ TableName: table }));
      const keyOf = viewKey(Table?.KeySchema?.map((k) => `${k.AttributeName}:${k.KeyType}`) ?? [], table);
      const missing = new Map(ctx.events.map((e) => [e.event_id, keyOf(e)]));
      await waitFor(`${ctx.events.length} events in ${table}`, async () => {
        const ids = [...missing.keys()];
        for (let i = 0; i < ids.length; i += 100) {
          const keys = ids.slice(i, i + 100).map((id) => missing.get(id)!);
          const res = await c.dynamodb.send(new BatchGetItemCommand({ RequestItems: { [table]: { Keys: keys } } }));
          for (const item of res.Responses?.[table] ?? []) if (item.event_id?.S) missing.delete(item.event_id.S);
        }
        return missing.size === 0 ? true : undefined;
      }, clock, t.viewMs, t.pollMs).catch((err: Error) => {
        throw new Error(`${err.message} (${missing.size} missing)`);
      });
      return `all ${ctx.events.length} events in ${table}`;
    },
  },
  {
    name: 'batch job runs',
    needs: ['ingestion', 'batch'],
    async run(c, ctx, clock, t) {
      const dates = ctx.events.map((e) => e.event_time.slice(0, 10)).sort();
      const log: string[] = [];
      const began = clock.now();
      // The batch layer's own runner starts the same run as `npm run run-batch`.
      const code = await runBatch(
        { start: dates[0], end: dates[dates.length - 1], prefix: ctx.prefix, pollSeconds: t.pollMs / 1000, noWait: false },
        {
          cfn: c.cfn,
          sfn: c.sfn,
          emr: c.emr,
          log: (line) => log.push(line),
          now: () => clock.now(),
          sleep: async (ms) => {
            if (clock.now() - began >= t.batchMs) throw new Error(`Timed out after ${Math.round(t.batchMs / 1000)} s waiting for the batch run: ${log.at(-1) ?? ''}`);
            await clock.sleep(ms);
          },
        },
      );
      if (code !== 0) throw new Error(log.join(' | '));
      return `curated ${dates[0]}..${dates[dates.length - 1]}: ${log.find((l) => l.startsWith('Started run')) ?? ''}`;
    },
  },
  {
    name: 'curated count equals the deduplicated count',
    needs: ['ingestion', 'catalog', 'batch'],
    async run(c, ctx, clock, t) {
      await crawl(c.glue, ctx, 'CuratedCrawlerName', clock, t);
      const like = sqlString(`${ctx.idPrefix}%`);
      const deduplicated = Number(await queryScalar(c.athena, ctx, `SELECT count(DISTINCT event_id) FROM raw_payments WHERE event_id LIKE ${like}`, clock, t));
      const curated = Number(await queryScalar(c.athena, ctx, `SELECT count(*) FROM curated_payments WHERE event_id LIKE ${like}`, clock, t));
      if (curated !== deduplicated) throw new Error(`curated_payments has ${curated} rows for this run, the raw zone ${deduplicated} distinct events`);
      return `curated ${curated} = deduplicated ${deduplicated}`;
    },
  },
];

const LAYERS: readonly Layer[] = ['storage', 'ingestion', 'catalog', 'batch', 'serving'];

/** Reads the outputs of every layer's stack; a stack that does not exist leaves its layer out. */
export async function readOutputs(cfn: CloudFormationClient, prefix: string): Promise<SmokeContext['outputs']> {
  const out: SmokeContext['outputs'] = {};
  for (const layer of LAYERS) {
    try {
      out[layer] = await stackOutputs(cfn, stackName(prefix, layer));
    } catch (err) {
      if (!/is not deployed/.test((err as Error).message)) throw err;
    }
  }
  return out;
}

/** Runs the steps in order, timing each; stops at the first failure. */
export async function runSmokeTest(clients: SmokeClients, ctx: SmokeContext, clock: Clock, timeouts: Timeouts = DEFAULT_TIMEOUTS, steps: readonly Step[] = STEPS): Promise<StepResult[]> {
  const results: StepResult[] = [];
  const timed = async (name: string, fn: () => Promise<string>): Promise<boolean> => {
    const start = clock.now();
    try {
      results.push({ name, status: 'passed', detail: await fn(), ms: clock.now() - start });
      return true;
    } catch (err) {
      results.push({ name, status: 'failed', detail: (err as Error).message, ms: clock.now() - start });
      return false;
    }
  };
  const ok = await timed('read stack outputs', async () => {
    ctx.outputs = await readOutputs(clients.cfn, ctx.prefix);
    if (!ctx.outputs.storage) throw new Error(`Stack ${stackName(ctx.prefix, 'storage')} is not deployed. Deploy it with: npx cdk deploy --all`);
    return `deployed: ${Object.keys(ctx.outputs).join(', ')}`;
  });
  if (!ok) return results;
  for (const step of steps) {
    const missing = step.needs.filter((l) => !ctx.outputs[l]);
    if (missing.length > 0) {
      results.push({ name: step.name, status: 'skipped', ms: 0, detail: `layer off: ${missing.map((l) => stackName(ctx.prefix, l)).join(', ')} not deployed` });
      continue;
    }
    if (!(await timed(step.name, () => step.run(clients, ctx, clock, timeouts)))) break;
  }
  return results;
}

export function formatResults(results: readonly StepResult[]): string {
  const icon = { passed: 'PASS', failed: 'FAIL', skipped: 'SKIP' } as const;
  return results.map((r) => `${icon[r.status]}  ${r.name.padEnd(44)} ${(r.ms / 1000).toFixed(1).padStart(7)} s  ${r.detail}`).join('\n');
}
