import {
  eventDate,
  isoFromMillis,
  MAX_RECORD_BYTES,
  normalizePaymentEvent,
  parsePaymentEvent,
  PAYMENT_EVENT_FIELDS,
  RAW_RECORD_FIELDS,
} from '../../../lambda/shared/payment-event';
import fc from 'fast-check';
import { normalizedEvent } from '../transform/fixtures';

const valid = normalizedEvent;

const bytes = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));

function normalized(overrides: Record<string, unknown>) {
  const r = normalizePaymentEvent({ ...valid, ...overrides });
  if (!r.ok) throw new Error(`expected ok, got: ${r.reason}`);
  return r;
}

function reason(overrides: Record<string, unknown>): string {
  const r = normalizePaymentEvent({ ...valid, ...overrides });
  if (r.ok) throw new Error('expected a rejection');
  return r.reason;
}

describe('normalizePaymentEvent', () => {
  test('keeps a valid event, with fields in PAYMENT_EVENT_FIELDS order', () => {
    const r = normalized({});
    expect(Object.keys(r.event)).toEqual(PAYMENT_EVENT_FIELDS);
    expect(r.event).toEqual({ ...valid, event_time: '2026-11-22T01:02:03.000Z' });
    expect(r.droppedFields).toEqual([]);
  });

  test.each([
    ['2026-11-22T01:02:03+02:00', '2026-11-21T23:02:03.000Z'],
    ['2026-11-22T01:02:03-0530', '2026-11-22T06:32:03.000Z'],
    ['2026-11-22T01:02Z', '2026-11-22T01:02:00.000Z'],
    ['2026-11-22t01:02:03.123456z', '2026-11-22T01:02:03.123Z'],
  ])('converts event_time %s to UTC %s', (input, expected) => {
    expect(normalized({ event_time: input }).event.event_time).toBe(expected);
  });

  test('converts epoch milliseconds to UTC ISO-8601', () => {
    expect(normalized({ event_time: Date.UTC(2026, 10, 22, 1, 2, 3, 4) }).event.event_time).toBe('2026-11-22T01:02:03.004Z');
  });

  test('the partition date is the UTC date of the event time', () => {
    expect(eventDate(normalized({ event_time: '2026-11-22T01:00:00+03:00' }).event)).toBe('2026-11-21');
  });

  test.each([
    ['12.34', 12.34],
    [' 7 ', 7],
    [100, 100],
    [1_000_000, 1_000_000],
    [0.01, 0.01],
  ])('accepts amount %p as %p', (input, expected) => {
    expect(normalized({ amount: input }).event.amount).toBe(expected);
  });

  test('upper-cases currency, country and channel', () => {
    const { event } = normalized({ currency: 'eur', country: 'de', channel: 'ecom' });
    expect([event.currency, event.country, event.channel]).toEqual(['EUR', 'DE', 'ECOM']);
  });

  test.each([
    [5411, '5411'],
    [742, '0742'],
    [0, '0000'],
    ['0742', '0742'],
  ])('normalizes merchant_category %p to %p', (input, expected) => {
    expect(normalized({ merchant_category: input }).event.merchant_category).toBe(expected);
  });

  test('a missing or null is_fraud label becomes null', () => {
    const withoutLabel: Record<string, unknown> = { ...valid };
    delete withoutLabel.is_fraud;
    const r = normalizePaymentEvent(withoutLabel);
    expect(r.ok && r.event.is_fraud).toBeNull();
    expect(normalized({ is_fraud: null }).event.is_fraud).toBeNull();
  });

  test('drops unknown fields and reports their names', () => {
    const r = normalized({ note: 'x', extra: { nested: 1 } });
    expect(r.event).not.toHaveProperty('note');
    expect(r.event).not.toHaveProperty('extra');
    expect(r.droppedFields).toEqual(['note', 'extra']);
  });

  test.each([
    [null, 'schema: record must be a JSON object'],
    [[valid], 'schema: record must be a JSON object'],
    ['text', 'schema: record must be a JSON object'],
    [42, 'schema: record must be a JSON object'],
  ])('rejects the non-object %p', (value, expected) => {
    expect(normalizePaymentEvent(value)).toEqual({ ok: false, reason: expected });
  });

  const idMessage = (f: string) => `schema: ${f} must be 1–64 characters of letters, digits, ".", "_", ":" or "-"`;
  const timeMessage = 'schema: event_time must be ISO-8601 with a UTC offset, or epoch milliseconds, between 2000 and 2100';
  const amountMessage = 'schema: amount must be a positive decimal ≤ 1000000 with at most 2 decimal places';
  test.each<[string, Record<string, unknown>, string]>([
    ['missing event_id', { event_id: undefined }, idMessage('event_id')],
    ['empty customer_id', { customer_id: '' }, idMessage('customer_id')],
    ['merchant_id with a space', { merchant_id: 'a b' }, idMessage('merchant_id')],
    ['65-character event_id', { event_id: 'x'.repeat(65) }, idMessage('event_id')],
    ['numeric event_id', { event_id: 1 }, idMessage('event_id')],
    ['event_time without an offset', { event_time: '2026-11-22T01:02:03' }, timeMessage],
    ['event_time as a date only', { event_time: '2026-11-22' }, timeMessage],
    ['calendar overflow 2026-02-30', { event_time: '2026-02-30T00:00:00Z' }, timeMessage],
    ['hour 24', { event_time: '2026-02-03T24:00:00Z' }, timeMessage],
    ['minute 60', { event_time: '2026-02-03T10:60:00Z' }, timeMessage],
    ['fractional epoch millis', { event_time: 1.5e12 + 0.5 }, timeMessage],
    ['event_time before 2000', { event_time: '1999-12-31T23:59:59Z' }, timeMessage],
    ['event_time in 2100', { event_time: '2100-01-01T00:00:00Z' }, timeMessage],
    ['event_time as a boolean', { event_time: true }, timeMessage],
    ['3-digit merchant_category string', { merchant_category: '541' }, 'schema: merchant_category must be a 4-digit merchant category code'],
    ['merchant_category 10000', { merchant_category: 10000 }, 'schema: merchant_category must be a 4-digit merchant category code'],
    ['negative merchant_category', { merchant_category: -1 }, 'schema: merchant_category must be a 4-digit merchant category code'],
    ['zero amount', { amount: 0 }, amountMessage],
    ['negative amount', { amount: -5 }, amountMessage],
    ['amount over the maximum', { amount: 1_000_000.01 }, amountMessage],
    ['amount with 3 decimals', { amount: '1.234' }, amountMessage],
    ['amount in exponent notation', { amount: '1e3' }, amountMessage],
    ['amount as NaN', { amount: Number.NaN }, amountMessage],
    ['amount as a boolean', { amount: true }, amountMessage],
    ['currency of 2 letters', { currency: 'US' }, 'schema: currency must be a 3-letter ISO 4217 code'],
    ['country of digits', { country: '12' }, 'schema: country must be a 2-letter ISO 3166 code'],
    ['unknown channel', { channel: 'FAX' }, 'schema: channel must be one of POS, ECOM, MOBILE, MOTO, ATM'],
    ['missing channel', { channel: undefined }, 'schema: channel must be one of POS, ECOM, MOBILE, MOTO, ATM'],
    ['is_fraud as a string', { is_fraud: 'yes' }, 'schema: is_fraud must be true, false or null'],
  ])('rejects %s', (_name, overrides, expected) => {
    expect(reason(overrides)).toBe(expected);
  });
});

