import * as fc from 'fast-check';
import {
  chunkByPayload,
  type DeadLetter,
  deadLetter,
  MAX_SQS_PAYLOAD_BYTES,
  processBatch,
  type ScoringOptions,
  type ScoringPorts,
  sqsBatches,
  type StreamRecord,
  type ViewItem,
} from '../../../lambda/speed-layer/scoring';
import type { PaymentEvent } from '../../../lambda/shared/payment-event';
import { endpointResponse, events, kinesisRecord } from './fixtures';

const OPTIONS: ScoringOptions = { maxPayloadBytes: 4_000_000, ttlSeconds: 3600, maxWriteAttempts: 3, baseBackoffMs: 1 };
const NOW = Date.UTC(2026, 0, 1, 12);

function portError(name: string, message = name): Error {
  return Object.assign(new Error(message), { name });
}

/** In-memory ports: a table, a queue and an endpoint, each with an optional fault hook. */
function fakePorts(faults: Partial<{
  invoke: (body: string) => void;
  unprocessed: (items: readonly ViewItem[]) => readonly ViewItem[];
  dlqFailed: (letters: readonly DeadLetter[]) => readonly number[];
}> = {}) {
  const table = new Map<string, ViewItem>();
  const queue: DeadLetter[] = [];
  const bodies: string[] = [];
  const ports: ScoringPorts = {
    async invokeEndpoint(body) {
      bodies.push(body);
      faults.invoke?.(body);
      return endpointResponse(body);
    },
    async batchWrite(items) {
      if (items.length > 25) throw portError('ValidationException', 'Too many items');
      const keys = new Set(items.map((i) => `${i.pk}|${i.sk}`));
      if (keys.size !== items.length) throw portError('ValidationException', 'Provided list of item keys contains duplicates');
      const unprocessed = faults.unprocessed?.(items) ?? [];
      for (const item of items) if (!unprocessed.includes(item)) table.set(`${item.pk}|${item.sk}`, item);
      return unprocessed;
    },
    async sendDeadLetters(letters) {
      if (letters.length > 10) throw portError('TooManyEntriesInBatchRequest');
      const failed = faults.dlqFailed?.(letters) ?? [];
      letters.forEach((l, i) => { if (!failed.includes(i)) queue.push(l); });
      return failed;
    },
    sleep: async () => undefined,
    now: () => NOW,
    random: () => 0.5,
  };
  return { ports, table, queue, bodies };
}

const records = (payloads: Array<PaymentEvent | string>) => payloads.map((p, i) => kinesisRecord(p, i) as StreamRecord);

