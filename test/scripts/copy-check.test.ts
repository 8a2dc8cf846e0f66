import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Annotations, App, Stack } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { EXPECTED_FAILURES } from '../../scripts/copy-check/expected-failures';
import * as ts from 'typescript';
import {
  assemblyProblems, GLOBAL_NAME_TYPES, lookupAnswers, sameNames, sharedAlarmMetrics, sharedHelperMetrics, summarizeTscErrors, SYNTH_CHECKS,
  typecheck,
} from '../../scripts/copy-check/runner';
import { constructFiles, pagePath, ROOT } from '../../scripts/lib/construct-docs';
import {
  cdkInitFlags, cdkInitPackages, constructPath, examplePath, ExpectedFailures, isolatedEnv, prepareApp, runnerConfig, runTasks,
  summarizeBundlingFailure, targetFromPage, TYPECHECK, verdict,
} from '../../scripts/lib/copy-check';

describe('verdict', () => {
  const expected: ExpectedFailures = {
    Lake: { 'bare-app': { reason: 'needs a flag', match: 'objectOwnership' } },
  };

  test('an expected failure with the expected message is known, not a problem', () => {
    const v = verdict([{ className: 'Lake', outcomes: [{ check: 'bare-app', failure: 'objectOwnership must be set' }] }], expected);
    expect(v).toEqual({ problems: [], known: ['Lake bare-app: objectOwnership must be set'] });
  });

  test('an unexpected failure is a problem', () => {
    const v = verdict([{ className: 'Other', outcomes: [{ check: 'typecheck', failure: 'tsc cannot find aws-lambda' }] }], {});
    expect(v.problems).toEqual(['Other typecheck: tsc cannot find aws-lambda']);
  });

  test('an expected failure that now passes is a problem, so that the map only shrinks', () => {
    const v = verdict([{ className: 'Lake', outcomes: [{ check: 'bare-app' }] }], expected);
    expect(v.problems).toEqual(['Lake bare-app: passes now; remove it from EXPECTED_FAILURES']);
  });

  test('an expected failure that fails for another reason is a problem', () => {
    const v = verdict([{ className: 'Lake', outcomes: [{ check: 'bare-app', failure: 'bundling failed' }] }], expected);
    expect(v.problems).toEqual(['Lake bare-app: fails, but not as EXPECTED_FAILURES says ("objectOwnership"): bundling failed']);
  });

  test('an entry for a check that did not run is stale in a full run, and ignored in a partial one', () => {
    expect(verdict([], expected).problems).toEqual(['Lake bare-app: in EXPECTED_FAILURES but not run; remove the entry']);
    expect(verdict([], expected, false).problems).toEqual([]);
  });
});

describe('EXPECTED_FAILURES', () => {
  const classNames = constructFiles().map((f) => fs.readFileSync(f, 'utf8').match(/export class (\w+) extends Construct/)![1]);

  test('names existing constructs and checks, each with a reason and a message to match', () => {
    const checks: string[] = [TYPECHECK, ...SYNTH_CHECKS];
    for (const [className, entries] of Object.entries(EXPECTED_FAILURES)) {
      expect(classNames).toContain(className);
      for (const [check, entry] of Object.entries(entries)) {
        expect(checks).toContain(check);
        expect(entry!.reason.length).toBeGreaterThan(20);
        expect(entry!.match.length).toBeGreaterThan(5);
      }
    }
  });
});

describe('failure summaries', () => {
  test('tsc errors become the modules it cannot find', () => {
    const output = [
      "lambda/x/index.ts(5,24): error TS2307: Cannot find module '@aws-lambda-powertools/logger' or its corresponding type declarations.",
      "lambda/x/index.ts(7,40): error TS2307: Cannot find module 'aws-lambda' or its corresponding type declarations.",
      "error TS2688: Cannot find type definition file for 'jest'.",
    ].join('\n');
    expect(summarizeTscErrors(output)).toBe('tsc cannot find @aws-lambda-powertools/logger, aws-lambda, jest');
  });

  test('other tsc errors are quoted, three at most', () => {
    const line = (n: number) => `lib/a.ts(${n},1): error TS2322: Type 'number' is not assignable to type 'string'.`;
    expect(summarizeTscErrors([1, 2, 3, 4].map(line).join('\n'))).toBe(`tsc: ${[1, 2, 3].map(line).join(' ')} (+1 more)`);
  });

  test('a bundling failure names what esbuild could not resolve, or that esbuild is missing', () => {
    const failure = 'Failed to bundle asset S/E/Fn/Code/Stage, bundle output is located at /tmp/x: CommandExitedWithNonZeroStatus: npx …';
    expect(summarizeBundlingFailure(failure, '✘ [ERROR] Could not resolve "@aws-lambda-powertools/metrics"\n'))
      .toBe('bundling S/E/Fn/Code/Stage failed: esbuild could not resolve @aws-lambda-powertools/metrics');
    expect(summarizeBundlingFailure(failure, 'npm error npx canceled due to missing packages and no YES option: ["esbuild@0.28.2"]'))
      .toBe('bundling S/E/Fn/Code/Stage failed: esbuild is not installed in the app');
    expect(summarizeBundlingFailure('something else', '')).toBe('something else');
  });
});

