/**
 * The whole app, as `cdk synth` builds it, in both profiles:
 *  (a) every cdk-nag pack the profile runs reports no unacknowledged finding (production:
 *      AwsSolutions, PCI DSS 3.2.1, NIST 800-53 R5, HIPAA Security; sandbox: AwsSolutions);
 *  (b) the built-in CloudFormation validation, with findings as errors, passes;
 *  (c) every acknowledgement names a pack, is specific, explained, and matches a real finding.
 * The review report (`npm run review`) is checked on the same synthesized app, so the
 * expensive synth with validation runs once per profile.
 *
 * Lambda code is bundled in the sandbox run only: bundling does not depend on the profile.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, CfnResource, PolicyValidationPluginReport, Stack, Validations } from 'aws-cdk-lib';
import { NagPack } from 'cdk-nag';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { IConstruct } from 'constructs';
import { addPacks, auditAcknowledgements, PACK_NAMES, PACKS, PACKS_BY_PROFILE } from '../lib/compliance';
import { parseConfig, PROFILES } from '../lib/config';
import { loadPrices } from '../lib/cost/prices';
import { buildLake } from '../lib/lake';
import { buildReview, Review, ValidationReport } from '../lib/review/report';
import { complianceSummary } from '../lib/review/compliance';
import { acknowledgementsIn } from '../scripts/lib/synth';
import { testApp } from './helpers';

/**
 * Acknowledgements aws-cdk-lib makes itself, with its own reasons: W3010 on every stack whose
 * availability zones are read (e.g. by ec2.Vpc), F3002/F3003 on every ec2.FlowLog. Not ours.
 */
const CDK_OWN_ACKNOWLEDGEMENTS: Record<string, RegExp> = {
  'CloudFormation-Validate::W3010': /^Literal AZs in template are the result of accessing stack\.availabilityZones/,
  'CloudFormation-Validate::F3002': /^AWS::EC2::FlowLog DestinationOptions accepts properties in camelCase/,
  'CloudFormation-Validate::F3003': /^AWS::EC2::FlowLog DestinationOptions accepts properties in camelCase/,
};

/** Our acknowledgements (not aws-cdk-lib's own), each with whether it sits on a stack or the app. */
function acknowledgements(root: IConstruct) {
  const stackOrApp = new Set(root.node.findAll().filter((c) => Stack.isStack(c) || App.isApp(c)).map((c) => c.node.path));
  return acknowledgementsIn(root)
    .filter((a) => !CDK_OWN_ACKNOWLEDGEMENTS[a.id]?.test(a.reason))
    .map((a) => ({ ...a, onStackOrApp: stackOrApp.has(a.path) }));
}

