// Part of test/lake.test.ts, which runs every test that builds the whole lake in one Jest module registry.
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ServingStack } from '../../lib/stacks/serving-stack';
import { normalizedTemplate } from '../helpers';
import { lake } from '../lake-apps';

function servingStack(profile: string): ServingStack {
  const { serving } = lake({ profile });
  if (!serving) throw new Error('the serving stack is on by default');
  return serving;
}

describe('ServingStack', () => {
  test.each(['sandbox', 'production'])('matches the %s snapshot', (profile) => {
    expect(normalizedTemplate(servingStack(profile))).toMatchSnapshot();
  });

  test('is environment-agnostic, named from the prefix, and absent when serving is off', () => {
    const { serving } = lake({ prefix: 'demo' });
    expect(serving?.stackName).toBe('demo-serving');
    expect(serving?.environment).toBe('aws://unknown-account/unknown-region');
    expect(lake({ serving: 'false' }).serving).toBeUndefined();
  });

  test("reads the ingestion stack's stream and may decrypt it with the stream key", () => {
    const t = Template.fromStack(servingStack('sandbox'));
    const fromIngestion = (exported: RegExp) => ({ 'Fn::ImportValue': Match.stringLikeRegexp(`^lake-ingestion:${exported.source}`) });
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', { EventSourceArn: fromIngestion(/ExportsOutputFnGetAttStream[0-9A-F]+Arn/) });
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([{ Action: 'kms:Decrypt', Effect: 'Allow', Resource: fromIngestion(/ExportsOutputFnGetAttStreamKey/) }]) },
    });
  });

  test('outputs what the scripts read', () => {
    const outputs = Template.fromStack(servingStack('sandbox')).toJSON().Outputs;
    // ExportsOutput… outputs are the exports the monitoring stack imports.
    expect(Object.keys(outputs).filter((k) => !k.startsWith('ExportsOutput')).sort()).toEqual(['DeadLetterQueueUrl', 'EndpointName', 'SpeedLayerFunctionName', 'ViewTableName']);
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

  test("production runs the endpoint in the network stack's isolated subnets; sandbox in no VPC", () => {
    const isolated = (n: number) => ({ 'Fn::ImportValue': Match.stringLikeRegexp(`^lake-network:ExportsOutputRefNetworkVpcIsolatedSubnet${n}`) });
    Template.fromStack(servingStack('production')).hasResourceProperties('AWS::SageMaker::Model', {
      VpcConfig: { Subnets: [isolated(1), isolated(2)], SecurityGroupIds: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('EndpointSecurityGroup'), 'GroupId'] }] },
      EnableNetworkIsolation: true,
    });
    Template.fromStack(servingStack('sandbox')).hasResourceProperties('AWS::SageMaker::Model', { VpcConfig: Match.absent() });
  });

  test('ships the model as one file asset: the deterministic model.tar.gz', () => {
    const stack = servingStack('sandbox');
    expect(stack.modelArtifact.isFile).toBe(true);
    // The asset key keeps only the last extension: <sha256>.gz (a gzip-compressed tar, which is what SageMaker reads).
    expect(stack.modelArtifact.s3ObjectKey).toMatch(/^[0-9a-f]{64}\.gz$/);
  });
});
