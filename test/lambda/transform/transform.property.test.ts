/**
 * Property: for any batch of arbitrary bytes, arbitrary strings and near-valid JSON,
 * the transform never throws, keeps every recordId once and in order, and returns
 * each bad record as ProcessingFailed with its original data.
 */
import fc from 'fast-check';
import { normalizePaymentEvent, RAW_RECORD_FIELDS } from '../../../lambda/shared/payment-event';
import { transformRecords } from '../../../lambda/transform/transform';
import { b64, firehoseEvent, kinesisRecord, validEvent } from './fixtures';

type Expectation = 'good' | 'bad' | 'unknown';
interface Generated {
  readonly data: string;
  readonly expect: Expectation;
}

const FIELDS = Object.keys(validEvent);
const jsonValue = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 2 }));

/** A valid event with plausible variation in every field. */
const goodEvent = fc.record({
  event_id: fc.stringMatching(/^[A-Za-z0-9._:-]{1,64}$/),
  event_time: fc.oneof(
    fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2099, 11, 31) }),
    fc.date({ min: new Date('2000-01-02T00:00:00Z'), max: new Date('2099-12-30T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()),
  ),
  customer_id: fc.stringMatching(/^[A-Za-z0-9._:-]{1,64}$/),
  merchant_id: fc.stringMatching(/^[A-Za-z0-9._:-]{1,64}$/),
  merchant_category: fc.oneof(fc.integer({ min: 0, max: 9999 }), fc.stringMatching(/^\d{4}$/)),
  amount: fc.integer({ min: 1, max: 100_000_000 }).map((cents) => (cents / 100).toFixed(2)),
  currency: fc.stringMatching(/^[A-Za-z]{3}$/),
  country: fc.stringMatching(/^[A-Za-z]{2}$/),
  channel: fc.constantFrom('POS', 'ecom', 'Mobile', 'MOTO', 'atm'),
  is_fraud: fc.constantFrom(true, false, null),
});

/** Breaks a valid event in a way that must fail. */
const badEvent = fc.tuple(goodEvent, fc.constantFrom(...FIELDS.filter((f) => f !== 'is_fraud')), fc.constantFrom('delete', 'object', 'empty', 'negative')).map(
  ([event, field, how]) => {
    const o: Record<string, unknown> = { ...event };
    if (how === 'delete') delete o[field];
    else if (how === 'object') o[field] = { nested: true };
    else if (how === 'empty') o[field] = '';
    else o[field] = -1;
    return o;
  },
);

const generated: fc.Arbitrary<Generated> = fc.oneof(
  goodEvent.map((e) => ({ data: b64(JSON.stringify(e)), expect: 'good' as const })),
  goodEvent.chain((e) => fc.dictionary(fc.string().filter((k) => !FIELDS.includes(k) && k !== '__proto__'), jsonValue, { maxKeys: 3 })
    .map((extra) => ({ data: b64(JSON.stringify({ ...extra, ...e })), expect: 'good' as const }))),
  badEvent.map((e) => ({ data: b64(JSON.stringify(e)), expect: 'bad' as const })),
  // Any proper prefix of a JSON object is invalid JSON.
  goodEvent.chain((e) => {
    const text = JSON.stringify(e);
    return fc.integer({ min: 0, max: text.length - 1 }).map((n) => ({ data: b64(text.slice(0, n)), expect: 'bad' as const }));
  }),
  fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ data: b64(bytes), expect: 'unknown' as const })),
  fc.string({ maxLength: 64 }).map((s) => ({ data: s, expect: 'unknown' as const })),
  fc.string({ minLength: 1, maxLength: 16 }).map((s) => ({ data: `${b64(JSON.stringify(validEvent))}${s}`, expect: 'unknown' as const })),
  fc.constantFrom('!!!!', 'ab=c', '====', 'a').map((data) => ({ data, expect: 'bad' as const })),
);

test('the transform keeps recordIds in order and fails bad records with their original data', () => {
  fc.assert(
    fc.property(fc.array(generated, { maxLength: 4 }), fc.array(fc.string({ maxLength: 8 }), { minLength: 4, maxLength: 4 }), (batch, ids) => {
      const records = batch.map((g, i) => kinesisRecord(`${i}-${ids[i]}`, g.data));
      const { response, ok, failed } = transformRecords(firehoseEvent(records));

      // Plain checks instead of expect(): 10,000 runs stay fast. fast-check reports the failing batch.
      const sameIds = response.records.length === records.length && response.records.every((r, i) => r.recordId === records[i].recordId);
      if (!sameIds || ok + failed !== records.length) return false;
      return response.records.every((result, i) => {
        const input = batch[i];
        if (result.result === 'Ok') {
          if (input.expect === 'bad') return false;
          const line = Buffer.from(result.data ?? '', 'base64').toString('utf8');
          if (!line.endsWith('\n') || line.indexOf('\n') !== line.length - 1) return false;
          const raw = JSON.parse(line);
          if (JSON.stringify(Object.keys(raw)) !== JSON.stringify(RAW_RECORD_FIELDS)) return false;
          if (result.metadata?.partitionKeys.event_date !== raw.event_time.slice(0, 10)) return false;
          const { ingested_at: _ingestedAt, ...event } = raw;
          const again = normalizePaymentEvent(event);
          return again.ok && JSON.stringify(again.event) === JSON.stringify(event);
        }
        return input.expect !== 'good' && result.result === 'ProcessingFailed' && result.data === input.data &&
          result.recordId === records[i].recordId && result.metadata === undefined && Object.keys(result).length === 3;
      });
    }),
    { numRuns: 10_000, seed: 20261122 },
  );
});
