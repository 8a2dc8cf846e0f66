/**
 * The payment event schema, shared by the Firehose transform and the speed layer.
 *
 * Producers send one JSON object per record. `parsePaymentEvent` decodes,
 * validates and normalizes it, or says why it cannot. It never throws.
 *
 * A reason is a category (`too_large: …`, `invalid_utf8`, `invalid_json`, `schema: …`)
 * that names the rule a record broke, never a byte of the record: the reasons reach
 * logs and the payments may carry card numbers.
 *
 * Normalization:
 * - `event_time`: ISO-8601 with an offset, or epoch milliseconds → UTC ISO-8601 with
 *   milliseconds (`2026-11-22T01:02:03.000Z`). Its UTC date (`eventDate`) is the
 *   partition key; it is not a field of the record, because Athena rejects a column
 *   that repeats a partition column.
 * - `amount`: a number or decimal string, > 0, ≤ 1,000,000, at most 2 decimals → a number.
 * - `currency`, `country`, `channel`: upper-cased codes. `merchant_category`: 4 digits.
 * - `is_fraud`: the ground-truth label when the feed carries one, else null.
 * - Unknown fields are dropped, so the crawled schema stays stable; their names are
 *   returned in `droppedFields` for logging.
 */

/** Dataset name: the first path segment under the raw zone. */
export const DATASET = 'payments';

/** Firehose's maximum record size, 1,000 KiB, before base64. */
export const MAX_RECORD_BYTES = 1000 * 1024;

export const CHANNELS = ['POS', 'ECOM', 'MOBILE', 'MOTO', 'ATM'] as const;
export type Channel = (typeof CHANNELS)[number];

export const MAX_AMOUNT = 1_000_000;

/** A normalized event, as written to the raw zone (one JSON line each). */
export interface PaymentEvent {
  readonly event_id: string;
  readonly event_time: string;
  readonly customer_id: string;
  readonly merchant_id: string;
  readonly merchant_category: string;
  readonly amount: number;
  readonly currency: string;
  readonly country: string;
  readonly channel: Channel;
  readonly is_fraud: boolean | null;
}

/** The partition key: the event's own UTC date, `YYYY-MM-DD`. */
export function eventDate(event: Pick<PaymentEvent, 'event_time'>): string {
  return event.event_time.slice(0, 10);
}

/** The event's columns, in order; the catalog and named queries rely on them. */
export const PAYMENT_EVENT_FIELDS: readonly (keyof PaymentEvent)[] = [
  'event_id',
  'event_time',
  'customer_id',
  'merchant_id',
  'merchant_category',
  'amount',
  'currency',
  'country',
  'channel',
  'is_fraud',
];

/**
 * A raw-zone record: the normalized event plus `ingested_at`, the UTC ISO-8601 time
 * the stream received it (Kinesis approximate arrival time). Late-arriving events are
 * those whose `event_time` date is before their `ingested_at` date.
 */
export interface RawRecord extends PaymentEvent {
  readonly ingested_at: string;
}

/** The raw table's columns, in order (the `event_date` partition comes after them). */
export const RAW_RECORD_FIELDS: readonly (keyof RawRecord)[] = [...PAYMENT_EVENT_FIELDS, 'ingested_at'];

export type ParseResult =
  | { readonly ok: true; readonly event: PaymentEvent; readonly droppedFields: readonly string[] }
  | { readonly ok: false; readonly reason: string };

const ID_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;
const ISO_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})$/i;
const DECIMAL_PATTERN = /^\d{1,7}(?:\.\d{1,2})?$/;
const MIN_TIME = Date.UTC(2000, 0, 1);
const MAX_TIME = Date.UTC(2100, 0, 1);
const KNOWN_FIELDS = new Set<string>(PAYMENT_EVENT_FIELDS);
const ID_FIELDS = ['event_id', 'customer_id', 'merchant_id'] as const;

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Decodes UTF-8 bytes and parses one event. */
export function parsePaymentEvent(bytes: Uint8Array): ParseResult {
  if (bytes.length > MAX_RECORD_BYTES) {
    return fail(`too_large: record is ${bytes.length} bytes, over the ${MAX_RECORD_BYTES}-byte limit`);
  }
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    return fail('invalid_utf8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // Never the parser's message: it quotes the input, which may hold card data.
    return fail('invalid_json');
  }
  return normalizePaymentEvent(value);
}

