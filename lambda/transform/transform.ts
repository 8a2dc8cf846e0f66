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
 * appears once, in order.
 *
 * Response size. Lambda's synchronous response limit is 6 MB. A failed record's
 * result carries the input's own data, and the input is at most 6 MB, so a response
 * where every record fails always fits. The core therefore keeps a running size of
 * "the results chosen so far plus every remaining record failed", and turns an Ok
 * record into ProcessingFailed (reason: overflow) when its normalized line would push
 * that total over the limit. Nothing is dropped: overflow records land under
 * `errors/processing-failed/` with their original bytes, ready to re-drive. In
 * practice a normalized line is a few hundred bytes and Firehose hands the Lambda at
 * most 3 MB, so overflow is a safeguard, not a path.
 */
import type {
  FirehoseTransformationEvent,
  FirehoseTransformationEventRecord,
  FirehoseTransformationMetadata,
  FirehoseTransformationResult,
  FirehoseTransformationResultRecord,
} from 'aws-lambda';
import { eventDate, isoFromMillis, parsePaymentEvent, PaymentEvent } from '../shared/payment-event';

/** Lambda's synchronous response limit (6 MB), less room for the outer envelope. */
export const MAX_RESPONSE_BYTES = 6 * 1024 * 1024 - 1024;

/** Bytes a result adds around its data and recordId: keys, quotes, result and metadata. */
const RESULT_OVERHEAD_BYTES = 128;

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

  const resultSize = (r: FirehoseTransformationEventRecord, data: unknown) =>
    String(data ?? '').length + String(r?.recordId ?? '').length + RESULT_OVERHEAD_BYTES;
  const failedSize = (r: FirehoseTransformationEventRecord) => resultSize(r, r?.data);
  let total = 0;
  for (const r of records) total += failedSize(r);

  for (let i = 0; i < records.length; i++) {
    const record = records[i];
    const decoded = decodeRecord(record);
    if (decoded.ok) {
      const data = Buffer.from(decoded.line, 'utf8').toString('base64');
      const okSize = resultSize(record, data);
      if (total - failedSize(record) + okSize <= limit) {
        total += okSize - failedSize(record);
        let metadata = metadataByDate.get(decoded.eventDate);
        if (!metadata) metadataByDate.set(decoded.eventDate, metadata = { partitionKeys: { event_date: decoded.eventDate } });
        out[i] = { recordId: record.recordId, result: 'Ok', data, metadata };
        ok++;
        for (const f of decoded.dropped) droppedFields.set(f, (droppedFields.get(f) ?? 0) + 1);
        continue;
      }
      overflowed++;
      failures.push({ recordId: record.recordId, reason: `response would exceed ${limit} bytes` });
    } else {
      failures.push({ recordId: String(record?.recordId), reason: decoded.reason });
    }
    out[i] = { recordId: record?.recordId, result: 'ProcessingFailed', data: record?.data };
  }

  return { response: { records: out }, ok, failed: records.length - ok, overflowed, failures, droppedFields };
}

function decodeRecord(record: FirehoseTransformationEventRecord): Decoded {
  try {
    const bytes = typeof record.data === 'string' ? decodeBase64(record.data) : undefined;
    if (!bytes) return { ok: false, reason: 'data is not base64' };
    const arrival = record.kinesisRecordMetadata?.approximateArrivalTimestamp ?? record.approximateArrivalTimestamp;
    if (typeof arrival !== 'number' || !Number.isFinite(arrival)) {
      return { ok: false, reason: 'record has no approximate arrival timestamp' };
    }
    const parsed = parsePaymentEvent(bytes);
    if (!parsed.ok) return parsed;
    const line = rawRecordLine(parsed.event, isoFromMillis(arrival));
    return { ok: true, line, eventDate: eventDate(parsed.event), dropped: parsed.droppedFields };
  } catch (err) {
    // Defensive: nothing above should throw, but a bad record must never fail the batch.
    return { ok: false, reason: `unexpected error: ${(err as Error)?.message}` };
  }
}
