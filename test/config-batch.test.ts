import { parseConfig } from '../lib/config';

describe('network and batch settings', () => {
  test('the sandbox uses one AZ, no NAT, a small cluster, a 1 h idle timeout and no schedule', () => {
    const { network, batch } = parseConfig({ profile: 'sandbox' });
    expect(network).toEqual({ maxAzs: 1, natGateways: 0, sessionManagerEndpoints: false });
    expect(batch.idleTimeoutSeconds).toBe(3600);
    expect(batch.coreCapacity).toBe(1);
    expect(batch.taskSpotCapacity).toBe(0);
    expect(batch.maxTaskSpotCapacity).toBe(2);
    expect(batch.terminationProtected).toBe(false);
    expect(batch.schedule).toBeUndefined();
  });

  test('production uses two AZs, no NAT, a bigger protected cluster and a daily run', () => {
    const { network, batch } = parseConfig({ profile: 'production' });
    expect(network).toEqual({ maxAzs: 2, natGateways: 0, sessionManagerEndpoints: false });
    expect(batch.coreCapacity).toBe(2);
    expect(batch.maxTaskSpotCapacity).toBe(16);
    expect(batch.terminationProtected).toBe(true);
    expect(batch.schedule).toEqual({ hourUtc: 2, lookbackDays: 2 });
  });

  test('Session Manager endpoints are opt-in', () => {
    expect(parseConfig({ sessionManager: 'true' }).network.sessionManagerEndpoints).toBe(true);
    expect(parseConfig({ profile: 'production', sessionManager: 'false' }).network.sessionManagerEndpoints).toBe(false);
    expect(() => parseConfig({ sessionManager: 'yes' })).toThrow('Context key "sessionManager" must be one of: true, false. Got "yes".');
  });

  test('both profiles offer at least 3 Spot task instance types', () => {
    for (const profile of ['sandbox', 'production']) {
      expect(parseConfig({ profile }).batch.taskInstanceTypes.length).toBeGreaterThanOrEqual(3);
    }
  });
});
