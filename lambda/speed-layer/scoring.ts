/**
 * The speed layer's logic, free of AWS clients: decode a Kinesis batch, score it with
 * as few InvokeEndpoint calls as the payload limit allows, write the real-time view
 * with BatchWriteItem, and dead-letter poison records with their payload.
 *
 * Reasons name what went wrong, never a byte of an event: they are logged when a record
 * is retried (event ids too can be card numbers, since the schema accepts any id).
 *
 * Every record ends in exactly one state:
 * - written: its score item (and, if it is its customer's latest event in the batch,
 *   the customer's `latest` item) is in the table;
 * - dead-lettered: it can never be scored (bad bytes, bad schema, or the model rejects
 *   it alone while scoring other events of the batch), so its payload and the reason
 *   are on the dead-letter queue;
 * - failed: something transient went wrong (throttling, an endpoint or table error, a
 *   dead-letter send that failed). It is reported as a batch item failure, and Lambda
 *   retries it. Writes use keys derived from the event id only, so a retry overwrites
 *   the same items.
 *
 * View keys (one table, documented in the README):
 * - score:  pk `customer#<customer_id>`, sk `event#<event_id>`
 * - latest: pk `customer#<customer_id>`, sk `latest` (the customer's newest event by
 *   event_time within a batch; across batches the last write wins, which is the
 *   newest as long as producers partition by customer, so a customer's events keep
 *   their order in one shard).
 */
import { createHash } from 'node:crypto';
import { parsePaymentEvent, type PaymentEvent } from '../shared/payment-event';

/** The parts of a Kinesis record the logic uses (the Lambda event's `Records[i]`). */
export interface StreamRecord {
  readonly eventID: string;
  readonly kinesis: {
    readonly sequenceNumber: string;
    readonly partitionKey: string;
    readonly data: string;
    readonly approximateArrivalTimestamp: number;
  };
}

export type Risk = 'low' | 'medium' | 'high';

export interface Prediction {
  readonly event_id: string;
  readonly score: number;
  readonly risk: Risk;
}

/** One item of the view, as plain values (the adapter marshals them). */
export interface ViewItem {
  readonly pk: string;
  readonly sk: string;
  readonly event_id: string;
  readonly customer_id: string;
  readonly merchant_id: string;
  readonly event_time: string;
  readonly amount: number;
  readonly score: number;
  readonly risk: Risk;
  readonly model_version: string;
  readonly scored_at: string;
  /** TTL attribute, epoch seconds. */
  readonly expires_at: number;
}

export interface DeadLetter {
  readonly kind: 'poison-record';
  readonly reason: string;
  readonly eventId: string;
  readonly sequenceNumber: string;
  readonly partitionKey: string;
  readonly approximateArrivalTimestamp: number;
  /** The record's bytes, base64, possibly cut to fit the SQS message limit. */
  readonly data: string;
  readonly dataBytes: number;
  readonly truncated: boolean;
  readonly sha256: string;
}

/** An error from the AWS clients: `name` is the SDK's error code. */
export interface PortError extends Error {
  readonly name: string;
}

export interface ScoringPorts {
  /** InvokeEndpoint with an `application/jsonlines` body; returns the response body. */
  invokeEndpoint(body: string): Promise<string>;
  /** One BatchWriteItem request (≤ 25 puts); returns the unprocessed items. */
  batchWrite(items: readonly ViewItem[]): Promise<readonly ViewItem[]>;
  /** One SendMessageBatch request (≤ 10 entries); returns the indexes of failed entries. */
  sendDeadLetters(messages: readonly DeadLetter[]): Promise<readonly number[]>;
  sleep(ms: number): Promise<void>;
  now(): number;
  random(): number;
}

export interface ScoringOptions {
  /** Largest InvokeEndpoint body: 4 MB for serverless endpoints, 6 MB for instance endpoints. */
  readonly maxPayloadBytes: number;
  /** Lifetime of view items, in seconds (the TTL attribute). */
  readonly ttlSeconds: number;
  /** BatchWriteItem attempts per item before its record fails. */
  readonly maxWriteAttempts: number;
  /** First backoff before re-sending unprocessed items, doubled per attempt (full jitter). */
  readonly baseBackoffMs: number;
}

