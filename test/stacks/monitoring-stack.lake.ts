// Part of test/lake.test.ts, which runs every test that builds the whole lake in one Jest module registry.
import { Template } from 'aws-cdk-lib/assertions';
import { normalizedTemplate } from '../helpers';
import { lake } from '../lake-apps';


describe('MonitoringStack', () => {
  test.each(['sandbox', 'production'])('matches the %s snapshot', (profile) => {
    expect(normalizedTemplate(lake({ profile }).monitoring)).toMatchSnapshot();
  });

  test('the dashboard covers every layer that is switched on', () => {
    expect(lake().monitoring.monitoring.sections).toEqual([
      'Ingestion stream',
      'Delivery to the raw zone',
      'Transform Lambda',
      'Crawlers',
      'Athena',
      'Batch runs',
      'Inference endpoint',
      'Speed layer',
      'Real-time view',
    ]);
  });

  test('the dashboard leaves out the layers that are switched off', () => {
    const { monitoring } = lake({ ingestion: 'false', batch: 'false', serving: 'false' });
    expect(monitoring.monitoring.sections).toEqual(['Crawlers', 'Athena']);
  });

  test('crawler outcomes and failed batch runs go to the alarm topic', () => {
    const stacks = lake();
    const rules = Template.fromStack(stacks.monitoring).findResources('AWS::Events::Rule');
    const patterns = Object.values(rules).map((r) => r.Properties.EventPattern['detail-type'][0]);
    expect(patterns.sort()).toEqual([
      'Glue Crawler State Change',
      'Glue Crawler State Change',
      'Step Functions Execution Status Change',
    ]);
    for (const rule of Object.values(rules)) {
      expect(JSON.stringify(rule.Properties.Targets)).toContain('AlarmsTopic');
    }
  });

  test('a long-running (persistent) cluster adds its graphs and its EMR state changes', () => {
    const stacks = lake({ batchLifecycle: 'persistent' });
    expect(stacks.monitoring.monitoring.sections).toEqual(expect.arrayContaining(['Batch runs', 'Batch cluster']));
    const rules = Template.fromStack(stacks.monitoring).findResources('AWS::Events::Rule');
    const patterns = Object.values(rules).map((r) => r.Properties.EventPattern['detail-type'][0]);
    expect(patterns).toEqual(expect.arrayContaining(['EMR Cluster State Change', 'EMR Step Status Change']));
  });

  test('outputs the dashboard name', () => {
    expect(Object.keys(Template.fromStack(lake().monitoring).toJSON().Outputs)).toContain('DashboardName');
  });
});
