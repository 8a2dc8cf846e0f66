import { normalizePaymentEvent } from '../../lambda/shared/payment-event';
import { generateEvents, HIGH_RISK_CATEGORIES, mulberry32, takeEvents } from '../../scripts/lib/generator';

describe('generator', () => {
  test('the same seed gives the same events, byte for byte', () => {
    expect(JSON.stringify(takeEvents(500, { seed: 7 }))).toBe(JSON.stringify(takeEvents(500, { seed: 7 })));
  });

  test('a different seed gives different events', () => {
    const a = takeEvents(100, { seed: 1 });
    const b = takeEvents(100, { seed: 2 });
    expect(a.map((e) => [e.customer_id, e.amount])).not.toEqual(b.map((e) => [e.customer_id, e.amount]));
  });

  test('every event passes the payment event schema and is already in normalized form', () => {
    const mismatches = takeEvents(5000, { seed: 3, lateRate: 0.1, fraudRate: 0.2 }).filter((e) => {
      const r = normalizePaymentEvent(e);
      return !r.ok || r.droppedFields.length > 0 || JSON.stringify(r.event) !== JSON.stringify(e);
    });
    expect(mismatches).toEqual([]);
  });

  test('event ids are unique', () => {
    const ids = takeEvents(5000).map((e) => e.event_id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  test.each([0.02, 0.1, 0.5])('the fraud share is near fraudRate %p', (fraudRate) => {
    const events = takeEvents(20_000, { seed: 11, fraudRate });
    const share = events.filter((e) => e.is_fraud).length / events.length;
    // 4 standard deviations of a binomial share over 20,000 draws.
    expect(Math.abs(share - fraudRate)).toBeLessThan(4 * Math.sqrt((fraudRate * (1 - fraudRate)) / events.length));
  });

  test('fraud events carry the signal more often than legitimate ones', () => {
    const events = takeEvents(20_000, { seed: 5, fraudRate: 0.1 });
    const risky = (e: { merchant_category: string }) => (HIGH_RISK_CATEGORIES as readonly string[]).includes(e.merchant_category);
    const share = (xs: typeof events) => xs.filter(risky).length / xs.length;
    expect(share(events.filter((e) => e.is_fraud))).toBeGreaterThan(2 * share(events.filter((e) => !e.is_fraud)));
  });

  test('late events have an event time before the generator clock', () => {
    const events = takeEvents(2000, { seed: 9, lateRate: 1, eventsPerSecond: 1000, start: new Date('2026-06-01T00:00:00Z') });
    expect(events.every((e) => Date.parse(e.event_time) < Date.parse('2026-06-01T00:00:00Z'))).toBe(true);
  });

  test.each<[Record<string, number>, string]>([
    [{ fraudRate: 1.5 }, 'generator: fraudRate must be 0–1, got 1.5'],
    [{ fraudRate: Number.NaN }, 'generator: fraudRate must be 0–1, got NaN'],
    [{ lateRate: -0.1 }, 'generator: lateRate must be 0–1, got -0.1'],
    [{ eventsPerSecond: 0 }, 'generator: eventsPerSecond must be > 0, got 0'],
  ])('rejects %p with a clear message', (options, message) => {
    expect(() => generateEvents(options).next()).toThrow(message);
  });

  test('mulberry32 yields values in [0, 1)', () => {
    const rand = mulberry32(123);
    const values = Array.from({ length: 10_000 }, rand);
    expect(values.filter((x) => !(x >= 0 && x < 1))).toEqual([]);
  });
});