describe('the app environment', () => {
  test('keeps this project off the module search path', () => {
    const env = isolatedEnv({ PATH: `/work/x/node_modules/.bin${path.delimiter}/usr/bin`, NODE_PATH: '/work/x/node_modules', CDK_CONTEXT_JSON: '{}', HOME: '/root' });
    expect(env).toEqual({ PATH: '/usr/bin', HOME: '/root', CDK_DISABLE_VERSION_CHECK: '1' });
  });
});

describe('preparing an app', () => {
  let base: string;
  beforeAll(() => (base = fs.mkdtempSync(path.join(os.tmpdir(), 'copy-check-test-'))));
  afterAll(() => fs.rmSync(base, { recursive: true, force: true }));
  const target = () => targetFromPage('lake-delivery-stream', 'LakeDeliveryStream', fs.readFileSync(pagePath({ name: 'lake-delivery-stream' }), 'utf8'));

  test('lays it out as cdk init leaves it, with the listed files and the example', () => {
    const dir = path.join(base, 'standard');
    prepareApp(target(), dir);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'tsconfig.json'), 'utf8'))).toEqual(
      JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules/aws-cdk/lib/init-templates/app/typescript/tsconfig.json'), 'utf8')));
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'cdk.json'), 'utf8')).context).toEqual(cdkInitFlags());
    expect(fs.existsSync(path.join(dir, 'package-lock.json'))).toBe(true);
    for (const file of ['lib/constructs/lake-delivery-stream.ts', 'lambda/transform/index.ts', 'lambda/transform/transform.ts', 'lambda/shared/payment-event.ts']) {
      expect(fs.existsSync(path.join(dir, file))).toBe(true);
    }
    expect(fs.readFileSync(path.join(dir, examplePath('lake-delivery-stream')), 'utf8')).toBe(target().example);
  });

  test('installs only cdk init\'s packages and the listed ones, as links into this project', () => {
    const dir = path.join(base, 'packages');
    prepareApp(target(), dir);
    const installed = (folder: string): string[] => fs.readdirSync(folder).filter((n) => n !== '.bin').flatMap((n) =>
      n.startsWith('@') ? fs.readdirSync(path.join(folder, n)).map((m) => `${n}/${m}`) : [n]);
    const recipe = target().recipe;
    expect(installed(path.join(dir, 'node_modules')).sort())
      .toEqual([...new Set([...cdkInitPackages(), ...recipe.runtimePackages, ...recipe.devPackages])].sort());
    expect(fs.realpathSync(path.join(dir, 'node_modules', 'aws-cdk-lib'))).toBe(path.join(ROOT, 'node_modules', 'aws-cdk-lib'));
    expect(fs.existsSync(path.join(dir, 'node_modules', '.bin', 'esbuild'))).toBe(true);
    expect(cdkInitPackages()).toEqual(expect.arrayContaining(['aws-cdk-lib', 'constructs', 'typescript', '@types/node']));
  });

  test('in the other layout, puts the construct in lib/ and points the example at it', () => {
    const dir = path.join(base, 'moved');
    prepareApp(target(), dir, 'other-directory');
    expect(constructPath('lake-delivery-stream', 'other-directory')).toBe('lib/lake-delivery-stream.ts');
    expect(fs.existsSync(path.join(dir, 'lib', 'lake-delivery-stream.ts'))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'lib', 'constructs'))).toBe(false);
    const example = fs.readFileSync(path.join(dir, examplePath('lake-delivery-stream')), 'utf8');
    expect(example).toContain("from './lake-delivery-stream'");
    expect(example).not.toContain('./constructs/');
  });

  test("a worker gets the app, the layout's checks, the page's flags and lookups", () => {
    const t = target();
    expect(runnerConfig(t, '/apps/standard')).toEqual({
      dir: '/apps/standard',
      example: 'lib/lake-delivery-stream-example.ts',
      constructFile: 'lib/constructs/lake-delivery-stream.ts',
      className: 'LakeDeliveryStream',
      checks: ['bare-app', 'init-flags', 'twice-in-one-stack', 'two-regions'],
      initFlags: cdkInitFlags(),
      listedFlags: {},
      lookups: [],
    });
    const flagged = { ...t, recipe: { ...t.recipe, featureFlags: { '@aws-cdk/x:y': true }, lookups: ['availability-zones'] } };
    expect(runnerConfig(flagged, '/apps/standard')).toMatchObject({
      checks: ['bare-app', 'listed-flags', 'init-flags', 'twice-in-one-stack', 'two-regions'],
      listedFlags: { '@aws-cdk/x:y': true },
      lookups: ['availability-zones'],
    });
    expect(runnerConfig(t, '/apps/moved', 'other-directory')).toMatchObject({ constructFile: 'lib/lake-delivery-stream.ts', checks: ['other-directory'] });
  });

  test('refuses a recipe that lists a file that does not exist', () => {
    const t = target();
    const broken = { ...t, recipe: { ...t.recipe, files: [...t.recipe.files, 'lambda/nowhere/'] } };
    expect(() => prepareApp(broken, path.join(base, 'broken'))).toThrow('docs/constructs/lake-delivery-stream.md lists lambda/nowhere/, which does not exist');
  });
});

