// Part of test/lake.test.ts, which runs every test that builds the whole lake in one Jest module registry.
import { normalizedTemplate } from '../helpers';
import { lake } from '../lake-apps';

describe('NetworkStack', () => {
  test.each(['sandbox', 'production'])('matches the %s snapshot', (profile) => {
    const { network } = lake({ profile });
    expect(normalizedTemplate(network!)).toMatchSnapshot();
  });

  test('exists for the batch layer, or in production for serving or the transform', () => {
    expect(lake({}).network?.stackName).toBe('lake-network');
    expect(lake({ batch: 'false' }).network).toBeUndefined();
    expect(lake({ batch: 'false', profile: 'production' }).network?.stackName).toBe('lake-network');
    expect(lake({ batch: 'false', serving: 'false', profile: 'production' }).network?.stackName).toBe('lake-network');
    expect(lake({ batch: 'false', serving: 'false', ingestion: 'false', profile: 'production' }).network).toBeUndefined();
  });
});