export const MAX_BATCH_WRITE_ITEMS = 25; // DynamoDB BatchWriteItem limit
export const MAX_SQS_BATCH_ENTRIES = 10; // SQS SendMessageBatch limit
export const MAX_SQS_PAYLOAD_BYTES = 256 * 1024; // SQS message and batch limit (256 KiB)

/** Endpoint errors caused by the request itself: retrying the same body cannot help. */
const REJECTED_REQUEST_ERRORS = new Set(['ModelError', 'ValidationError', 'ValidationException']);

export interface BatchOutcome {
  /** Sequence numbers to report as batch item failures, each with the reason. */
  readonly failures: ReadonlyMap<string, string>;
  readonly written: ReadonlySet<string>;
  readonly deadLettered: ReadonlySet<string>;
  readonly scored: number;
  readonly highRisk: number;
  readonly calls: { invokeEndpoint: number; batchWrite: number; sendMessageBatch: number };
  /** Milliseconds from the oldest record's arrival in the stream to the end of the batch. */
  readonly latencyMs: number;
}

interface Decoded {
  readonly record: StreamRecord;
  readonly event: PaymentEvent;
}

interface Poison {
  readonly record: StreamRecord;
  readonly reason: string;
}

export async function processBatch(
  records: readonly StreamRecord[],
  ports: ScoringPorts,
  options: ScoringOptions,
): Promise<BatchOutcome> {
  const calls = { invokeEndpoint: 0, batchWrite: 0, sendMessageBatch: 0 };
  const failures = new Map<string, string>();
  const fail = (record: StreamRecord, reason: string) => failures.set(record.kinesis.sequenceNumber, reason);

  // 1. Decode and validate with the shared schema.
  const valid: Decoded[] = [];
  const poison: Poison[] = [];
  for (const record of records) {
    const parsed = parsePaymentEvent(Buffer.from(record.kinesis.data, 'base64'));
    if (parsed.ok) valid.push({ record, event: parsed.event });
    else poison.push({ record, reason: parsed.reason });
  }

  // 2. Score, one InvokeEndpoint per payload-size chunk.
  const scored: Array<Decoded & { prediction: Prediction; modelVersion: string }> = [];
  const rejected: Poison[] = [];
  const score = async (chunk: readonly Decoded[]): Promise<void> => {
    calls.invokeEndpoint++;
    let response: { model_version: string; predictions: Prediction[] };
    try {
      response = parseResponse(await ports.invokeEndpoint(jsonLines(chunk)), chunk);
    } catch (err) {
      const e = err as PortError;
      if (REJECTED_REQUEST_ERRORS.has(e.name)) {
        // The model refuses this body: split until the record it refuses is alone.
        if (chunk.length === 1) {
          rejected.push({ record: chunk[0].record, reason: `endpoint rejected the event: ${e.name}` });
          return;
        }
        const mid = Math.ceil(chunk.length / 2);
        await score(chunk.slice(0, mid));
        await score(chunk.slice(mid));
        return;
      }
      for (const d of chunk) fail(d.record, `scoring failed: ${describeError(e)}`);
      return;
    }
    chunk.forEach((d, i) => scored.push({ ...d, prediction: response.predictions[i], modelVersion: response.model_version }));
  };
  const { chunks, oversized } = chunkByPayload(valid, options.maxPayloadBytes);
  for (const d of oversized) {
    poison.push({ record: d.record, reason: `event is larger than the endpoint's ${options.maxPayloadBytes}-byte payload limit` });
  }
  for (const chunk of chunks) await score(chunk);
  // A model error on one event is that event's fault only if the endpoint scored others
  // in the same batch; if it scored none, the endpoint itself may be failing, so retry.
  for (const r of rejected) {
    if (scored.length > 0) poison.push(r);
    else fail(r.record, `${r.reason} (and scored no other event in the batch, so it is retried)`);
  }

  // 3. Write the view: score items, and each customer's latest event in the batch.
  const now = ports.now();
  const itemRecords = new Map<string, StreamRecord[]>();
  const items = new Map<string, ViewItem>();
  const addItem = (item: ViewItem, record: StreamRecord) => {
    const key = `${item.pk}|${item.sk}`;
    if (!items.has(key)) items.set(key, item); // a duplicate event id in one batch: one put, same key
    itemRecords.set(key, [...(itemRecords.get(key) ?? []), record]);
  };
  const latest = new Map<string, (typeof scored)[number]>();
  for (const s of scored) {
    addItem(viewItem(s.event, s.prediction, s.modelVersion, `event#${s.event.event_id}`, now, options.ttlSeconds), s.record);
    const current = latest.get(s.event.customer_id);
    if (!current || isNewer(s.event, current.event)) latest.set(s.event.customer_id, s);
  }
  for (const s of latest.values()) {
    addItem(viewItem(s.event, s.prediction, s.modelVersion, 'latest', now, options.ttlSeconds), s.record);
  }
  let pending = [...items.values()];
  for (let attempt = 0; pending.length > 0 && attempt < options.maxWriteAttempts; attempt++) {
    if (attempt > 0) await ports.sleep(Math.floor(ports.random() * options.baseBackoffMs * 2 ** (attempt - 1)));
    const unprocessed: ViewItem[] = [];
    for (let i = 0; i < pending.length; i += MAX_BATCH_WRITE_ITEMS) {
      const request = pending.slice(i, i + MAX_BATCH_WRITE_ITEMS);
      calls.batchWrite++;
      try {
        unprocessed.push(...(await ports.batchWrite(request)));
      } catch {
        unprocessed.push(...request); // throttled or failed as a whole: retry all of it
      }
    }
    pending = unprocessed;
  }
  for (const item of pending) {
    for (const record of itemRecords.get(`${item.pk}|${item.sk}`) ?? []) {
      fail(record, `view write still unprocessed after ${options.maxWriteAttempts} attempts`);
    }
  }

  // 4. Dead-letter poison records with their payload, then acknowledge them.
  const deadLettered = new Set<string>();
  const letters = poison.map((p) => deadLetter(p.record, p.reason));
  for (const group of sqsBatches(letters)) {
    calls.sendMessageBatch++;
    let failedIndexes: readonly number[];
    try {
      failedIndexes = await ports.sendDeadLetters(group.map((g) => g.letter));
    } catch {
      failedIndexes = group.map((_, i) => i);
    }
    group.forEach((g, i) => {
      const record = poison[g.index].record;
      if (failedIndexes.includes(i)) fail(record, 'dead-letter send failed');
      else deadLettered.add(record.kinesis.sequenceNumber);
    });
  }

  const written = new Set<string>();
  for (const s of scored) if (!failures.has(s.record.kinesis.sequenceNumber)) written.add(s.record.kinesis.sequenceNumber);
  const oldestArrival = Math.min(...records.map((r) => r.kinesis.approximateArrivalTimestamp * 1000));
  return {
    failures,
    written,
    deadLettered,
    scored: scored.length,
    highRisk: scored.filter((s) => s.prediction.risk === 'high').length,
    calls,
    latencyMs: records.length > 0 ? Math.max(0, ports.now() - oldestArrival) : 0,
  };
}

