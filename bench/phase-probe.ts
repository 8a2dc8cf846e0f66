/**
 * Loaded into the app's process by bench/synth.ts, ahead of the app:
 *
 *   cdk synth --app "node --require ./bin/register.js --require ./bench/phase-probe.ts bin/app.ts"
 *
 * It times the phases of one synth (wall and CPU time) and counts the work that should
 * happen once, and writes both as JSON to $BENCH_PHASES_FILE when the process exits. It
 * wraps a few aws-cdk-lib methods (and the validation plugins the app registers) to time
 * them; it changes nothing they do. Without $BENCH_PHASES_FILE it does nothing.
 */
import type * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { App, AssetStaging, CloudFormationValidatePlugin, FileSystem, IPolicyValidationPluginBeta1, Validations } from 'aws-cdk-lib';

/** A point or a span of time: wall ms since the process started, and CPU ms of this process. */
export interface Time {
  wall: number;
  cpu: number;
}

/** What one synth did. */
export interface PhaseRecord {
  /** `new App()` returned: Node, tsx and module loading are done. */
  readonly appCreated: Time;
  readonly synthStart: Time;
  readonly synthEnd: Time;
  readonly exit: Time;
  /** Time inside asset bundling (AssetStaging), by asset path. Bundling runs while constructs are built. */
  readonly bundles: Record<string, Time>;
  /** Validation plugins run during synth: name → runs, templates per run, time. */
  readonly plugins: Record<string, { calls: number; templates: number[]; time: Time }>;
  /** Start-up of the built-in validator's engine (part of its plugin's time). */
  readonly validatorStart: Time;
  /** Source fingerprints (asset hashing), by path: how many times and how long. */
  readonly fingerprints: Record<string, { calls: number; time: Time }>;
  readonly synthCalls: number;
  /** cdk.json reads in the app process (the CLI passes context through the environment). */
  readonly cdkJsonReads: number;
}

const file = process.env.BENCH_PHASES_FILE;
if (file) install(file);

function now(): Time {
  const { user, system } = process.cpuUsage();
  return { wall: performance.now(), cpu: (user + system) / 1000 };
}

function install(out: string): void {
  const zero = (): Time => ({ wall: 0, cpu: 0 });
  const add = (total: Time, start: Time) => {
    const end = now();
    total.wall += end.wall - start.wall;
    total.cpu += end.cpu - start.cpu;
  };
  const record = {
    appCreated: zero(),
    synthStart: zero(),
    synthEnd: zero(),
    exit: zero(),
    bundles: {} as Record<string, Time>,
    plugins: {} as PhaseRecord['plugins'],
    validatorStart: zero(),
    fingerprints: {} as PhaseRecord['fingerprints'],
    synthCalls: 0,
    cdkJsonReads: 0,
  };
  /** `fn`, with the time of each call passed to `into` (with the call's arguments and `this`). */
  const timed = <A extends unknown[], R>(fn: (...args: A) => R, into: (args: A, self: unknown) => Time) =>
    function (this: unknown, ...args: A): R {
      const start = now();
      try {
        return fn.apply(this, args);
      } finally {
        add(into(args, this), start);
      }
    };

  (globalThis as Record<symbol, unknown>)[Symbol.for('@aws-cdk/core.App#initHook')] = () => {
    record.appCreated = now();
  };

  const synth = App.prototype.synth;
  App.prototype.synth = function (this: App, ...args: Parameters<App['synth']>) {
    if (++record.synthCalls > 1) return synth.apply(this, args);
    record.synthStart = now();
    try {
      return synth.apply(this, args);
    } finally {
      record.synthEnd = now();
    }
  };

  const staging = AssetStaging.prototype as unknown as { bundle: (options: unknown, dir: string) => void };
  staging.bundle = timed(staging.bundle, (_args, self) => (record.bundles[(self as AssetStaging).node.path] ??= zero()));

  FileSystem.fingerprint = timed(FileSystem.fingerprint, ([path]) => {
    const entry = (record.fingerprints[path] ??= { calls: 0, time: zero() });
    entry.calls++;
    return entry.time;
  });

  const pluginTime = ([context]: [{ templatePaths: string[] }], self: unknown) => {
    const entry = (record.plugins[(self as IPolicyValidationPluginBeta1).name] ??= { calls: 0, templates: [], time: zero() });
    entry.calls++;
    entry.templates.push(context.templatePaths.length);
    return entry.time;
  };
  const builtin = CloudFormationValidatePlugin.prototype as unknown as IPolicyValidationPluginBeta1 & { initializeEngine: () => unknown };
  builtin.validate = timed(builtin.validate, pluginTime);
  builtin.initializeEngine = timed(builtin.initializeEngine, () => record.validatorStart);
  const addPlugins = Validations.prototype.addPlugins;
  Validations.prototype.addPlugins = function (this: Validations, ...plugins: IPolicyValidationPluginBeta1[]) {
    for (const plugin of plugins) plugin.validate = timed(plugin.validate, pluginTime);
    return addPlugins.apply(this, plugins);
  };

  // The module object itself: an `import * as` namespace is a read-only copy.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const nodeFs = require('node:fs') as typeof fs;
  const readFileSync = nodeFs.readFileSync;
  (nodeFs as { readFileSync: unknown }).readFileSync = function (this: unknown, ...args: Parameters<typeof fs.readFileSync>) {
    if (String(args[0]).endsWith('cdk.json')) record.cdkJsonReads++;
    return readFileSync.apply(this, args);
  };

  process.on('exit', () => {
    record.exit = now();
    nodeFs.writeFileSync(out, JSON.stringify(record));
  });
}
