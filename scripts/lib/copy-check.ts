/**
 * The copy check: copies one construct into a fresh app the way a user would,
 * following its page's copy recipe, and tries it. Each app is a temporary
 * directory laid out like `cdk init app --language typescript` leaves it:
 * cdk init's tsconfig.json, cdk.json with its feature flags, a package.json and a
 * lock file, and a node_modules that holds only cdk init's packages and the
 * packages the page lists (links into this project's node_modules; nothing is
 * downloaded). Then worker processes (scripts/copy-check/runner.ts) type-check the
 * app with its own TypeScript, and synthesize the page's example with the app's own
 * node_modules in each scenario.
 */
import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CheckOutcome, RunnerConfig, SynthCheck, Task, TaskResult } from '../copy-check/runner';
import { CopyRecipe, extractExample, parseCopyRecipe, ROOT } from './construct-docs';

export const TYPECHECK = 'typecheck';
export type CheckName = typeof TYPECHECK | SynthCheck;

const INIT_TEMPLATES = path.join(ROOT, 'node_modules', 'aws-cdk', 'lib', 'init-templates');
const INIT_APP = path.join(INIT_TEMPLATES, 'app', 'typescript');
const RUNNER = path.join(ROOT, 'scripts', 'copy-check', 'runner.ts');
/** The synth checks of the standard layout, with `listed-flags` after `bare-app` when the page lists flags. */
const STANDARD_CHECKS: readonly SynthCheck[] = ['bare-app', 'init-flags', 'twice-in-one-stack', 'two-regions'];

/** One construct to copy, as its page describes it. */
export interface CopyTarget {
  /** File name without `.ts`, e.g. `data-lake-storage`. */
  readonly name: string;
  readonly className: string;
  readonly recipe: CopyRecipe;
  readonly example: string;
}

export function targetFromPage(name: string, className: string, page: string): CopyTarget {
  const pageName = `docs/constructs/${name}.md`;
  return { name, className, recipe: parseCopyRecipe(page, pageName), example: extractExample(page, pageName) };
}

/** The example's place in the app: a user's lib/ file next to lib/constructs/. */
export function examplePath(name: string): string {
  return `lib/${name}-example.ts`;
}

/**
 * Where the construct file goes: `standard` keeps this project's layout
 * (`lib/constructs/<name>.ts` next to a top-level `lambda/`); `other-directory` puts it
 * in `lib/` itself, as a user with no constructs folder would, to show whether the
 * construct depends on where its file sits.
 */
export type Layout = 'standard' | 'other-directory';

export function constructPath(name: string, layout: Layout): string {
  return layout === 'standard' ? `lib/constructs/${name}.ts` : `lib/${name}.ts`;
}

/** The packages `cdk init app --language typescript` installs, as far as this project has them. */
export function cdkInitPackages(): string[] {
  const pkg = readJson(path.join(INIT_APP, 'package.json')) as Record<string, Record<string, string> | undefined>;
  return [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {})]
    .filter((name) => fs.existsSync(path.join(ROOT, 'node_modules', name)))
    .sort();
}

/** The feature flags `cdk init` writes into cdk.json. */
export function cdkInitFlags(): Record<string, unknown> {
  return readJson(path.join(INIT_TEMPLATES, '.recommended-feature-flags.json')) as Record<string, unknown>;
}

/** Lays out the app in `dir` (which must not exist yet). */
export function prepareApp(target: CopyTarget, dir: string, layout: Layout = 'standard'): void {
  fs.mkdirSync(path.join(dir, 'node_modules'), { recursive: true });
  const standardPath = constructPath(target.name, 'standard');
  if (!target.recipe.files.includes(standardPath)) {
    throw new Error(`docs/constructs/${target.name}.md: the copy recipe's files must include ${standardPath}`);
  }
  for (const file of target.recipe.files) {
    const from = path.join(ROOT, file);
    if (!fs.existsSync(from)) throw new Error(`docs/constructs/${target.name}.md lists ${file}, which does not exist`);
    const to = file === standardPath ? constructPath(target.name, layout) : file;
    fs.cpSync(from, path.join(dir, to), { recursive: true });
  }
  const example = path.join(dir, examplePath(target.name));
  fs.mkdirSync(path.dirname(example), { recursive: true });
  fs.writeFileSync(example, layout === 'standard' ? target.example : moveImport(target));

  fs.copyFileSync(path.join(INIT_APP, 'tsconfig.json'), path.join(dir, 'tsconfig.json'));
  writeJson(path.join(dir, 'cdk.json'), { app: 'npx tsx bin/app.ts', context: cdkInitFlags() });

  const packages = [...new Set([...cdkInitPackages(), ...target.recipe.runtimePackages, ...target.recipe.devPackages])].sort();
  const project = readJson(path.join(ROOT, 'package.json')) as Record<string, Record<string, string>>;
  const versions = { ...project.dependencies, ...project.devDependencies };
  const manifest = {
    name: `copy-${target.name}`,
    version: '0.1.0',
    private: true,
    dependencies: Object.fromEntries(packages.map((p) => [p, versions[p] ?? '*'])),
  };
  writeJson(path.join(dir, 'package.json'), manifest);
  // NodejsFunction looks for a lock file from the working directory up; `npm install` leaves one.
  writeJson(path.join(dir, 'package-lock.json'), {
    name: manifest.name, version: manifest.version, lockfileVersion: 3, requires: true, packages: { '': manifest },
  });
  for (const name of packages) linkPackage(name, dir);
}

