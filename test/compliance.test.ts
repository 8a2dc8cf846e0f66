/**
 * The whole app, as `cdk synth` builds it, in both profiles:
 *  (a) cdk-nag AwsSolutions reports no unacknowledged finding;
 *  (b) the built-in CloudFormation validation, with findings as errors, passes;
 *  (c) every acknowledgement is specific, explained, and matches a real finding.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, CfnResource, Stack, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { parseConfig, PROFILES } from '../lib/config';
import { buildLake } from '../lib/lake';
import { testApp } from './helpers';

interface Acknowledgement {
  readonly path: string;
  readonly id: string;
  readonly reason: string;
  readonly onStackOrApp: boolean;
}

/**
 * Acknowledgements aws-cdk-lib makes itself, with its own reasons: W3010 on every stack whose
 * availability zones are read (e.g. by ec2.Vpc), F3002/F3003 on every ec2.FlowLog. Not ours.
 */
const CDK_OWN_ACKNOWLEDGEMENTS: Record<string, RegExp> = {
  'CloudFormation-Validate::W3010': /^Literal AZs in template are the result of accessing stack\.availabilityZones/,
  'CloudFormation-Validate::F3002': /^AWS::EC2::FlowLog DestinationOptions accepts properties in camelCase/,
  'CloudFormation-Validate::F3003': /^AWS::EC2::FlowLog DestinationOptions accepts properties in camelCase/,
};

function acknowledgements(root: IConstruct): Acknowledgement[] {
  return ownAndCdkAcknowledgements(root).filter((a) => !CDK_OWN_ACKNOWLEDGEMENTS[a.id]?.test(a.reason));
}

function ownAndCdkAcknowledgements(root: IConstruct): Acknowledgement[] {
  return root.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) =>
        Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({
          path: c.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
          onStackOrApp: Stack.isStack(c) || App.isApp(c),
        })),
      ),
  );
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

  beforeAll(() => {
    app = testApp({ context: { profile }, validation: true, bundling: true });
    buildLake(app, parseConfig({ profile }));
    try {
      app.synth();
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
