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
  FirehoseTransformationResult,
  FirehoseTransformationResultRecord,
} from 'aws-lambda';
import { eventDate, parsePaymentEvent, RawRecord } from '../shared/payment-event';

/** Lambda's synchronous response limit (6 MB), less room for the outer envelope. */
export const MAX_RESPONSE_BYTES = 6 * 1024 * 1024 - 1024;

/** Bytes a result adds around its data and recordId: keys, quotes, result and metadata. */
const RESULT_OVERHEAD_BYTES = 128;

const BASE64_PATTERN = /^[A-Za-z0-9+/]*={0,2}$/;

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

/** Transforms one Firehose batch. Never throws. */
export function transformRecords(event: FirehoseTransformationEvent, options: TransformOptions = {}): TransformOutcome {
  const limit = options.maxResponseBytes ?? MAX_RESPONSE_BYTES;
  const records: readonly FirehoseTransformationEventRecord[] = Array.isArray(event?.records) ? event.records : [];
  const failures: TransformFailure[] = [];
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
        out[i] = { recordId: record.recordId, result: 'Ok', data, metadata: { partitionKeys: { event_date: decoded.eventDate } } };
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
    const data = record.data;
    if (typeof data !== 'string' || data.length % 4 !== 0 || !BASE64_PATTERN.test(data)) {
      return { ok: false, reason: 'data is not base64' };
    }
    const arrival = record.kinesisRecordMetadata?.approximateArrivalTimestamp ?? record.approximateArrivalTimestamp;
    if (typeof arrival !== 'number' || !Number.isFinite(arrival)) {
      return { ok: false, reason: 'record has no approximate arrival timestamp' };
    }
    const parsed = parsePaymentEvent(Buffer.from(data, 'base64'));
    if (!parsed.ok) return parsed;
    // The event's fields are already in PAYMENT_EVENT_FIELDS order; ingested_at comes last (RAW_RECORD_FIELDS).
    const raw: RawRecord = { ...parsed.event, ingested_at: new Date(arrival).toISOString() };
    return { ok: true, line: JSON.stringify(raw) + '\n', eventDate: eventDate(parsed.event), dropped: parsed.droppedFields };
  } catch (err) {
    // Defensive: nothing above should throw, but a bad record must never fail the batch.
    return { ok: false, reason: `unexpected error: ${(err as Error)?.message}` };
  }
}