/** Validates and normalizes an already-parsed value. */
export function normalizePaymentEvent(value: unknown): ParseResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return schema('record must be a JSON object');
  }
  const o = value as Record<string, unknown>;

  for (const field of ID_FIELDS) {
    const v = o[field];
    if (typeof v !== 'string' || !ID_PATTERN.test(v)) {
      return schema(`${field} must be 1–64 characters of letters, digits, ".", "_", ":" or "-"`);
    }
  }

  const eventTime = normalizeEventTime(o.event_time);
  if (eventTime === undefined) {
    return schema('event_time must be ISO-8601 with a UTC offset, or epoch milliseconds, between 2000 and 2100');
  }

  const mcc = o.merchant_category;
  let merchantCategory: string;
  if (typeof mcc === 'string' && /^\d{4}$/.test(mcc)) merchantCategory = mcc;
  else if (typeof mcc === 'number' && Number.isInteger(mcc) && mcc >= 0 && mcc <= 9999) merchantCategory = String(mcc).padStart(4, '0');
  else return schema('merchant_category must be a 4-digit merchant category code');

  const amount = parseAmount(o.amount);
  if (amount === undefined) {
    return schema(`amount must be a positive decimal ≤ ${MAX_AMOUNT} with at most 2 decimal places`);
  }

  const currency = o.currency;
  if (typeof currency !== 'string' || !/^[A-Za-z]{3}$/.test(currency)) return schema('currency must be a 3-letter ISO 4217 code');
  const country = o.country;
  if (typeof country !== 'string' || !/^[A-Za-z]{2}$/.test(country)) return schema('country must be a 2-letter ISO 3166 code');
  const channel = typeof o.channel === 'string' ? o.channel.toUpperCase() : undefined;
  if (!channel || !(CHANNELS as readonly string[]).includes(channel)) return schema(`channel must be one of ${CHANNELS.join(', ')}`);

  const label = o.is_fraud;
  if (label !== undefined && label !== null && typeof label !== 'boolean') return schema('is_fraud must be true, false or null');

  return {
    ok: true,
    event: {
      event_id: o.event_id as string,
      event_time: eventTime,
      customer_id: o.customer_id as string,
      merchant_id: o.merchant_id as string,
      merchant_category: merchantCategory,
      amount,
      currency: currency.toUpperCase(),
      country: country.toUpperCase(),
      channel: channel as Channel,
      is_fraud: (label as boolean | undefined) ?? null,
    },
    droppedFields: unknownFields(o),
  };
}

const NO_FIELDS: readonly string[] = Object.freeze([]);

/** Names of fields outside the schema; allocates only when there are some. */
function unknownFields(o: Record<string, unknown>): readonly string[] {
  let unknown: string[] | undefined;
  for (const k of Object.keys(o)) if (!KNOWN_FIELDS.has(k)) (unknown ??= []).push(k);
  return unknown ?? NO_FIELDS;
}

function fail(reason: string): ParseResult {
  return { ok: false, reason };
}

/** A schema violation. The message names the rule, never the value that broke it. */
function schema(message: string): ParseResult {
  return fail(`schema: ${message}`);
}

const DAY_MS = 86_400_000;
const PAD2 = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
const PAD3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
let cachedDay = NaN;
let cachedDayPrefix = '';

/**
 * `new Date(ms).toISOString()`, several times faster for times in 2000–2100: the
 * date part is cached per day and the time of day is formatted from tables. The
 * transform stamps every record with one.
 */
export function isoFromMillis(ms: number): string {
  if (!(Number.isInteger(ms) && ms >= MIN_TIME && ms < MAX_TIME)) return new Date(ms).toISOString();
  const day = Math.floor(ms / DAY_MS);
  if (day !== cachedDay) {
    cachedDayPrefix = new Date(day * DAY_MS).toISOString().slice(0, 11);
    cachedDay = day;
  }
  let t = ms - day * DAY_MS;
  const millis = t % 1000;
  t = (t - millis) / 1000;
  const sec = t % 60;
  t = (t - sec) / 60;
  const min = t % 60;
  const hour = (t - min) / 60;
  return `${cachedDayPrefix}${PAD2[hour]}:${PAD2[min]}:${PAD2[sec]}.${PAD3[millis]}Z`;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1];
}

/**
 * The event time as UTC ISO-8601 with milliseconds, or undefined. The transform runs
 * this for every record, so it avoids Date where it can: a time already in that form
 * is validated and returned as is.
 */
function normalizeEventTime(v: unknown): string | undefined {
  if (typeof v === 'number') {
    return Number.isInteger(v) && v >= MIN_TIME && v < MAX_TIME ? isoFromMillis(v) : undefined;
  }
  if (typeof v !== 'string') return undefined;
  const m = ISO_PATTERN.exec(v);
  if (!m) return undefined;
  const y = +m[1];
  const mo = +m[2];
  const d = +m[3];
  const h = +m[4];
  const mi = +m[5];
  const s = m[6] === undefined ? 0 : +m[6];
  const frac = m[7] ?? '';
  const tz = m[8];
  // Reject calendar overflow such as 2026-02-30, which Date would roll into March.
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 59) return undefined;
  if (tz === 'Z' && frac.length === 3 && v[10] === 'T') {
    return y >= 2000 && y < 2100 ? v : undefined;
  }
  let offsetMinutes = 0;
  if (tz !== 'Z' && tz !== 'z') {
    const hh = +tz.slice(1, 3);
    const mm = +tz.slice(-2);
    if (hh > 23 || mm > 59) return undefined;
    offsetMinutes = (tz[0] === '-' ? -1 : 1) * (hh * 60 + mm);
  }
  // Millisecond precision, truncated, as Date.parse does.
  const ms = Date.UTC(y, mo - 1, d, h, mi, s, frac ? +frac.slice(0, 3).padEnd(3, '0') : 0) - offsetMinutes * 60_000;
  return ms >= MIN_TIME && ms < MAX_TIME ? isoFromMillis(ms) : undefined;
}

function parseAmount(v: unknown): number | undefined {
  let text: string;
  if (typeof v === 'number') {
    // At most 2 decimals exactly when v is the double nearest to some whole number of cents.
    return v > 0 && v <= MAX_AMOUNT && Math.round(v * 100) / 100 === v ? v : undefined;
  } else if (typeof v === 'string') {
    text = v.trim();
  } else {
    return undefined;
  }
  if (!DECIMAL_PATTERN.test(text)) return undefined;
  const amount = Number(text);
  return amount > 0 && amount <= MAX_AMOUNT ? amount : undefined;
}
