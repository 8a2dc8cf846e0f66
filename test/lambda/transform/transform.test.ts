import { MAX_RECORD_BYTES, normalizePaymentEvent, RAW_RECORD_FIELDS } from '../../../lambda/shared/payment-event';
import { MAX_RESPONSE_BYTES, rawRecordLine, transformRecords } from '../../../lambda/transform/transform';
import { takeEvents } from '../../../scripts/lib/generator';
import type { FirehoseTransformationEventRecord, FirehoseTransformationResultRecord } from 'aws-lambda';
import { ARRIVAL, b64, directPutRecord, firehoseEvent, kinesisRecord, normalizedEvent, validEvent } from './fixtures';

const decode = (data: string | undefined) => Buffer.from(data ?? '', 'base64').toString('utf8');
/** The bytes of the response Lambda returns for these results. */
const responseBytes = (records: FirehoseTransformationResultRecord[]) => Buffer.byteLength(JSON.stringify({ records }));
const failedResult = (r: FirehoseTransformationEventRecord): FirehoseTransformationResultRecord => ({ recordId: r.recordId, result: 'ProcessingFailed', data: r.data });

describe('transformRecords', () => {
  test('normalizes a valid record into one JSON line with its event date as partition key', () => {
    const { response, ok, failed } = transformRecords(firehoseEvent([kinesisRecord('r1', b64(JSON.stringify(validEvent)))]));
    expect([ok, failed]).toEqual([1, 0]);
    const [result] = response.records;
    expect(result.result).toBe('Ok');
    expect(result.metadata).toEqual({ partitionKeys: { event_date: '2026-11-22' } });
    const line = decode(result.data);
    expect(line.endsWith('\n')).toBe(true);
    expect(line.indexOf('\n')).toBe(line.length - 1);
    const parsed = JSON.parse(line);
    expect(Object.keys(parsed)).toEqual(RAW_RECORD_FIELDS);
    expect(parsed).toEqual({ ...normalizedEvent, ingested_at: '2026-11-22T03:04:05.678Z' });
  });

  test('ingested_at comes from the Kinesis metadata, else from the record', () => {
    const withoutMetadata = { ...kinesisRecord('r1', b64(JSON.stringify(validEvent))), kinesisRecordMetadata: undefined };
    const { response } = transformRecords(firehoseEvent([withoutMetadata]));
    expect(JSON.parse(decode(response.records[0].data)).ingested_at).toBe(new Date(ARRIVAL + 5000).toISOString());
  });

  test('fails a record with no arrival timestamp at all', () => {
    const record = { recordId: 'r1', data: b64(JSON.stringify(validEvent)) } as never;
    const { response, failures } = transformRecords(firehoseEvent([record]));
    expect(response.records[0]).toEqual({ recordId: 'r1', result: 'ProcessingFailed', data: b64(JSON.stringify(validEvent)) });
    expect(failures).toEqual([{ recordId: 'r1', reason: 'no_arrival_timestamp' }]);
  });

  test('drops unknown fields, counts them, and keeps unicode in them out of the line', () => {
    const data = b64(JSON.stringify({ ...validEvent, note: 'café ☕ 𝄞', tags: ['ü'] }));
    const { response, droppedFields } = transformRecords(firehoseEvent([kinesisRecord('r1', data), kinesisRecord('r2', data)]));
    expect(response.records.map((r) => r.result)).toEqual(['Ok', 'Ok']);
    expect(decode(response.records[0].data)).not.toMatch(/note|café/);
    expect(Object.fromEntries(droppedFields)).toEqual({ note: 2, tags: 2 });
  });

  test('fails a record with non-ASCII ids, keeping its original data', () => {
    const data = b64(JSON.stringify({ ...validEvent, customer_id: 'kunde-ü' }));
    expect(transformRecords(firehoseEvent([kinesisRecord('r1', data)])).response.records[0]).toEqual({
      recordId: 'r1',
      result: 'ProcessingFailed',
      data,
    });
  });

  test.each([
    ['bad base64', '***not base64***', 'invalid_base64'],
    ['base64 of the wrong length', 'abc', 'invalid_base64'],
    ['invalid UTF-8', b64(new Uint8Array([0x7b, 0xc3, 0x28, 0x7d])), 'invalid_utf8'],
    ['a CSV line with a card number', b64('ALICE EXAMPLE,4111111111111111,12/29,737'), 'invalid_json'],
    ['a JSON array', b64('[1,2]'), 'schema: record must be a JSON object'],
    ['a missing field', b64(JSON.stringify({ ...validEvent, amount: undefined })), 'schema: amount must be a positive decimal ≤ 1000000 with at most 2 decimal places'],
    ['a string amount that is not a number', b64(JSON.stringify({ ...validEvent, amount: '4111111111111111x' })), 'schema: amount must be a positive decimal ≤ 1000000 with at most 2 decimal places'],
    ['calendar overflow', b64(JSON.stringify({ ...validEvent, event_time: '2026-02-30T00:00:00Z' })), 'schema: event_time must be ISO-8601 with a UTC offset, or epoch milliseconds, between 2000 and 2100'],
  ])('fails %s with its original data and the reason', (_name, data, reason) => {
    const { response, failures } = transformRecords(firehoseEvent([kinesisRecord('r1', data)]));
    expect(response.records).toEqual([{ recordId: 'r1', result: 'ProcessingFailed', data }]);
    expect(failures).toEqual([{ recordId: 'r1', reason }]);
  });

  test('fails invalid JSON as invalid_json, without the parser message that quotes the input', () => {
    const { failures } = transformRecords(firehoseEvent([kinesisRecord('r1', b64('{"event_id":"4111111111111111",'))]));
    expect(failures).toEqual([{ recordId: 'r1', reason: 'invalid_json' }]);
  });

  test('accepts a record of exactly the maximum size and fails one byte more', () => {
    const padded = (extra: number) => {
      const base = JSON.stringify({ ...validEvent, pad: '' });
      return JSON.stringify({ ...validEvent, pad: 'x'.repeat(MAX_RECORD_BYTES - base.length + extra) });
    };
    expect(Buffer.byteLength(padded(0))).toBe(MAX_RECORD_BYTES);
    const atLimit = b64(padded(0));
    const overLimit = b64(padded(1));
    const { response, failures } = transformRecords(firehoseEvent([kinesisRecord('max', atLimit), kinesisRecord('over', overLimit)]));
    expect(response.records[0]).toEqual(expect.objectContaining({ recordId: 'max', result: 'Ok' }));
    expect(response.records[1]).toEqual({ recordId: 'over', result: 'ProcessingFailed', data: overLimit });
    expect(failures).toEqual([{ recordId: 'over', reason: `too_large: record is ${MAX_RECORD_BYTES + 1} bytes, over the 1024000-byte limit` }]);
  });

  test('keeps every recordId once, in input order, across good and bad records', () => {
    const good = b64(JSON.stringify(validEvent));
    const records = ['a', 'b', 'c', 'd', 'e'].map((id, i) => kinesisRecord(id, i % 2 ? '!!' : good));
    const { response, ok, failed } = transformRecords(firehoseEvent(records));
    expect(response.records.map((r) => [r.recordId, r.result])).toEqual([
      ['a', 'Ok'], ['b', 'ProcessingFailed'], ['c', 'Ok'], ['d', 'ProcessingFailed'], ['e', 'Ok'],
    ]);
    expect([ok, failed]).toEqual([3, 2]);
  });

  test('an empty batch gives an empty response', () => {
    expect(transformRecords(firehoseEvent([])).response).toEqual({ records: [] });
  });

  test('a malformed event does not throw', () => {
    expect(transformRecords({} as never).response).toEqual({ records: [] });
    expect(transformRecords(firehoseEvent([null as never])).response.records).toEqual([
      { recordId: undefined, result: 'ProcessingFailed', data: undefined },
    ]);
  });

  test('fails the overflow with original data and the overflow reason when Ok results would exceed the response limit', () => {
    // Compact input: epoch-millis time and no label grow by ~60 bytes when normalized.
    const compact = b64(JSON.stringify({ ...validEvent, event_time: ARRIVAL, is_fraud: undefined }));
    const records = Array.from({ length: 10 }, (_, i) => kinesisRecord(`r${i}`, compact));
    const allFailed = responseBytes(records.map(failedResult));
    const { response, overflowed, failures } = transformRecords(firehoseEvent(records), { maxResponseBytes: allFailed + 150 });
    expect(overflowed).toBeGreaterThan(0);
    const results = response.records;
    expect(results.map((r) => r.recordId)).toEqual(records.map((r) => r.recordId));
    const firstFailed = results.findIndex((r) => r.result === 'ProcessingFailed');
    expect(results.slice(0, firstFailed).every((r) => r.result === 'Ok')).toBe(true);
    expect(results.slice(firstFailed)).toEqual(records.slice(firstFailed).map(failedResult));
    expect(failures[0]).toEqual({ recordId: `r${firstFailed}`, reason: `overflow: the response would exceed ${allFailed + 150} bytes` });
  });

  /**
   * The boundary, with each envelope Firehose sends: as many Ok results as fit under the
   * limit, the response within it, and one more Ok result over it.
   */
  describe.each([
    ['Kinesis-sourced', (id: string, data: string) => kinesisRecord(id, data)],
    ['direct PUT', (id: string, data: string) => directPutRecord(id, data)],
  ])('with the %s envelope', (_name, makeRecord) => {
    // A small valid event, as compact as producers send it; normalized, it grows (ingested_at, metadata).
    const small = b64(JSON.stringify({ event_id: 'e', event_time: ARRIVAL, customer_id: 'c', merchant_id: 'm', merchant_category: 5411, amount: 1, currency: 'usd', country: 'us', channel: 'pos' }));
    const id = (i: number) => `${String(i).padStart(8, '0')}${'4954698668313554428650745793632167567570019247115678'.slice(0, 48)}`;

    function batchOf(bytes: number): FirehoseTransformationEventRecord[] {
      const records: FirehoseTransformationEventRecord[] = [];
      let size = JSON.stringify(firehoseEvent([])).length;
      for (let i = 0; ; i++) {
        const record = makeRecord(id(i), small);
        const next = JSON.stringify(record).length + 1;
        if (size + next > bytes) return records;
        records.push(record);
        size += next;
      }
    }

    test('a 5.9 MB batch keeps as many Ok results as fit under the limit, and no more', () => {
      const records = batchOf(5.9 * 1024 * 1024);
      const allFailed = responseBytes(records.map(failedResult));
      const allOk = responseBytes(transformRecords(firehoseEvent(records), { maxResponseBytes: Infinity }).response.records);
      // The real limit for a direct PUT (small events grow when normalized); halfway for Kinesis, whose metadata outweighs the growth.
      const limit = Math.min(MAX_RESPONSE_BYTES, Math.floor((allFailed + allOk) / 2));
      const { response, ok, overflowed } = transformRecords(firehoseEvent(records), { maxResponseBytes: limit });
      const bytes = responseBytes(response.records);
      expect(bytes).toBeLessThanOrEqual(limit);
      // Every record is valid: each is Ok or overflowed, and the batch crosses the limit.
      expect([ok > 0, overflowed > 0, ok + overflowed]).toEqual([true, true, records.length]);
      // Turning the first overflowed record into Ok would cross the limit.
      const first = response.records.findIndex((r) => r.result === 'ProcessingFailed');
      const asOk = transformRecords(firehoseEvent([records[first]])).response.records[0];
      expect(bytes - JSON.stringify(response.records[first]).length + JSON.stringify(asOk).length).toBeGreaterThan(limit);
    });

    test('the size accounting is exact at a limit of one byte either side', () => {
      const records = Array.from({ length: 50 }, (_, i) => makeRecord(id(i), small));
      const allOk = responseBytes(transformRecords(firehoseEvent(records)).response.records);
      expect(transformRecords(firehoseEvent(records), { maxResponseBytes: allOk }).ok).toBe(50);
      expect(transformRecords(firehoseEvent(records), { maxResponseBytes: allOk - 1 }).ok).toBe(49);
    });
  });

  test('a direct-PUT batch of 14,674 small events in 5.9 MB is not failed whole', () => {
    const small = b64(JSON.stringify({ ...validEvent, customer_id: 'c', merchant_id: 'm', event_id: 'e' }));
    const records = Array.from({ length: 14_674 }, (_, i) => directPutRecord(`${String(i).padStart(8, '0')}${'0'.repeat(48)}`, small));
    expect(JSON.stringify(firehoseEvent(records)).length).toBeLessThan(6 * 1024 * 1024);
    const { response, ok } = transformRecords(firehoseEvent(records));
    expect(ok).toBeGreaterThan(7_000);
    expect(responseBytes(response.records)).toBeLessThanOrEqual(MAX_RESPONSE_BYTES);
  });

  test('a 6 MB Kinesis-sourced batch of compact records fits in the response without overflow', () => {
    // The Kinesis metadata in each input record outweighs what normalization adds.
    const compact = b64(JSON.stringify({ ...validEvent, event_time: ARRIVAL, is_fraud: undefined }));
    const records: ReturnType<typeof kinesisRecord>[] = [];
    const perRecord = JSON.stringify(kinesisRecord('r000000', compact)).length + 1;
    while ((records.length + 1) * perRecord < MAX_RESPONSE_BYTES) records.push(kinesisRecord(`r${String(records.length).padStart(6, '0')}`, compact));
    const input = JSON.stringify(firehoseEvent(records));
    expect(input.length).toBeLessThanOrEqual(6 * 1024 * 1024);
    const { response, overflowed } = transformRecords(firehoseEvent(records));
    expect(overflowed).toBe(0);
    expect(response.records.every((r) => r.result === 'Ok')).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(response))).toBeLessThanOrEqual(6 * 1024 * 1024);
  });

  test('counts a result with a recordId or data that JSON must escape at its escaped size', () => {
    const records = [kinesisRecord('id "with" quotes ü', 'not base64 \\ "x"'), kinesisRecord('r2', b64(JSON.stringify(validEvent)))];
    const exact = responseBytes(transformRecords(firehoseEvent(records)).response.records);
    expect(transformRecords(firehoseEvent(records), { maxResponseBytes: exact }).ok).toBe(1);
    expect(transformRecords(firehoseEvent(records), { maxResponseBytes: exact - 1 }).ok).toBe(0);
  });
});

describe('rawRecordLine', () => {
  test('equals JSON.stringify of the raw record for generated events', () => {
    const mismatches = takeEvents(3000, { seed: 9, lateRate: 0.2, fraudRate: 0.3 }).filter((e) => {
      const r = normalizePaymentEvent(e);
      if (!r.ok) return true;
      return rawRecordLine(r.event, '2026-01-02T03:04:05.678Z') !== `${JSON.stringify({ ...r.event, ingested_at: '2026-01-02T03:04:05.678Z' })}\n`;
    });
    expect(mismatches).toEqual([]);
  });

  test('writes a null label as null', () => {
    const r = normalizePaymentEvent({ ...validEvent, is_fraud: null });
    expect(r.ok && JSON.parse(rawRecordLine(r.event, 'x')).is_fraud).toBeNull();
  });
});
