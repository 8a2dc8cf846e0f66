import { Template } from 'aws-cdk-lib/assertions';
import { parseConfig } from '../../lib/config';
import { buildLake } from '../../lib/lake';
import { normalizedTemplate, testApp } from '../helpers';

describe('IngestionStack', () => {
  test.each(['sandbox', 'production'])('matches the %s snapshot', (profile) => {
    const { ingestion } = buildLake(testApp({ context: { profile } }), parseConfig({ profile }));
    expect(normalizedTemplate(ingestion!)).toMatchSnapshot();
  });

  test('is named from the prefix and exports what the scripts read', () => {
    const { ingestion } = buildLake(testApp(), parseConfig({ prefix: 'demo' }));
    expect(ingestion!.stackName).toBe('demo-ingestion');
    expect(Object.keys(Template.fromStack(ingestion!).toJSON().Outputs)).toEqual(
      expect.arrayContaining(['StreamName', 'DeliveryStreamName', 'TransformFunctionName']),
    );
  });

  test('is left out when the ingestion layer is off', () => {
    expect(buildLake(testApp(), parseConfig({ ingestion: 'false', serving: 'false' })).ingestion).toBeUndefined();
  });

  test('sandbox uses one provisioned shard; production scales on demand and backs up source records', () => {
    const sandbox = Template.fromStack(buildLake(testApp(), parseConfig({ profile: 'sandbox' })).ingestion!);
    sandbox.hasResourceProperties('AWS::Kinesis::Stream', { ShardCount: 1, StreamModeDetails: { StreamMode: 'PROVISIONED' }, RetentionPeriodHours: 24 });
    const production = Template.fromStack(buildLake(testApp({ context: { profile: 'production' } }), parseConfig({ profile: 'production' })).ingestion!);
    production.hasResourceProperties('AWS::Kinesis::Stream', { StreamModeDetails: { StreamMode: 'ON_DEMAND' }, RetentionPeriodHours: 168 });
    production.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      ExtendedS3DestinationConfiguration: { S3BackupMode: 'Enabled' },
    });
  });
});
