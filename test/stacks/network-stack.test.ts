import { parseConfig } from '../../lib/config';
import { buildLake } from '../../lib/lake';
import { normalizedTemplate, testApp } from '../helpers';

describe('NetworkStack', () => {
  test.each(['sandbox', 'production'])('matches the %s snapshot', (profile) => {
    const { network } = buildLake(testApp({ context: { profile } }), parseConfig({ profile }));
    expect(normalizedTemplate(network!)).toMatchSnapshot();
  });

  test('exists for the batch layer, or for serving in production only', () => {
    const lake = (context: Record<string, unknown>) => buildLake(testApp({ context }), parseConfig(context));
    expect(lake({}).network?.stackName).toBe('lake-network');
    expect(lake({ batch: 'false' }).network).toBeUndefined();
    expect(lake({ batch: 'false', profile: 'production' }).network?.stackName).toBe('lake-network');
    expect(lake({ batch: 'false', serving: 'false', profile: 'production' }).network).toBeUndefined();
  });
});
