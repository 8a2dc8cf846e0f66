/**
 * Seeded synthetic card-payment events with a known fraud signal.
 *
 * The same seed and options give the same events, byte for byte. Producers send
 * them, the model trains on them, and the smoke test checks them.
 *
 * The fraud signal (about `fraudRate` of events) is visible in the event alone, so
 * a model that sees only one event can learn it:
 * - amounts several times the customer's usual spend;
 * - high-risk merchant categories (electronics, money transfer, gambling, digital goods);
 * - card-not-present channels (ECOM, MOTO);
 * - night hours (00:00–05:59 UTC);
 * - cross-border countries the customer does not use.
 * Each fraud event carries most, not all, of these, and legitimate events carry some
 * of them too, so the classes overlap.
 */
import type { Channel } from '../../lambda/shared/payment-event';

/** An event as a producer sends it (before the transform normalizes it). */
export interface GeneratedEvent {
  event_id: string;
  event_time: string;
  customer_id: string;
  merchant_id: string;
  merchant_category: string;
  amount: number;
  currency: string;
  country: string;
  channel: Channel;
  is_fraud: boolean;
}

export interface GeneratorOptions {
  /** PRNG seed. @default 42 */
  readonly seed?: number;
  /** Share of fraudulent events, 0–1. @default 0.02 */
  readonly fraudRate?: number;
  /** Time of the first event. @default 2026-01-01T00:00:00Z */
  readonly start?: Date;
  /** Mean events per second of event time. @default 10 */
  readonly eventsPerSecond?: number;
  /** Number of customers. @default 1000 */
  readonly customers?: number;
  /** Number of merchants. @default 200 */
  readonly merchants?: number;
  /** Share of events that arrive late, with an event time 1–48 hours earlier. @default 0 */
  readonly lateRate?: number;
}

export const HIGH_RISK_CATEGORIES = ['5732', '4829', '7995', '5816'] as const;
export const LOW_RISK_CATEGORIES = ['5411', '5812', '5541', '5912', '4111', '5311', '5999', '7011'] as const;
/** Home countries and their currency. */
export const COUNTRY_CURRENCY: Readonly<Record<string, string>> = { US: 'USD', GB: 'GBP', DE: 'EUR', FR: 'EUR', ES: 'EUR', IE: 'EUR', NL: 'EUR', CA: 'CAD' };
const FOREIGN_COUNTRIES = ['NG', 'RU', 'BR', 'VN', 'ID', 'PH'];

/** mulberry32: small, fast, and good enough for synthetic data. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Customer {
  id: string;
  country: string;
  usualAmount: number;
  channel: Channel;
}

interface Merchant {
  id: string;
  category: string;
}

/** Yields events forever; take as many as you need. */
export function* generateEvents(options: GeneratorOptions = {}): Generator<GeneratedEvent> {
  const seed = options.seed ?? 42;
  const fraudRate = options.fraudRate ?? 0.02;
  const eventsPerSecond = options.eventsPerSecond ?? 10;
  const lateRate = options.lateRate ?? 0;
  if (!(fraudRate >= 0 && fraudRate <= 1)) throw new Error(`generator: fraudRate must be 0–1, got ${fraudRate}`);
  if (!(lateRate >= 0 && lateRate <= 1)) throw new Error(`generator: lateRate must be 0–1, got ${lateRate}`);
  if (!(eventsPerSecond > 0)) throw new Error(`generator: eventsPerSecond must be > 0, got ${eventsPerSecond}`);

  const rand = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const countries = Object.keys(COUNTRY_CURRENCY);

  const customers: Customer[] = Array.from({ length: options.customers ?? 1000 }, (_, i) => ({
    id: `cust-${String(i).padStart(5, '0')}`,
    country: pick(countries),
    usualAmount: Math.exp(3 + 0.8 * normal()),
    channel: pick<Channel>(['POS', 'POS', 'POS', 'ECOM', 'MOBILE']),
  }));
  const merchants: Merchant[] = Array.from({ length: options.merchants ?? 200 }, (_, i) => ({
    id: `merch-${String(i).padStart(4, '0')}`,
    category: rand() < 0.15 ? pick(HIGH_RISK_CATEGORIES) : pick(LOW_RISK_CATEGORIES),
  }));
  const riskyMerchants = merchants.filter((m) => (HIGH_RISK_CATEGORIES as readonly string[]).includes(m.category));
  const safeMerchants = merchants.filter((m) => !(HIGH_RISK_CATEGORIES as readonly string[]).includes(m.category));

  let clock = (options.start ?? new Date('2026-01-01T00:00:00Z')).getTime();
  for (let n = 0; ; n++) {
    clock += Math.round((-Math.log(1 - rand()) / eventsPerSecond) * 1000);
    const customer = pick(customers);
    const fraud = rand() < fraudRate;
    let time = clock;
    if (rand() < lateRate) time -= Math.round((1 + rand() * 47) * 3600_000);

    let amount: number;
    let merchant: Merchant;
    let channel: Channel;
    let country: string;
    if (fraud) {
      amount = customer.usualAmount * (4 + rand() * 16);
      merchant = rand() < 0.7 && riskyMerchants.length ? pick(riskyMerchants) : pick(merchants);
      channel = rand() < 0.75 ? pick<Channel>(['ECOM', 'MOTO']) : customer.channel;
      country = rand() < 0.6 ? pick(FOREIGN_COUNTRIES) : customer.country;
      if (rand() < 0.6) time = nightTime(time, rand);
    } else {
      amount = customer.usualAmount * Math.exp(0.5 * normal());
      merchant = rand() < 0.92 && safeMerchants.length ? pick(safeMerchants) : pick(merchants);
      channel = rand() < 0.85 ? customer.channel : pick<Channel>(['POS', 'ECOM', 'MOBILE', 'MOTO', 'ATM']);
      country = rand() < 0.97 ? customer.country : pick([...countries, ...FOREIGN_COUNTRIES]);
    }
    amount = Math.min(999_999.99, Math.max(0.5, Math.round(amount * 100) / 100));

    yield {
      event_id: `evt-${seed}-${n.toString(36).padStart(8, '0')}`,
      event_time: new Date(time).toISOString(),
      customer_id: customer.id,
      merchant_id: merchant.id,
      merchant_category: merchant.category,
      amount,
      currency: COUNTRY_CURRENCY[customer.country],
      country,
      channel,
      is_fraud: fraud,
    };
  }
}

/** Takes the first `count` events. */
export function takeEvents(count: number, options: GeneratorOptions = {}): GeneratedEvent[] {
  const out: GeneratedEvent[] = [];
  for (const e of generateEvents(options)) {
    if (out.length >= count) break;
    out.push(e);
  }
  return out;
}

/** Moves a time to the same day's 00:00–05:59 UTC. */
function nightTime(ms: number, rand: () => number): number {
  const day = Math.floor(ms / 86_400_000) * 86_400_000;
  return day + Math.floor(rand() * 6 * 3600_000);
}
