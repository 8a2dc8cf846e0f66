import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { RealtimeView } from '../../lib/constructs/realtime-view';
import { SpeedLayer, SpeedLayerProps } from '../../lib/constructs/speed-layer';
import { testStack } from '../helpers';

function build(props: Partial<SpeedLayerProps> = {}) {
  const stack = testStack();
  const stream = new kinesis.Stream(stack, 'Stream', { encryption: kinesis.StreamEncryption.KMS, encryptionKey: new kms.Key(stack, 'StreamKey') });
  const view = new RealtimeView(stack, 'View');
  const endpoint = {
    endpointName: 'fraud-endpoint',
    grantInvoke: (grantee: iam.IGrantable) =>
      iam.Grant.addToPrincipal({ grantee, actions: ['sagemaker:InvokeEndpoint'], resourceArns: ['arn:aws:sagemaker:eu-west-1:111111111111:endpoint/fraud-endpoint'] }),
  };
  const speed = new SpeedLayer(stack, 'Speed', { stream, view, endpoint, alarmTopic: new sns.Topic(stack, 'Topic'), ...props });
  return { stack, speed, template: () => Template.fromStack(stack) };
}

const statements = (t: Template) =>
  Object.values(t.findResources('AWS::IAM::Policy')).flatMap((p: any) => p.Properties.PolicyDocument.Statement);

describe('SpeedLayer function', () => {
  test('runs on Node.js 24 on ARM with its own log group of the given retention', () => {
    const t = build({ logRetention: RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY }).template();
    t.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      MemorySize: 512,
      Timeout: 60,
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('SpeedLogs') } },
    });
    t.hasResource('AWS::Logs::LogGroup', { Properties: { RetentionInDays: 30 }, DeletionPolicy: 'Delete' });
  });

  test('gets the endpoint, table, queue, payload limit and TTL through its environment', () => {
    build().template().hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({
        ENDPOINT_NAME: 'fraud-endpoint',
        TABLE_NAME: { Ref: Match.stringLikeRegexp('ViewTable') },
        DEAD_LETTER_QUEUE_URL: { Ref: Match.stringLikeRegexp('SpeedDeadLetterQueue') },
        MAX_PAYLOAD_BYTES: '4000000',
        TTL_SECONDS: String(30 * 86_400),
        POWERTOOLS_SERVICE_NAME: 'TestStack-Speed-6D4BBC52',
        POWERTOOLS_METRICS_NAMESPACE: 'SpeedLayer',
      }) },
    });
  });

  test('may invoke the endpoint, write the view, send to the queue and write only its own logs', () => {
    const t = build().template();
    const all = statements(t);
    expect(all).toEqual(expect.arrayContaining([
      expect.objectContaining({ Action: 'sagemaker:InvokeEndpoint' }),
      expect.objectContaining({ Action: ['dynamodb:BatchWriteItem', 'dynamodb:PutItem'] }),
      expect.objectContaining({ Action: expect.arrayContaining(['sqs:SendMessage']) }),
      expect.objectContaining({ Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': [expect.stringMatching(/^SpeedLogs/), 'Arn'] } }),
    ]));
    t.hasResourceProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent(), AssumeRolePolicyDocument: Match.objectLike({ Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })] }) });
  });

  test('may decrypt the stream key', () => {
    expect(statements(build().template())).toEqual(expect.arrayContaining([
      expect.objectContaining({ Action: 'kms:Decrypt', Resource: { 'Fn::GetAtt': [expect.stringMatching(/^StreamKey/), 'Arn'] } }),
    ]));
  });
});

describe('SpeedLayer event source mapping', () => {
  test('reads through an enhanced fan-out consumer by default', () => {
    const t = build().template();
    t.resourceCountIs('AWS::Kinesis::StreamConsumer', 1);
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('SpeedConsumer'), 'ConsumerARN'] },
    });
    expect(statements(t)).toEqual(expect.arrayContaining([
      expect.objectContaining({ Action: ['kinesis:DescribeStreamConsumer', 'kinesis:SubscribeToShard'] }),
    ]));
  });

  test('shares the stream throughput when enhancedFanOut is false', () => {
    const t = build({ enhancedFanOut: false }).template();
    t.resourceCountIs('AWS::Kinesis::StreamConsumer', 0);
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', { EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('Stream'), 'Arn'] } });
  });

  test('reports item failures, bisects, bounds retries and age, and sends failures to the queue (defaults)', () => {
    build().template().hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 5,
      MaximumRecordAgeInSeconds: 3600,
      ParallelizationFactor: 1,
      BatchSize: 500,
      MaximumBatchingWindowInSeconds: 1,
      StartingPosition: 'TRIM_HORIZON',
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('SpeedDeadLetterQueue'), 'Arn'] } } },
    });
  });

  test('takes batch size, window, parallelization, retries, record age and start position from props', () => {
    build({
      batchSize: 100, maxBatchingWindow: Duration.seconds(5), parallelizationFactor: 4, retryAttempts: 2,
      maxRecordAge: Duration.hours(6), startingPosition: lambda.StartingPosition.LATEST,
    }).template().hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 100, MaximumBatchingWindowInSeconds: 5, ParallelizationFactor: 4, MaximumRetryAttempts: 2,
      MaximumRecordAgeInSeconds: 21_600, StartingPosition: 'LATEST',
    });
  });
});

