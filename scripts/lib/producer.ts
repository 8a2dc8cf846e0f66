/**
 * Kinesis PutRecords with nothing lost: batches within the API limits, retries of
 * only the failed entries (and of whole throttled calls) with exponential backoff and
 * full jitter, and an exact account of what was sent, retried and finally lost.
 *
 * Sleep, randomness and the clock are injectable, so tests neither wait nor flake.
 */
import { KinesisClient, PutRecordsCommand, PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { sleep as defaultSleep } from './cli-args';

/** PutRecords limits (Kinesis API reference). */
export const MAX_BATCH_RECORDS = 500;
export const MAX_BATCH_BYTES = 5 * 1024 * 1024;
/** A record's data plus partition key may not exceed 1 MiB. */
export const MAX_RECORD_BYTES = 1024 * 1024;

/** Errors worth retrying for a whole call; anything else fails the run at once. */
const RETRYABLE_CALL_ERRORS = new Set([
  'ProvisionedThroughputExceededException',
  'LimitExceededException',
  'KMSThrottlingException',
  'ThrottlingException',
  'InternalFailure',
  'ServiceUnavailable',
  'TimeoutError',
]);

export interface ProducerRecord {
  readonly data: Uint8Array;
  readonly partitionKey: string;
}

export class RecordTooLargeError extends Error {
  constructor(index: number, bytes: number) {
    super(`record ${index} is ${bytes} bytes (data + partition key), over the Kinesis limit of ${MAX_RECORD_BYTES} bytes; nothing was sent`);
    this.name = 'RecordTooLargeError';
  }
}

export interface RetryPolicy {
  /** Attempts per batch, including the first. @default 10 */
  readonly maxAttempts?: number;
  /** First backoff ceiling, ms. @default 100 */
  readonly baseDelayMs?: number;
  /** Largest backoff ceiling, ms. @default 5000 */
  readonly maxDelayMs?: number;
}

export interface SendStats {
  /** Records Kinesis accepted. */
  sent: number;
  /** Entry retries (a record retried twice counts twice), plus records in retried whole calls. */
  retried: number;
  /** Records still failing after the last attempt: lost. */
  failed: number;
  /** Whole calls that were throttled or failed transiently. */
  throttledCalls: number;
  /** Error codes of the lost records, with counts. */
  failures: Record<string, number>;
}

export interface SendOptions {
  readonly client: KinesisClient;
  readonly streamName: string;
  readonly retry?: RetryPolicy;
  /** Records per second across all batches. @default unlimited */
  readonly rate?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  readonly now?: () => number;
  readonly onProgress?: (stats: Readonly<SendStats>, total: number) => void;
}

const encoder = new TextEncoder();

export function recordBytes(r: ProducerRecord): number {
  return r.data.length + encoder.encode(r.partitionKey).length;
}

/** Throws RecordTooLargeError for the first record over 1 MiB. */
export function checkRecordSizes(records: readonly ProducerRecord[]): void {
  records.forEach((r, i) => {
    const bytes = recordBytes(r);
    if (bytes > MAX_RECORD_BYTES) throw new RecordTooLargeError(i, bytes);
  });
}

/** Splits records, in order, into batches of ≤ 500 records and ≤ 5 MiB. */
export function toBatches<T extends ProducerRecord>(records: readonly T[]): T[][] {
  const out: T[][] = [];
  let batch: T[] = [];
  let bytes = 0;
  for (const r of records) {
    const size = recordBytes(r);
    if (batch.length === MAX_BATCH_RECORDS || (batch.length > 0 && bytes + size > MAX_BATCH_BYTES)) {
      out.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(r);
    bytes += size;
  }
  if (batch.length > 0) out.push(batch);
  return out;
}

/** Full jitter: a uniform delay between 0 and min(max, base × 2^attempt). */
export function backoffDelay(attempt: number, retry: RetryPolicy = {}, random: () => number = Math.random): number {
  const base = retry.baseDelayMs ?? 100;
  const max = retry.maxDelayMs ?? 5000;
  return Math.floor(random() * Math.min(max, base * 2 ** attempt));
}


/**
 * Sends every record, retrying failed entries and throttled calls. Resolves with the
 * stats; `failed > 0` means records were lost. Rejects only on a non-retryable error
 * or an oversize record (checked before anything is sent).
 */
export async function sendRecords(records: readonly ProducerRecord[], options: SendOptions): Promise<SendStats> {
  checkRecordSizes(records);
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const maxAttempts = options.retry?.maxAttempts ?? 10;
  const stats: SendStats = { sent: 0, retried: 0, failed: 0, throttledCalls: 0, failures: {} };
  const start = now();
  let started = 0;

  for (const batch of toBatches(records)) {
    if (options.rate) {
      // Pace by records started: batch n may start once started/rate seconds have passed.
      const due = start + (started / options.rate) * 1000;
      const wait = due - now();
      if (wait > 0) await sleep(wait);
    }
    started += batch.length;

    let pending = batch;
    let lastErrors: string[] = [];
    for (let attempt = 0; attempt < maxAttempts && pending.length > 0; attempt++) {
      if (attempt > 0) {
        stats.retried += pending.length;
        await sleep(backoffDelay(attempt - 1, options.retry, random));
      }
      let response;
      try {
        response = await options.client.send(new PutRecordsCommand({ StreamName: options.streamName, Records: pending.map(toEntry) }));
      } catch (err) {
        const name = (err as Error).name;
        if (!RETRYABLE_CALL_ERRORS.has(name)) throw err;
        stats.throttledCalls++;
        lastErrors = pending.map(() => name);
        continue;
      }
      const results = response.Records ?? [];
      const next: ProducerRecord[] = [];
      lastErrors = [];
      pending.forEach((record, i) => {
        const code = results[i]?.ErrorCode;
        // A missing result entry is not proof of acceptance: retry it.
        if (results[i] && !code) {
          stats.sent++;
        } else {
          next.push(record);
          lastErrors.push(code ?? 'MissingResult');
        }
      });
      pending = next;
      options.onProgress?.(stats, records.length);
    }
    stats.failed += pending.length;
    for (const code of lastErrors) stats.failures[code] = (stats.failures[code] ?? 0) + 1;
    options.onProgress?.(stats, records.length);
  }
  return stats;
}

function toEntry(r: ProducerRecord): PutRecordsRequestEntry {
  return { Data: r.data, PartitionKey: r.partitionKey };
}
