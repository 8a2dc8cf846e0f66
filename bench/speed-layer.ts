/**
 * Speed-layer handler overhead per record, against a floor that only decodes and
 * parses each record and makes one mocked call per batch. Both run side by side,
 * interleaved, with AWS calls mocked to resolve at once; prints medians, the ratio
 * and the AWS calls per batch.
 *
 *   npm run bench:speed-layer -- [--batch 500] [--runs 15] [--batches 20]
 */
import { parseArgs } from 'node:util';
import { parsePaymentEvent } from '../lambda/shared/payment-event';
import { processBatch, type ScoringPorts, type StreamRecord } from '../lambda/speed-layer/scoring';
import { takeEvents } from '../scripts/lib/generator';

const { values } = parseArgs({
  options: {
    batch: { type: 'string', default: '500' },
    runs: { type: 'string', default: '15' },
    batches: { type: 'string', default: '20' },
  },
});
const batchSize = Number(values.batch);
const runs = Number(values.runs);
const batchesPerRun = Number(values.batches);
if (!(batchSize > 0 && runs >= 5 && batchesPerRun > 0)) throw new Error('--batch > 0, --runs ≥ 5 and --batches > 0 are required');

const records: StreamRecord[] = takeEvents(batchSize, { seed: 5, fraudRate: 0.05 }).map((e, i) => ({
  eventID: `shardId-000000000000:${i}`,
  kinesis: {
    sequenceNumber: String(i),
    partitionKey: e.customer_id,
    data: Buffer.from(JSON.stringify(e)).toString('base64'),
    approximateArrivalTimestamp: 1_767_225_600,
  },
}));

// The endpoint's answers are computed once, so neither side pays for the mock.
const responses = new Map<string, string>();
const calls = { invokeEndpoint: 0, batchWrite: 0, sendMessageBatch: 0 };
const ports: ScoringPorts = {
  async invokeEndpoint(body) {
    calls.invokeEndpoint++;
    let response = responses.get(body);
    if (!response) {
      const predictions = body.split('\n').map((l) => ({ event_id: JSON.parse(l).event_id, score: 0.1, risk: 'low' }));
      response = JSON.stringify({ model_version: '1.0.0', predictions });
      responses.set(body, response);
    }
    return response;
  },
  async batchWrite() {
    calls.batchWrite++;
    return [];
  },
  async sendDeadLetters() {
    calls.sendMessageBatch++;
    return [];
  },
  sleep: async () => undefined,
  now: () => 1_767_225_601_000,
  random: () => 0.5,
};
const options = { maxPayloadBytes: 4_000_000, ttlSeconds: 86_400, maxWriteAttempts: 4, baseBackoffMs: 100 };

async function floor(batch: readonly StreamRecord[]): Promise<number> {
  const events = [];
  for (const r of batch) {
    const parsed = parsePaymentEvent(Buffer.from(r.kinesis.data, 'base64'));
    if (parsed.ok) events.push(parsed.event);
  }
  await Promise.resolve(events); // the one mocked call
  return events.length;
}

async function handler(batch: readonly StreamRecord[]): Promise<number> {
  return (await processBatch(batch, ports, options)).written.size;
}

async function nsPerRecord(fn: (b: readonly StreamRecord[]) => Promise<number>): Promise<number> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < batchesPerRun; i++) {
    if ((await fn(records)) !== batchSize) throw new Error('bench: not every record was processed');
  }
  return Number(process.hrtime.bigint() - started) / (batchesPerRun * batchSize);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

async function main(): Promise<void> {
  await nsPerRecord(floor); // warm up: JIT and the response cache
  await nsPerRecord(handler);
  const times = { floor: [] as number[], handler: [] as number[] };
  for (let i = 0; i < runs; i++) {
    for (const name of i % 2 ? (['floor', 'handler'] as const) : (['handler', 'floor'] as const)) {
      times[name].push(await nsPerRecord(name === 'floor' ? floor : handler));
    }
  }
  Object.assign(calls, { invokeEndpoint: 0, batchWrite: 0, sendMessageBatch: 0 });
  const outcome = await processBatch(records, ports, options);
  const f = median(times.floor);
  const h = median(times.handler);
  console.log(`batch of ${batchSize} records, ${runs} interleaved runs of ${batchesPerRun} batches each`);
  console.log(`floor (decode + parse + 1 call)  median ${(f / 1000).toFixed(2)} µs/record`);
  console.log(`speed-layer handler logic        median ${(h / 1000).toFixed(2)} µs/record`);
  console.log(`ratio                            ${(h / f).toFixed(2)}x`);
  const customers = new Set(records.map((r) => r.kinesis.partitionKey)).size;
  console.log(`calls per batch: InvokeEndpoint ${outcome.calls.invokeEndpoint}, BatchWriteItem ${outcome.calls.batchWrite}` +
    ` (${outcome.written.size} score + ${customers} latest items, 25 per call), SendMessageBatch ${outcome.calls.sendMessageBatch}`);
  console.log(`records per call: InvokeEndpoint ${(batchSize / outcome.calls.invokeEndpoint).toFixed(0)}, BatchWriteItem ${(batchSize / outcome.calls.batchWrite).toFixed(1)}`);
}

void main();