describe('what the synth checks detect', () => {
  class Watched extends Construct {
    constructor(scope: Construct, id: string, shared: boolean) {
      super(scope, id);
      this.metricFailures(shared ? 'demo' : id).createAlarm(this, 'Alarm', { threshold: 1, evaluationPeriods: 1 });
    }
    public metricFailures(service = 'demo'): cloudwatch.Metric {
      return new cloudwatch.Metric({ namespace: 'Demo', metricName: 'Failed', dimensionsMap: { service } });
    }
  }
  const app = () => new App({ builtinCloudFormationValidation: false, context: { 'aws:cdk:bundling-stacks': [] } });

  test('two instances whose alarms watch one metric', () => {
    const stack = new Stack(app(), 'Twice');
    new Watched(stack, 'First', true);
    new Watched(stack, 'Second', true);
    expect(sharedAlarmMetrics(stack)).toEqual([
      'alarms Twice/First/Alarm/Resource and Twice/Second/Alarm/Resource watch the same metric {"namespace":"Demo","metricName":"Failed","dimensions":[{"name":"service","value":"demo"}]}',
    ]);
    const separate = new Stack(app(), 'Separate');
    new Watched(separate, 'First', false);
    new Watched(separate, 'Second', false);
    expect(sharedAlarmMetrics(separate)).toEqual([]);
  });

  test('two instances whose metric helpers return one metric', () => {
    const stack = new Stack(app(), 'Twice');
    new Watched(stack, 'First', true);
    new Watched(stack, 'Second', true);
    expect(sharedHelperMetrics(stack, Watched)).toEqual([
      'metricFailures() returns the same metric for both instances: {"namespace":"Demo","metricName":"Failed","dimensions":{"service":"demo"}}',
    ]);
  });

  test('two instances or two stacks that create the same physical name', () => {
    const twice = app();
    const stack = new Stack(twice, 'Twice');
    for (const id of ['First', 'Second']) {
      const scope = new Construct(stack, id);
      new athena.CfnWorkGroup(scope, 'WorkGroup', { name: 'analysts' });
      // Named queries need unique names per workgroup only.
      new athena.CfnNamedQuery(scope, 'Query', { name: 'daily', database: 'lake', queryString: 'SELECT 1' });
    }
    expect(sameNames(twice.synth(), [stack], () => true)).toEqual(['First and Second both create AWS::Athena::WorkGroup analysts']);

    const regions = app();
    const stacks = ['us-east-1', 'eu-west-1'].map((region) => new Stack(regions, `In-${region}`, { env: { account: '111111111111', region } }));
    for (const s of stacks) {
      new iam.Role(s, 'Named', { assumedBy: new iam.AccountRootPrincipal(), roleName: 'fixed-name' });
      new iam.Role(s, 'Generated', { assumedBy: new iam.AccountRootPrincipal() });
      new athena.CfnWorkGroup(s, 'WorkGroup', { name: 'analysts' });
    }
    expect(sameNames(regions.synth(), stacks, (type) => GLOBAL_NAME_TYPES.has(type)))
      .toEqual(['In-us-east-1 and In-eu-west-1 both create AWS::IAM::Role fixed-name']);
  });

  test('context lookups and error annotations', () => {
    const a = app();
    const stack = new Stack(a, 'WithEnv', { env: { account: '111111111111', region: 'eu-west-1' } });
    new ec2.Vpc(stack, 'Vpc', { maxAzs: 1 });
    Annotations.of(stack).addError('something is wrong');
    expect(assemblyProblems(a.synth())).toBe(
      'needs context lookups (credentials or cdk.context.json): availability-zones:account=111111111111:region=eu-west-1; error at /WithEnv: something is wrong',
    );
  });
});

