// Part of test/lake.test.ts, which runs every test that builds the whole lake in one Jest module registry.
/**
 * The replacement guard: on small templates (each rule), on the real app in both
 * profiles against the committed baseline, and on changed apps built here with
 * escape hatches (the real code is not edited), which must fail it.
 */
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { PROFILES, ProfileName } from '../../lib/config';
import { Templates } from '../../lib/cost/estimate';
import { BASELINE_PREFIX } from '../../lib/review/baseline';
import {
  describeChange, guardFailures, guardReplacements, KNOWN_AFTER_APPLY, parseAcknowledgements, ReplacementAcknowledgement,
} from '../../lib/review/replacement-guard';
import { LakeStacks } from '../../lib/lake';
import { baselineTemplates, readAcknowledgements, readBaseline } from '../../scripts/lib/baseline';
import { lakeApp, synthApp } from '../../scripts/lib/synth';
import { lakeTemplates } from '../lake-apps';

const bucket = (props: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({ Type: 'AWS::S3::Bucket', Properties: props, ...extra });
const guard = (baseline: Templates, current: Templates, acknowledgements: ReplacementAcknowledgement[] = []) =>
  guardReplacements({ profile: 'sandbox', baseline, current, acknowledgements });

describe('the rules', () => {
  test('a stateful resource whose logical ID disappears is removed, and the new one of its type is named', () => {
    const result = guard({ s: { Resources: { Raw: bucket() } } }, { s: { Resources: { RawZone: bucket() } } });
    expect(result.findings.map(describeChange)).toEqual([
      's/Raw (AWS::S3::Bucket) would be removed: its logical ID is no longer in the template (a renamed or moved construct id changes it), ' +
        'so CloudFormation would delete it; new in the stack: AWS::S3::Bucket RawZone. Lost: its objects.',
    ]);
  });

  test('a retained resource that is removed is orphaned: still a finding, the stack no longer uses it', () => {
    const result = guard({ s: { Resources: { Raw: bucket({}, { DeletionPolicy: 'Retain' }) } } }, { s: { Resources: {} } });
    expect(result.findings.map((c) => c.reason)).toEqual([
      'its logical ID is no longer in the template (a renamed or moved construct id changes it), so CloudFormation would leave it in the account ' +
        '(DeletionPolicy Retain), no longer managed or used by the stack',
    ]);
  });

  test('a stack that is gone removes every stateful resource in it', () => {
    const result = guard({ s: { Resources: { Raw: bucket(), Role: { Type: 'AWS::IAM::Role' } } } }, {});
    expect(result.findings.map((c) => [c.logicalId, c.reason])).toEqual([['Raw', 'stack s is no longer in the app, so CloudFormation would delete it']]);
    expect(result.changes.map((c) => c.logicalId)).toEqual(['Raw', 'Role']);
  });

  test('a replacement-type property change replaces the resource', () => {
    const result = guard({ s: { Resources: { Raw: bucket({ BucketName: 'a' }) } } }, { s: { Resources: { Raw: bucket({ BucketName: 'b' }) } } });
    expect(result.findings.map((c) => [c.kind, c.reason])).toEqual([['replaced', 'BucketName requires replacement']]);
  });

  test('a stateful resource that refers to a replaced resource in a replacement-type property is replaced with it', () => {
    const queue = (name: string) => ({ Type: 'AWS::SQS::Queue', Properties: { QueueName: name } });
    const group = { Type: 'AWS::Logs::LogGroup', Properties: { LogGroupName: { 'Fn::GetAtt': ['Queue', 'QueueName'] } } };
    const result = guard({ s: { Resources: { Queue: queue('a'), Logs: group } } }, { s: { Resources: { Queue: queue('b'), Logs: group } } });
    expect(result.findings.map((c) => [c.logicalId, c.reason])).toEqual([
      ['Queue', 'QueueName requires replacement'],
      ['Logs', 'LogGroupName requires replacement (it refers to a resource that is itself replaced)'],
    ]);
  });

  test('an in-place update is no finding', () => {
    const result = guard({ s: { Resources: { Raw: bucket({ VersioningConfiguration: { Status: 'Suspended' } }) } } }, { s: { Resources: { Raw: bucket({ VersioningConfiguration: { Status: 'Enabled' } }) } } });
    expect(result.changes).toEqual([]);
  });

  test('a changed encryption key of a stream is a finding; adding one where there was none is not', () => {
    const stream = (key?: string) => ({ Type: 'AWS::Kinesis::Stream', Properties: key ? { StreamEncryption: { EncryptionType: 'KMS', KeyId: key } } : {} });
    const rekeyed = guard({ s: { Resources: { Stream: stream('old') } } }, { s: { Resources: { Stream: stream('new') } } });
    expect(rekeyed.findings.map(describeChange)).toEqual([
      's/Stream (AWS::Kinesis::Stream) would change its encryption key: StreamEncryption changes, so data written before the deploy stays ' +
        'encrypted under the old key, which must stay usable to read it. Lost: the records within its retention period.',
    ]);
    expect(guard({ s: { Resources: { Stream: stream() } } }, { s: { Resources: { Stream: stream('new') } } }).changes).toEqual([]);
  });

  test('replacing a resource that holds no data is a change for the review, not a finding', () => {
    const role = (name: string) => ({ Type: 'AWS::IAM::Role', Properties: { RoleName: name } });
    const result = guard({ s: { Resources: { Role: role('a') } } }, { s: { Resources: { Role: role('b') } } });
    expect([result.changes.map((c) => c.kind), result.findings]).toEqual([['replaced'], []]);
  });

  describe('cross-stack references', () => {
    const producer = (exported: boolean) => ({
      Resources: { Key: { Type: 'AWS::KMS::Key' } },
      Outputs: { KeyArn: { Value: { 'Fn::GetAtt': ['Key', 'Arn'] }, ...(exported ? { Export: { Name: 'p:KeyArn' } } : {}) } },
    });
    const consumer = (name: Record<string, unknown>) => ({ Resources: { Logs: { Type: 'AWS::Logs::LogGroup', Properties: { LogGroupName: name } } } });
    const weak = { 'Fn::GetStackOutput': { StackName: 'p', OutputName: 'KeyArn' } };
    const strong = { 'Fn::ImportValue': 'p:KeyArn' };

    test('moving from weak to strong references is no change', () => {
      expect(guard({ p: producer(false), c: consumer(weak) }, { p: producer(true), c: consumer(strong) }).changes).toEqual([]);
    });

    test('a weak reference in a replacement-type property plans a replacement, as CloudFormation does (aws/aws-cdk#38829)', () => {
      const result = guard({ p: producer(true), c: consumer(strong) }, { p: producer(false), c: consumer(weak) });
      expect(result.findings.map((c) => c.reason)).toEqual([
        'LogGroupName requires replacement (fed by a weak cross-stack reference, unknown until the change set runs)',
      ]);
      expect(describeChange(result.findings[0])).not.toContain(KNOWN_AFTER_APPLY);
    });
  });

  describe('acknowledgements', () => {
    const renamed = (acks: ReplacementAcknowledgement[]) => guard({ s: { Resources: { Raw: bucket() } } }, { s: { Resources: { RawZone: bucket() } } }, acks);
    const ack = (logicalId: string, profile = 'sandbox'): ReplacementAcknowledgement => ({ profile, stack: 's', logicalId, reason: 'The raw zone moves to a new bucket; objects are copied first' });

    test('one naming the stack and logical ID makes the change pass, with its reason', () => {
      const result = renamed([ack('Raw')]);
      expect([guardFailures(result), result.acknowledged.map((a) => [a.change.logicalId, a.reason])]).toEqual([
        [], [['Raw', 'The raw zone moves to a new bucket; objects are copied first']],
      ]);
    });

    test('one for another profile does not', () => {
      expect(renamed([ack('Raw', 'production')]).findings.map((c) => c.logicalId)).toEqual(['Raw']);
    });

    test('one that matches no change fails', () => {
      expect(guardFailures(guard({}, {}, [ack('Gone')]))).toEqual([
        's/Gone: the acknowledgement for sandbox matches no replaced or removed stateful resource; remove it from test/baseline/acknowledged-replacements.json',
      ]);
    });

    test('the file is validated', () => {
      expect(() => parseAcknowledgements({}, PROFILES)).toThrow('acknowledged-replacements.json: "acknowledgements" must be an array');
      expect(() => parseAcknowledgements({ acknowledgements: [{ profile: 'dev' }] }, PROFILES))
        .toThrow('acknowledged-replacements.json: acknowledgements[0].profile must be one of sandbox, production, got "dev"');
      expect(() => parseAcknowledgements({ acknowledgements: [{ profile: 'sandbox', stack: 's', logicalId: '' }] }, PROFILES))
        .toThrow('acknowledged-replacements.json: acknowledgements[0].logicalId must be a non-empty string, got ""');
      expect(() => parseAcknowledgements({ acknowledgements: [{ profile: 'sandbox', stack: 's', logicalId: 'Raw', reason: 'ok' }] }, PROFILES))
        .toThrow('acknowledged-replacements.json: acknowledgements[0].reason must say why the data may go (20 characters or more), got "ok"');
    });
  });
});

describe.each(PROFILES)('the %s app against the deployed baseline', (profile) => {
  test('replaces or removes no stateful resource without an acknowledgement, and every acknowledgement is used', () => {
    const result = guardReplacements({ profile, baseline: readBaseline(profile), current: lakeTemplates(profile), acknowledgements: readAcknowledgements() });
    expect(guardFailures(result)).toEqual([]);
  });
});

/** The real app with one escape hatch applied, normalized like the baseline. */
function changedApp(profile: ProfileName, change: (stacks: LakeStacks) => void): Templates {
  const { app, stacks } = lakeApp({ profile, context: { prefix: BASELINE_PREFIX } });
  change(stacks);
  return baselineTemplates(synthApp(app));
}

describe('changed apps fail the guard', () => {
  // The committed acknowledgements cover the real app's intended changes, so only the canary's own change is left.
  const check = (profile: ProfileName, current: Templates, acknowledgements: ReplacementAcknowledgement[] = []) =>
    guardFailures(guardReplacements({ profile, baseline: readBaseline(profile), current, acknowledgements: [...readAcknowledgements(), ...acknowledgements] }));

  describe.each(PROFILES)('%s: a renamed construct id for the raw bucket', (profile) => {
    let current: Templates;
    beforeAll(() => {
      current = changedApp(profile, (s) => (s.storage.lake.rawBucket.node.defaultChild as s3.CfnBucket).overrideLogicalId('RawZoneBucket'));
    });
    const fate = profile === 'production'
      ? 'CloudFormation would leave it in the account (DeletionPolicy Retain), no longer managed or used by the stack'
      : 'CloudFormation would delete it';

    test('fails naming the bucket, the stack and the reason', () => {
      expect(check(profile, current)).toEqual([
        'lake-storage/LakeRaw8A880B75 (AWS::S3::Bucket, Storage/Lake/Raw/Resource) would be removed: its logical ID is no longer in the template ' +
          `(a renamed or moved construct id changes it), so ${fate}; new in the stack: AWS::S3::Bucket RawZoneBucket. Lost: its objects.`,
      ]);
    });

    test('passes with an acknowledgement', () => {
      const ack = { profile, stack: 'lake-storage', logicalId: 'LakeRaw8A880B75', reason: 'Test: the raw zone moves to a new bucket after a copy' };
      expect(check(profile, current, [ack])).toEqual([]);
    });
  });

  describe('sandbox: a changed stream encryption key', () => {
    let current: Templates;
    beforeAll(() => {
      current = changedApp('sandbox', (s) => (s.ingestion!.stream.stream.node.defaultChild as kinesis.CfnStream).addPropertyOverride('StreamEncryption.KeyId', 'alias/aws/kinesis'));
    });

    test('fails naming the stream, the stack and the reason', () => {
      expect(check('sandbox', current)).toEqual([
        'lake-ingestion/Stream862536A4 (AWS::Kinesis::Stream, Ingestion/Stream/Stream/Resource) would change its encryption key: StreamEncryption changes, ' +
          'so data written before the deploy stays encrypted under the old key, which must stay usable to read it. Lost: the records within its retention period.',
      ]);
    });

    test('passes with an acknowledgement', () => {
      const ack = { profile: 'sandbox', stack: 'lake-ingestion', logicalId: 'Stream862536A4', reason: 'Test: the old stream key stays until retention has passed' };
      expect(check('sandbox', current, [ack])).toEqual([]);
    });
  });

  describe('production: a changed key schema of the real-time view', () => {
    let current: Templates;
    beforeAll(() => {
      current = changedApp('production', (s) => {
        const table = s.serving!.view.table.node.defaultChild as dynamodb.CfnTable;
        table.addPropertyOverride('KeySchema', [{ AttributeName: 'pk', KeyType: 'HASH' }]);
        table.addPropertyOverride('AttributeDefinitions', [{ AttributeName: 'pk', AttributeType: 'S' }]);
      });
    });

    test('fails naming the table, the stack and the reason', () => {
      expect(check('production', current)).toEqual([
        'lake-serving/ViewTable5E42713E (AWS::DynamoDB::Table, Serving/View/Table/Resource) would be replaced: KeySchema requires replacement. Lost: its items.',
      ]);
    });

    test('passes with an acknowledgement', () => {
      const ack = { profile: 'production', stack: 'lake-serving', logicalId: 'ViewTable5E42713E', reason: 'Test: the view is rebuilt from the stream after the deploy' };
      expect(check('production', current, [ack])).toEqual([]);
    });
  });
});
