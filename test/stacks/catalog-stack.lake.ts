// Part of test/lake.test.ts, which runs every test that builds the whole lake in one Jest module registry.
import { Match, Template } from 'aws-cdk-lib/assertions';
import { NAMED_QUERIES } from '../../lib/queries';
import { normalizedTemplate } from '../helpers';
import { lake } from '../lake-apps';

describe('CatalogStack', () => {
  test.each(['sandbox', 'production'])('matches the %s snapshot', (profile) => {
    const { catalog } = lake({ profile });
    expect(normalizedTemplate(catalog)).toMatchSnapshot();
  });

  test('is always deployed, named from the prefix and environment-agnostic', () => {
    const { catalog } = lake({ prefix: 'demo', ingestion: 'false', batch: 'false', serving: 'false' });
    expect(catalog.stackName).toBe('demo-catalog');
    expect(catalog.environment).toBe('aws://unknown-account/unknown-region');
  });

  test('outputs the names the scripts read', () => {
    const { catalog } = lake({});
    const outputs = Template.fromStack(catalog).toJSON().Outputs;
    expect(Object.keys(outputs)).toEqual(
      expect.arrayContaining(['DatabaseName', 'WorkgroupName', 'RawCrawlerName', 'CuratedCrawlerName']),
    );
    expect(outputs.DatabaseName.Value).toEqual({ Ref: expect.stringMatching(/^CatalogDatabase/) });
  });

  test('names the database from the config and saves every named query', () => {
    const { catalog } = lake({ prefix: 'pay' });
    const template = Template.fromStack(catalog);
    template.hasResourceProperties('AWS::Glue::Database', { DatabaseInput: Match.objectLike({ Name: 'pay_lake' }) });
    template.hasResourceProperties('AWS::Athena::WorkGroup', { Name: 'pay-lake' });
    template.resourceCountIs('AWS::Athena::NamedQuery', NAMED_QUERIES.length);
  });
});
