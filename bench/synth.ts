/**
 * Times `cdk synth` of the full app against a one-bucket floor app, with the same CLI,
 * flags and TS runner (cdk.json's app command), interleaved, and prints the median of each phase for both, so a
 * regression shows where it came from. bench/phase-probe.ts times the phases inside
 * the app's process; the CLI's share is the wall time the app's process does not cover.
 *
 * It also checks the work that must happen once per synth: the built-in validation and
 * each cdk-nag pack run once over all stacks, no asset is bundled or fingerprinted
 * twice, and the app does not read cdk.json. It exits 1 when one of them does not hold.
 *
 *   npm run bench:synth -- [--runs 5] [--profile sandbox]
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { childrenCpuMs, median } from './measure';
import type { PhaseRecord, Time } from './phase-probe';

const ROOT = path.resolve(__dirname, '..');
const CDK = path.join(ROOT, 'node_modules', '.bin', 'cdk');
const BUILTIN_VALIDATION = 'CloudFormation Validate';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '5' }, profile: { type: 'string', default: 'sandbox' } },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 5) throw new Error(`--runs must be a whole number ≥ 5, got ${values.runs}`);

// The app command from cdk.json, with the probe loaded ahead of the app; the floor runs the same way.
const APP = JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')).app as string;
if (!APP.endsWith(' bin/app.ts')) throw new Error(`cdk.json: expected an app command ending in bin/app.ts, got ${APP}`);
const NODE = `${APP.slice(0, -' bin/app.ts'.length)} --require ./bench/phase-probe.ts`;
const apps = { full: `${NODE} bin/app.ts`, floor: `${NODE} bench/floor-app.ts` };
type AppName = keyof typeof apps;

interface Run {
  /** Wall time of `cdk synth`, and CPU time of it and every process it started (NaN where unknown). */
  readonly total: Time;
  readonly record: PhaseRecord;
  readonly stacks: number;
}

