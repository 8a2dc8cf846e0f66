// Part of test/lake.test.ts, which runs every test that builds the whole lake in one Jest module registry.
import { normalizedTemplate } from '../helpers';
import { lake } from '../lake-apps';

describe('StorageStack', () => {
  test.each(['sandbox', 'production'])('matches the %s snapshot', (profile) => {
    const { storage } = lake({ profile });
    expect(normalizedTemplate(storage)).toMatchSnapshot();
  });

  test('is environment-agnostic and named from the prefix', () => {
    const { storage } = lake({ prefix: 'demo' });
    expect(storage.stackName).toBe('demo-storage');
    expect(storage.environment).toBe('aws://unknown-account/unknown-region');
  });
});
