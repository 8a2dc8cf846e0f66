/**
 * Runs inside a copy-check app (a fresh temporary CDK app, see scripts/copy-check.ts),
 * from that app's own node_modules: it may import only aws-cdk-lib, constructs and
 * Node built-ins. It synthesizes the page's example in each scenario and writes one
 * outcome per check to the results file.
 *
 *   node --require tsx/cjs cdk.out/copy-check/runner.ts <config.json>   (from the app's root)
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { Construct, IConstruct } from 'constructs';

export const SYNTH_CHECKS = ['bare-app', 'listed-flags', 'init-flags', 'twice-in-one-stack', 'two-regions', 'other-directory'] as const;
export type SynthCheck = (typeof SYNTH_CHECKS)[number];

export interface RunnerConfig {
  /** The example, relative to the app: `lib/<name>-example.ts`. */
  readonly example: string;
  /** The construct file, relative to the app. */
  readonly constructFile: string;
  readonly className: string;
  readonly checks: SynthCheck[];
  /** `cdk init`'s feature flags. */
  readonly initFlags: Record<string, unknown>;
  /** The flags the page says the construct still needs. */
  readonly listedFlags: Record<string, boolean>;
  readonly results: string;
}

export interface CheckOutcome {
  readonly check: string;
  /** Undefined when the check passed. */
  readonly failure?: string;
}

/** Makes the built-in CloudFormation validation's findings errors. */
const VALIDATE = '@aws-cdk/core:validateAgainstDefaultRules';
/** Two regions in one (placeholder) account, for the two-region check. */
const ACCOUNT = '111111111111';
const REGIONS = ['us-east-1', 'eu-west-1'];
/** Resource types whose names are account-wide, not regional. */
export const GLOBAL_NAME_TYPES = new Set(['AWS::IAM::Role', 'AWS::IAM::ManagedPolicy', 'AWS::IAM::InstanceProfile', 'AWS::IAM::User', 'AWS::IAM::Group', 'AWS::S3::Bucket']);

type ExampleClass = new (scope: Construct, id: string) => Construct;
type AnyClass = abstract new (...args: never[]) => unknown;

function main(): void {
  const config: RunnerConfig = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const load = createRequire(path.resolve('package.json'));
  const exampleExports: Record<string, unknown> = load(path.resolve(config.example));
  const classes = Object.entries(exampleExports).filter(
    (e): e is [string, ExampleClass] => typeof e[1] === 'function' && e[1].prototype instanceof Construct,
  );
  if (classes.length !== 1) {
    throw new Error(`${config.example} must export exactly one Construct class, found ${classes.map(([n]) => n).join(', ') || 'none'}`);
  }
  const [, Example] = classes[0];
  const constructClass = (load(path.resolve(config.constructFile)) as Record<string, AnyClass>)[config.className];

  const outcomes = config.checks.map((check): CheckOutcome => {
    try {
      const failure = runCheck(check, config, Example, constructClass);
      return failure ? { check, failure } : { check };
    } catch (error) {
      return { check, failure: (error as Error).message };
    }
  });
  fs.writeFileSync(config.results, JSON.stringify(outcomes, undefined, 2));
}

function runCheck(check: SynthCheck, config: RunnerConfig, Example: ExampleClass, constructClass: AnyClass): string | undefined {
  const outdir = path.resolve('cdk.out', check);
  switch (check) {
    case 'bare-app': {
      const app = new App({ outdir, context: { [VALIDATE]: true } });
      new Example(new Stack(app, 'Bare'), 'Example');
      return assemblyProblems(app.synth());
    }
    case 'listed-flags': {
      const app = new App({ outdir, context: { [VALIDATE]: true, ...config.listedFlags } });
      new Example(new Stack(app, 'ListedFlags'), 'Example');
      return assemblyProblems(app.synth());
    }
    // The same scenario; the app around it has the construct file in lib/ rather than lib/constructs/.
    case 'other-directory':
    case 'init-flags': {
      const app = new App({ outdir, context: config.initFlags });
      new Example(new Stack(app, 'InitFlags'), 'Example');
      return assemblyProblems(app.synth());
    }
    case 'twice-in-one-stack': {
      const app = new App({ outdir, context: config.initFlags });
      const stack = new Stack(app, 'Twice');
      new Example(stack, 'First');
      new Example(stack, 'Second');
      const assembly = app.synth();
      const problems = [
        assemblyProblems(assembly),
        ...sharedAlarmMetrics(stack),
        ...sharedHelperMetrics(stack, constructClass),
        ...sameNames(assembly, [stack], () => true),
      ].filter((p): p is string => p !== undefined);
      return problems.length > 0 ? problems.join('; ') : undefined;
    }
    case 'two-regions': {
      const app = new App({ outdir, context: config.initFlags });
      const stacks = REGIONS.map((region) => new Stack(app, `In-${region}`, { env: { account: ACCOUNT, region } }));
      for (const stack of stacks) new Example(stack, 'Example');
      const assembly = app.synth();
      const problems = [assemblyProblems(assembly), ...sameNames(assembly, stacks, (type) => GLOBAL_NAME_TYPES.has(type))]
        .filter((p): p is string => p !== undefined);
      return problems.length > 0 ? problems.join('; ') : undefined;
    }
  }
}

