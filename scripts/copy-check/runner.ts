/**
 * The copy check's worker. scripts/copy-check.ts forks it, in the apps' isolated
 * environment (scripts/lib/copy-check.ts, isolatedEnv) with the tsx loader, and sends it
 * tasks one at a time, each for one app (a fresh temporary CDK app):
 *
 * - typecheck: what `npx tsc -p tsconfig.json` does in the app, with the app's own
 *   TypeScript and tsconfig.json;
 * - synth: the page's example in each scenario of SYNTH_CHECKS, with the app as the
 *   working directory, its files and its node_modules.
 *
 * One process serves many apps, which is what makes the check fast: aws-cdk-lib and the
 * built-in CloudFormation validation start once, and the declaration files the apps share
 * (they all link the same packages) are parsed once. Node and TypeScript resolve every
 * import from the importing file's folder, so an app still sees only the packages in its
 * own node_modules: a package its page does not list fails to resolve, as in a real app.
 * The only packages this worker loads itself are aws-cdk-lib and constructs, and a synth
 * task first checks that the app resolves them to the very same files.
 */
import { realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { Construct, IConstruct } from 'constructs';
import type * as TypeScript from 'typescript';

export const SYNTH_CHECKS = ['bare-app', 'listed-flags', 'init-flags', 'twice-in-one-stack', 'two-regions', 'other-directory'] as const;
export type SynthCheck = (typeof SYNTH_CHECKS)[number];
/** The check name of a type-check (scripts/lib/copy-check.ts has the same). */
const TYPECHECK = 'typecheck';

/** Context lookups the two-regions check can answer, as cdk.context.json would after one `cdk synth` with credentials. */
export const ANSWERABLE_LOOKUPS = ['availability-zones'] as const;

export interface RunnerConfig {
  /** The app, absolute. */
  readonly dir: string;
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
  /** The context lookups the page says a stack with an explicit env needs (ANSWERABLE_LOOKUPS). */
  readonly lookups: string[];
}

export type Task =
  | { readonly id: number; readonly kind: 'typecheck'; readonly dir: string }
  | { readonly id: number; readonly kind: 'synth'; readonly config: RunnerConfig };

export interface CheckOutcome {
  readonly check: string;
  /** Undefined when the check passed. */
  readonly failure?: string;
}

export interface TaskResult {
  readonly id: number;
  readonly outcomes: CheckOutcome[];
  /** What the task wrote to stdout and stderr (esbuild's messages, for instance). */
  readonly output: string;
  /** CPU seconds the task took. */
  readonly seconds: number;
  /** Bytes of heap the worker uses after the task. */
  readonly memory: number;
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

/** Runs one task, capturing what it writes. Never throws: a failure is an outcome. */
export function runTask(task: Task): TaskResult {
  const output: string[] = [];
  const writes = [process.stdout, process.stderr].map((stream) => {
    const original = stream.write;
    stream.write = ((chunk: string | Uint8Array) => output.push(String(chunk)) > 0) as typeof stream.write;
    return () => (stream.write = original);
  });
  const cpu = process.cpuUsage();
  const cwd = process.cwd();
  try {
    const outcomes = task.kind === 'typecheck' ? [typecheck(task.dir)] : synthChecks(task.config);
    return { id: task.id, outcomes, output: output.join(''), seconds: elapsed(cpu), memory: process.memoryUsage().heapUsed };
  } finally {
    process.chdir(cwd);
    for (const restore of writes) restore();
  }
}

function elapsed(since: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(since);
  return (user + system) / 1e6;
}

// ----------------------------------------------------------------- typecheck

/** Parsed declaration files by compiler options, file and parse options, per TypeScript module. */
const sourceFiles = new WeakMap<object, Map<string, TypeScript.SourceFile>>();

/**
 * `tsc -p tsconfig.json` in `dir` with the app's own TypeScript: the same program and the
 * same diagnostics. The only difference is that files outside the app (the linked
 * packages' declarations) are parsed once for every app that reads them with the same
 * options, as TypeScript's language service shares them between projects.
 */
export function typecheck(dir: string): CheckOutcome {
  let ts: typeof TypeScript;
  try {
    ts = createRequire(path.join(dir, 'package.json'))('typescript');
  } catch {
    return { check: TYPECHECK, failure: 'typescript is not installed in the app' };
  }
  const system = { ...ts.sys, getCurrentDirectory: () => dir, onUnRecoverableConfigFileDiagnostic: () => undefined };
  const config = ts.getParsedCommandLineOfConfigFile(path.join(dir, 'tsconfig.json'), {}, system);
  if (!config) return { check: TYPECHECK, failure: 'tsc: tsconfig.json cannot be read' };
  const host = ts.createCompilerHost(config.options);
  host.getCurrentDirectory = () => dir;
  // tsc parses JSDoc only where it can hold type errors.
  host.jsDocParsingMode = ts.JSDocParsingMode.ParseForTypeErrors;
  let cache = sourceFiles.get(ts);
  if (!cache) sourceFiles.set(ts, (cache = new Map()));
  // The apps' options differ only in paths inside the app (tsconfig.json's own, typeRoots).
  const optionsKey = JSON.stringify(config.options, (_, v) => (typeof v === 'string' ? v.split(dir).join('<app>') : v));
  const parse = host.getSourceFile;
  const appDir = `${realpathSync(dir)}${path.sep}`;
  host.getSourceFile = (fileName, languageVersionOrOptions, onError, shouldCreate) => {
    if (fileName.startsWith(appDir) || fileName.startsWith(dir + path.sep)) return parse(fileName, languageVersionOrOptions, onError, shouldCreate);
    const { setExternalModuleIndicator: _, ...parseOptions } = typeof languageVersionOrOptions === 'object'
      ? languageVersionOrOptions : { languageVersion: languageVersionOrOptions };
    const key = `${optionsKey}\n${fileName}\n${JSON.stringify(parseOptions)}`;
    let file = cache.get(key);
    if (!file) {
      file = parse(fileName, languageVersionOrOptions, onError, shouldCreate);
      if (file) cache.set(key, file);
    }
    return file;
  };
  const program = ts.createProgram({
    rootNames: config.fileNames,
    options: config.options,
    host,
    projectReferences: config.projectReferences,
    configFileParsingDiagnostics: ts.getConfigFileParsingDiagnostics(config),
  });
  const errors = ts.getPreEmitDiagnostics(program).filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length === 0) return { check: TYPECHECK };
  const formatHost = { getCanonicalFileName: (f: string) => f, getCurrentDirectory: () => dir, getNewLine: () => '\n' };
  return { check: TYPECHECK, failure: summarizeTscErrors(ts.formatDiagnostics(errors, formatHost)) };
}

/** The missing modules, or else the first errors, of tsc's output. */
export function summarizeTscErrors(output: string): string {
  const errors = output.split('\n').filter((l) => /error TS\d+/.test(l));
  const missing = [...new Set(errors.flatMap((l) => [...l.matchAll(/Cannot find (?:module|type definition file for) '([^']+)'/g)].map((m) => m[1])))];
  if (missing.length > 0) return `tsc cannot find ${missing.sort().join(', ')}`;
  if (errors.length === 0) return `tsc failed: ${output.trim().split('\n').slice(0, 3).join(' ')}`;
  return `tsc: ${errors.slice(0, 3).join(' ')}${errors.length > 3 ? ` (+${errors.length - 3} more)` : ''}`;
}

// --------------------------------------------------------------------- synth

/** Loads the example and the construct from the app, and runs each check. */
export function synthChecks(config: RunnerConfig): CheckOutcome[] {
  const failAll = (failure: string) => config.checks.map((check) => ({ check, failure }));
  process.chdir(config.dir);
  const load = createRequire(path.join(config.dir, 'package.json'));
  for (const pkg of ['aws-cdk-lib', 'constructs']) {
    let resolved: string;
    try {
      resolved = load.resolve(pkg);
    } catch {
      return failAll(`${pkg} is not installed in the app`);
    }
    if (resolved !== require.resolve(pkg)) return failAll(`the app's ${pkg} (${resolved}) is not the copy check's (${require.resolve(pkg)})`);
  }
  let Example: ExampleClass;
  let constructClass: AnyClass;
  try {
    const exampleExports: Record<string, unknown> = load(path.resolve(config.example));
    const classes = Object.entries(exampleExports).filter(
      (e): e is [string, ExampleClass] => typeof e[1] === 'function' && e[1].prototype instanceof Construct,
    );
    if (classes.length !== 1) {
      return failAll(`${config.example} must export exactly one Construct class, found ${classes.map(([n]) => n).join(', ') || 'none'}`);
    }
    Example = classes[0][1];
    constructClass = (load(path.resolve(config.constructFile)) as Record<string, AnyClass>)[config.className];
  } catch (error) {
    const e = error as Error;
    return failAll(`the example did not load: ${e.name}: ${e.message.split('\n')[0]}`);
  }
  return config.checks.map((check): CheckOutcome => {
    try {
      const failure = runCheck(check, config, Example, constructClass);
      return failure ? { check, failure } : { check };
    } catch (error) {
      return { check, failure: (error as Error).message };
    }
  });
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
      const app = new App({ outdir, context: { ...config.initFlags, ...lookupAnswers(config.lookups) } });
      const stacks = REGIONS.map((region) => new Stack(app, `In-${region}`, { env: { account: ACCOUNT, region } }));
      for (const stack of stacks) new Example(stack, 'Example');
      const assembly = app.synth();
      const problems = [assemblyProblems(assembly), ...sameNames(assembly, stacks, (type) => GLOBAL_NAME_TYPES.has(type))]
        .filter((p): p is string => p !== undefined);
      return problems.length > 0 ? problems.join('; ') : undefined;
    }
  }
}

/**
 * The context a declared lookup leaves in cdk.context.json, for the two-region check's
 * account and regions. Availability zones: the region's first three, `<region>a` to `<region>c`.
 */
export function lookupAnswers(lookups: readonly string[]): Record<string, unknown> {
  const answers: Record<string, unknown> = {};
  for (const lookup of lookups) {
    if (lookup !== 'availability-zones') throw new Error(`the copy check cannot answer ${lookup} lookups, only ${ANSWERABLE_LOOKUPS.join(', ')}`);
    for (const region of REGIONS) answers[`availability-zones:account=${ACCOUNT}:region=${region}`] = ['a', 'b', 'c'].map((z) => `${region}${z}`);
  }
  return answers;
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

// -------------------------------------------------------------------- worker

if (require.main === module) {
  if (!process.send) throw new Error('the copy-check runner is a worker: scripts/copy-check.ts forks it');
  process.on('message', (task: Task) => process.send!(runTask(task)));
  process.on('disconnect', () => process.exit(0));
}

