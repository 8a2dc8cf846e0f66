import { planCapacity } from '../../lib/cost/plan';

describe('planCapacity', () => {
  test('sizes 500 events/s of 2 KB with two standard consumers', () => {
    const plan = planCapacity({ eventsPerSecond: 500, avgEventKb: 2 });
    // write 1000 KB/s → 1.0; records 0.5; read 2000 KB/s → 1.0 → 1 shard, read 100% used
    expect(plan).toMatchObject({ writeKbPerSec: 1000, readKbPerSec: 2000, shards: 1, readUtilization: 1, speedLayerConcurrency: 1 });
  });

  test('write bytes bind: 1,500 KB/s with one consumer needs 2 shards', () => {
    // max(1500/1000, 100/1000, 1500/2000) = 1.5 → 2
    expect(planCapacity({ eventsPerSecond: 100, avgEventKb: 15, consumers: 1 }).shards).toBe(2);
  });

  test('records bind: 2,500 small records/s need 3 shards', () => {
    // max(250/1000, 2500/1000, 500/2000) = 2.5 → 3
    expect(planCapacity({ eventsPerSecond: 2500, avgEventKb: 0.1 }).shards).toBe(3);
  });

  test('reads bind: three consumers of 900 KB/s need 2 shards', () => {
    // max(0.9, 0.1, 2700/2000 = 1.35) → 2
    expect(planCapacity({ eventsPerSecond: 100, avgEventKb: 9, consumers: 3 }).shards).toBe(2);
  });

  test('enhanced fan-out consumers add no shards', () => {
    expect(planCapacity({ eventsPerSecond: 100, avgEventKb: 9, consumers: 1, efoConsumers: 5 }).shards).toBe(1);
  });

  test('at least one shard', () => {
    expect(planCapacity({ eventsPerSecond: 0.1, avgEventKb: 0.1 }).shards).toBe(1);
  });

  test('names the binding limit', () => {
    expect(planCapacity({ eventsPerSecond: 3000, avgEventKb: 0.2 }).bindingLimit).toBe('write records');
    expect(planCapacity({ eventsPerSecond: 100, avgEventKb: 15, consumers: 1 }).bindingLimit).toBe('write bytes');
    expect(planCapacity({ eventsPerSecond: 100, avgEventKb: 15, consumers: 3 }).bindingLimit).toBe('read bytes');
  });

  test('speed-layer concurrency is shards × parallelization factor', () => {
    // 2,000 KB/s write → 2 shards; read 4,000/2,000 = 2 → 2 shards × 4
    expect(planCapacity({ eventsPerSecond: 1000, avgEventKb: 2, parallelizationFactor: 4 }).speedLayerConcurrency).toBe(8);
  });

  test('transform concurrency from invocations per second × duration', () => {
    // 10,240 KB/s = 10 MB/s → 10 invocations/s × 0.5 s = 5
    expect(planCapacity({ eventsPerSecond: 10240, avgEventKb: 1, transformMsPerInvocation: 500 }).transformConcurrency).toBe(5);
  });

  test('Direct PUT utilization compares bytes and records with the us-east-1 quota', () => {
    // 5,120 KB/s = 5 MB/s of 5 → 1.0; 2,560 records/s of 5,000 → 0.512
    expect(planCapacity({ eventsPerSecond: 2560, avgEventKb: 2 }).directPutUtilization).toBeCloseTo(1, 10);
  });

  test('raw-zone growth per day with GZIP', () => {
    // 100 × 1 KB × 86,400 s = 8,640,000 KB / 1024² = 8.2397 GB × 0.25 = 2.0599 GB
    expect(planCapacity({ eventsPerSecond: 100, avgEventKb: 1, gzipRatio: 0.25 }).rawGbPerDay).toBeCloseTo(2.0599, 4);
  });

  test('rejects bad input with the limit it breaks', () => {
    expect(() => planCapacity({ eventsPerSecond: 0, avgEventKb: 1 })).toThrow('planCapacity: eventsPerSecond must be > 0, got 0');
    expect(() => planCapacity({ eventsPerSecond: 1, avgEventKb: 0 })).toThrow('planCapacity: avgEventKb must be > 0, got 0');
    expect(() => planCapacity({ eventsPerSecond: 1, avgEventKb: 1001 })).toThrow('planCapacity: avgEventKb must be ≤ 1000 (the Firehose record limit is 1,000 KiB), got 1001');
  });
});