describe.each(PROFILES)('the %s app', (profile) => {
  let app: App;
  let synthError: unknown;

  const templates: Record<string, Record<string, unknown>> = {};
  /** Each cdk-nag pack's runs as a validation plugin during synth: how many templates, and its report. */
  const packRuns = new Map<string, Array<{ templates: number; report: PolicyValidationPluginReport }>>();

  beforeAll(() => {
    app = testApp({ context: { profile }, validation: true, bundling: profile === 'sandbox' });
    buildLake(app, parseConfig({ profile }));
    // The packs' own reports: a clean one does not appear in validation-report.json.
    const validate = jest.spyOn(NagPack.prototype, 'validate');
    try {
      for (const stack of app.synth().stacks) templates[stack.stackName] = stack.template;
    } catch (err) {
      synthError = err;
    }
    validate.mock.contexts.forEach((pack, i) => {
      const run = { templates: validate.mock.calls[i][0].templatePaths.length, report: validate.mock.results[i].value };
      packRuns.set(pack.name, [...(packRuns.get(pack.name) ?? []), run]);
    });
    validate.mockRestore();
  });

  test('synthesizes with the built-in CloudFormation validation treating findings as errors', () => {
    expect(app.node.tryGetContext('@aws-cdk/core:validateAgainstDefaultRules')).toBe(true);
    expect(synthError).toBeUndefined();
  });

  test('the validation report has no findings', () => {
    const report = JSON.parse(fs.readFileSync(path.join(app.outdir, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports.flatMap((r: { violations: unknown[] }) => r.violations)).toEqual([]);
  });

  // Synth runs the profile's packs (lib/lake.ts): their reports are the check, no second run.
  test.each(PACKS_BY_PROFILE[profile])('cdk-nag %s ran once at synth, over every stack, and found no unacknowledged violation', (name) => {
    const runs = packRuns.get(name) ?? [];
    expect(runs.map((r) => r.templates)).toEqual([Object.keys(templates).length]);
    expect(runs[0].report.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });

  test('every alarm in the app notifies the one alarm topic', () => {
    const alarms = app.node
      .findAll()
      .filter((c): c is CfnResource => CfnResource.isCfnResource(c) && c.cfnResourceType === 'AWS::CloudWatch::Alarm');
    expect(alarms.length).toBeGreaterThan(10);
    for (const alarm of alarms) {
      const actions = JSON.stringify(Stack.of(alarm).resolve((alarm as unknown as { alarmActions?: unknown }).alarmActions) ?? []);
      expect([alarm.node.path, actions]).toEqual([alarm.node.path, expect.stringMatching(/AlarmsTopic/)]);
    }
  });

  test('every acknowledgement names its pack, is specific, explained and matches a real finding', () => {
    const acks = acknowledgements(app);
    expect(acks.length).toBeGreaterThan(50);
    const onStackOrApp = new Set(acks.filter((a) => a.onStackOrApp).map((a) => a.path));
    expect(auditAcknowledgements(app, acks, onStackOrApp)).toEqual([]);
  });

  describe('the review report', () => {
    let review: Review;

    beforeAll(() => {
      const validation = JSON.parse(fs.readFileSync(path.join(app.outdir, 'validation-report.json'), 'utf8')) as ValidationReport;
      review = buildReview({ profile, templates, acknowledgements: acknowledgementsIn(app), validation, prices: loadPrices(), compliance: complianceSummary(app, profile) });
    });

    test('covers every stack', () => {
      for (const stack of Object.keys(templates)) expect(review.markdown).toContain(`### ${stack} (`);
      expect(review.summary.stacks).toBe(Object.keys(templates).length);
    });

    test('shows the lake buckets with SSE-KMS under the lake key and the access-logs bucket with SSE-S3', () => {
      const buckets = review.stores.filter((s) => s.stack === 'lake-storage' && s.type === 'AWS::S3::Bucket');
      const resources = (templates['lake-storage'].Resources ?? {}) as Record<string, { Type: string }>;
      const lakeKey = Object.entries(resources).find(([id, r]) => r.Type === 'AWS::KMS::Key' && id.startsWith('LakeKey'))?.[0];
      for (const name of ['LakeRaw', 'LakeCurated', 'LakeQueryResults']) {
        expect(buckets.find((b) => b.logicalId.startsWith(name))?.encryption).toBe(`SSE-KMS (aws:kms), key \${${lakeKey}.Arn}, bucket key on`);
      }
      expect(buckets.find((b) => b.logicalId.startsWith('LakeAccessLogs'))?.encryption).toBe('SSE-S3');
    });

    test('finds no unencrypted data store', () => {
      expect(review.stores.filter((s) => s.flagged)).toEqual([]);
    });

    test('lists every cdk-nag acknowledgement with its reason', () => {
      const acks = acknowledgementsIn(app);
      expect(review.summary.acknowledgements).toBe(acks.length);
      for (const ack of acks) expect(review.markdown).toContain(`| ${ack.path} | ${ack.id} | ${ack.reason.replace(/\|/g, '\\|')} |`);
    });

    test('reports the built-in validation as passed', () => {
      expect(review.summary.validation).toBe('passed (no findings)');
    });

    test('has no ingress open to the world and no subnet with an internet route', () => {
      expect([review.summary.openIngressRules, review.summary.subnetsWithInternetRoute]).toEqual([0, 0]);
    });

    test('shows findings and acknowledgements per pack, none open in a pack the profile runs', () => {
      expect(review.summary.packs.map((p) => p.pack)).toEqual(PACK_NAMES);
      for (const p of review.summary.packs.filter((x) => x.runsAtSynth)) expect([p.pack, p.open, p.acknowledged > 0]).toEqual([p.pack, 0, true]);
      expect(review.markdown).toContain('## cdk-nag packs');
      expect(review.markdown).toMatch(/\| PCI\.DSS\.321 \| (runs|report only) \| \d+ \| \d+ \| \d+ \| .*IAMNoInlinePolicy ×\d+/);
    });

    test(profile === 'sandbox' ? 'says a destroy leaves nothing behind' : 'lists what a destroy keeps', () => {
      expect(review.markdown).toContain('## What `cdk destroy --all` leaves behind');
      if (profile === 'sandbox') expect(review.summary.leftovers).toBe(0);
      else expect(review.summary.leftovers).toBeGreaterThan(0);
    });

    test('ends with the idle cost estimate', () => {
      expect(review.markdown).toContain('## Idle cost estimate');
      expect(review.summary.idlePerDay).toBeGreaterThan(0);
    });
  });
});

describe('the compliance checks themselves', () => {
  test('acknowledgements follow the prefix (stack and database names)', () => {
    const app = testApp({ context: { prefix: 'demo-pay', profile: 'production' } });
    buildLake(app, parseConfig({ prefix: 'demo-pay', profile: 'production' }));
    app.synth();
    for (const name of PACK_NAMES) expect([name, new PACKS[name]().validateScope(app).violations.map((v) => v.ruleName)]).toEqual([name, []]);
  });

  test('the built-in validation fails synth on an invalid property', () => {
    const app = testApp({ validation: true });
    const stack = new Stack(app, 'Canary');
    const bucket = new s3.Bucket(stack, 'Bucket');
    (bucket.node.defaultChild as CfnResource).addPropertyOverride('ObjectLockEnabled', 'maybe');
    expect(() => app.synth()).toThrow(/ObjectLockEnabled: 'maybe' is not of type 'boolean' \(CloudFormation Validate\)/);
  });

  /** A canary per pack: a resource each pack must flag, so a pack that stopped running fails here. */
  const canaries: Record<(typeof PACK_NAMES)[number], { build: (stack: Stack) => void; rules: string[] }> = {
    AwsSolutions: { build: (stack) => new s3.CfnBucket(stack, 'Bucket'), rules: ['AwsSolutions-S1', 'AwsSolutions-S10'] },
    'PCI.DSS.321': { build: (stack) => new logs.CfnLogGroup(stack, 'Logs'), rules: ['PCI.DSS.321-CloudWatchLogGroupEncrypted', 'PCI.DSS.321-CloudWatchLogGroupRetentionPeriod'] },
    'NIST.800.53.R5': { build: (stack) => new s3.CfnBucket(stack, 'Bucket'), rules: ['NIST.800.53.R5-S3BucketReplicationEnabled', 'NIST.800.53.R5-S3DefaultEncryptionKMS'] },
    'HIPAA.Security': { build: (stack) => new s3.CfnBucket(stack, 'Bucket'), rules: ['HIPAA.Security-S3BucketVersioningEnabled', 'HIPAA.Security-S3BucketLoggingEnabled'] },
  };

  test.each(PACK_NAMES)('%s is live: it reports its canary', (name) => {
    const app = testApp();
    const stack = new Stack(app, 'Canary');
    canaries[name].build(stack);
    const rules = new PACKS[name]().validateScope(stack).violations.map((v) => v.ruleName);
    expect(rules).toEqual(expect.arrayContaining(canaries[name].rules));
  });

  /** A function with only compliance-pack findings (its AwsSolutions one is acknowledged). */
  function synthWithComplianceFinding(profile: 'sandbox' | 'production'): () => void {
    const app = testApp({ context: { profile } });
    const stack = new Stack(app, 'Canary');
    const fn = new lambda.Function(stack, 'Function', { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler=async()=>1') });
    Validations.of(fn).acknowledge({ id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]', reason: 'canary: only the compliance packs may fail' });
    addPacks(app, profile);
    return () => app.synth();
  }

  test('the production synth runs the compliance packs and fails on their findings', () => {
    expect(synthWithComplianceFinding('production')).toThrow(/PCI\.DSS\.321-LambdaInsideVPC[\s\S]*NIST\.800\.53\.R5-LambdaConcurrency[\s\S]*HIPAA\.Security-LambdaDLQ/);
  });

  test('the sandbox synth runs AwsSolutions only', () => {
    expect(PACKS_BY_PROFILE.sandbox).toEqual(['AwsSolutions']);
    expect(synthWithComplianceFinding('sandbox')).not.toThrow();
  });

  describe('the audit', () => {
    let app: App;
    let bucket: s3.CfnBucket;
    const audit = (id: string, reason = 'a reason long enough to read as one', on: IConstruct = bucket) => {
      Validations.of(on).acknowledge({ id, reason });
      return auditAcknowledgements(app, [{ path: on.node.path, id, reason }], new Set([app.node.path, bucket.stack.node.path]));
    };

    beforeEach(() => {
      app = testApp();
      bucket = new s3.CfnBucket(new Stack(app, 'Canary'), 'Bucket');
    });

    test('accepts an acknowledgement of a real finding, with its pack', () => {
      expect(audit('PCI.DSS.321-S3BucketReplicationEnabled')).toEqual([]);
    });

    test('rejects an id without a pack prefix, which silences nothing', () => {
      expect(audit('S3BucketReplicationEnabled')).toEqual([
        'S3BucketReplicationEnabled on Canary/Bucket: no pack prefix (AwsSolutions-, PCI.DSS.321-, NIST.800.53.R5-, HIPAA.Security-), so it matches no finding',
      ]);
      expect(new PACKS['PCI.DSS.321']().validateScope(app).violations.map((v) => v.ruleName)).toContain('PCI.DSS.321-S3BucketReplicationEnabled');
    });

    test('rejects an acknowledgement that matches no finding', () => {
      expect(audit('HIPAA.Security-DynamoDBPITREnabled')).toEqual(['HIPAA.Security-DynamoDBPITREnabled on Canary/Bucket: matches no finding']);
    });

    test('rejects a vague IAM5 acknowledgement and one without a reason', () => {
      expect(audit('AwsSolutions-IAM5')).toEqual([
        'AwsSolutions-IAM5 on Canary/Bucket: vague (IAM4/IAM5 need the [Action::…], [Resource::…] or [Policy::…] detail)',
        'AwsSolutions-IAM5 on Canary/Bucket: matches no finding',
      ]);
      expect(audit('AwsSolutions-S1', 'because')).toEqual(['AwsSolutions-S1 on Canary/Bucket: no real reason']);
    });

    test('rejects an acknowledgement on a stack', () => {
      expect(audit('AwsSolutions-S1', 'a reason long enough to read as one', bucket.stack)).toEqual([
        'AwsSolutions-S1 on Canary: on a stack or the app, not the narrowest construct',
      ]);
    });
  });
});