describe('parsePaymentEvent', () => {
  test('parses UTF-8 JSON bytes', () => {
    const r = parsePaymentEvent(bytes(valid));
    expect(r.ok && r.event.event_id).toBe('evt-1');
  });

  test('accepts unicode in dropped fields', () => {
    const r = parsePaymentEvent(bytes({ ...valid, note: 'café ☕ 𝄞' }));
    expect(r.ok && r.droppedFields).toEqual(['note']);
  });

  test('rejects invalid UTF-8', () => {
    expect(parsePaymentEvent(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]))).toEqual({ ok: false, reason: 'invalid_utf8' });
  });

  test('rejects invalid JSON with a category, not the parser message that quotes the input', () => {
    const r = parsePaymentEvent(new TextEncoder().encode('ALICE EXAMPLE,4111111111111111,12/29,737'));
    expect(r).toEqual({ ok: false, reason: 'invalid_json' });
  });

  test('accepts a record of exactly MAX_RECORD_BYTES', () => {
    const base = JSON.stringify({ ...valid, pad: '' });
    const padded = JSON.stringify({ ...valid, pad: 'x'.repeat(MAX_RECORD_BYTES - base.length) });
    expect(Buffer.byteLength(padded)).toBe(MAX_RECORD_BYTES);
    expect(parsePaymentEvent(new TextEncoder().encode(padded)).ok).toBe(true);
  });

  test('rejects a record over MAX_RECORD_BYTES before decoding it', () => {
    const r = parsePaymentEvent(new Uint8Array(MAX_RECORD_BYTES + 1));
    expect(r).toEqual({ ok: false, reason: `too_large: record is ${MAX_RECORD_BYTES + 1} bytes, over the 1024000-byte limit` });
  });

  test('the raw record adds ingested_at after the event fields', () => {
    expect(RAW_RECORD_FIELDS).toEqual([...PAYMENT_EVENT_FIELDS, 'ingested_at']);
  });
});

