// Part of test/lake.test.ts, which runs every test that builds the whole lake in one Jest module registry.
import { Template } from 'aws-cdk-lib/assertions';
import { normalizedTemplate } from '../helpers';
import { lake } from '../lake-apps';

describe('IngestionStack', () => {
  test.each(['sandbox', 'production'])('matches the %s snapshot', (profile) => {
    const { ingestion } = lake({ profile });
    expect(normalizedTemplate(ingestion!)).toMatchSnapshot();
  });

  test('is named from the prefix and exports what the scripts read', () => {
    const { ingestion } = lake({ prefix: 'demo' });
    expect(ingestion!.stackName).toBe('demo-ingestion');
    expect(Object.keys(Template.fromStack(ingestion!).toJSON().Outputs)).toEqual(
      expect.arrayContaining(['StreamName', 'DeliveryStreamName', 'TransformFunctionName']),
    );
  });

  test('is left out when the ingestion layer is off', () => {
    expect(lake({ ingestion: 'false', serving: 'false' }).ingestion).toBeUndefined();
  });

  test('sandbox uses one provisioned shard; production scales on demand and backs up source records', () => {
    const sandbox = Template.fromStack(lake({ profile: 'sandbox' }).ingestion!);
    sandbox.hasResourceProperties('AWS::Kinesis::Stream', { ShardCount: 1, StreamModeDetails: { StreamMode: 'PROVISIONED' }, RetentionPeriodHours: 24 });
    const production = Template.fromStack(lake({ profile: 'production' }).ingestion!);
    production.hasResourceProperties('AWS::Kinesis::Stream', { StreamModeDetails: { StreamMode: 'ON_DEMAND' }, RetentionPeriodHours: 168 });
    production.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      ExtendedS3DestinationConfiguration: { S3BackupMode: 'Enabled' },
    });
  });
});
