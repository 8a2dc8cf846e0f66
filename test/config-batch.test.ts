import { parseConfig } from '../lib/config';

describe('network and batch settings', () => {
  test('the sandbox uses one AZ, no NAT, a small cluster, a 1 h idle timeout and no schedule', () => {
    const { network, batch } = parseConfig({ profile: 'sandbox' });
    expect(network).toEqual({ maxAzs: 1, natGateways: 0 });
    expect(batch.idleTimeoutSeconds).toBe(3600);
    expect(batch.coreCapacity).toBe(1);
    expect(batch.taskSpotCapacity).toBe(0);
    expect(batch.maxTaskSpotCapacity).toBe(2);
    expect(batch.terminationProtected).toBe(false);
    expect(batch.schedule).toBeUndefined();
  });

  test('production uses two AZs, no NAT, a bigger protected cluster and a daily run', () => {
    const { network, batch } = parseConfig({ profile: 'production' });
    expect(network).toEqual({ maxAzs: 2, natGateways: 0 });
    expect(batch.coreCapacity).toBe(2);
    expect(batch.maxTaskSpotCapacity).toBe(16);
    expect(batch.terminationProtected).toBe(true);
    expect(batch.schedule).toEqual({ hourUtc: 2, lookbackDays: 2 });
  });

  test('both profiles offer at least 3 Spot task instance types', () => {
    for (const profile of ['sandbox', 'production']) {
      expect(parseConfig({ profile }).batch.taskInstanceTypes.length).toBeGreaterThanOrEqual(3);
    }
  });
});
