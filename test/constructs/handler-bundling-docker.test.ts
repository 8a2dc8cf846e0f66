/**
 * A project without esbuild: the constructs that bundle a handler fall back to Docker
 * (the SAM build image running esbuild through npx) and produce the same bundle.
 *
 * `docker` is a stand-in (CDK_DOCKER): it records its arguments and runs the container's
 * command on this machine with the /asset-input and /asset-output mounts mapped to their
 * host folders, and an `npx` that runs the installed esbuild. Whether the construct's
 * require('esbuild') finds esbuild is set by the mock below; each build loads it afresh
 * (jest.isolateModules), so the answer is never cached.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BUNDLING_CASES, bundleOf } from './bundling-cases';
import { ROOT, testStack } from '../helpers';

// doMock, not a hoisted mock: the constructs require esbuild only when they bundle, after this line.
const mockEsbuild = { installed: false };
jest.doMock('esbuild', () => {
  if (!mockEsbuild.installed) throw Object.assign(new Error("Cannot find module 'esbuild'"), { code: 'MODULE_NOT_FOUND' });
  return jest.requireActual('esbuild');
});

/** Child processes get the real environment, not jest's copy of it: the paths are written in. */
const fakeDocker = (log: string, bin: string) => `#!/usr/bin/env node
const fs = require('node:fs');
const { execFileSync } = require('node:child_process');
const args = process.argv.slice(2);
fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify(args) + '\\n');
if (args[0] !== 'run') process.exit(0);
const mounts = {};
const env = {};
let cwd = '/';
let i = 1;
for (; i < args.length && args[i].startsWith('-'); i++) {
  if (args[i] === '--rm') continue;
  const value = args[++i];
  if (args[i - 1] === '-v') mounts[value.split(':')[1]] = value.split(':')[0];
  if (args[i - 1] === '--env') env[value.split('=')[0]] = value.split('=').slice(1).join('=');
  if (args[i - 1] === '-w') cwd = value;
}
const host = (s) => Object.entries(mounts).reduce((t, [inside, outside]) => t.split(inside).join(outside), s);
const [, ...command] = args.slice(i);
execFileSync(command[0], command.slice(1).map(host), {
  cwd: host(cwd),
  env: { ...process.env, ...env, PATH: ${JSON.stringify(bin)} + ':' + process.env.PATH },
  stdio: ['ignore', 'pipe', 'pipe'],
});
`;

const FAKE_NPX = `#!/bin/sh
[ "$1" = "--yes" ] && [ "$2" = "esbuild@0.28" ] || { echo "unexpected: npx $*" >&2; exit 1; }
shift 2
exec "${path.join(ROOT, 'node_modules', '.bin', 'esbuild')}" "$@"
`;

let dir: string;
let log: string;
let stderr: string[];
const savedDocker = process.env.CDK_DOCKER;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-docker-'));
  log = path.join(dir, 'calls.jsonl');
  fs.mkdirSync(path.join(dir, 'bin'));
  fs.writeFileSync(path.join(dir, 'docker'), fakeDocker(log, path.join(dir, 'bin')), { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'bin', 'npx'), FAKE_NPX, { mode: 0o755 });
});

/** Each construct's builds start with no docker calls, the stand-in docker and a fresh stderr capture. */
function reset(): void {
  fs.rmSync(log, { force: true });
  process.env.CDK_DOCKER = path.join(dir, 'docker');
  stderr = [];
}

beforeEach(reset);

beforeAll(() => {
  jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr.push(String(chunk));
    return true;
  });
});

afterAll(() => jest.restoreAllMocks());

afterAll(() => {
  if (savedDocker === undefined) delete process.env.CDK_DOCKER;
  else process.env.CDK_DOCKER = savedDocker;
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs `fn` where esbuild can be loaded, or not. */
function esbuildInstalled<T>(installed: boolean, fn: () => T): T {
  mockEsbuild.installed = installed;
  let result: T | undefined;
  jest.isolateModules(() => {
    result = fn();
  });
  return result as T;
}
const withoutEsbuild = <T>(fn: () => T): T => esbuildInstalled(false, fn);

const dockerCalls = (): string[][] => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l)) : []);

describe.each(BUNDLING_CASES)('$construct without esbuild', (c) => {
  let local: ReturnType<typeof bundleOf>;
  let docker: ReturnType<typeof bundleOf>;
  let calls: string[][];
  let messages: string[];

  beforeAll(() => {
    reset();
    local = bundleOf(esbuildInstalled(true, () => c.build(testStack({ bundling: true }))));
    expect(dockerCalls()).toEqual([]);
    docker = bundleOf(withoutEsbuild(() => c.build(testStack({ bundling: true }))));
    calls = dockerCalls();
    messages = stderr;
  });

  test('bundles in the SAM Node.js 24 build image with esbuild 0.28 from npx', () => {
    const runs = calls.filter((args) => args[0] === 'run');
    expect(runs).toHaveLength(1);
    const image = runs[0].indexOf('public.ecr.aws/sam/build-nodejs24.x');
    expect(image).toBeGreaterThan(0);
    expect(runs[0].slice(image + 1, image + 3)).toEqual(['bash', '-c']);
    expect(runs[0][image + 3]).toMatch(new RegExp(`^'npx' '--yes' 'esbuild@0\\.28' '/asset-input/${c.defaultEntry}' '--outfile=/asset-output/index\\.js' `));
  });

  test('produces the same bundle as esbuild in this process', () => {
    expect(docker).toEqual(local);
  });

  test('says why it uses Docker and how to avoid it', () => {
    expect(messages).toContain(
      `${c.construct}: ${c.entryProp} ${c.defaultEntry} is bundled with Docker because esbuild is not installed; ` +
        '`npm install --save-dev esbuild` bundles it in this process.\n',
    );
  });

  test('fails synth, naming the missing docker, when Docker is not there either', () => {
    process.env.CDK_DOCKER = path.join(dir, 'no-such-docker');
    expect(() => withoutEsbuild(() => c.build(testStack({ bundling: true })))).toThrow(/Failed to bundle asset .*no-such-docker ENOENT/);
  });
});
