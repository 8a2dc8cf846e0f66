import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import { acknowledgeServing } from '../../lib/compliance';
import { parseConfig } from '../../lib/config';
import { buildLake } from '../../lib/lake';
import { ServingStack } from '../../lib/stacks/serving-stack';
import { normalizedTemplate, testApp } from '../helpers';

/** The serving stack of a profile, fed by a stand-in for the ingestion stream. */
function servingStack(profile: string): ServingStack {
  const app = testApp({ context: { profile } });
  const config = parseConfig({ profile });
  const { storage } = buildLake(app, config);
  const ingestion = new Stack(app, 'Ingestion', { stackName: `${config.prefix}-ingestion` });
  const stream = new kinesis.Stream(ingestion, 'Stream', { encryption: kinesis.StreamEncryption.MANAGED });
  const serving = new ServingStack(app, 'Serving', {
    stackName: `${config.prefix}-serving`,
    settings: config.serving,
    stream,
    alarmTopic: storage.alarms.topic,
    removalPolicy: config.storage.removalPolicy,
    logRetention: config.logRetention,
  });
  acknowledgeServing(serving); // as buildLake does
  return serving;
}

describe('ServingStack', () => {
  test.each(['sandbox', 'production'])('matches the %s snapshot', (profile) => {
    expect(normalizedTemplate(servingStack(profile))).toMatchSnapshot();
  });

  test('outputs what the scripts read', () => {
    const outputs = Template.fromStack(servingStack('sandbox')).toJSON().Outputs;
    expect(Object.keys(outputs).sort()).toEqual(['DeadLetterQueueUrl', 'EndpointName', 'SpeedLayerFunctionName', 'ViewTableName']);
  });

  test('sandbox: serverless endpoint, shared-throughput consumer, no capture, view without PITR, all destroyed', () => {
    const t = Template.fromStack(servingStack('sandbox'));
    t.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ProductionVariants: [Match.objectLike({ ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 5 } })],
      DataCaptureConfig: Match.absent(),
    });
    t.resourceCountIs('AWS::Kinesis::StreamConsumer', 0);
    t.resourceCountIs('AWS::S3::Bucket', 0);
    t.hasResourceProperties('AWS::DynamoDB::Table', { PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: false } });
    t.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
    t.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ MAX_PAYLOAD_BYTES: '4000000', TTL_SECONDS: String(7 * 86_400) }) } });
  });

  test('production: two ml.m5.large autoscaling to four, KMS volume key, 20% capture, fan-out, PITR, retained', () => {
    const t = Template.fromStack(servingStack('production'));
    t.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ProductionVariants: [Match.objectLike({ InstanceType: 'ml.m5.large', InitialInstanceCount: 2 })],
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('CaptureKey'), 'Arn'] },
      DataCaptureConfig: Match.objectLike({
        InitialSamplingPercentage: 20,
        DestinationS3Uri: { 'Fn::Join': ['', ['s3://', { Ref: Match.stringLikeRegexp('CaptureBucket') }, '/fraud-endpoint']] },
      }),
    });
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 2, MaxCapacity: 4 });
    t.resourceCountIs('AWS::Kinesis::StreamConsumer', 1);
    t.hasResourceProperties('AWS::DynamoDB::Table', { PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true }, DeletionProtectionEnabled: true });
    t.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain' });
    t.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [Match.objectLike({ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: Match.anyValue() } })] },
      LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'capture/' }),
    });
    t.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ MAX_PAYLOAD_BYTES: '6000000' }) } });
  });

  test('ships the model as one file asset: the deterministic model.tar.gz', () => {
    const stack = servingStack('sandbox');
    expect(stack.modelArtifact.isFile).toBe(true);
    // The asset key keeps only the last extension: <sha256>.gz (a gzip-compressed tar, which is what SageMaker reads).
    expect(stack.modelArtifact.s3ObjectKey).toMatch(/^[0-9a-f]{64}\.gz$/);
  });
});
