import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { DataLakeStorage, DataLakeStorageProps } from '../../lib/constructs/data-lake-storage';
import { testStack } from '../helpers';

/** Synthesizes on first access to `template`, so tests can add grants before. */
function build(props?: DataLakeStorageProps): { stack: Stack; lake: DataLakeStorage; template: Template } {
  const stack = testStack();
  const lake = new DataLakeStorage(stack, 'Lake', props);
  let template: Template | undefined;
  return {
    stack,
    lake,
    get template() {
      return (template ??= Template.fromStack(stack));
    },
  };
}

function bucketProps(template: Template, logicalIdPrefix: string): Record<string, any> {
  const buckets = template.findResources('AWS::S3::Bucket');
  const id = Object.keys(buckets).find((k) => k.startsWith(logicalIdPrefix));
  if (!id) throw new Error(`no bucket ${logicalIdPrefix} in ${Object.keys(buckets).join(', ')}`);
  return buckets[id];
}

describe('DataLakeStorage', () => {
  test('creates four buckets and one customer-managed key with rotation', () => {
    const { template } = build();
    template.resourceCountIs('AWS::S3::Bucket', 4);
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true, PendingWindowInDays: 7 });
  });

  test.each(['LakeRaw', 'LakeCurated', 'LakeQueryResults'])('%s uses SSE-KMS with the lake key and a bucket key', (id) => {
    const { template } = build();
    expect(bucketProps(template, id).Properties.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [
        {
          BucketKeyEnabled: true,
          ServerSideEncryptionByDefault: {
            SSEAlgorithm: 'aws:kms',
            KMSMasterKeyID: { 'Fn::GetAtt': [expect.stringMatching(/^LakeKey/), 'Arn'] },
          },
        },
      ],
    });
  });

  test('the access-logs bucket uses SSE-S3, which S3 log delivery requires', () => {
    const { template } = build();
    expect(bucketProps(template, 'LakeAccessLogs').Properties.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
  });

  test('every bucket blocks public access and enforces bucket-owner ownership', () => {
    const { template } = build();
    const buckets = Object.values(template.findResources('AWS::S3::Bucket'));
    expect(buckets).toHaveLength(4);
    for (const b of buckets) {
      expect(b.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(b.Properties.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
    }
  });

  test('every bucket policy denies non-TLS and TLS below 1.2', () => {
    const { template } = build();
    const policies = Object.values(template.findResources('AWS::S3::BucketPolicy'));
    expect(policies).toHaveLength(4);
    for (const p of policies) {
      const statements = p.Properties.PolicyDocument.Statement;
      expect(statements).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          expect.objectContaining({ Effect: 'Deny', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
        ]),
      );
    }
  });

  test('raw, curated and query results log to the access-logs bucket under their own prefix', () => {
    const { template } = build();
    for (const [id, prefix] of [['LakeRaw', 'raw/'], ['LakeCurated', 'curated/'], ['LakeQueryResults', 'query-results/']]) {
      expect(bucketProps(template, id).Properties.LoggingConfiguration).toEqual({
        DestinationBucketName: { Ref: expect.stringMatching(/^LakeAccessLogs/) },
        LogFilePrefix: prefix,
      });
    }
  });

  test.each([
    ['without the serverAccessLogsUseBucketPolicy flag', false],
    ['with the serverAccessLogsUseBucketPolicy flag', true],
  ])('%s, the access-logs bucket policy lets S3 logging write each zone under its prefix, and no bucket has an ACL', (_, flag) => {
    const stack = new Stack(new App({
      context: { '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': flag },
      builtinCloudFormationValidation: false,
    }), 'Bare');
    new DataLakeStorage(stack, 'Lake');
    const template = Template.fromStack(stack);
    for (const b of Object.values(template.findResources('AWS::S3::Bucket'))) expect(b.Properties.AccessControl).toBeUndefined();
    const logsPolicy = Object.values(template.findResources('AWS::S3::BucketPolicy'))
      .find((p) => p.Properties.Bucket.Ref.startsWith('LakeAccessLogs'))!;
    const delivery = logsPolicy.Properties.PolicyDocument.Statement.filter(
      (st: { Principal?: { Service?: string } }) => st.Principal?.Service === 'logging.s3.amazonaws.com');
    expect(delivery).toEqual([['LakeRaw', 'raw/'], ['LakeCurated', 'curated/'], ['LakeQueryResults', 'query-results/']].map(([id, prefix]) => ({
      Action: 's3:PutObject',
      Effect: 'Allow',
      Principal: { Service: 'logging.s3.amazonaws.com' },
      Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^LakeAccessLogs/), 'Arn'] }, `/${prefix}*`]] },
      Condition: {
        ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [expect.stringMatching(new RegExp(`^${id}[0-9A-F]{8}$`)), 'Arn'] } },
        StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
      },
    })));
  });

  test('every bucket aborts incomplete multipart uploads after one day', () => {
    const { template } = build();
    for (const b of Object.values(template.findResources('AWS::S3::Bucket'))) {
      expect(b.Properties.LifecycleConfiguration.Rules).toContainEqual(
        expect.objectContaining({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' }),
      );
    }
  });

  test('raw ages to Standard-IA at 30 days and Glacier at 90 days by default', () => {
    const { template } = build();
    expect(bucketProps(template, 'LakeRaw').Properties.LifecycleConfiguration.Rules).toContainEqual(
      expect.objectContaining({
        Transitions: [
          { StorageClass: 'STANDARD_IA', TransitionInDays: 30 },
          { StorageClass: 'GLACIER', TransitionInDays: 90 },
        ],
      }),
    );
  });

  test('curated moves to Intelligent-Tiering at day 0 by default', () => {
    const { template } = build();
    expect(bucketProps(template, 'LakeCurated').Properties.LifecycleConfiguration.Rules).toContainEqual(
      expect.objectContaining({ Transitions: [{ StorageClass: 'INTELLIGENT_TIERING', TransitionInDays: 0 }] }),
    );
  });

  test('query results expire after 7 days and access logs after 90 by default', () => {
    const { template } = build();
    expect(bucketProps(template, 'LakeQueryResults').Properties.LifecycleConfiguration.Rules).toContainEqual(
      expect.objectContaining({ ExpirationInDays: 7 }),
    );
    expect(bucketProps(template, 'LakeAccessLogs').Properties.LifecycleConfiguration.Rules).toContainEqual(
      expect.objectContaining({ ExpirationInDays: 90 }),
    );
  });

  test('versioning is on by default and noncurrent versions expire after 30 days', () => {
    const { template } = build();
    const raw = bucketProps(template, 'LakeRaw').Properties;
    expect(raw.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(raw.LifecycleConfiguration.Rules).toContainEqual(
      expect.objectContaining({ NoncurrentVersionExpiration: { NoncurrentDays: 30 } }),
    );
  });

  test('without versioning there is no noncurrent-version rule', () => {
    const { template } = build({ versioned: false });
    const raw = bucketProps(template, 'LakeRaw').Properties;
    expect(raw.VersioningConfiguration).toBeUndefined();
    expect(JSON.stringify(raw.LifecycleConfiguration)).not.toContain('NoncurrentVersionExpiration');
  });

  test('lifecycle day counts are props', () => {
    const { template } = build({
      rawInfrequentAccessAfterDays: 45,
      rawGlacierAfterDays: 200,
      curatedIntelligentTieringAfterDays: 3,
      queryResultsExpireAfterDays: 2,
      noncurrentVersionExpireAfterDays: 5,
    });
    expect(bucketProps(template, 'LakeRaw').Properties.LifecycleConfiguration.Rules).toContainEqual(
      expect.objectContaining({
        Transitions: [
          { StorageClass: 'STANDARD_IA', TransitionInDays: 45 },
          { StorageClass: 'GLACIER', TransitionInDays: 200 },
        ],
      }),
    );
    expect(bucketProps(template, 'LakeCurated').Properties.LifecycleConfiguration.Rules).toContainEqual(
      expect.objectContaining({ Transitions: [{ StorageClass: 'INTELLIGENT_TIERING', TransitionInDays: 3 }] }),
    );
    expect(bucketProps(template, 'LakeQueryResults').Properties.LifecycleConfiguration.Rules).toContainEqual(
      expect.objectContaining({ ExpirationInDays: 2 }),
    );
    expect(bucketProps(template, 'LakeRaw').Properties.LifecycleConfiguration.Rules).toContainEqual(
      expect.objectContaining({ NoncurrentVersionExpiration: { NoncurrentDays: 5 } }),
    );
  });

  test('retains buckets and key by default', () => {
    const { template } = build();
    for (const type of ['AWS::S3::Bucket', 'AWS::KMS::Key']) {
      for (const r of Object.values(template.findResources(type))) {
        expect(r.DeletionPolicy).toBe('Retain');
      }
    }
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
  });

  test('DESTROY with autoDeleteObjects empties every bucket on deletion', () => {
    const { template } = build({ removalPolicy: RemovalPolicy.DESTROY, autoDeleteObjects: true });
    for (const r of Object.values(template.findResources('AWS::S3::Bucket'))) {
      expect(r.DeletionPolicy).toBe('Delete');
    }
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 4);
  });

  test('the function that empties the buckets logs to its own group, one month and deleted with the stack by default', () => {
    const { template, lake } = build({ removalPolicy: RemovalPolicy.DESTROY, autoDeleteObjects: true });
    const groups = template.findResources('AWS::Logs::LogGroup');
    expect(Object.values(groups)).toEqual([expect.objectContaining({
      DeletionPolicy: 'Delete',
      Properties: { LogGroupName: '/aws/lambda/TestStack-CustomS3AutoDeleteObjectsCustomResourceProvider-FB903B3A', RetentionInDays: 30 },
    })]);
    const [groupId] = Object.keys(groups);
    template.hasResourceProperties('AWS::Lambda::Function', { LoggingConfig: { LogGroup: { Ref: groupId } } });
    expect(lake.autoDeleteLogGroup).toBeDefined();
  });

  test('with logEncryptionKey, the auto-delete log group is encrypted and the key admits CloudWatch Logs for exactly that group', () => {
    const stack = testStack();
    const logsKey = new kms.Key(stack, 'LogsKey');
    new DataLakeStorage(stack, 'Lake', { removalPolicy: RemovalPolicy.DESTROY, autoDeleteObjects: true, logEncryptionKey: logsKey });
    const template = Template.fromStack(stack);
    const name = '/aws/lambda/TestStack-CustomS3AutoDeleteObjectsCustomResourceProvider-FB903B3A';
    template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: name, KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^LogsKey'), 'Arn'] } });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([Match.objectLike({
          Principal: { Service: { 'Fn::Join': ['', ['logs.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } },
          Condition: { ArnEquals: { 'kms:EncryptionContext:aws:logs:arn': {
            'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:log-group:${name}`]],
          } } },
        })]),
      },
    });
  });

  test('the auto-delete log retention is a prop', () => {
    const { template } = build({ removalPolicy: RemovalPolicy.DESTROY, autoDeleteObjects: true, autoDeleteLogRetention: logs.RetentionDays.ONE_WEEK });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
  });

  test('two lakes in one stack share the auto-delete function and its one log group', () => {
    const stack = testStack();
    const first = new DataLakeStorage(stack, 'First', { removalPolicy: RemovalPolicy.DESTROY, autoDeleteObjects: true });
    const second = new DataLakeStorage(stack, 'Second', { removalPolicy: RemovalPolicy.DESTROY, autoDeleteObjects: true });
    Template.fromStack(stack).resourceCountIs('AWS::Logs::LogGroup', 1);
    expect(second.autoDeleteLogGroup).toBe(first.autoDeleteLogGroup);
  });

  test('without autoDeleteObjects there is no function and no log group', () => {
    const { template, lake } = build();
    template.resourceCountIs('AWS::Lambda::Function', 0);
    template.resourceCountIs('AWS::Logs::LogGroup', 0);
    expect(lake.autoDeleteLogGroup).toBeUndefined();
  });

  test('grantRawWrite scopes writes to a prefix and grants the key', () => {
    const { stack, lake } = build();
    const role = new iam.Role(stack, 'Writer', { assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com') });
    lake.grantRawWrite(role, 'raw/payments/*');
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith(['s3:PutObject']),
            Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^LakeRaw'), 'Arn'] }, '/raw/payments/*']] },
          }),
          Match.objectLike({
            Action: Match.arrayWith(['kms:Encrypt', 'kms:GenerateDataKey*']),
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^LakeKey'), 'Arn'] },
          }),
        ]),
      },
    });
  });

  test('grantCuratedReadWrite includes delete, for partition overwrites', () => {
    const { stack, lake } = build();
    const role = new iam.Role(stack, 'Spark', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
    lake.grantCuratedReadWrite(role, 'payments/*');
    expect(JSON.stringify(Template.fromStack(stack).findResources('AWS::IAM::Policy'))).toContain('s3:DeleteObject');
  });

  describe('validation', () => {
    test.each([
      [{ rawInfrequentAccessAfterDays: 29 }, 'DataLakeStorage: rawInfrequentAccessAfterDays must be a whole number of days ≥ 30, got 29'],
      [{ rawInfrequentAccessAfterDays: 30.5 }, 'DataLakeStorage: rawInfrequentAccessAfterDays must be a whole number of days ≥ 30, got 30.5'],
      [{ rawGlacierAfterDays: 59 }, 'DataLakeStorage: rawGlacierAfterDays must be a whole number of days ≥ 60 (rawInfrequentAccessAfterDays + 30 days in Standard-IA), got 59'],
      [{ curatedIntelligentTieringAfterDays: -1 }, 'DataLakeStorage: curatedIntelligentTieringAfterDays must be a whole number of days ≥ 0, got -1'],
      [{ queryResultsExpireAfterDays: 0 }, 'DataLakeStorage: queryResultsExpireAfterDays must be a whole number of days ≥ 1, got 0'],
      [{ noncurrentVersionExpireAfterDays: 0 }, 'DataLakeStorage: noncurrentVersionExpireAfterDays must be a whole number of days ≥ 1, got 0'],
      [{ accessLogsExpireAfterDays: 0 }, 'DataLakeStorage: accessLogsExpireAfterDays must be a whole number of days ≥ 1, got 0'],
      [{ autoDeleteObjects: true }, 'DataLakeStorage: autoDeleteObjects needs removalPolicy DESTROY, got retain'],
    ] as Array<[DataLakeStorageProps, string]>)('%j fails with a message naming the prop', (props, message) => {
      expect(() => new DataLakeStorage(testStack(), 'Lake', props)).toThrow(message);
    });

    test('the Glacier minimum follows the Standard-IA day count', () => {
      expect(() => build({ rawInfrequentAccessAfterDays: 40, rawGlacierAfterDays: 69 })).toThrow('≥ 70');
      expect(() => build({ rawInfrequentAccessAfterDays: 40, rawGlacierAfterDays: 70 })).not.toThrow();
    });
  });
});
