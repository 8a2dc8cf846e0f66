import { RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CONTEXT_KEYS, ConfigError, parseConfig } from '../lib/config';
import { cdkJsonContext } from './helpers';

describe('parseConfig', () => {
  test('defaults to the sandbox profile, prefix "lake" and every layer on', () => {
    const config = parseConfig({});
    expect(config.profile).toBe('sandbox');
    expect(config.prefix).toBe('lake');
    expect(config.layers).toEqual({ ingestion: true, batch: true, serving: true });
    expect(config.alarmEmail).toBeUndefined();
  });

  test('derives the Glue database name from the prefix', () => {
    expect(parseConfig({}).databaseName).toBe('lake_lake');
    expect(parseConfig({ prefix: 'my-pay' }).databaseName).toBe('my_pay_lake');
  });

  test('accepts every CDK-owned key from cdk.json and the CLI', () => {
    expect(() =>
      parseConfig({
        ...cdkJsonContext(),
        'aws:cdk:enable-path-metadata': true,
        'aws:cdk:bundling-stacks': ['**'],
        'cli-telemetry': false,
        'acknowledged-issue-numbers': [1],
      }),
    ).not.toThrow();
  });

  test('sandbox destroys cleanly and keeps logs a week', () => {
    const config = parseConfig({ profile: 'sandbox' });
    expect(config.storage.removalPolicy).toBe(RemovalPolicy.DESTROY);
    expect(config.storage.autoDeleteObjects).toBe(true);
    expect(config.storage.versioned).toBe(false);
    expect(config.logRetention).toBe(RetentionDays.ONE_WEEK);
    expect(config.terminationProtection).toBe(false);
  });

  test('production retains data, versions it and protects stacks', () => {
    const config = parseConfig({ profile: 'production' });
    expect(config.storage.removalPolicy).toBe(RemovalPolicy.RETAIN);
    expect(config.storage.autoDeleteObjects).toBe(false);
    expect(config.storage.versioned).toBe(true);
    expect(config.logRetention).toBe(RetentionDays.ONE_YEAR);
    expect(config.terminationProtection).toBe(true);
  });

  test('sandbox crawls on demand, cuts queries off at 1 GB and lets the workgroup be deleted', () => {
    const { catalog } = parseConfig({ profile: 'sandbox' });
    expect(catalog.rawCrawlerSchedule).toBeUndefined();
    expect(catalog.curatedCrawlerSchedule).toBeUndefined();
    expect(catalog.bytesScannedCutoffPerQuery).toBe(1_000_000_000);
    expect(catalog.dataScannedAlarmBytes).toBe(10_000_000_000);
    expect(catalog.recursiveDeleteOption).toBe(true);
    expect(catalog.encryptDataCatalog).toBe(false);
  });

  test('production crawls the raw zone daily (the curated zone after each batch run), cuts queries off at 100 GB and keeps the workgroup history', () => {
    const { catalog } = parseConfig({ profile: 'production' });
    expect(catalog.rawCrawlerSchedule).toBe('cron(30 0 * * ? *)');
    expect(catalog.curatedCrawlerSchedule).toBeUndefined();
    expect(catalog.bytesScannedCutoffPerQuery).toBe(100_000_000_000);
    expect(catalog.dataScannedAlarmBytes).toBe(1_000_000_000_000);
    expect(catalog.dataScannedAlarmPeriod.toHours()).toBe(1);
    expect(catalog.recursiveDeleteOption).toBe(false);
    expect(catalog.encryptDataCatalog).toBe(false);
  });

  test('sandbox ingestion is one provisioned shard, short buffers and no backup', () => {
    expect(parseConfig({ profile: 'sandbox' }).ingestion).toEqual({
      streamMode: 'provisioned',
      shardCount: 1,
      retentionHours: 24,
      bufferingIntervalSeconds: 60,
      bufferingSizeMiB: 64,
      backupSourceRecords: false,
      transformInVpc: false,
      removalPolicy: RemovalPolicy.DESTROY,
    });
  });

  test('production ingestion is on-demand, keeps a week and backs up source records', () => {
    expect(parseConfig({ profile: 'production' }).ingestion).toEqual(expect.objectContaining({
      streamMode: 'on-demand',
      retentionHours: 168,
      bufferingIntervalSeconds: 300,
      bufferingSizeMiB: 128,
      backupSourceRecords: true,
      removalPolicy: RemovalPolicy.RETAIN,
    }));
  });

  test('layer switches take CLI strings and booleans', () => {
    expect(parseConfig({ batch: 'false', serving: false, ingestion: 'true' }).layers).toEqual({
      ingestion: true,
      batch: false,
      serving: false,
    });
  });

  test('serving without ingestion names both keys', () => {
    expect(() => parseConfig({ ingestion: 'false' })).toThrow(
      new ConfigError('Context key "serving" needs "ingestion": the speed layer reads the ingestion stream. Set ingestion=true or serving=false.'),
    );
    expect(parseConfig({ ingestion: 'false', serving: 'false' }).layers).toEqual({ ingestion: false, batch: true, serving: false });
  });

  test('sandbox serves from a serverless endpoint without fan-out, PITR or capture', () => {
    const { serving } = parseConfig({ profile: 'sandbox' });
    expect(serving.endpoint).toEqual({ compute: 'serverless', memorySizeInMb: 2048, maxConcurrency: 5 });
    expect([serving.enhancedFanOut, serving.pointInTimeRecovery, serving.deletionProtection]).toEqual([false, false, false]);
  });

  test('production serves from two autoscaling instances with data capture, fan-out and PITR', () => {
    const { serving } = parseConfig({ profile: 'production' });
    expect(serving.endpoint).toMatchObject({ compute: 'instance', instanceType: 'ml.m5.large', instanceCount: 2, maxInstanceCount: 4, dataCaptureSamplingPercentage: 20 });
    expect([serving.enhancedFanOut, serving.pointInTimeRecovery, serving.deletionProtection]).toEqual([true, true, true]);
  });

  test('an unknown profile names the key, the value and the allowed values', () => {
    expect(() => parseConfig({ profile: 'bogus' })).toThrow(
      new ConfigError('Context key "profile" must be one of: sandbox, production. Got "bogus".'),
    );
  });

  test('an unknown key is named with the accepted keys', () => {
    expect(() => parseConfig({ profle: 'sandbox' })).toThrow(
      'Unknown context key "profle". Accepted keys: profile, prefix, ingestion, batch, batchLifecycle, sessionManager, serving, alarmEmail, emrCertificatesS3Uri, assetsKeyArn.',
    );
  });

  test('assetsKeyArn is unset by default and takes a key ARN', () => {
    const arn = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    expect(parseConfig({}).assetsKeyArn).toBeUndefined();
    expect(parseConfig({ assetsKeyArn: arn }).assetsKeyArn).toBe(arn);
    expect(parseConfig({ assetsKeyArn: 'arn:aws-cn:kms:cn-north-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab' }).assetsKeyArn).toMatch(/mrk-/);
  });

  test.each([
    'alias/cdk-hnb659fds-assets-key',
    'arn:aws:kms:eu-west-1:123456789012:alias/cdk-hnb659fds-assets-key',
    '1234abcd-12ab-34cd-56ef-1234567890ab',
    'arn:aws:s3:::cdk-hnb659fds-assets-123456789012-eu-west-1',
  ])('assetsKeyArn "%s" is rejected, naming the key and the form', (assetsKeyArn) => {
    expect(() => parseConfig({ assetsKeyArn })).toThrow(
      new ConfigError(`Context key "assetsKeyArn" must be a KMS key ARN, arn:<partition>:kms:<region>:<account>:key/<key id>. Got "${assetsKeyArn}".`),
    );
  });

  test('a bad layer switch names the key and the allowed values', () => {
    expect(() => parseConfig({ batch: 'no' })).toThrow(
      'Context key "batch" must be one of: true, false. Got "no".',
    );
  });

  test.each(['Lake', 'l', '1lake', 'lake-', 'la--ke', 'lake_x', 'a'.repeat(21)])(
    'prefix "%s" is rejected with the rule',
    (prefix) => {
      expect(() => parseConfig({ prefix })).toThrow(`Context key "prefix" must be`);
      expect(() => parseConfig({ prefix })).toThrow(`Got "${prefix}"`);
    },
  );

  test.each(['lk', 'lake', 'my-lake-2', 'a'.repeat(20)])('prefix "%s" is accepted', (prefix) => {
    expect(parseConfig({ prefix }).prefix).toBe(prefix);
  });

  test('alarmEmail must look like an email address', () => {
    expect(parseConfig({ alarmEmail: 'ops@example.com' }).alarmEmail).toBe('ops@example.com');
    expect(() => parseConfig({ alarmEmail: 'ops' })).toThrow(
      'Context key "alarmEmail" must be an email address. Got "ops".',
    );
  });

  test('every key has a description, allowed values and a default for the README table', () => {
    for (const [key, spec] of Object.entries(CONTEXT_KEYS)) {
      expect([key, spec.description.length > 0, spec.allowed.length > 0, spec.default.length > 0]).toEqual([
        key, true, true, true,
      ]);
    }
  });
});

describe('emrCertificatesS3Uri', () => {
  test('production makes its own archive and the sandbox turns in-transit encryption off, by default', () => {
    expect(parseConfig({ profile: 'production' }).batch.inTransitEncryption).toEqual({ certificates: 'generated' });
    expect(parseConfig({}).batch.inTransitEncryption).toEqual({ certificates: 'none' });
  });

  test('a user archive is used in either profile', () => {
    expect(parseConfig({ emrCertificatesS3Uri: 's3://my-certs/emr/tls.zip' }).batch.inTransitEncryption)
      .toEqual({ certificates: 'provided', s3Uri: 's3://my-certs/emr/tls.zip' });
  });

  test.each(['my-certs/tls.zip', 's3://My_Certs/tls.zip', 's3://my-certs/tls.tar', 's3://my-certs/'])('rejects %s', (uri) => {
    expect(() => parseConfig({ emrCertificatesS3Uri: uri })).toThrow(
      `Context key "emrCertificatesS3Uri" must be s3://<bucket>/<key>.zip. Got "${uri}".`,
    );
  });
});
