/**
 * The Firehose transform's pure core: Firehose records in, Firehose results out.
 *
 * For each record, in input order:
 * - decode the base64 data, parse and normalize it with `parsePaymentEvent`;
 * - add `ingested_at`, the Kinesis approximate arrival time in UTC ISO-8601;
 * - emit one JSON line (RAW_RECORD_FIELDS order) with `event_date` as its partition key.
 * A bad record (bad base64, bad UTF-8 or JSON, a failed validation, over the size
 * limit, no arrival time) becomes `ProcessingFailed` with its original data, which
 * Firehose writes under the error prefix. It never throws, and every recordId
 * appears once, in order. Its reason is a category (`invalid_base64`, `invalid_json`,
 * `schema: amount must be …`, `overflow`), never a byte of the record.
 *
 * Response size. Lambda's synchronous response limit is 6 MB
 * (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html). A failed
 * record's result carries the input's own data, so a response where every record fails
 * is smaller than the request and always fits. The core keeps the exact size of the
 * response it would return, "the results chosen so far plus every remaining record
 * failed", from the JSON envelope Firehose expects (recordId, result, data and, for Ok,
 * metadata.partitionKeys), and turns an Ok record into ProcessingFailed (reason:
 * overflow) when its result would push that total over the limit. Nothing is dropped:
 * overflow records land under `errors/processing-failed/` with their original bytes,
 * ready to re-drive.
 */
import type {
  FirehoseTransformationEvent,
  FirehoseTransformationEventRecord,
  FirehoseTransformationMetadata,
  FirehoseTransformationResult,
  FirehoseTransformationResultRecord,
} from 'aws-lambda';
import { eventDate, isoFromMillis, parsePaymentEvent, PaymentEvent } from '../shared/payment-event';

/**
 * Lambda's synchronous response limit, 6 MB (6,291,456 bytes), less 1 KiB for anything
 * the runtime adds around the serialized result.
 */
export const MAX_RESPONSE_BYTES = 6 * 1024 * 1024 - 1024;

/** The response around its results, `{"records":[` and `]}`, without the commas between results. */
const ENVELOPE_BYTES = JSON.stringify({ records: [] }).length;
/** A failed result with empty recordId and data: keys, quotes and punctuation. */
const FAILED_FIXED_BYTES = JSON.stringify({ recordId: '', result: 'ProcessingFailed', data: '' }).length;
/** An Ok result with empty recordId, data and partition key. */
const OK_FIXED_BYTES = JSON.stringify({ recordId: '', result: 'Ok', data: '', metadata: { partitionKeys: { event_date: '' } } }).length;
/** Characters JSON writes as themselves, one byte each: base64, and the recordIds Firehose generates. */
const PLAIN_JSON_STRING = /^[A-Za-z0-9+/=._:-]*$/;

export interface TransformFailure {
  readonly recordId: string;
  readonly reason: string;
}

export interface TransformOutcome {
  readonly response: FirehoseTransformationResult;
  readonly ok: number;
  readonly failed: number;
  /** Valid records failed only to keep the response under the size limit. */
  readonly overflowed: number;
  /** Why each record failed, for logging (never the data itself). */
  readonly failures: readonly TransformFailure[];
  /** Dropped unknown field name → number of records that carried it. */
  readonly droppedFields: ReadonlyMap<string, number>;
}

export interface TransformOptions {
  /** @default MAX_RESPONSE_BYTES */
  readonly maxResponseBytes?: number;
}

type Decoded = { ok: true; line: string; eventDate: string; dropped: readonly string[] } | { ok: false; reason: string };

/**
 * One raw-zone line, fields in RAW_RECORD_FIELDS order. Built by hand rather than
 * with JSON.stringify because every value is already validated to need no escaping
 * (ids, codes and timestamps are ASCII letters, digits and `._:-`); a test checks it
 * equals JSON.stringify for generated events.
 */
export function rawRecordLine(e: PaymentEvent, ingestedAt: string): string {
  return `{"event_id":"${e.event_id}","event_time":"${e.event_time}","customer_id":"${e.customer_id}",` +
    `"merchant_id":"${e.merchant_id}","merchant_category":"${e.merchant_category}","amount":${e.amount},` +
    `"currency":"${e.currency}","country":"${e.country}","channel":"${e.channel}","is_fraud":${e.is_fraud},` +
    `"ingested_at":"${ingestedAt}"}\n`;
}

/**
 * Decodes strict base64. Node's decoder skips characters outside the alphabet and
 * accepts the URL-safe one, so check the alphabet's extras and the decoded length.
 */
