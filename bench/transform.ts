/**
 * The transform core on a ~6 MB Firehose batch against a floor that only decodes
 * base64, parses JSON, stringifies it and encodes base64 again, on the same records,
 * in the same process, interleaved. Prints the medians, the ratio, the peak heap and
 * the size of the handler bundle.
 *
 *   npm run bench:transform -- [--runs 9]
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import type { FirehoseTransformationEvent, FirehoseTransformationResult } from 'aws-lambda';
import { build } from 'esbuild';
import { transformRecords } from '../lambda/transform/transform';
import { takeEvents } from '../scripts/lib/generator';

const ROOT = path.resolve(__dirname, '..');
const TARGET_BYTES = 6 * 1024 * 1024;

const { values } = parseArgs({ options: { runs: { type: 'string', default: '9' } } });
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 5) throw new Error(`--runs must be a whole number ≥ 5, got ${values.runs}`);

/** A Kinesis-sourced Firehose event of generated events, just under 6 MB as JSON. */
function batch(): FirehoseTransformationEvent {
  const records: FirehoseTransformationEvent['records'] = [];
  let size = 200;
  let n = 0;
  for (const event of takeEvents(100_000, { seed: 1, lateRate: 0.05 })) {
    const arrival = Date.parse(event.event_time) + 1500;
    const record = {
      recordId: `${String(n).padStart(8, '0')}000000000000000000000000000000000000000000000000`,
      approximateArrivalTimestamp: arrival,
      data: Buffer.from(JSON.stringify(event)).toString('base64'),
      kinesisRecordMetadata: {
        shardId: 'shardId-000000000000',
        partitionKey: event.customer_id,
        approximateArrivalTimestamp: arrival,
        sequenceNumber: `4954698668313554428650745793632167567570019247115678${String(n).padStart(4, '0')}`,
        subsequenceNumber: '',
      },
    };
    const bytes = JSON.stringify(record).length + 1;
    if (size + bytes > TARGET_BYTES) break;
    size += bytes;
    records.push(record);
    n++;
  }
  return {
    invocationId: 'bench',
    deliveryStreamArn: 'arn:aws:firehose:us-east-1:123456789012:deliverystream/bench',
    sourceKinesisStreamArn: 'arn:aws:kinesis:us-east-1:123456789012:stream/bench',
    region: 'us-east-1',
    records,
  };
}

/** What any JSON transform must do at least. */
function floor(event: FirehoseTransformationEvent): FirehoseTransformationResult {
  return {
    records: event.records.map((r) => ({
      recordId: r.recordId,
      result: 'Ok' as const,
      data: Buffer.from(JSON.stringify(JSON.parse(Buffer.from(r.data, 'base64').toString('utf8')))).toString('base64'),
    })),
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

async function bundleSize(): Promise<{ bytes: number; gzip: number }> {
  const result = await build({
    entryPoints: [path.join(ROOT, 'lambda/transform/index.ts')],
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    external: ['@aws-sdk/*'],
    write: false,
    logLevel: 'silent',
  });
  const contents = result.outputFiles[0].contents;
  return { bytes: contents.length, gzip: gzipSync(contents).length };
}

async function run(): Promise<void> {
  const event = batch();
  const inputBytes = JSON.stringify(event).length;
  const sides = {
    transform: () => transformRecords(event).response,
    floor: () => floor(event),
  };
  // Sanity: the transform accepts every generated record.
  const check = transformRecords(event);
  if (check.failed !== 0) throw new Error(`transform failed ${check.failed} generated records`);

  const times: Record<keyof typeof sides, number[]> = { transform: [], floor: [] };
  const peakHeap: Record<keyof typeof sides, number> = { transform: 0, floor: 0 };
  sides.transform();
  sides.floor(); // warm up JIT; not counted
  for (let i = 0; i < runs; i++) {
    for (const name of (i % 2 ? ['floor', 'transform'] : ['transform', 'floor']) as Array<keyof typeof sides>) {
      const started = process.hrtime.bigint();
      const out = sides[name]();
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      peakHeap[name] = Math.max(peakHeap[name], process.memoryUsage().heapUsed);
      if (out.records.length !== event.records.length) throw new Error(`${name} lost records`);
      times[name].push(ms);
      console.log(`run ${i + 1}/${runs} ${name.padEnd(9)} ${ms.toFixed(1)} ms`);
    }
  }
  const t = median(times.transform);
  const f = median(times.floor);
  const bundle = await bundleSize();
  const mib = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MiB`;
  console.log(`\nbatch: ${event.records.length} records, ${mib(inputBytes)} as JSON; ${runs} runs each, interleaved`);
  console.log(`transform median ${t.toFixed(1)} ms, floor median ${f.toFixed(1)} ms, ratio ${(t / f).toFixed(2)}× (target ≤ 1.5×)`);
  console.log(`peak heap used after a run: transform ${mib(peakHeap.transform)}, floor ${mib(peakHeap.floor)}; process max RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
  console.log(`handler bundle (esbuild, minified, @aws-sdk/* external): ${(bundle.bytes / 1024).toFixed(1)} KiB, ${(bundle.gzip / 1024).toFixed(1)} KiB gzipped`);
}

run().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
