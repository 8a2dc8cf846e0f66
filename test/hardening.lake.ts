// Part of test/lake.test.ts, which runs every test that builds the whole lake in one Jest module registry.
/**
 * The production hardening a PCI reviewer expects, pinned on the whole lake as synthesized:
 * log groups, key policies, the dead-letter queue, bucket versioning, EMR in-transit
 * encryption and the transform's network.
 */
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { parseConfig } from '../lib/config';
import { lake } from './lake-apps';

const production = lake({ profile: 'production' });
const sandbox = lake({ profile: 'sandbox' });
const stacksOf = (l: typeof production) => Object.values(l).filter((s): s is Stack => s instanceof Stack);
const templates = new Map(stacksOf(production).map((s) => [s, Template.fromStack(s)]));
const logsKeyArn = (stack: Stack) => stack.resolve(production.storage.logsKey.keyArn);

describe('log groups in production', () => {
  const groups = [...templates].flatMap(([stack, t]) => Object.entries(t.findResources('AWS::Logs::LogGroup')).map(([id, r]) => ({ stack, id, p: r.Properties })));

  test('there are log groups in every stack that runs code', () => {
    expect(new Set(groups.map((g) => g.stack.stackName))).toEqual(new Set(['lake-catalog', 'lake-ingestion', 'lake-network', 'lake-batch', 'lake-serving']));
  });

  test('every log group is encrypted with the logs key', () => {
    for (const g of groups) expect([g.id, g.p.KmsKeyId]).toEqual([g.id, logsKeyArn(g.stack)]);
  });

  test('every log group keeps its logs for a year (PCI DSS 10.7)', () => {
    expect(parseConfig({ profile: 'production' }).logRetention).toBe(RetentionDays.ONE_YEAR);
    for (const g of groups) expect([g.id, g.p.RetentionInDays]).toEqual([g.id, 365]);
  });

  test('the logs key admits CloudWatch Logs for exactly the named log groups, and nothing else', () => {
    const key = Template.fromStack(production.storage).findResources('AWS::KMS::Key');
    const logsKey = Object.entries(key).find(([id]) => id.startsWith('LogsKey'))![1];
    const statements = logsKey.Properties.KeyPolicy.Statement.filter((s: { Principal?: { Service?: unknown } }) => s.Principal?.Service);
    const arns = statements.flatMap((s: { Condition: { ArnEquals: Record<string, unknown> } }) => [s.Condition.ArnEquals['kms:EncryptionContext:aws:logs:arn']].flat());
    const names = arns.map((a: { 'Fn::Join': [string, unknown[]] }) => String(a['Fn::Join'][1].at(-1)).replace(/^:log-group:/, ''));
    expect(names.sort()).toEqual(groups.map((g) => g.p.LogGroupName).sort());
    expect(names.every((n: string) => !n.includes('*'))).toBe(true);
  });

  test('the lake key no longer admits CloudWatch Logs', () => {
    const keys = Template.fromStack(production.storage).findResources('AWS::KMS::Key');
    const lakeKey = Object.entries(keys).find(([id]) => id.startsWith('LakeKey'))![1];
    expect(JSON.stringify(lakeKey.Properties.KeyPolicy)).not.toContain('logs.');
  });
});

describe('the speed-layer dead-letter queue', () => {
  const t = Template.fromStack(production.serving!);

  test('keeps messages 14 days and may not be any other queue\'s dead-letter queue', () => {
    t.hasResourceProperties('AWS::SQS::Queue', { MessageRetentionPeriod: 1_209_600, RedriveAllowPolicy: { redrivePermission: 'denyAll' } });
  });

  test('alarms when its oldest message is half-way to expiry', () => {
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateAgeOfOldestMessage', Threshold: 604_800, Statistic: 'Maximum' });
  });
});

