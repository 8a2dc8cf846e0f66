import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { IngestionStream, IngestionStreamProps, shardsForThroughput, StreamCapacity } from '../../lib/constructs/ingestion-stream';
import { testStack } from '../helpers';

function build(props: Partial<IngestionStreamProps> = {}): { stack: Stack; ingestion: IngestionStream; template: Template } {
  const stack = testStack();
  const alarmTopic = new sns.Topic(stack, 'Topic');
  const ingestion = new IngestionStream(stack, 'Ingestion', { alarmTopic, ...props });
  return { stack, ingestion, template: Template.fromStack(stack) };
}


describe('shardsForThroughput', () => {
  test.each<[string, Parameters<typeof shardsForThroughput>[0], number]>([
    ['exactly one shard of writes', { writeKBps: 1000, recordsPerSecond: 1, readKBps: 0 }, 1],
    ['just above one shard of writes', { writeKBps: 1000.001, recordsPerSecond: 1, readKBps: 0 }, 2],
    ['exactly two shards of records', { writeKBps: 1, recordsPerSecond: 2000, readKBps: 0 }, 2],
    ['just above two shards of records', { writeKBps: 1, recordsPerSecond: 2001, readKBps: 0 }, 3],
    ['reads shared by standard consumers', { writeKBps: 500, recordsPerSecond: 10, readKBps: 1000, standardConsumers: 4 }, 2],
    ['reads just above a multiple', { writeKBps: 1, recordsPerSecond: 1, readKBps: 2001, standardConsumers: 2 }, 3],
    ['a tiny load still needs one shard', { writeKBps: 0.001, recordsPerSecond: 0.001 }, 1],
    ['each standard consumer reads all writes by default', { writeKBps: 1500, recordsPerSecond: 1, standardConsumers: 3 }, 3],
    ['enhanced fan-out consumers add no shards', { writeKBps: 1500, recordsPerSecond: 1, standardConsumers: 1, enhancedFanOutConsumers: 20 }, 2],
    ['no standard consumers', { writeKBps: 10, recordsPerSecond: 10, readKBps: 5000, standardConsumers: 0 }, 1],
  ])('%s', (_name, throughput, shards) => {
    expect(shardsForThroughput(throughput)).toBe(shards);
  });

  test.each<[Parameters<typeof shardsForThroughput>[0], string]>([
    [{ writeKBps: 0, recordsPerSecond: 1 }, 'IngestionStream: writeKBps must be a number > 0, got 0'],
    [{ writeKBps: -1, recordsPerSecond: 1 }, 'IngestionStream: writeKBps must be a number > 0, got -1'],
    [{ writeKBps: Number.NaN, recordsPerSecond: 1 }, 'IngestionStream: writeKBps must be a number > 0, got NaN'],
    [{ writeKBps: Infinity, recordsPerSecond: 1 }, 'IngestionStream: writeKBps must be a number > 0, got Infinity'],
    [{ writeKBps: 1, recordsPerSecond: 0 }, 'IngestionStream: recordsPerSecond must be a number > 0, got 0'],
    [{ writeKBps: 1, recordsPerSecond: Number.NaN }, 'IngestionStream: recordsPerSecond must be a number > 0, got NaN'],
    [{ writeKBps: 1, recordsPerSecond: 1, readKBps: -1 }, 'IngestionStream: readKBps must be a number ≥ 0, got -1'],
    [{ writeKBps: 1, recordsPerSecond: 1, readKBps: Number.NaN }, 'IngestionStream: readKBps must be a number ≥ 0, got NaN'],
    [{ writeKBps: 1, recordsPerSecond: 1, standardConsumers: 1.5 }, 'IngestionStream: standardConsumers must be a whole number ≥ 0, got 1.5'],
    [{ writeKBps: 1, recordsPerSecond: 1, standardConsumers: -1 }, 'IngestionStream: standardConsumers must be a whole number ≥ 0, got -1'],
    [{ writeKBps: 1, recordsPerSecond: 1, enhancedFanOutConsumers: 21 }, 'IngestionStream: enhancedFanOutConsumers must be a whole number 0–20, got 21'],
  ])('rejects %p', (throughput, message) => {
    expect(() => shardsForThroughput(throughput)).toThrow(message);
  });
});

describe('StreamCapacity', () => {
  test.each([0, -1, 1.5, Number.NaN])('rejects shard count %p', (n) => {
    expect(() => StreamCapacity.shards(n)).toThrow(`IngestionStream: shardCount must be a whole number ≥ 1, got ${n}`);
  });
});