describe('SpeedLayer dead-letter queue', () => {
  test('is encrypted with a rotating customer-managed key and keeps messages 14 days', () => {
    const t = build().template();
    t.hasResourceProperties('AWS::SQS::Queue', {
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('SpeedDeadLetterKey'), 'Arn'] },
      MessageRetentionPeriod: 1_209_600,
    });
    t.hasResourceProperties('AWS::KMS::Key', { Description: 'Speed-layer dead-letter queue', EnableKeyRotation: true });
  });

  test('denies access without TLS', () => {
    build().template().hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: { Statement: [{
        Action: 'sqs:*', Effect: 'Deny', Principal: { AWS: '*' },
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('SpeedDeadLetterQueue'), 'Arn'] },
      }] },
    });
  });
});

describe('SpeedLayer dead-letter queue', () => {
  test('may not be named as another queue\'s dead-letter queue', () => {
    build().template().hasResourceProperties('AWS::SQS::Queue', { RedriveAllowPolicy: { redrivePermission: 'denyAll' }, MessageRetentionPeriod: 1_209_600 });
  });
});

describe('SpeedLayer alarms', () => {
  test('alarm on iterator age (half the record age), function errors, queued dead letters and dead letters half-way to expiry, each notifying the topic', () => {
    const t = build().template();
    t.resourceCountIs('AWS::CloudWatch::Alarm', 4);
    for (const [metric, threshold] of [['IteratorAge', 1_800_000], ['Errors', 1], ['ApproximateNumberOfMessagesVisible', 1], ['ApproximateAgeOfOldestMessage', 604_800]] as const) {
      t.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: metric,
        Threshold: threshold,
        AlarmActions: [{ Ref: Match.stringLikeRegexp('Topic') }],
        OKActions: [{ Ref: Match.stringLikeRegexp('Topic') }],
      });
    }
  });

  test('exposes the handler metrics in its namespace', () => {
    const { speed } = build();
    expect(speed.metricScored().metricName).toBe('scored');
    expect(speed.metricHighRisk().namespace).toBe('SpeedLayer');
    expect(speed.metricDeadLettered().dimensions).toEqual({ service: 'TestStack-Speed-6D4BBC52' });
    expect(speed.metricLatency().statistic).toBe('Maximum');
  });

  test("each speed layer's metrics carry its own service name, the one its function gets", () => {
    const { stack, speed } = build();
    const other = new SpeedLayer(stack, 'Other', {
      stream: new kinesis.Stream(stack, 'OtherStream'),
      view: new RealtimeView(stack, 'OtherView'),
      endpoint: { endpointName: 'other', grantInvoke: (grantee: iam.IGrantable) => iam.Grant.drop(grantee, 'invoke') },
      alarmTopic: new sns.Topic(stack, 'OtherTopic'),
    });
    expect(other.metricsServiceName).toMatch(/^TestStack-Other-[0-9A-F]{8}$/);
    expect(other.metricScored().dimensions).not.toEqual(speed.metricScored().dimensions);
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: other.metricsServiceName }) },
    });
  });
});

describe('SpeedLayer validation', () => {
  test.each([
    ['batchSize', { batchSize: 0 }, 'SpeedLayer: batchSize must be a whole number 1–10000, got 0'],
    ['batchSize', { batchSize: 10_001 }, 'SpeedLayer: batchSize must be a whole number 1–10000, got 10001'],
    ['parallelizationFactor', { parallelizationFactor: 11 }, 'SpeedLayer: parallelizationFactor must be a whole number 1–10, got 11'],
    ['retryAttempts', { retryAttempts: -1 }, 'SpeedLayer: retryAttempts must be a whole number 0–10000, got -1'],
    ['maxRecordAge', { maxRecordAge: Duration.seconds(30) }, 'SpeedLayer: maxRecordAge must be a whole number 60–604800 seconds, got 30'],
    ['maxBatchingWindow', { maxBatchingWindow: Duration.minutes(6) }, 'SpeedLayer: maxBatchingWindow must be a whole number 0–300 seconds, got 360'],
    ['maxPayloadBytes', { maxPayloadBytes: 7_000_000 }, 'SpeedLayer: maxPayloadBytes must be a whole number 1024–6000000, got 7000000'],
    ['viewTtl', { viewTtl: Duration.minutes(30) }, 'SpeedLayer: viewTtl must be a whole number 3600–31536000 seconds, got 1800'],
  ] as const)('%s out of range is rejected with the range', (_name, props, message) => {
    expect(() => build(props as Partial<SpeedLayerProps>)).toThrow(message);
  });
});
