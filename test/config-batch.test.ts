import { ConfigError, parseConfig } from '../lib/config';

describe('network and batch settings', () => {
  test('the sandbox uses one AZ, no NAT, no Session Manager endpoints, a small cluster per run and no schedule', () => {
    const { network, batch } = parseConfig({ profile: 'sandbox' });
    expect(network).toEqual({ maxAzs: 1, natGateways: 0, sessionManagerEndpoints: false });
    expect(batch).toMatchObject({
      lifecycle: 'transient',
      idleTimeoutSeconds: 900,
      runTimeoutMinutes: 240,
      stepTimeoutMinutes: 120,
      coreCapacity: 1,
      taskSpotCapacity: 1,
      maxTaskSpotCapacity: 2,
      terminationProtected: false,
    });
    expect(batch.schedule).toBeUndefined();
  });

  test('production uses two AZs, no NAT, a bigger cluster per run and a daily run', () => {
    const { network, batch } = parseConfig({ profile: 'production' });
    expect(network).toEqual({ maxAzs: 2, natGateways: 0, sessionManagerEndpoints: false });
    expect(batch).toMatchObject({
      lifecycle: 'transient',
      idleTimeoutSeconds: 900,
      runTimeoutMinutes: 300,
      stepTimeoutMinutes: 180,
      coreCapacity: 2,
      taskSpotCapacity: 2,
      maxTaskSpotCapacity: 16,
      terminationProtected: false,
      schedule: { hourUtc: 2, lookbackDays: 2 },
    });
  });

  test('a persistent cluster keeps the long idle timeouts, and production protects it from termination', () => {
    expect(parseConfig({ batchLifecycle: 'persistent' }).batch).toMatchObject({ lifecycle: 'persistent', idleTimeoutSeconds: 3600, terminationProtected: false });
    expect(parseConfig({ profile: 'production', batchLifecycle: 'persistent' }).batch).toMatchObject({
      lifecycle: 'persistent',
      idleTimeoutSeconds: 172_800,
      terminationProtected: true,
    });
  });

  test('a bad lifecycle names the key, the value and the allowed values', () => {
    expect(() => parseConfig({ batchLifecycle: 'forever' })).toThrow(
      new ConfigError('Context key "batchLifecycle" must be one of: transient, persistent. Got "forever".'),
    );
  });

  test('Session Manager endpoints are opt-in', () => {
    expect(parseConfig({ sessionManager: 'true' }).network.sessionManagerEndpoints).toBe(true);
    expect(parseConfig({ profile: 'production', sessionManager: 'false' }).network.sessionManagerEndpoints).toBe(false);
    expect(() => parseConfig({ sessionManager: 'yes' })).toThrow('Context key "sessionManager" must be one of: true, false. Got "yes".');
  });

  test('both profiles offer at least 3 Spot task instance types and launch at least 1 Spot unit', () => {
    for (const profile of ['sandbox', 'production']) {
      const { batch } = parseConfig({ profile });
      expect(batch.taskInstanceTypes.length).toBeGreaterThanOrEqual(3);
      expect(batch.taskSpotCapacity).toBeGreaterThanOrEqual(1);
    }
  });
});