/** The example importing the construct from `./<name>` instead of `./constructs/<name>`. */
function moveImport(target: CopyTarget): string {
  const from = `'./constructs/${target.name}'`;
  if (!target.example.includes(from)) throw new Error(`docs/constructs/${target.name}.md: the example must import ${from}`);
  return target.example.split(from).join(`'./${target.name}'`);
}

/** Links `node_modules/<name>` and its bin entries to this project's copy, as npm would install them. */
function linkPackage(name: string, dir: string): void {
  const source = path.join(ROOT, 'node_modules', name);
  if (!fs.existsSync(source)) throw new Error(`package ${name} is not installed in this project`);
  const target = path.join(dir, 'node_modules', name);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.symlinkSync(source, target, 'dir');
  const bin = (readJson(path.join(source, 'package.json')) as { bin?: string | Record<string, string> }).bin;
  const bins = typeof bin === 'string' ? { [name.split('/').pop()!]: bin } : bin ?? {};
  for (const [command, file] of Object.entries(bins)) {
    const link = path.join(dir, 'node_modules', '.bin', command);
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.symlinkSync(path.join(source, file), link);
  }
}

/**
 * The environment of the app's processes: no NODE_PATH, no CDK CLI variables, and no
 * node_modules/.bin of this project on PATH (`npm run` puts it there), so that only
 * the app's own packages are found.
 */
export function isolatedEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const clean: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(env)) {
    if (key === 'NODE_PATH' || key === 'NODE_OPTIONS' || key.startsWith('CDK_') || key.startsWith('npm_')) continue;
    clean[key] = value;
  }
  clean.PATH = (env.PATH ?? '').split(path.delimiter).filter((p) => !p.includes(`node_modules${path.sep}.bin`)).join(path.delimiter);
  clean.CDK_DISABLE_VERSION_CHECK = '1';
  return clean;
}

/** The checks of one app: the synth scenarios of its layout. */
export function synthChecksFor(target: CopyTarget, layout: Layout): SynthCheck[] {
  if (layout === 'other-directory') return ['other-directory'];
  const checks = [...STANDARD_CHECKS];
  if (Object.keys(target.recipe.featureFlags).length > 0) checks.splice(1, 0, 'listed-flags');
  return checks;
}

/** What a worker needs to synthesize the example of the app in `dir`. */
export function runnerConfig(target: CopyTarget, dir: string, layout: Layout = 'standard'): RunnerConfig {
  return {
    dir,
    example: examplePath(target.name),
    constructFile: constructPath(target.name, layout),
    className: target.className,
    checks: synthChecksFor(target, layout),
    initFlags: cdkInitFlags(),
    listedFlags: target.recipe.featureFlags,
    lookups: target.recipe.lookups,
  };
}

/**
 * Runs the tasks in `jobs` worker processes, each started in the apps' isolated
 * environment with only the tsx loader from this project. With two or more, workers
 * take turns at a kind, type-checks or synths, and run only that kind: each kind's
 * start-up (parsing the packages' declarations; loading aws-cdk-lib and its
 * validation) costs several seconds a process, and each task after it one or two. A
 * worker that dies fails its task and is replaced.
 */