function jsonLines(chunk: readonly Decoded[]): string {
  return chunk.map((d) => JSON.stringify(d.event)).join('\n');
}

/** Splits events into InvokeEndpoint bodies no larger than `maxBytes` (JSON Lines). */
export function chunkByPayload<T extends { event: PaymentEvent }>(
  events: readonly T[],
  maxBytes: number,
): { chunks: T[][]; oversized: T[] } {
  const chunks: T[][] = [];
  const oversized: T[] = [];
  let current: T[] = [];
  let size = 0;
  for (const e of events) {
    const bytes = Buffer.byteLength(JSON.stringify(e.event)) + 1; // + newline
    if (bytes - 1 > maxBytes) {
      oversized.push(e);
      continue;
    }
    if (current.length > 0 && size + bytes - 1 > maxBytes) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(e);
    size += bytes;
  }
  if (current.length > 0) chunks.push(current);
  return { chunks, oversized };
}

/**
 * An error as a log-safe reason: our own response checks say what was wrong; for an SDK
 * error, only its name. A ModelError's message carries the container's output, which
 * may quote the events it was sent.
 */
function describeError(e: PortError): string {
  return e instanceof ResponseError ? `${e.name}: ${e.message}` : e.name;
}

class ResponseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidEndpointResponse';
  }
}

