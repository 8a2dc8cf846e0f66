/**
 * Property: whatever a record carries, none of its bytes reach the transform's log.
 *
 * Payloads hold PAN-like strings (Luhn-valid 13–19 digits, plain or grouped) and a
 * cardholder name in every place a producer could put them: a CSV line instead of JSON,
 * truncated JSON, a known field that fails validation, an unknown field's value or
 * name, invalid UTF-8, text that is not base64, and a valid event whose customer_id is
 * a card number. The handler's whole output (Powertools log lines and EMF metrics) is
 * captured and searched, timestamps aside, for each PAN as sent, every run of 8 of its
 * digits, every 5 characters of the name, and the record's base64.
 */
import fc from 'fast-check';
import { handler } from '../../../lambda/transform/index';
import { b64, directPutRecord, firehoseEvent, kinesisRecord, validEvent } from './fixtures';

const NAMES = ['ALICE EXAMPLE', 'BOB SAMPLE-PAYER', 'CARLOS TESTHOLDER'];

function luhnCheckDigit(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
}

/** A Luhn-valid card number with a real-looking prefix, as digits. */
const panDigits = fc
  .tuple(fc.constantFrom('4', '51', '55', '34', '37', '6011', '35'), fc.integer({ min: 13, max: 19 }), fc.infiniteStream(fc.integer({ min: 0, max: 9 })))
  .map(([prefix, length, digits]) => {
    const body = prefix + [...digits.take(length - prefix.length - 1)].join('');
    return body + luhnCheckDigit(body);
  });

/** As a producer might write it: plain, or in groups of four with spaces or dashes. */
const pan = fc.tuple(panDigits, fc.constantFrom('', ' ', '-')).map(([digits, sep]) => ({
  digits,
  text: sep ? digits.replace(/(\d{4})(?=\d)/g, `$1${sep}`) : digits,
}));

interface Leaky {
  readonly data: string;
  readonly secrets: readonly string[];
}

const leaky: fc.Arbitrary<Leaky> = fc
  .tuple(pan, fc.constantFrom(...NAMES), fc.integer({ min: 0, max: 8 }), fc.nat())
  .map(([p, name, where, cut]) => {
    const secrets = [p.text, p.digits, name];
    const json = (o: unknown) => b64(JSON.stringify(o));
    switch (where) {
      case 0: return { data: b64(`${name},${p.text},12/29,737`), secrets };
      case 1: {
        const text = JSON.stringify({ ...validEvent, card_number: p.text, cardholder: name });
        return { data: b64(text.slice(0, text.length - 1 - (cut % 40))), secrets };
      }
      case 2: return { data: json({ ...validEvent, amount: p.text, cardholder: name }), secrets };
      case 3: return { data: json({ ...validEvent, customer_id: `${name} ${p.text}` }), secrets };
      case 4: return { data: json({ ...validEvent, [p.text]: name, [name]: true }), secrets };
      case 5: return { data: json({ ...validEvent, card_number: p.text, cardholder: name }), secrets };
      case 6: return { data: b64(Buffer.concat([Buffer.from(`{"pan":"${p.text}","name":"${name}"`), Buffer.from([0xc3, 0x28])])), secrets };
      case 7: return { data: `${name} ${p.text}`, secrets };
      default: return { data: json({ ...validEvent, customer_id: p.digits }), secrets };
    }
  });

/** Every `n`-character run of `s`. */
const runs = (s: string, n: number) => Array.from({ length: Math.max(0, s.length - n + 1) }, (_, i) => s.slice(i, i + n));

/** The strings that must not appear in the log for one record. */
function forbidden(record: Leaky): string[] {
  const [panText, digits, name] = record.secrets;
  return [panText, record.data, ...runs(digits, 8), ...runs(name, 5)];
}

/** Log and metric timestamps are the clock's, not the record's. */
const withoutTimestamps = (log: string) => log.replace(/"timestamp":"[^"]*"|"Timestamp":\d+/g, '');

describe('the transform log', () => {
  let output: string[];

  beforeAll(() => {
    const capture = (chunk: string | Uint8Array) => {
      output.push(String(chunk));
      return true;
    };
    jest.spyOn(process.stdout, 'write').mockImplementation(capture);
    jest.spyOn(process.stderr, 'write').mockImplementation(capture);
    jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => { capture(args.map(String).join(' ')); });
    jest.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => { capture(args.map(String).join(' ')); });
    jest.spyOn(console, 'info').mockImplementation((...args: unknown[]) => { capture(args.map(String).join(' ')); });
    jest.spyOn(console, 'error').mockImplementation((...args: unknown[]) => { capture(args.map(String).join(' ')); });
  });

  afterAll(() => {
    jest.restoreAllMocks();
  });

  test('never contains a byte of a record, card numbers included', async () => {
    let logged = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(leaky, { minLength: 1, maxLength: 4 }), fc.boolean(), async (batch, direct) => {
        output = [];
        const records = batch.map((r, i) => (direct ? directPutRecord(`r${i}`, r.data) : kinesisRecord(`r${i}`, r.data)));
        await handler(firehoseEvent(records));
        const log = withoutTimestamps(output.join('\n'));
        logged += output.length;
        return batch.every((r) => forbidden(r).every((s) => !log.includes(s)));
      }),
      { numRuns: 10_000, seed: 20261130 },
    );
    // The property looked at real output: every batch logs metrics, and most log failures.
    expect(logged).toBeGreaterThan(20_000);
  });
});
