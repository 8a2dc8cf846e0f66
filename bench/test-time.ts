/**
 * Where `npm test`'s time goes: each of its checks run alone (typecheck, lint, Python,
 * Jest), the CPU time of each Jest test file, and `npm test` itself, which runs the checks
 * in parallel on the machine's cores. Wall and CPU time (CPU: every process a check
 * starts); medians over --runs.
 *
 *   npm run bench:test -- [--runs 3] [--top 20]
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { childrenCpuMs, median } from './measure';

const ROOT = path.resolve(__dirname, '..');
const { values } = parseArgs({ options: { runs: { type: 'string', default: '1' }, top: { type: 'string', default: '20' } } });
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a whole number ≥ 1, got ${values.runs}`);

const timesFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bench-test-')), 'suites.jsonl');
const checks: Record<string, string[]> = {
  typecheck: ['run', '-s', 'typecheck'],
  lint: ['run', '-s', 'lint'],
  'test:python': ['run', '-s', 'test:python'],
  'test:unit (Jest)': ['run', '-s', 'test:unit', '--', `--setupFilesAfterEnv=${path.join(__dirname, 'jest-suite-cpu.js')}`],
  'npm test (all, in parallel)': ['test', '-s'],
};

function run(args: string[]): { wall: number; cpu: number } {
  const cpu = childrenCpuMs();
  const started = process.hrtime.bigint();
  const result = spawnSync('npm', args, {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1', TEST_TIMES_FILE: timesFile },
  });
  if (result.status !== 0) throw new Error(`npm ${args.join(' ')} failed:\n${result.stdout.slice(-3000)}\n${result.stderr.slice(-3000)}`);
  return { wall: Number(process.hrtime.bigint() - started) / 1e6, cpu: childrenCpuMs() - cpu };
}

const times: Record<string, Array<{ wall: number; cpu: number }>> = {};
for (let i = 0; i < runs; i++) {
  for (const [name, args] of Object.entries(checks)) {
    const t = run(args);
    (times[name] ??= []).push(t);
    console.log(`run ${i + 1}/${runs} ${name.padEnd(28)} ${(t.wall / 1000).toFixed(1).padStart(6)} s wall ${(t.cpu / 1000).toFixed(1).padStart(6)} s CPU`);
  }
}

const s = (ms: number) => (Number.isNaN(ms) ? '–' : (ms / 1000).toFixed(1)).padStart(8);
console.log(`\n${runs} run(s) on ${os.availableParallelism()} cores, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}; medians in s`);
console.log(`${'check'.padEnd(30)}${'wall'.padStart(8)}${'CPU'.padStart(8)}`);
for (const [name, ts] of Object.entries(times)) console.log(`${name.padEnd(30)}${s(median(ts.map((t) => t.wall)))}${s(median(ts.map((t) => t.cpu)))}`);

// The Jest run alone recorded each test file (npm test's own Jest run does not load the recorder).
const suites = new Map<string, Array<{ cpuMs: number; wallMs: number }>>();
for (const line of fs.readFileSync(timesFile, 'utf8').trim().split('\n')) {
  const { file, cpuMs, wallMs } = JSON.parse(line);
  const key = path.relative(ROOT, file);
  suites.set(key, [...(suites.get(key) ?? []), { cpuMs, wallMs }]);
}
const rows = [...suites].map(([file, ts]) => ({ file, cpu: median(ts.map((t) => t.cpuMs)), wall: median(ts.map((t) => t.wallMs)) })).sort((a, b) => b.cpu - a.cpu);
const total = rows.reduce((a, r) => a + r.cpu, 0);
console.log(`\nJest test files by CPU time (module loading and tests; median of ${runs} run(s), Jest alone): ${rows.length} files, ${s(total).trim()} s CPU in all`);
for (const r of rows.slice(0, Number(values.top))) console.log(`${s(r.cpu)} s CPU ${s(r.wall)} s wall  ${r.file}`);
const rest = rows.slice(Number(values.top));
if (rest.length) console.log(`${s(rest.reduce((a, r) => a + r.cpu, 0))} s CPU in the other ${rest.length} files`);
fs.rmSync(path.dirname(timesFile), { recursive: true, force: true });