describe('declared context lookups', () => {
  test('are answered for the two-region check as cdk.context.json would, so a VPC in an env stack looks nothing up', () => {
    const answers = lookupAnswers(['availability-zones']);
    expect(answers).toEqual({
      'availability-zones:account=111111111111:region=us-east-1': ['us-east-1a', 'us-east-1b', 'us-east-1c'],
      'availability-zones:account=111111111111:region=eu-west-1': ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
    });
    const a = new App({ builtinCloudFormationValidation: false, context: answers });
    new ec2.Vpc(new Stack(a, 'WithEnv', { env: { account: '111111111111', region: 'eu-west-1' } }), 'Vpc', { maxAzs: 2 });
    expect(assemblyProblems(a.synth())).toBeUndefined();
  });

  test('other than availability zones are refused', () => {
    expect(() => lookupAnswers(['hosted-zone'])).toThrow('the copy check cannot answer hosted-zone lookups, only availability-zones');
  });
});

describe('the workers', () => {
  let base: string;
  beforeAll(() => (base = fs.mkdtempSync(path.join(os.tmpdir(), 'copy-check-workers-'))));
  afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

  /** A small app: its own tsconfig, this project's TypeScript, and a package shared with the other apps. */
  function app(name: string, source: string, pkg = 'shared-greeting'): string {
    const dir = path.join(base, name);
    const shared = path.join(base, pkg);
    if (!fs.existsSync(shared)) {
      fs.mkdirSync(shared);
      fs.writeFileSync(path.join(shared, 'package.json'), `{ "name": "${pkg}", "types": "index.d.ts" }`);
      fs.writeFileSync(path.join(shared, 'index.d.ts'), 'export declare function greet(name: string): string;\n');
    }
    fs.mkdirSync(path.join(dir, 'node_modules'), { recursive: true });
    fs.symlinkSync(path.join(ROOT, 'node_modules', 'typescript'), path.join(dir, 'node_modules', 'typescript'));
    fs.symlinkSync(shared, path.join(dir, 'node_modules', pkg));
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, noEmit: true, types: [], lib: ['es2022'] } }));
    fs.writeFileSync(path.join(dir, 'index.ts'), source);
    return dir;
  }

  test('a type-check passes a program that compiles and names what does not', () => {
    expect(typecheck(app('good', "import { greet } from 'shared-greeting';\nexport const hello: string = greet('you');\n"))).toEqual({ check: TYPECHECK });
    expect(typecheck(app('missing', "import { greet } from 'absent-package';\nexport const hello = greet('you');\n")))
      .toEqual({ check: TYPECHECK, failure: 'tsc cannot find absent-package' });
    expect(typecheck(app('wrong', "import { greet } from 'shared-greeting';\nexport const n: number = greet('you');\n")))
      .toEqual({ check: TYPECHECK, failure: "tsc: index.ts(2,14): error TS2322: Type 'string' is not assignable to type 'number'." });
  });

  test("apps that link one package parse its declarations once; each app's own files are read every time", () => {
    const first = app('first', "import { greet } from 'shared-hello';\nexport const a = greet('a');\n", 'shared-hello');
    const second = app('second', "import { greet } from 'shared-hello';\nexport const b = greet('b');\n", 'shared-hello');
    const reads = jest.spyOn(ts.sys, 'readFile');
    try {
      for (const dir of [first, second]) expect(typecheck(dir)).toEqual({ check: TYPECHECK });
      const read = reads.mock.calls.map(([file]) => file);
      expect(read.filter((f) => f.endsWith(`shared-hello${path.sep}index.d.ts`))).toHaveLength(1);
      expect(read.filter((f) => f.endsWith(`${path.sep}index.ts`))).toEqual([path.join(first, 'index.ts'), path.join(second, 'index.ts')]);
    } finally {
      reads.mockRestore();
    }
  });

  test('a worker that dies fails its task, and a new one runs the rest', async () => {
    const dying = path.join(base, 'dying');
    fs.mkdirSync(path.join(dying, 'lib'), { recursive: true });
    fs.mkdirSync(path.join(dying, 'node_modules'));
    for (const pkg of ['aws-cdk-lib', 'constructs']) fs.symlinkSync(path.join(ROOT, 'node_modules', pkg), path.join(dying, 'node_modules', pkg));
    fs.writeFileSync(path.join(dying, 'lib', 'dying-example.js'), 'process.exit(3);\n');
    const config = {
      dir: dying, example: 'lib/dying-example.js', constructFile: 'lib/dying.js', className: 'Dying',
      checks: ['bare-app' as const], initFlags: {}, listedFlags: {}, lookups: [],
    };
    const results = await runTasks([{ id: 0, kind: 'synth', config }, { id: 1, kind: 'typecheck', dir: app('after', 'export const x = 1;\n') }], 1);
    expect(results.map((r) => [r.id, r.outcomes])).toEqual([
      [0, [{ check: 'bare-app', failure: expect.stringMatching(/^the copy-check worker stopped \(exit code 3\)/) }]],
      [1, [{ check: TYPECHECK }]],
    ]);
  });
});