describe('bucket versioning in production', () => {
  test('the access-logs bucket is versioned, with noncurrent versions expiring', () => {
    Template.fromStack(production.storage).hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      VersioningConfiguration: { Status: 'Enabled' },
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ Id: 'ExpireNoncurrentVersions' })]) },
    });
  });

  test('the capture bucket and its log bucket are versioned', () => {
    const buckets = Template.fromStack(production.serving!).findResources('AWS::S3::Bucket');
    expect(Object.values(buckets).map((b) => b.Properties.VersioningConfiguration)).toEqual([{ Status: 'Enabled' }, { Status: 'Enabled' }]);
  });
});

describe('EMR in-transit encryption', () => {
  test('production turns it on with the archive made at deploy time', () => {
    const batch = production.batch!;
    const config = Template.fromStack(batch).findResources('AWS::EMR::SecurityConfiguration');
    const encryption = Object.values(config)[0].Properties.SecurityConfiguration.EncryptionConfiguration;
    expect(encryption.EnableInTransitEncryption).toBe(true);
    expect(batch.resolve(encryption.InTransitEncryptionConfiguration)).toEqual({
      TLSCertificateConfiguration: { CertificateProviderType: 'PEM', S3Object: batch.resolve(batch.certificates!.s3Uri) },
    });
  });

  test('no run can start before the archive exists: the workflow depends on it', () => {
    const workflow = Object.values(Template.fromStack(production.batch!).findResources('AWS::StepFunctions::StateMachine'))[0];
    expect(workflow.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^TlsCertificates/)]));
  });

  test('a persistent cluster starts after the archive exists', () => {
    const persistent = lake({ profile: 'production', batchLifecycle: 'persistent' });
    const cluster = Object.values(Template.fromStack(persistent.batch!).findResources('AWS::EMR::Cluster'))[0];
    expect(cluster.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^TlsCertificates/)]));
  });

  test('the sandbox leaves it off', () => {
    const config = Template.fromStack(sandbox.batch!).findResources('AWS::EMR::SecurityConfiguration');
    expect(Object.values(config)[0].Properties.SecurityConfiguration.EncryptionConfiguration.EnableInTransitEncryption).toBe(false);
  });

  test('a user archive (emrCertificatesS3Uri) replaces the generated one and is readable through the S3 endpoint', () => {
    const own = lake({ profile: 'production', emrCertificatesS3Uri: 's3://my-certs/emr/tls.zip' });
    expect(own.batch!.certificates).toBeUndefined();
    Template.fromStack(own.batch!).hasResourceProperties('AWS::EMR::SecurityConfiguration', {
      SecurityConfiguration: { EncryptionConfiguration: Match.objectLike({ InTransitEncryptionConfiguration: { TLSCertificateConfiguration: { CertificateProviderType: 'PEM', S3Object: 's3://my-certs/emr/tls.zip' } } }) },
    });
    const instancePolicy = own.batch!.resolve((own.batch!.cluster.instanceRole.node.findChild('DefaultPolicy').node.defaultChild as unknown as { policyDocument: unknown }).policyDocument);
    const reads = instancePolicy.Statement.filter((s: { Action: unknown }) => [s.Action].flat().includes('s3:GetObject'));
    expect(JSON.stringify(reads)).toContain('":s3:::my-certs/emr/tls.zip"');
    expect(JSON.stringify(Template.fromStack(own.network!).toJSON())).toContain(':s3:::my-certs/*');
  });
});

describe('the transform network', () => {
  test('production runs the transform in the isolated subnets with no outbound rule', () => {
    const t = Template.fromStack(production.ingestion!);
    t.hasResourceProperties('AWS::Lambda::Function', { VpcConfig: Match.objectLike({ SubnetIds: Match.anyValue() }) });
    t.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'Firehose transform: no inbound, no outbound (it calls no AWS API)',
      SecurityGroupEgress: [Match.objectLike({ CidrIp: '255.255.255.255/32', Description: 'Disallow all traffic' })],
    });
  });

  test('the sandbox keeps it out of a VPC', () => {
    const fns = Template.fromStack(sandbox.ingestion!).findResources('AWS::Lambda::Function');
    expect(Object.values(fns).every((f) => f.Properties.VpcConfig === undefined)).toBe(true);
  });
});