describe('fast paths agree with the plain definitions', () => {
  test('isoFromMillis equals Date#toISOString', () => {
    fc.assert(fc.property(fc.integer({ min: Date.UTC(1999, 11, 30), max: Date.UTC(2100, 0, 2) }), (ms) => isoFromMillis(ms) === new Date(ms).toISOString()), { numRuns: 5000 });
    for (const ms of [Date.UTC(2000, 0, 1), Date.UTC(2100, 0, 1) - 1, Date.UTC(2024, 1, 29, 23, 59, 59, 999), 0]) {
      expect(isoFromMillis(ms)).toBe(new Date(ms).toISOString());
    }
  });

  test('a numeric amount is accepted exactly when its shortest form has at most 2 decimals', () => {
    fc.assert(fc.property(fc.oneof(fc.double({ min: 0, max: 1_000_001, noNaN: true }), fc.integer({ min: 0, max: 100_000_100 }).map((c) => c / 100)), (amount) => {
      const accepted = normalizePaymentEvent({ ...valid, amount }).ok;
      return accepted === (/^\d{1,7}(?:\.\d{1,2})?$/.test(String(amount)) && amount > 0 && amount <= 1_000_000);
    }), { numRuns: 5000 });
  });

  test('event_time with any offset normalizes as Date.parse reads it', () => {
    const pad = (n: number, w = 2) => String(n).padStart(w, '0');
    fc.assert(fc.property(
      fc.integer({ min: Date.UTC(2000, 0, 2), max: Date.UTC(2099, 11, 30) }),
      fc.integer({ min: -14 * 60, max: 14 * 60 }),
      fc.constantFrom('', '.5', '.25', '.123', '.123456'),
      fc.boolean(),
      (ms, offset, frac, colon) => {
        const local = new Date(ms + offset * 60_000).toISOString().slice(0, 19);
        const sign = offset < 0 ? '-' : '+';
        const text = `${local}${frac}${sign}${pad(Math.floor(Math.abs(offset) / 60))}${colon ? ':' : ''}${pad(Math.abs(offset) % 60)}`;
        const r = normalizePaymentEvent({ ...valid, event_time: text });
        return r.ok && r.event.event_time === new Date(Date.parse(text.replace(/(\d{2})(\d{2})$/, '$1:$2'))).toISOString();
      },
    ), { numRuns: 5000 });
  });
});