describe('IngestionStream', () => {
  test('defaults to one provisioned shard with 24 hours of retention', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      ShardCount: 1,
      StreamModeDetails: { StreamMode: 'PROVISIONED' },
      RetentionPeriodHours: 24,
    });
  });

  test('on-demand capacity sets the mode and no shard count', () => {
    const { template } = build({ capacity: StreamCapacity.onDemand() });
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      ShardCount: Match.absent(),
      StreamModeDetails: { StreamMode: 'ON_DEMAND' },
    });
  });

  test('an explicit shard count is used as given', () => {
    build({ capacity: StreamCapacity.shards(4) }).template.hasResourceProperties('AWS::Kinesis::Stream', { ShardCount: 4 });
  });

  test('throughput sizing sets the shard count', () => {
    const capacity = StreamCapacity.forThroughput({ writeKBps: 2500, recordsPerSecond: 100, readKBps: 2500, standardConsumers: 2 });
    build({ capacity }).template.hasResourceProperties('AWS::Kinesis::Stream', { ShardCount: 3 });
  });

  test('encrypts with a created key that rotates', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      StreamEncryption: { EncryptionType: 'KMS', KeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^IngestionKey'), 'Arn'] } },
    });
  });

  test('encrypts with a passed key and creates none', () => {
    const stack = testStack();
    const key = new kms.Key(stack, 'Mine', { enableKeyRotation: true });
    const ingestion = new IngestionStream(stack, 'Ingestion', { alarmTopic: new sns.Topic(stack, 'Topic'), encryptionKey: key });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      StreamEncryption: { EncryptionType: 'KMS', KeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Mine'), 'Arn'] } },
    });
    expect(ingestion.key).toBe(key);
  });

  test('retains the stream and key by default and destroys them when asked', () => {
    build().template.hasResource('AWS::Kinesis::Stream', { DeletionPolicy: 'Retain' });
    build().template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain' });
    const { template } = build({ removalPolicy: RemovalPolicy.DESTROY });
    template.hasResource('AWS::Kinesis::Stream', { DeletionPolicy: 'Delete' });
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Delete' });
  });

  test('accepts retention at both ends of the range', () => {
    build({ retention: Duration.hours(8760) }).template.hasResourceProperties('AWS::Kinesis::Stream', { RetentionPeriodHours: 8760 });
    build({ retention: Duration.days(1) }).template.hasResourceProperties('AWS::Kinesis::Stream', { RetentionPeriodHours: 24 });
  });

  test.each([
    [Duration.hours(12), '12'],
    [Duration.hours(8761), '8761'],
    [Duration.minutes(1470), '24.5'],
  ])('rejects retention %s', (retention, shown) => {
    expect(() => build({ retention })).toThrow(`IngestionStream: retention must be 24–8760 whole hours, got ${shown}`);
  });

  test.each([0, 1, -0.5, Number.NaN])('rejects iteratorAgeAlarmFraction %p', (fraction) => {
    expect(() => build({ iteratorAgeAlarmFraction: fraction })).toThrow(
      `IngestionStream: iteratorAgeAlarmFraction must be between 0 and 1 (exclusive), got ${fraction}`,
    );
  });

  test('the iterator-age alarm fires at half the retention by default', () => {
    build().template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'GetRecords.IteratorAgeMilliseconds',
      Statistic: 'Maximum',
      Threshold: 12 * 3600 * 1000,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  test('the iterator-age threshold follows the retention and fraction', () => {
    build({ retention: Duration.hours(48), iteratorAgeAlarmFraction: 0.25 }).template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'GetRecords.IteratorAgeMilliseconds',
      Threshold: 12 * 3600 * 1000,
    });
  });

  test.each(['WriteProvisionedThroughputExceeded', 'ReadProvisionedThroughputExceeded', 'PutRecords.FailedRecords'])(
    'alarms on sustained %s',
    (metric) => {
      build().template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: metric,
        Statistic: 'Sum',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 3,
        TreatMissingData: 'notBreaching',
      });
    },
  );

  test('every alarm carries the StreamName dimension and notifies the topic', () => {
    const { template } = build();
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(4);
    for (const alarm of alarms) {
      expect(alarm.Properties).toEqual(expect.objectContaining({
        Namespace: 'AWS/Kinesis',
        Dimensions: [{ Name: 'StreamName', Value: expect.objectContaining({ Ref: expect.stringMatching(/^IngestionStream/) }) }],
        AlarmActions: [expect.objectContaining({ Ref: expect.stringMatching(/^Topic/) })],
      }));
    }
  });

  test('exposes the stream, key, capacity and alarms', () => {
    const { ingestion } = build({ capacity: StreamCapacity.shards(2) });
    expect(ingestion.capacity).toEqual(expect.objectContaining({ mode: 'provisioned', shardCount: 2 }));
    expect(ingestion.retention.toHours()).toBe(24);
    expect(Object.keys(ingestion.alarms)).toEqual(['iteratorAge', 'writeThrottled', 'readThrottled', 'putRecordsFailed']);
    expect(ingestion.stream.encryptionKey).toBe(ingestion.key);
  });
});