describe('processBatch', () => {
  test('writes a score item per event and one latest item per customer, the newest event', async () => {
    const [a, b] = events(2);
    const older = { ...a, customer_id: 'cust-x', event_time: '2026-01-01T00:00:00.000Z' };
    const newer = { ...b, customer_id: 'cust-x', event_time: '2026-01-01T00:05:00.000Z' };
    const { ports, table } = fakePorts();
    const outcome = await processBatch(records([newer, older]), ports, OPTIONS);
    expect([...table.keys()].sort()).toEqual([`customer#cust-x|event#${a.event_id}`, `customer#cust-x|event#${b.event_id}`, 'customer#cust-x|latest'].sort());
    expect(table.get('customer#cust-x|latest')!.event_id).toBe(newer.event_id);
    expect(table.get('customer#cust-x|latest')!.expires_at).toBe(NOW / 1000 + 3600);
    expect(outcome.written.size).toBe(2);
  });

  test('splits the batch into InvokeEndpoint calls by payload size only', async () => {
    const evs = events(40);
    const lineBytes = Math.max(...evs.map((e) => Buffer.byteLength(JSON.stringify(e)) + 1));
    const { ports, bodies } = fakePorts();
    const outcome = await processBatch(records(evs), ports, { ...OPTIONS, maxPayloadBytes: lineBytes * 10 });
    expect(outcome.calls.invokeEndpoint).toBe(bodies.length);
    expect(bodies.length).toBeGreaterThanOrEqual(4);
    expect(bodies.length).toBeLessThanOrEqual(5);
    expect(bodies.every((b) => Buffer.byteLength(b) <= lineBytes * 10)).toBe(true);
    expect(outcome.written.size).toBe(40);
  });

  test('a record the model rejects is isolated by splitting and dead-lettered; the rest are scored', async () => {
    const evs = events(8);
    const bad = evs[5].event_id;
    const { ports, queue } = fakePorts({ invoke: (body) => { if (body.includes(bad)) throw portError('ModelError', `Received client error (400) from primary with message "bad event ${bad}"`); } });
    const outcome = await processBatch(records(evs), ports, OPTIONS);
    expect(queue.map((l) => l.sequenceNumber)).toEqual([records(evs)[5].kinesis.sequenceNumber]);
    // The reason names the error, not its message, which quotes the event.
    expect(queue[0].reason).toBe('endpoint rejected the event: ModelError');
    expect(outcome.written.size).toBe(7);
    expect(outcome.failures.size).toBe(0);
  });

  test('an endpoint that rejects every event fails the batch for a retry instead of dead-lettering it', async () => {
    const evs = events(4);
    const { ports, queue } = fakePorts({ invoke: () => { throw portError('ModelError', 'container crashed on {"event_id":"4111111111111111"}'); } });
    const outcome = await processBatch(records(evs), ports, OPTIONS);
    expect(queue).toEqual([]);
    expect(outcome.failures.size).toBe(4);
    expect([...outcome.failures.values()][0]).toBe('endpoint rejected the event: ModelError (and scored no other event in the batch, so it is retried)');
  });

  test('an endpoint response that does not match the events fails those records', async () => {
    const evs = events(2);
    const { ports } = fakePorts();
    ports.invokeEndpoint = async () => JSON.stringify({ model_version: '1', predictions: [] });
    const outcome = await processBatch(records(evs), ports, OPTIONS);
    expect([...outcome.failures.values()]).toEqual([
      'scoring failed: InvalidEndpointResponse: endpoint returned 0 predictions for 2 events',
      'scoring failed: InvalidEndpointResponse: endpoint returned 0 predictions for 2 events',
    ]);
  });

  test('a prediction for another event fails the records without naming the event', async () => {
    const evs = events(1);
    const { ports } = fakePorts();
    ports.invokeEndpoint = async () => JSON.stringify({ model_version: '1', predictions: [{ event_id: 'other', score: 0.1, risk: 'low' }] });
    const outcome = await processBatch(records(evs), ports, OPTIONS);
    expect([...outcome.failures.values()]).toEqual([
      'scoring failed: InvalidEndpointResponse: endpoint prediction 0 does not match the event sent at that position',
    ]);
  });

  test('an SDK error fails the records with its name only', async () => {
    const { ports } = fakePorts({ invoke: () => { throw portError('InternalFailure', 'echo of 4111111111111111'); } });
    const outcome = await processBatch(records(events(1)), ports, OPTIONS);
    expect([...outcome.failures.values()]).toEqual(['scoring failed: InternalFailure']);
  });

  test('a failed dead-letter send fails the poison record instead of dropping it', async () => {
    const { ports } = fakePorts({ dlqFailed: () => [0] });
    const outcome = await processBatch(records(['{"bad":true}']), ports, OPTIONS);
    expect([...outcome.failures.values()]).toEqual(['dead-letter send failed']);
    expect(outcome.deadLettered.size).toBe(0);
  });

  test('the same event id twice in a batch is written once, under one key', async () => {
    const [e] = events(1);
    const { ports, table } = fakePorts();
    const outcome = await processBatch(records([e, e]), ports, OPTIONS);
    expect(table.size).toBe(2); // score + latest
    expect(outcome.written.size).toBe(2);
  });

  test('counts high-risk scores and measures latency from the oldest arrival', async () => {
    const evs = events(20);
    const { ports } = fakePorts();
    const outcome = await processBatch(records(evs), ports, OPTIONS);
    expect(outcome.highRisk).toBe(evs.filter((e) => (e.amount % 100) / 100 >= 0.7).length);
    expect(outcome.latencyMs).toBe(NOW - 1_767_225_600_000);
  });
});