function synth(app: string): Run {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-synth-'));
  const phasesFile = path.join(out, 'phases.json');
  const args = ['synth', '-q', '--app', app, '-o', path.join(out, 'cdk.out'), '-c', `profile=${values.profile}`];
  try {
    const started = process.hrtime.bigint();
    const cpuBefore = childrenCpuMs();
    const result = spawnSync(CDK, args, {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1', BENCH_PHASES_FILE: phasesFile },
    });
    const total = { wall: Number(process.hrtime.bigint() - started) / 1e6, cpu: childrenCpuMs() - cpuBefore };
    if (result.status !== 0) throw new Error(`cdk synth --app "${app}" failed:\n${result.stderr}`);
    const stacks = fs.readdirSync(path.join(out, 'cdk.out')).filter((f) => f.endsWith('.template.json')).length;
    return { total, record: JSON.parse(fs.readFileSync(phasesFile, 'utf8')), stacks };
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

const sum = (times: Time[]): Time => ({ wall: times.reduce((a, t) => a + t.wall, 0), cpu: times.reduce((a, t) => a + t.cpu, 0) });
const minus = (a: Time, ...bs: Time[]): Time => ({ wall: a.wall - sum(bs).wall, cpu: a.cpu - sum(bs).cpu });

/** The phases of one run; they add up to the total. */
function phases({ total, record: r }: Run): Record<string, Time> {
  const bundle = sum(Object.values(r.bundles));
  const zero = { wall: 0, cpu: 0 };
  const validation = r.plugins[BUILTIN_VALIDATION]?.time ?? zero;
  const nag = sum(Object.entries(r.plugins).filter(([name]) => name !== BUILTIN_VALIDATION).map(([, p]) => p.time));
  return {
    'CLI (start, run the app, read the assembly)': minus(total, r.exit),
    'load (Node, tsx, modules)': r.appCreated,
    'build constructs': minus(r.synthStart, r.appCreated, bundle),
    'bundle Lambda code': bundle,
    'write the assembly': minus(r.synthEnd, r.synthStart, validation, nag),
    'built-in validation': validation,
    '  of which validator start-up': r.validatorStart,
    'cdk-nag': nag,
    'exit': minus(r.exit, r.synthEnd),
    'total': total,
  };
}

/** What must happen once per synth; each line is [holds, description]. */
function onceChecks({ record: r, stacks }: Run): Array<[boolean, string]> {
  const checks: Array<[boolean, string]> = Object.entries(r.plugins).map(([name, p]) => [
    p.calls === 1 && p.templates[0] === stacks,
    `${name}: ${p.calls} run(s), over ${p.templates.join(', ')} of ${stacks} templates`,
  ]);
  if (!r.plugins[BUILTIN_VALIDATION]) checks.push([false, `${BUILTIN_VALIDATION}: did not run`]);
  if (Object.keys(r.plugins).length < 2) checks.push([false, 'cdk-nag: did not run']);
  const twice = Object.entries(r.fingerprints).filter(([, f]) => f.calls > 1);
  checks.push([twice.length === 0, `asset fingerprints: ${Object.keys(r.fingerprints).length} paths, ${twice.length ? `twice or more: ${twice.map(([p]) => p).join(', ')}` : 'none twice'}`]);
  checks.push([true, `bundled assets: ${Object.keys(r.bundles).length} (${Object.entries(r.bundles).map(([p, t]) => `${p.split('/').slice(-3, -2)} ${t.wall.toFixed(0)} ms`).join(', ')})`]);
  checks.push([r.synthCalls === 1, `App.synth calls: ${r.synthCalls}`]);
  checks.push([r.cdkJsonReads === 0, `cdk.json reads in the app process: ${r.cdkJsonReads}`]);
  return checks;
}

const results: Record<AppName, Run[]> = { full: [], floor: [] };
synth(apps.floor); // warm the tsx and esbuild caches; not counted
synth(apps.full);
for (let i = 0; i < runs; i++) {
  for (const name of (i % 2 ? ['floor', 'full'] : ['full', 'floor']) as AppName[]) {
    const run = synth(apps[name]);
    results[name].push(run);
    console.log(`run ${i + 1}/${runs} ${name.padEnd(5)} ${(run.total.wall / 1000).toFixed(2)} s`);
  }
}

const medians = (name: AppName): Record<string, Time> => {
  const all = results[name].map(phases);
  return Object.fromEntries(Object.keys(all[0]).map((k) => [k, { wall: median(all.map((p) => p[k].wall)), cpu: median(all.map((p) => p[k].cpu)) }]));
};
const full = medians('full');
const floor = medians('floor');
const ms = (x: number, width = 8) => (Number.isNaN(x) ? '–' : x.toFixed(0)).padStart(width);
console.log(`\nprofile ${values.profile}, ${runs} runs each, interleaved; median of each phase in ms (medians do not add up exactly)`);
console.log(`${''.padEnd(46)}${'wall'.padStart(24)}   ${'CPU'.padStart(21)}`);
console.log(`${'phase'.padEnd(46)}${'full'.padStart(8)}${'floor'.padStart(8)}${'diff'.padStart(8)}   ${'full'.padStart(7)}${'floor'.padStart(7)}${'diff'.padStart(7)}`);
for (const k of Object.keys(full)) {
  const [a, b] = [full[k], floor[k]];
  console.log(`${k.padEnd(46)}${ms(a.wall)}${ms(b.wall)}${ms(a.wall - b.wall)}   ${ms(a.cpu, 7)}${ms(b.cpu, 7)}${ms(a.cpu - b.cpu, 7)}`);
}
console.log(`ratio (wall) ${(full.total.wall / floor.total.wall).toFixed(2)}x, CPU ${(full.total.cpu / floor.total.cpu).toFixed(2)}x (target ≤ 1.50x, stretch 1.30x)`);
console.log('CPU: the app process with its threads (not the esbuild service process); total and CLI: every process of the synth.');

console.log('\nonce per synth (last full-app run; every run is checked):');
for (const [holds, line] of onceChecks(results.full[results.full.length - 1])) console.log(`  ${holds ? 'ok  ' : 'FAIL'} ${line}`);
const failures = results.full.flatMap(onceChecks).filter(([holds]) => !holds);
for (const [, line] of failures) console.log(`  FAIL (a run) ${line}`);
if (failures.length) process.exitCode = 1;
