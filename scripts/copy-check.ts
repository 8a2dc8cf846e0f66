/**
 * Copy check: for each construct, a fresh temporary app with only cdk init's
 * packages and the ones its page lists, the files its page lists and its page's
 * example; then tsc, and a synth of the example in a bare App, with the page's
 * feature flags (if it lists any), with cdk init's flags, twice in one stack, and
 * in two regions, the built-in validation's findings as errors throughout; and once
 * more with the construct file in lib/ instead of lib/constructs/. Worker processes
 * (scripts/copy-check/runner.ts) run the type-checks and synths of every app.
 * Failures listed in scripts/copy-check/expected-failures.ts are expected; any
 * other failure, or an expected one that passes, exits 1.
 *
 *   npm run copy-check [-- --only DataLakeStorage,AlarmTopic] [--jobs 2] [--keep]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { EXPECTED_FAILURES } from './copy-check/expected-failures';
import type { CheckOutcome, Task, TaskResult } from './copy-check/runner';
import { readConstructApis } from './lib/construct-api';
import { constructFiles, pagePath, ROOT } from './lib/construct-docs';
import { ConstructResult, prepareApp, presentOutcomes, runnerConfig, runTasks, targetFromPage, verdict } from './lib/copy-check';

const HELP = `Usage: npm run copy-check -- [--only Name,Name] [--jobs N] [--keep]

--only  check these constructs (class names); stale EXPECTED_FAILURES entries are then not reported
--jobs  worker processes (default 2)
--keep     keep the temporary apps and print where they are
--verbose  print each task's CPU time as it ends`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      jobs: { type: 'string', default: '2' },
      keep: { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const jobs = Number(values.jobs);
  if (!Number.isInteger(jobs) || jobs < 1) throw new Error(`--jobs must be a whole number ≥ 1, got "${values.jobs}"`);
  const only = values.only?.split(',').map((s) => s.trim());

  const started = Date.now();
  const apis = readConstructApis(constructFiles(), ROOT).filter((a) => !only || only.includes(a.className));
  if (only && apis.length !== only.length) throw new Error(`--only names unknown constructs: ${only.join(', ')}`);
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'copy-check-'));
  const targets = apis.map((api) => targetFromPage(api.name, api.className, fs.readFileSync(pagePath(api), 'utf8')));

  // Per construct: a type-check and the synths of its app, and the other-directory synth of a second app.
  const tasks: Task[] = [];
  const owners = new Map<number, { className: string; dir: string }>();
  const add = (className: string, dir: string, task: Task) => {
    tasks.push(task);
    owners.set(task.id, { className, dir });
  };
  for (const target of targets) {
    const dir = path.join(base, target.name);
    const moved = path.join(base, `${target.name}-other-directory`);
    prepareApp(target, dir);
    prepareApp(target, moved, 'other-directory');
    add(target.className, dir, { id: tasks.length, kind: 'typecheck', dir });
    add(target.className, dir, { id: tasks.length, kind: 'synth', config: runnerConfig(target, dir) });
    add(target.className, moved, { id: tasks.length, kind: 'synth', config: runnerConfig(target, moved, 'other-directory') });
  }
  const outcomes = new Map<string, CheckOutcome[]>(targets.map((t) => [t.className, []]));
  const seconds = new Map<string, number>();
  const report = values.verbose ? (r: TaskResult) => {
    const task = tasks[r.id];
    const what = task.kind === 'typecheck' ? 'typecheck' : task.config.checks.join(',');
    console.log(`${owners.get(r.id)!.className} ${what}: ${r.seconds.toFixed(1)} s of CPU, ${(r.memory / 2 ** 20).toFixed(0)} MiB of heap after`);
  } : undefined;
  for (const result of (await runTasks(tasks, jobs, report)).sort((a, b) => a.id - b.id)) {
    const { className, dir } = owners.get(result.id)!;
    outcomes.get(className)!.push(...presentOutcomes(result, dir));
    seconds.set(className, (seconds.get(className) ?? 0) + result.seconds);
  }

  const results: ConstructResult[] = targets.map((t) => ({ className: t.className, outcomes: outcomes.get(t.className)! }));
  for (const { className, outcomes: list } of results) {
    const failed = list.filter((o) => o.failure !== undefined).map((o) => o.check);
    console.log(`${className}: ${list.length - failed.length}/${list.length} checks pass${failed.length ? ` (fail: ${failed.join(', ')})` : ''}, ${seconds.get(className)!.toFixed(1)} s of CPU in its tasks`);
  }
  const { problems, known } = verdict(results, EXPECTED_FAILURES, only === undefined);
  if (known.length > 0) console.log(`\nExpected failures (scripts/copy-check/expected-failures.ts):\n${known.map((k) => `  ${k}`).join('\n')}`);
  if (problems.length > 0) console.error(`\nProblems:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  console.log(`\n${targets.length} constructs in ${((Date.now() - started) / 1000).toFixed(1)} s with ${jobs} workers.`);
  if (values.keep) console.log(`Apps kept in ${base}`);
  else fs.rmSync(base, { recursive: true, force: true });
  return problems.length > 0 ? 1 : 0;
}

main().then((code) => (process.exitCode = code), (error: Error) => {
  console.error(error.message);
  process.exitCode = 1;
});