/** Context lookups (which need credentials or cdk.context.json) and error annotations fail a check. */
export function assemblyProblems(assembly: CloudAssembly): string | undefined {
  const problems: string[] = [];
  const missing = assembly.manifest.missing ?? [];
  if (missing.length > 0) {
    problems.push(`needs context lookups (credentials or cdk.context.json): ${missing.map((m) => m.key).join(', ')}`);
  }
  for (const stack of assembly.stacks) {
    for (const message of stack.messages.filter((m) => m.level === 'error')) {
      problems.push(`error at ${message.id}: ${String(message.entry.data)}`);
    }
  }
  return problems.length > 0 ? problems.join('; ') : undefined;
}

/** Instance of a construct path: its first segment below the stack (`First`, `Second`). */
function instanceOf(c: IConstruct): string {
  return c.node.path.split('/')[1];
}

/** Alarms of different instances that watch the same metric see each other's signal. */
export function sharedAlarmMetrics(stack: Stack): string[] {
  const byMetric = new Map<string, cloudwatch.CfnAlarm[]>();
  for (const alarm of stack.node.findAll().filter((c): c is cloudwatch.CfnAlarm => c instanceof cloudwatch.CfnAlarm)) {
    const key = JSON.stringify(stack.resolve({
      namespace: alarm.namespace, metricName: alarm.metricName, dimensions: alarm.dimensions, metrics: alarm.metrics,
    }));
    byMetric.set(key, [...(byMetric.get(key) ?? []), alarm]);
  }
  return [...byMetric.entries()]
    .filter(([, alarms]) => new Set(alarms.map(instanceOf)).size > 1)
    .map(([key, alarms]) => `alarms ${alarms.map((a) => a.node.path).join(' and ')} watch the same metric ${key}`);
}

/** `metric*()` helpers that return the same metric for both instances. */
export function sharedHelperMetrics(stack: Stack, constructClass: AnyClass): string[] {
  const instances = stack.node.findAll().filter((c) => c instanceof constructClass);
  if (instances.length !== 2) return [];
  const names = Object.getOwnPropertyNames(constructClass.prototype).filter((n) => /^metric./.test(n));
  const problems: string[] = [];
  for (const name of names) {
    const keys = instances.map((instance) => {
      try {
        const metric = (instance as unknown as Record<string, () => unknown>)[name]();
        if (!(metric instanceof cloudwatch.Metric)) return undefined;
        return JSON.stringify(stack.resolve({ namespace: metric.namespace, metricName: metric.metricName, dimensions: metric.dimensions }));
      } catch {
        return undefined;
      }
    });
    if (keys[0] !== undefined && keys[0] === keys[1]) problems.push(`${name}() returns the same metric for both instances: ${keys[0]}`);
  }
  return problems;
}

/**
 * Literal physical names that two instances (or two stacks) both use. A resource's own
 * name is its `<Type>Name` property (`RoleName` for AWS::IAM::Role, `TableName` for
 * AWS::DynamoDB::Table), its `Name` for the types in NAME_IS_IDENTITY, or the `Name` inside
 * an `…Input` property (Glue's DatabaseInput). Names that need not be unique (an EMR
 * cluster's, a named query's within its workgroup, an inline IAM policy's within its
 * role) do not count.
 */
export function sameNames(assembly: CloudAssembly, stacks: Stack[], counts: (type: string) => boolean): string[] {
  const byName = new Map<string, Set<string>>();
  for (const stack of stacks) {
    const template = assembly.getStackArtifact(stack.artifactId).template as { Resources?: Record<string, { Type: string; Properties?: Record<string, unknown> }> };
    for (const cfn of stack.node.findAll().filter((c): c is CfnResource => CfnResource.isCfnResource(c))) {
      const resource = template.Resources?.[stack.resolve(cfn.logicalId)];
      if (!resource || !counts(resource.Type)) continue;
      for (const name of ownNames(resource.Type, resource.Properties ?? {})) {
        const key = `${resource.Type} ${name}`;
        byName.set(key, (byName.get(key) ?? new Set()).add(stacks.length > 1 ? stack.stackName : instanceOf(cfn)));
      }
    }
  }
  return [...byName.entries()].filter(([, owners]) => owners.size > 1).map(([key, owners]) => `${[...owners].join(' and ')} both create ${key}`);
}

/** Types whose `Name` property is unique per account and Region. */
const NAME_IS_IDENTITY = new Set([
  'AWS::Athena::WorkGroup', 'AWS::Events::Rule', 'AWS::Glue::Crawler', 'AWS::Glue::SecurityConfiguration',
  'AWS::EMR::SecurityConfiguration', 'AWS::Kinesis::Stream',
]);

function ownNames(type: string, properties: Record<string, unknown>): string[] {
  if (type === 'AWS::IAM::Policy') return [];
  const nameKeys = new Set([`${type.split('::').pop()}Name`, ...(NAME_IS_IDENTITY.has(type) ? ['Name'] : [])]);
  const names: string[] = [];
  for (const [key, value] of Object.entries(properties)) {
    if (nameKeys.has(key) && typeof value === 'string') names.push(value);
    if (key.endsWith('Input') && value && typeof value === 'object' && typeof (value as Record<string, unknown>).Name === 'string') {
      names.push((value as Record<string, string>).Name);
    }
  }
  return names;
}

if (require.main === module) main();
