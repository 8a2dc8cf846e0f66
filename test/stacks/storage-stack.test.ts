import { parseConfig } from '../../lib/config';
import { buildLake } from '../../lib/lake';
import { normalizedTemplate, testApp } from '../helpers';

describe('StorageStack', () => {
  test.each(['sandbox', 'production'])('matches the %s snapshot', (profile) => {
    const app = testApp({ context: { profile } });
    const { storage } = buildLake(app, parseConfig({ profile }));
    expect(normalizedTemplate(storage)).toMatchSnapshot();
  });

  test('is environment-agnostic and named from the prefix', () => {
    const { storage } = buildLake(testApp(), parseConfig({ prefix: 'demo' }));
    expect(storage.stackName).toBe('demo-storage');
    expect(storage.environment).toBe('aws://unknown-account/unknown-region');
  });
});
