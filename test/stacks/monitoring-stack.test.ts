import { Template } from 'aws-cdk-lib/assertions';
import { lake, normalizedTemplate } from '../helpers';


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
      'Batch cluster',
      'Inference endpoint',
      'Speed layer',
      'Real-time view',
    ]);
  });

  test('the dashboard leaves out the layers that are switched off', () => {
    const { monitoring } = lake({ ingestion: 'false', batch: 'false', serving: 'false' });
    expect(monitoring.monitoring.sections).toEqual(['Crawlers', 'Athena']);
  });

  test('crawler outcomes and EMR state changes go to the alarm topic', () => {
    const stacks = lake();
    const rules = Template.fromStack(stacks.monitoring).findResources('AWS::Events::Rule');
    const patterns = Object.values(rules).map((r) => r.Properties.EventPattern['detail-type'][0]);
    expect(patterns.sort()).toEqual([
      'EMR Cluster State Change',
      'EMR Step Status Change',
      'Glue Crawler State Change',
      'Glue Crawler State Change',
    ]);
    for (const rule of Object.values(rules)) {
      expect(JSON.stringify(rule.Properties.Targets)).toContain('AlarmsTopic');
    }
  });

  test('outputs the dashboard name', () => {
    expect(Object.keys(Template.fromStack(lake().monitoring).toJSON().Outputs)).toContain('DashboardName');
  });
});