describe('payload helpers', () => {
  test('an event larger than the payload limit is set apart', () => {
    const [e] = events(1);
    const { chunks, oversized } = chunkByPayload([{ event: e }], 10);
    expect(chunks).toEqual([]);
    expect(oversized).toHaveLength(1);
  });

  test('a dead letter larger than an SQS message is cut, flagged, and keeps the full size and hash', () => {
    const big = kinesisRecord(Buffer.alloc(900 * 1024, 0x61), 0);
    const letter = deadLetter(big, 'invalid_json');
    expect(letter.truncated).toBe(true);
    expect(letter.dataBytes).toBe(900 * 1024);
    expect(Buffer.byteLength(JSON.stringify(letter))).toBeLessThanOrEqual(MAX_SQS_PAYLOAD_BYTES);
    expect(letter.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  test('dead letters are grouped in at most 10 entries and 256 KiB per request', () => {
    const small = Array.from({ length: 23 }, (_, i) => deadLetter(kinesisRecord('x', i), 'bad'));
    expect(sqsBatches(small).map((b) => b.length)).toEqual([10, 10, 3]);
    const large = Array.from({ length: 3 }, (_, i) => deadLetter(kinesisRecord(Buffer.alloc(150 * 1024), i), 'bad'));
    expect(sqsBatches(large).map((b) => b.length)).toEqual([1, 1, 1]);
  });
});

describe('under random faults (property)', () => {
  const payload = fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 0, max: 59 }).map((i) => ({ kind: 'event' as const, i })) },
    { weight: 1, arbitrary: fc.constantFrom('not json', '{"event_id":"x"}', '[]').map((s) => ({ kind: 'poison' as const, s })) },
  );
  const faults = fc.record({
    throttle: fc.double({ min: 0, max: 0.8, noNaN: true }),
    rejectIndex: fc.option(fc.integer({ min: 0, max: 59 }), { nil: undefined }),
    unprocessed: fc.double({ min: 0, max: 0.8, noNaN: true }),
    dlqFail: fc.double({ min: 0, max: 0.8, noNaN: true }),
    seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  });
  const pool = events(60, 99);

  test('no record is lost and none is written twice under different keys', async () => {
    await fc.assert(fc.asyncProperty(fc.array(payload, { minLength: 1, maxLength: 40 }), faults, async (items, f) => {
      let state = f.seed;
      const rand = () => ((state = (state * 48271) % 2147483647) / 2147483647);
      const rejected = f.rejectIndex === undefined ? undefined : pool[f.rejectIndex].event_id;
      let faulty = true;
      const fake = fakePorts({
        invoke: (body) => {
          if (rejected && body.includes(`"${rejected}"`)) throw portError('ModelError');
          if (faulty && rand() < f.throttle) throw portError('ThrottlingException');
        },
        unprocessed: (batch) => (faulty ? batch.filter(() => rand() < f.unprocessed) : []),
        dlqFailed: (letters) => (faulty ? letters.map((_, i) => i).filter(() => rand() < f.dlqFail) : []),
      });
      const all = records(items.map((it) => (it.kind === 'event' ? pool[it.i] : it.s)));

      // Lambda retries the failed records; the last round has no injected faults.
      let pending = all;
      const written = new Set<string>();
      const deadLettered = new Set<string>();
      for (let round = 0; pending.length > 0 && round < 6; round++) {
        faulty = round < 5;
        const outcome = await processBatch(pending, fake.ports, OPTIONS);
        for (const r of pending) {
          const seq = r.kinesis.sequenceNumber;
          const states = [outcome.written.has(seq), outcome.deadLettered.has(seq), outcome.failures.has(seq)].filter(Boolean);
          expect(states).toHaveLength(1); // exactly one state per record per attempt
        }
        outcome.written.forEach((s) => written.add(s));
        outcome.deadLettered.forEach((s) => deadLettered.add(s));
        pending = pending.filter((r) => outcome.failures.has(r.kinesis.sequenceNumber));
      }
      // Only an event the model always rejects may still be pending (alone in its retried batch);
      // Lambda then gives up after retryAttempts and sends the batch metadata to the queue.
      expect(pending.filter((r) => !(rejected && Buffer.from(r.kinesis.data, 'base64').toString().includes(`"${rejected}"`)))).toEqual([]);
      const stillPending = new Set(pending.map((r) => r.kinesis.sequenceNumber));

      for (const [i, it] of items.entries()) {
        const seq = all[i].kinesis.sequenceNumber;
        if (stillPending.has(seq)) continue;
        if (it.kind === 'event' && pool[it.i].event_id !== rejected) {
          expect(written.has(seq)).toBe(true);
          const e = pool[it.i];
          expect(fake.table.get(`customer#${e.customer_id}|event#${e.event_id}`)?.event_id).toBe(e.event_id);
        } else {
          expect(deadLettered.has(seq)).toBe(true);
          expect(fake.queue.some((l) => l.sequenceNumber === seq && l.data === all[i].kinesis.data)).toBe(true);
        }
      }
      // One score key per event id, ever.
      const keysByEvent = new Map<string, Set<string>>();
      for (const [key, item] of fake.table) {
        if (item.sk === 'latest') continue;
        keysByEvent.set(item.event_id, (keysByEvent.get(item.event_id) ?? new Set()).add(key));
      }
      for (const keys of keysByEvent.values()) expect(keys.size).toBe(1);
    }), { numRuns: 150 });
  });
});