function decodeBase64(data: string): Buffer | undefined {
  if (data.length % 4 !== 0 || data.indexOf('-') >= 0 || data.indexOf('_') >= 0) return undefined;
  const padding = data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0;
  const bytes = Buffer.from(data, 'base64');
  return bytes.length === (data.length / 4) * 3 - padding ? bytes : undefined;
}

/** Transforms one Firehose batch. Never throws. */
export function transformRecords(event: FirehoseTransformationEvent, options: TransformOptions = {}): TransformOutcome {
  const limit = options.maxResponseBytes ?? MAX_RESPONSE_BYTES;
  const records: readonly FirehoseTransformationEventRecord[] = Array.isArray(event?.records) ? event.records : [];
  const failures: TransformFailure[] = [];
  // One metadata object per date, shared by its records: a batch spans few dates.
  const metadataByDate = new Map<string, FirehoseTransformationMetadata>();
  const droppedFields = new Map<string, number>();
  const out: FirehoseTransformationResultRecord[] = new Array(records.length);
  let ok = 0;
  let overflowed = 0;

  // The exact response size if every record failed: each result, plus the commas between them.
  const failedSizes = new Float64Array(records.length);
  let total = ENVELOPE_BYTES + Math.max(0, records.length - 1);
  for (let i = 0; i < records.length; i++) total += failedSizes[i] = failedResultBytes(records[i]?.recordId, records[i]?.data);

  for (let i = 0; i < records.length; i++) {
    const record = records[i];
    const d = decodeRecord(record);
    if (d.ok) {
      const data = Buffer.from(d.line, 'utf8').toString('base64');
      // The recordId's bytes are in its failed size, after the fixed part and before the data.
      const okSize = failedSizes[i] - FAILED_FIXED_BYTES - (record.data as string).length + OK_FIXED_BYTES + data.length + d.eventDate.length;
      if (total - failedSizes[i] + okSize <= limit) {
        total += okSize - failedSizes[i];
        let metadata = metadataByDate.get(d.eventDate);
        if (!metadata) metadataByDate.set(d.eventDate, metadata = { partitionKeys: { event_date: d.eventDate } });
        out[i] = { recordId: record.recordId, result: 'Ok', data, metadata };
        ok++;
        for (const f of d.dropped) droppedFields.set(f, (droppedFields.get(f) ?? 0) + 1);
        continue;
      }
      overflowed++;
      failures.push({ recordId: record.recordId, reason: `overflow: the response would exceed ${limit} bytes` });
    } else {
      failures.push({ recordId: String(record?.recordId), reason: d.reason });
    }
    out[i] = { recordId: record?.recordId, result: 'ProcessingFailed', data: record?.data };
  }

  return { response: { records: out }, ok, failed: records.length - ok, overflowed, failures, droppedFields };
}

/** Bytes of `value` as a JSON string, quotes excluded; the `undefined` of a missing field writes nothing. */
function jsonStringBytes(value: unknown): number {
  if (typeof value === 'string' && PLAIN_JSON_STRING.test(value)) return value.length;
  const json = JSON.stringify(value);
  return json === undefined ? 0 : Buffer.byteLength(json) - 2;
}

/** Exact bytes of `{"recordId":…,"result":"ProcessingFailed","data":…}` as JSON.stringify writes it. */
function failedResultBytes(recordId: unknown, data: unknown): number {
  if (typeof recordId === 'string' && typeof data === 'string') return FAILED_FIXED_BYTES + jsonStringBytes(recordId) + jsonStringBytes(data);
  return Buffer.byteLength(JSON.stringify({ recordId, result: 'ProcessingFailed', data }));
}

function decodeRecord(record: FirehoseTransformationEventRecord): Decoded {
  try {
    const bytes = typeof record.data === 'string' ? decodeBase64(record.data) : undefined;
    if (!bytes) return { ok: false, reason: 'invalid_base64' };
    const arrival = record.kinesisRecordMetadata?.approximateArrivalTimestamp ?? record.approximateArrivalTimestamp;
    if (typeof arrival !== 'number' || !Number.isFinite(arrival)) {
      return { ok: false, reason: 'no_arrival_timestamp' };
    }
    const parsed = parsePaymentEvent(bytes);
    if (!parsed.ok) return { ok: false, reason: parsed.reason };
    const line = rawRecordLine(parsed.event, isoFromMillis(arrival));
    return { ok: true, line, eventDate: eventDate(parsed.event), dropped: parsed.droppedFields };
  } catch (err) {
    // Defensive: nothing above should throw, but a bad record must never fail the batch.
    // The error's name only: a message could quote the record.
    return { ok: false, reason: `unexpected_error: ${err instanceof Error ? err.name : typeof err}` };
  }
}
