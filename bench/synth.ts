/**
 * Times `cdk synth` of the full app against a one-bucket floor app, with the
 * same CLI, flags and TS runner, interleaved, and prints the medians and ratio.
 *
 *   npm run bench:synth -- [--runs 5] [--profile sandbox]
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(__dirname, '..');
const CDK = path.join(ROOT, 'node_modules', '.bin', 'cdk');

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '5' }, profile: { type: 'string', default: 'sandbox' } },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 5) throw new Error(`--runs must be a whole number ≥ 5, got ${values.runs}`);

const apps = {
  full: 'node --require tsx/cjs bin/app.ts',
  floor: 'node --require tsx/cjs bench/floor-app.ts',
};

function synthSeconds(app: string): number {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-synth-'));
  const args = ['synth', '-q', '--app', app, '-o', out, '-c', `profile=${values.profile}`];
  const started = process.hrtime.bigint();
  const result = spawnSync(CDK, args, {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1' },
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  fs.rmSync(out, { recursive: true, force: true });
  if (result.status !== 0) throw new Error(`cdk synth --app "${app}" failed:\n${result.stderr}`);
  return seconds;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

const times: Record<keyof typeof apps, number[]> = { full: [], floor: [] };
synthSeconds(apps.floor); // warm the tsx and esbuild caches; not counted
synthSeconds(apps.full);
for (let i = 0; i < runs; i++) {
  for (const name of (i % 2 ? ['floor', 'full'] : ['full', 'floor']) as Array<keyof typeof apps>) {
    const t = synthSeconds(apps[name]);
    times[name].push(t);
    console.log(`run ${i + 1}/${runs} ${name.padEnd(5)} ${t.toFixed(2)} s`);
  }
}
const full = median(times.full);
const floor = median(times.floor);
console.log(`\nprofile ${values.profile}, ${runs} runs each, interleaved`);
console.log(`full app   median ${full.toFixed(2)} s`);
console.log(`floor app  median ${floor.toFixed(2)} s`);
console.log(`ratio      ${(full / floor).toFixed(2)}x (target ≤ 1.30x)`);
