/**
 * The whole app, as `cdk synth` builds it, in both profiles:
 *  (a) cdk-nag AwsSolutions reports no unacknowledged finding;
 *  (b) the built-in CloudFormation validation, with findings as errors, passes;
 *  (c) every acknowledgement is specific, explained, and matches a real finding.
 * The review report (`npm run review`) is checked on the same synthesized app, so the
 * expensive synth with validation runs once per profile.
 *
 * Lambda code is bundled in the sandbox run only: bundling does not depend on the profile.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { parseConfig, PROFILES } from '../lib/config';
import { loadPrices } from '../lib/cost/prices';
import { buildLake } from '../lib/lake';
import { buildReview, Review, ValidationReport } from '../lib/review/report';
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

/** Every AwsSolutions finding, acknowledged or not, as rule id → construct paths. */
function allFindings(root: IConstruct): Map<string, string[]> {
  const pack = new AwsSolutionsChecks();
  (pack as unknown as { isAcknowledged: () => boolean }).isAcknowledged = () => false;
  const findings = new Map<string, string[]>();
  for (const v of pack.validateScope(root).violations) {
    findings.set(v.ruleName, v.violatingResources.map((r) => r.constructPath ?? ''));
  }
  return findings;
}

describe.each(PROFILES)('the %s app', (profile) => {
  let app: App;
  let synthError: unknown;

  const templates: Record<string, Record<string, unknown>> = {};

  beforeAll(() => {
    app = testApp({ context: { profile }, validation: true, bundling: profile === 'sandbox' });
    buildLake(app, parseConfig({ profile }));
    try {
      for (const stack of app.synth().stacks) templates[stack.stackName] = stack.template;
    } catch (err) {
      synthError = err;
    }
  });

  test('synthesizes with the built-in CloudFormation validation treating findings as errors', () => {
    expect(app.node.tryGetContext('@aws-cdk/core:validateAgainstDefaultRules')).toBe(true);
    expect(synthError).toBeUndefined();
  });

  test('the validation report has no findings', () => {
    const report = JSON.parse(fs.readFileSync(path.join(app.outdir, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports.flatMap((r: { violations: unknown[] }) => r.violations)).toEqual([]);
  });

  test('cdk-nag AwsSolutions finds no unacknowledged violation', () => {
    const violations = new AwsSolutionsChecks().validateScope(app).violations;
    expect(violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
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

  test('every acknowledgement is specific, explained and matches a real finding', () => {
    const findings = allFindings(app);
    for (const ack of acknowledgements(app)) {
      const where = `${ack.id} on ${ack.path}`;
      expect([where, ack.onStackOrApp]).toEqual([where, false]);
      expect([where, ack.id]).toEqual([where, expect.stringMatching(/^AwsSolutions-[A-Z]+\d+(\[[^\]]+\])?$/)]);
      if (/^AwsSolutions-IAM[45]/.test(ack.id)) {
        expect([where, ack.id]).toEqual([where, expect.stringMatching(/\[(Action|Resource|Policy)::.+\]$/)]);
      }
      expect([where, ack.reason.trim().length >= 20]).toEqual([where, true]);
      const matched = (findings.get(ack.id) ?? []).some((p) => p === ack.path || p.startsWith(`${ack.path}/`));
      expect([where, matched ? 'matches a finding' : 'matches no finding']).toEqual([where, 'matches a finding']);
    }
  });

  describe('the review report', () => {
    let review: Review;

    beforeAll(() => {
      const validation = JSON.parse(fs.readFileSync(path.join(app.outdir, 'validation-report.json'), 'utf8')) as ValidationReport;
      review = buildReview({ profile, templates, acknowledgements: acknowledgementsIn(app), validation, prices: loadPrices() });
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
    const app = testApp({ context: { prefix: 'demo-pay' } });
    buildLake(app, parseConfig({ prefix: 'demo-pay' }));
    app.synth();
    expect(new AwsSolutionsChecks().validateScope(app).violations.map((v) => v.ruleName)).toEqual([]);
  });

  test('the built-in validation fails synth on an invalid property', () => {
    const app = testApp({ validation: true });
    const stack = new Stack(app, 'Canary');
    const bucket = new s3.Bucket(stack, 'Bucket');
    (bucket.node.defaultChild as CfnResource).addPropertyOverride('ObjectLockEnabled', 'maybe');
    expect(() => app.synth()).toThrow(/ObjectLockEnabled: 'maybe' is not of type 'boolean' \(CloudFormation Validate\)/);
  });

  test('cdk-nag reports an unencrypted, unlogged bucket', () => {
    const app = testApp();
    const stack = new Stack(app, 'Canary');
    new s3.CfnBucket(stack, 'Bucket');
    const rules = new AwsSolutionsChecks().validateScope(stack).violations.map((v) => v.ruleName);
    expect(rules).toEqual(expect.arrayContaining(['AwsSolutions-S1', 'AwsSolutions-S10']));
  });
});
