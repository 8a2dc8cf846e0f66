import { Duration, RemovalPolicy, Size, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { LakeDeliveryStream, LakeDeliveryStreamProps } from '../../lib/constructs/lake-delivery-stream';
import { testStack } from '../helpers';

interface Built {
  readonly stack: Stack;
  readonly delivery: LakeDeliveryStream;
  readonly template: Template;
  readonly bucket: s3.Bucket;
}

function parts(stack: Stack) {
  const key = new kms.Key(stack, 'LakeKey', { enableKeyRotation: true });
  const bucket = new s3.Bucket(stack, 'Raw', { encryptionKey: key });
  const streamKey = new kms.Key(stack, 'StreamKey', { enableKeyRotation: true });
  const source = new kinesis.Stream(stack, 'Source', { encryptionKey: streamKey });
  const alarmTopic = new sns.Topic(stack, 'Topic');
  return { key, bucket, source, alarmTopic };
}

function build(props: Partial<LakeDeliveryStreamProps> = {}, extra?: (stack: Stack) => Partial<LakeDeliveryStreamProps>): Built {
  const stack = testStack();
  const p = parts(stack);
  const delivery = new LakeDeliveryStream(stack, 'Delivery', { ...p, ...props, ...extra?.(stack) });
  return { stack, delivery, template: Template.fromStack(stack), bucket: p.bucket };
}

const s3Config = (template: Template) =>
  Object.values(template.findResources('AWS::KinesisFirehose::DeliveryStream'))[0].Properties.ExtendedS3DestinationConfiguration;


describe('LakeDeliveryStream', () => {
  test('reads the Kinesis stream with its own role', () => {
    build().template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamType: 'KinesisStreamAsSource',
      KinesisStreamSourceConfiguration: {
        KinesisStreamARN: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Source'), 'Arn'] },
        RoleARN: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DeliveryRole'), 'Arn'] },
      },
    });
  });

  test('partitions by the transform\'s event_date key under raw/payments/', () => {
    const config = s3Config(build().template);
    expect(config.Prefix).toBe('raw/payments/event_date=!{partitionKeyFromLambda:event_date}/');
    expect(config.DynamicPartitioningConfiguration).toEqual({ Enabled: true });
  });

  test('writes failures under errors/ by error output type and day', () => {
    expect(s3Config(build().template).ErrorOutputPrefix).toBe('errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/');
  });

  test('transforms with the Lambda processor', () => {
    expect(s3Config(build().template).ProcessingConfiguration).toEqual({
      Enabled: true,
      Processors: [{
        Type: 'Lambda',
        Parameters: expect.arrayContaining([
          { ParameterName: 'LambdaArn', ParameterValue: { 'Fn::GetAtt': [expect.stringMatching(/^DeliveryTransform/), 'Arn'] } },
        ]),
      }],
    });
  });

  test('builds the transform on Node.js 24 for arm64 with its own log group', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Timeout: 60,
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^DeliveryTransformLogs') } },
      Environment: { Variables: { POWERTOOLS_SERVICE_NAME: 'TestStack-Delivery-898D9B2F', POWERTOOLS_METRICS_NAMESPACE: 'DataLake' } },
    });
  });

  test("the transform's service name comes from the stack and construct path, so two delivery streams have their own", () => {
    const stack = testStack();
    const p = parts(stack);
    const [first, second] = ['First', 'Second'].map((id) => new LakeDeliveryStream(stack, id, p));
    expect(first.metricsServiceName).toMatch(/^TestStack-First-[0-9A-F]{8}$/);
    expect(second.metricsServiceName).toMatch(/^TestStack-Second-[0-9A-F]{8}$/);
    const template = Template.fromStack(stack);
    for (const delivery of [first, second]) {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: delivery.metricsServiceName }) },
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'RecordsFailed',
        Dimensions: [{ Name: 'service', Value: delivery.metricsServiceName }],
      });
    }
  });

  test("metric() and metricRecordsFailed() read the transform's metrics of this delivery stream", () => {
    const { delivery } = build();
    expect(delivery.metricRecordsFailed()).toMatchObject({
      namespace: 'DataLake', metricName: 'RecordsFailed', dimensions: { service: delivery.metricsServiceName }, statistic: 'Sum',
    });
    expect(delivery.metricRecordsFailed().period.toMinutes()).toBe(5);
    expect(delivery.metric('RecordsOk', { statistic: 'Maximum' })).toMatchObject({ metricName: 'RecordsOk', statistic: 'Maximum' });
  });

  test('writes the dataset given under raw/<dataset>/, and may write only there, errors/ and backup/', () => {
    const { template, delivery } = build({ dataset: 'refunds' });
    expect(delivery.dataset).toBe('refunds');
    expect(s3Config(template).Prefix).toBe('raw/refunds/event_date=!{partitionKeyFromLambda:event_date}/');
    const policy = Object.values(template.findResources('AWS::IAM::Policy'))
      .find((p) => p.Properties.PolicyDocument.Statement.some((st: { Sid?: string }) => st.Sid === 'WritePrefixes'))!;
    const write = policy.Properties.PolicyDocument.Statement.find((st: { Sid?: string }) => st.Sid === 'WritePrefixes');
    expect(JSON.stringify(write.Resource)).toContain('/raw/refunds/*');
    expect(JSON.stringify(write.Resource)).not.toContain('payments');
  });

  test.each(['Payments', 'pay-ments', '', 'a'.repeat(101)])('rejects dataset %j', (dataset) => {
    const stack = testStack();
    expect(() => new LakeDeliveryStream(stack, 'Delivery', { ...parts(stack), dataset })).toThrow(
      `LakeDeliveryStream: dataset must be 1–100 lower-case letters, digits and underscores (a Glue table name), got ${dataset}`,
    );
  });

  test('the transform may only write its own logs (no managed policy)', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })] },
      ManagedPolicyArns: Match.absent(),
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^DeliveryTransformRole') }],
      PolicyDocument: { Statement: [{
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DeliveryTransformLogs'), 'Arn'] },
      }] },
    });
  });

  test('defaults to 300 s or 128 MiB of buffering and GZIP', () => {
    const config = s3Config(build().template);
    expect(config.BufferingHints).toEqual({ IntervalInSeconds: 300, SizeInMBs: 128 });
    expect(config.CompressionFormat).toBe('GZIP');
  });

  test('takes buffering and compression from props', () => {
    const config = s3Config(build({ bufferingInterval: Duration.seconds(60), bufferingSize: Size.mebibytes(64), compression: firehose.Compression.SNAPPY }).template);
    expect(config.BufferingHints).toEqual({ IntervalInSeconds: 60, SizeInMBs: 64 });
    expect(config.CompressionFormat).toBe('Snappy');
  });

  test('encrypts output with the bucket key by default, or the given key', () => {
    expect(s3Config(build().template).EncryptionConfiguration).toEqual({
      KMSEncryptionConfig: { AWSKMSKeyARN: { 'Fn::GetAtt': [expect.stringMatching(/^LakeKey/), 'Arn'] } },
    });
    const other = build({}, (stack) => ({ encryptionKey: new kms.Key(stack, 'Other', { enableKeyRotation: true }) }));
    expect(s3Config(other.template).EncryptionConfiguration.KMSEncryptionConfig.AWSKMSKeyARN['Fn::GetAtt'][0]).toMatch(/^Other/);
  });

  test('logs delivery errors to its own log group with bounded retention', () => {
    const { template } = build();
    expect(s3Config(template).CloudWatchLoggingOptions).toEqual({
      Enabled: true,
      LogGroupName: { Ref: expect.stringMatching(/^DeliveryDeliveryLogs/) },
      LogStreamName: { Ref: expect.stringMatching(/^DeliveryDeliveryLogs/) },
    });
    template.resourcePropertiesCountIs('AWS::Logs::LogGroup', { RetentionInDays: 30 }, 2);
  });

  test('takes log retention and removal policy from props', () => {
    const { template } = build({ logRetention: logs.RetentionDays.ONE_WEEK, removalPolicy: RemovalPolicy.DESTROY });
    template.resourcePropertiesCountIs('AWS::Logs::LogGroup', { RetentionInDays: 7 }, 2);
    expect(Object.values(template.findResources('AWS::Logs::LogGroup')).map((r) => r.DeletionPolicy)).toEqual(['Delete', 'Delete']);
  });

  test("the delivery log streams follow the groups' removal policy, so DESTROY keeps none", () => {
    const destroyed = build({ removalPolicy: RemovalPolicy.DESTROY, backupSourceRecords: true }).template.findResources('AWS::Logs::LogStream');
    expect(Object.values(destroyed).map((r) => r.DeletionPolicy)).toEqual(['Delete', 'Delete']);
    expect(Object.values(build().template.findResources('AWS::Logs::LogStream')).map((r) => r.DeletionPolicy)).toEqual(['Retain']);
  });

  test('retains log groups by default', () => {
    expect(Object.values(build().template.findResources('AWS::Logs::LogGroup')).map((r) => r.DeletionPolicy)).toEqual(['Retain', 'Retain']);
  });

  test('does not back up source records by default', () => {
    const config = s3Config(build().template);
    expect(config.S3BackupMode).toBeUndefined();
    expect(config.S3BackupConfiguration).toBeUndefined();
  });

  test('backs up every source record under backup/, GZIP and encrypted', () => {
    const config = s3Config(build({ backupSourceRecords: true }).template);
    expect(config.S3BackupMode).toBe('Enabled');
    expect(config.S3BackupConfiguration).toEqual(expect.objectContaining({
      BucketARN: { 'Fn::GetAtt': [expect.stringMatching(/^Raw/), 'Arn'] },
      Prefix: 'backup/',
      CompressionFormat: 'GZIP',
      EncryptionConfiguration: { KMSEncryptionConfig: { AWSKMSKeyARN: { 'Fn::GetAtt': [expect.stringMatching(/^LakeKey/), 'Arn'] } } },
    }));
  });

  describe('Firehose role', () => {
    const policyOf = (template: Template) => {
      const policies = template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^DeliveryRole') }] } });
      return Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement);
    };

    const writablePrefixes = (template: Template) => {
      const puts = policyOf(template).filter((st) => [st.Action].flat().includes('s3:PutObject'));
      expect(puts).toHaveLength(1);
      return puts[0].Resource.map((r: any) => {
        expect(r['Fn::Join'][1][0]).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^Raw/), 'Arn'] });
        return r['Fn::Join'][1][1];
      }).sort();
    };

    test('writes only under the record and error prefixes', () => {
      expect(writablePrefixes(build().template)).toEqual(['/errors/*', '/raw/payments/*']);
    });

    test('adds the backup prefix only with backup on', () => {
      expect(writablePrefixes(build({ backupSourceRecords: true }).template)).toEqual(['/backup/*', '/errors/*', '/raw/payments/*']);
    });

    test('uses the lake key only through S3', () => {
      expect(policyOf(build().template)).toContainEqual(expect.objectContaining({
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^LakeKey/), 'Arn'] },
        Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['s3.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } } },
      }));
    });

    test('invokes only the transform function, unqualified', () => {
      const invoke = policyOf(build().template).filter((s) => [s.Action].flat().some((a: string) => a.startsWith('lambda:')));
      expect(invoke).toEqual([expect.objectContaining({
        Action: ['lambda:GetFunctionConfiguration', 'lambda:InvokeFunction'],
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^DeliveryTransform/), 'Arn'] },
      })]);
    });

    test('reads the source stream and decrypts with its key', () => {
      const statements = policyOf(build().template);
      expect(statements).toContainEqual(expect.objectContaining({
        Action: expect.arrayContaining(['kinesis:GetRecords', 'kinesis:GetShardIterator']),
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^Source/), 'Arn'] },
      }));
      expect(statements).toContainEqual(expect.objectContaining({
        Action: 'kms:Decrypt',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^StreamKey/), 'Arn'] },
      }));
    });

    test('has no wildcard actions and no bucket-wide object access', () => {
      const statements = policyOf(build({ backupSourceRecords: true }).template);
      expect(statements.flatMap((st) => [st.Action].flat()).filter((a: string) => a.includes('*'))).toEqual([]);
      const objectResources = statements.flatMap((st) => [st.Resource].flat()).filter((r: any) => r['Fn::Join']);
      expect(objectResources.map((r: any) => r['Fn::Join'][1][1])).not.toContain('/*');
    });

    test('the delivery stream waits for its policies', () => {
      const { template } = build();
      const stream = Object.values(template.findResources('AWS::KinesisFirehose::DeliveryStream'))[0];
      expect(stream.DependsOn).toEqual(expect.arrayContaining([
        expect.stringMatching(/^DeliveryPolicy/),
        expect.stringMatching(/^DeliveryRoleDefaultPolicy/),
      ]));
    });
  });

  describe('Parquet conversion', () => {
    const withTable = (stack: Stack) => {
      const database = new glue.Database(stack, 'Db', { databaseName: 'lake' });
      const parquetTable = new glue.S3Table(stack, 'Table', {
        database,
        tableName: 'raw_payments',
        columns: [
          { name: 'event_id', type: glue.Schema.STRING },
          { name: 'amount', type: glue.Schema.decimal(18, 2) },
        ],
        dataFormat: glue.DataFormat.PARQUET,
      });
      return { parquetTable };
    };

    test('converts to SNAPPY Parquet with the Glue table schema', () => {
      const config = s3Config(build({}, withTable).template);
      expect(config.DataFormatConversionConfiguration).toEqual({
        Enabled: true,
        InputFormatConfiguration: { Deserializer: { OpenXJsonSerDe: {} } },
        OutputFormatConfiguration: { Serializer: { ParquetSerDe: { Compression: 'SNAPPY' } } },
        SchemaConfiguration: expect.objectContaining({
          DatabaseName: { Ref: expect.stringMatching(/^Db/) },
          TableName: { Ref: expect.stringMatching(/^Table/) },
          RoleARN: { 'Fn::GetAtt': [expect.stringMatching(/^DeliveryRole/), 'Arn'] },
        }),
      });
    });

    test('leaves file compression to Parquet', () => {
      expect(s3Config(build({}, withTable).template).CompressionFormat).toBeUndefined();
    });

    test('lets Firehose read only that table\'s schema', () => {
      const { template } = build({}, withTable);
      template.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({
          Sid: 'ParquetSchema',
          Action: ['glue:GetTable', 'glue:GetTableVersion', 'glue:GetTableVersions'],
          Resource: Match.arrayWith([Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith([':table/']) ]) })]),
        })]) },
      });
    });

    test('rejects compression together with Parquet', () => {
      expect(() => build({ compression: firehose.Compression.GZIP }, withTable)).toThrow(
        'LakeDeliveryStream: compression must be unset with parquetTable (Parquet uses SNAPPY inside the file), got GZIP',
      );
    });
  });

  describe('alarms', () => {
    test('alarm on data freshness at the buffering interval plus 10 minutes by default', () => {
      build({ bufferingInterval: Duration.seconds(120) }).template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Firehose',
        MetricName: 'DeliveryToS3.DataFreshness',
        Statistic: 'Maximum',
        Threshold: 720,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    });

    test('the data freshness threshold comes from props', () => {
      build({ dataFreshnessThreshold: Duration.hours(1) }).template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'DeliveryToS3.DataFreshness',
        Threshold: 3600,
      });
    });

    test.each(['DeliveryToS3.Success', 'ExecuteProcessing.Success'])('alarm when %s drops below 1', (metric) => {
      build().template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Firehose',
        MetricName: metric,
        Statistic: 'Minimum',
        Threshold: 1,
        ComparisonOperator: 'LessThanThreshold',
        TreatMissingData: 'notBreaching',
      });
    });

    test('alarm on records the transform failed', () => {
      build().template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'DataLake',
        MetricName: 'RecordsFailed',
        Dimensions: [{ Name: 'service', Value: 'TestStack-Delivery-898D9B2F' }],
        Statistic: 'Sum',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      });
    });

    test('every Firehose alarm names the delivery stream and every alarm notifies the topic', () => {
      const alarms = Object.values(build().template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
      expect(alarms).toHaveLength(4);
      for (const alarm of alarms) {
        expect(alarm.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^Topic/) }]);
        if (alarm.Namespace === 'AWS/Firehose') {
          expect(alarm.Dimensions).toEqual([{ Name: 'DeliveryStreamName', Value: { Ref: expect.stringMatching(/^DeliveryDeliveryStream/) } }]);
        }
      }
    });
  });

  describe('validation', () => {
    test.each([
      [Duration.seconds(59), 'LakeDeliveryStream: bufferingInterval must be 60–900 seconds, got 59'],
      [Duration.seconds(901), 'LakeDeliveryStream: bufferingInterval must be 60–900 seconds, got 901'],
    ])('rejects bufferingInterval %s', (bufferingInterval, message) => {
      expect(() => build({ bufferingInterval })).toThrow(message);
    });

    test('accepts bufferingInterval at both ends of the range', () => {
      expect(s3Config(build({ bufferingInterval: Duration.seconds(900) }).template).BufferingHints.IntervalInSeconds).toBe(900);
      expect(s3Config(build({ bufferingInterval: Duration.minutes(1) }).template).BufferingHints.IntervalInSeconds).toBe(60);
    });

    test.each([
      [Size.kibibytes(512), 'LakeDeliveryStream: bufferingSize must be 1–128 MiB, got 0.5'],
      [Size.mebibytes(129), 'LakeDeliveryStream: bufferingSize must be 1–128 MiB, got 129'],
      [Size.mebibytes(63), 'LakeDeliveryStream: bufferingSize must be at least 64 MiB with dynamic partitioning, got 63'],
      [Size.mebibytes(1), 'LakeDeliveryStream: bufferingSize must be at least 64 MiB with dynamic partitioning, got 1'],
    ])('rejects bufferingSize %s', (bufferingSize, message) => {
      expect(() => build({ bufferingSize })).toThrow(message);
    });

    test('accepts bufferingSize at both ends of the partitioned range', () => {
      expect(s3Config(build({ bufferingSize: Size.mebibytes(64) }).template).BufferingHints.SizeInMBs).toBe(64);
      expect(s3Config(build({ bufferingSize: Size.mebibytes(128) }).template).BufferingHints.SizeInMBs).toBe(128);
    });

    test('rejects a data freshness threshold below the buffering interval', () => {
      expect(() => build({ dataFreshnessThreshold: Duration.seconds(100) })).toThrow(
        'LakeDeliveryStream: dataFreshnessThreshold must be at least bufferingInterval (300 s), got 100 s',
      );
    });

    test('needs a key when the bucket has none', () => {
      const stack = testStack();
      const p = parts(stack);
      const plain = new s3.Bucket(stack, 'Plain');
      expect(() => new LakeDeliveryStream(stack, 'Delivery', { ...p, bucket: plain })).toThrow(
        'LakeDeliveryStream: encryptionKey is required when the bucket has no encryptionKey, got undefined',
      );
    });
  });

  test('leaves no unreferenced Firehose CIDR mapping in the template', () => {
    expect(build().template.toJSON().Mappings).toBeUndefined();
  });

  test('exposes its resources and prefixes; the dataset is payments by default', () => {
    const { delivery } = build();
    expect(delivery.dataset).toBe('payments');
    expect(delivery.deliveryStream).toBeInstanceOf(firehose.DeliveryStream);
    expect(delivery.transformFunction.runtime.name).toBe('nodejs24.x');
    expect(Object.keys(delivery.alarms)).toEqual(['dataFreshness', 'deliveryFailed', 'processingFailed', 'recordsFailed']);
    const stack = Stack.of(delivery);
    const roleId = stack.getLogicalId(delivery.role.node.defaultChild as iam.CfnRole);
    expect(stack.resolve((delivery.policy.node.defaultChild as iam.CfnPolicy).roles)).toEqual([{ Ref: roleId }]);
    expect([delivery.dataPrefix, delivery.errorPrefix, delivery.backupPrefix]).toEqual([
      'raw/payments/event_date=!{partitionKeyFromLambda:event_date}/',
      'errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/',
      'backup/',
    ]);
  });
});
