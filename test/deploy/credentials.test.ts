import { awsAvailability } from './credentials';

describe('the deploy test skip logic', () => {
  test('skips without credentials, naming why', async () => {
    const availability = await awsAvailability({ credentials: () => Promise.reject(new Error('Could not load credentials from any providers')), region: async () => 'us-east-1' });
    expect(availability).toEqual({ ok: false, reason: 'no AWS credentials (Could not load credentials from any providers)' });
  });

  test('skips when the credential chain hangs past the timeout', async () => {
    const availability = await awsAvailability({ credentials: () => new Promise(() => undefined), region: async () => 'us-east-1' }, 20);
    expect(availability).toEqual({ ok: false, reason: 'no AWS credentials (AWS credentials did not resolve within 20 ms)' });
  });

  test('skips without a region', async () => {
    const availability = await awsAvailability({ credentials: async () => ({ accessKeyId: 'a', secretAccessKey: 'b' }), region: () => Promise.reject(new Error('Region is missing')) });
    expect(availability).toEqual({ ok: false, reason: 'no AWS region (Region is missing)' });
  });

  test('runs with credentials and a region', async () => {
    const availability = await awsAvailability({ credentials: async () => ({ accessKeyId: 'a', secretAccessKey: 'b' }), region: async () => 'eu-west-1' });
    expect(availability).toEqual({ ok: true, region: 'eu-west-1' });
  });
});