export async function runTasks(tasks: readonly Task[], jobs: number, onResult?: (result: TaskResult) => void): Promise<TaskResult[]> {
  const queue = [...tasks];
  const results: TaskResult[] = [];
  const tsx = require.resolve('tsx/cjs', { paths: [ROOT] });
  const take = (kind: Task['kind'] | undefined): Task | undefined => {
    const i = queue.findIndex((t) => kind === undefined || t.kind === kind);
    return i >= 0 ? queue.splice(i, 1)[0] : undefined;
  };
  const worker = (kind: Task['kind'] | undefined) => new Promise<void>((resolve) => {
    const start = () => {
      const child = fork(RUNNER, [], { cwd: os.tmpdir(), env: isolatedEnv(), execArgv: ['--require', tsx], stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
      let current: Task | undefined;
      let stray = '';
      child.stdout!.on('data', (d) => (stray += d));
      child.stderr!.on('data', (d) => (stray += d));
      const next = () => {
        current = take(kind);
        if (current) child.send(current);
        else child.disconnect();
      };
      child.on('message', (result: TaskResult) => {
        results.push({ ...result, output: result.output + stray });
        onResult?.(result);
        stray = '';
        next();
      });
      child.on('exit', (code, signal) => {
        if (current) {
          const failure = `the copy-check worker stopped (${signal ?? `exit code ${code}`}): ${stray.trim().split('\n').slice(-3).join(' ')}`;
          const checks = current.kind === 'typecheck' ? [TYPECHECK] : current.config.checks;
          results.push({ id: current.id, outcomes: checks.map((check) => ({ check, failure })), output: stray, seconds: 0, memory: 0 });
          current = undefined;
          if (queue.some((t) => kind === undefined || t.kind === kind)) return start();
        }
        resolve();
      });
      next();
    };
    start();
  });
  const workers = Math.min(jobs, tasks.length);
  await Promise.all(Array.from({ length: workers }, (_, i) => worker(workers === 1 ? undefined : i % 2 === 0 ? 'typecheck' : 'synth')));
  // A task no worker ran fails rather than passing unseen.
  const ran = new Set(results.map((r) => r.id));
  for (const task of tasks.filter((t) => !ran.has(t.id))) {
    const checks = task.kind === 'typecheck' ? [TYPECHECK] : task.config.checks;
    results.push({ id: task.id, outcomes: checks.map((check) => ({ check, failure: 'no worker ran this task' })), output: '', seconds: 0, memory: 0 });
  }
  return results;
}

/** A task's outcomes with temporary paths replaced by `<app>` and `<apps>`, and bundling failures explained. */
export function presentOutcomes(result: TaskResult, dir: string): CheckOutcome[] {
  const relative = (text: string) => text.split(dir).join('<app>').split(path.dirname(dir)).join('<apps>');
  return result.outcomes.map((o) => (o.failure === undefined ? o : { ...o, failure: relative(summarizeBundlingFailure(o.failure, result.output)) }));
}

/**
 * A bundling failure says only that esbuild exited non-zero; the reason is in the
 * runner's output (esbuild's own errors, or npx's when esbuild is not installed).
 */
export function summarizeBundlingFailure(failure: string, output: string): string {
  const asset = /^Failed to bundle asset (\S+?),/.exec(failure);
  if (!asset) return failure;
  const text = `${failure}\n${output}`;
  const unresolved = [...new Set([...text.matchAll(/Could not resolve "([^"]+)"/g)].map((m) => m[1]))].sort();
  const reasons: string[] = [];
  if (unresolved.length > 0) reasons.push(`esbuild could not resolve ${unresolved.join(', ')}`);
  if (/npx canceled|could not determine executable to run|esbuild: (command )?not found|because esbuild is not installed/.test(text)) {
    reasons.push('esbuild is not installed in the app');
  }
  return `bundling ${asset[1]} failed: ${reasons.length > 0 ? reasons.join('; ') : 'esbuild exited non-zero'}`;
}

// ------------------------------------------------------------------- verdict

export interface ExpectedFailure {
  /** Why it fails today. */
  readonly reason: string;
  /** Text the failure message contains, so that another failure is not mistaken for this one. */
  readonly match: string;
}

export type ExpectedFailures = Readonly<Record<string, Partial<Record<CheckName, ExpectedFailure>>>>;

export interface ConstructResult {
  readonly className: string;
  readonly outcomes: CheckOutcome[];
}

export interface Verdict {
  /** Unexpected failures, expected failures that now pass or fail differently, and stale entries. */
  readonly problems: string[];
  /** Failures the map expects, as `Construct check: failure`. */
  readonly known: string[];
}

/** Compares the outcomes with the expected failures. The map may only shrink: a fixed failure is a problem until its entry goes. */
export function verdict(results: readonly ConstructResult[], expected: ExpectedFailures, complete = true): Verdict {
  const problems: string[] = [];
  const known: string[] = [];
  for (const { className, outcomes } of results) {
    for (const { check, failure } of outcomes) {
      const entry = expected[className]?.[check as CheckName];
      if (failure === undefined) {
        if (entry) problems.push(`${className} ${check}: passes now; remove it from EXPECTED_FAILURES`);
      } else if (!entry) {
        problems.push(`${className} ${check}: ${failure}`);
      } else if (!failure.includes(entry.match)) {
        problems.push(`${className} ${check}: fails, but not as EXPECTED_FAILURES says ("${entry.match}"): ${failure}`);
      } else {
        known.push(`${className} ${check}: ${failure}`);
      }
    }
  }
  if (complete) {
    const ran = new Set(results.flatMap((r) => r.outcomes.map((o) => `${r.className} ${o.check}`)));
    for (const [className, checks] of Object.entries(expected)) {
      for (const check of Object.keys(checks)) {
        if (!ran.has(`${className} ${check}`)) problems.push(`${className} ${check}: in EXPECTED_FAILURES but not run; remove the entry`);
      }
    }
  }
  return { problems, known };
}

function readJson(file: string): unknown {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

function writeJson(file: string, value: unknown): void {
  fs.writeFileSync(file, `${JSON.stringify(value, undefined, 2)}\n`);
}