function parseResponse(body: string, chunk: readonly Decoded[]): { model_version: string; predictions: Prediction[] } {
  let value: { model_version?: unknown; predictions?: unknown };
  try {
    value = JSON.parse(body);
  } catch {
    throw new ResponseError('endpoint response is not JSON');
  }
  const predictions = value.predictions;
  if (!Array.isArray(predictions) || predictions.length !== chunk.length) {
    throw new ResponseError(`endpoint returned ${Array.isArray(predictions) ? predictions.length : 'no'} predictions for ${chunk.length} events`);
  }
  predictions.forEach((p: Prediction, i) => {
    if (p?.event_id !== chunk[i].event.event_id || typeof p.score !== 'number' || !['low', 'medium', 'high'].includes(p.risk)) {
      throw new ResponseError(`endpoint prediction ${i} does not match the event sent at that position`);
    }
  });
  return { model_version: String(value.model_version ?? 'unknown'), predictions };
}

function isNewer(a: PaymentEvent, b: PaymentEvent): boolean {
  return a.event_time > b.event_time || (a.event_time === b.event_time && a.event_id > b.event_id);
}

export function viewItem(
  event: PaymentEvent,
  prediction: Prediction,
  modelVersion: string,
  sk: string,
  nowMs: number,
  ttlSeconds: number,
): ViewItem {
  return {
    pk: `customer#${event.customer_id}`,
    sk,
    event_id: event.event_id,
    customer_id: event.customer_id,
    merchant_id: event.merchant_id,
    event_time: event.event_time,
    amount: event.amount,
    score: prediction.score,
    risk: prediction.risk,
    model_version: modelVersion,
    scored_at: new Date(nowMs).toISOString(),
    expires_at: Math.floor(nowMs / 1000) + ttlSeconds,
  };
}

/** Room left for the payload in one message after the JSON envelope. */
const ENVELOPE_BYTES = 2048;

export function deadLetter(record: StreamRecord, reason: string): DeadLetter {
  const bytes = Buffer.from(record.kinesis.data, 'base64');
  const maxRaw = Math.floor((MAX_SQS_PAYLOAD_BYTES - ENVELOPE_BYTES - Buffer.byteLength(reason)) / 4) * 3;
  const truncated = bytes.length > maxRaw;
  return {
    kind: 'poison-record',
    reason,
    eventId: record.eventID,
    sequenceNumber: record.kinesis.sequenceNumber,
    partitionKey: record.kinesis.partitionKey,
    approximateArrivalTimestamp: record.kinesis.approximateArrivalTimestamp,
    data: (truncated ? bytes.subarray(0, maxRaw) : bytes).toString('base64'),
    dataBytes: bytes.length,
    truncated,
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
}

/** Groups dead letters into SendMessageBatch requests: ≤ 10 entries and ≤ 256 KiB each. */
export function sqsBatches(letters: readonly DeadLetter[]): Array<Array<{ letter: DeadLetter; index: number }>> {
  const batches: Array<Array<{ letter: DeadLetter; index: number }>> = [];
  let current: Array<{ letter: DeadLetter; index: number }> = [];
  let size = 0;
  letters.forEach((letter, index) => {
    const bytes = Buffer.byteLength(JSON.stringify(letter));
    if (current.length > 0 && (current.length === MAX_SQS_BATCH_ENTRIES || size + bytes > MAX_SQS_PAYLOAD_BYTES)) {
      batches.push(current);
      current = [];
      size = 0;
    }
    current.push({ letter, index });
    size += bytes;
  });
  if (current.length > 0) batches.push(current);
  return batches;
}
