/**
 * Synthesizes the lake for a profile into a temporary directory, the way
 * `cdk synth` does but without bundling Lambda code, and returns the
 * templates as JSON. Used by `npm run cost`, `plan` and `review`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { parseConfig, ProfileName } from '../../lib/config';
import { Templates } from '../../lib/cost/estimate';
import { buildLake } from '../../lib/lake';

const ROOT = path.resolve(__dirname, '..', '..');

export interface SynthOptions {
  readonly profile: ProfileName;
  /** Extra app context, e.g. `{ prefix: 'demo', batch: false }`. */
  readonly context?: Record<string, unknown>;
  /** Run the built-in CloudFormation validation (writes validation-report.json). @default false */
  readonly validation?: boolean;
  /** Where to write the assembly. @default a new temporary directory */
  readonly outdir?: string;
}

export interface SynthResult {
  readonly app: App;
  readonly assembly: CloudAssembly;
  /** Stack name → template. */
  readonly templates: Templates;
  /** Whether synth threw (with validation on, a finding throws). */
  readonly error?: Error;
}

export function synthLake(options: SynthOptions): SynthResult {
  const cdkJson = JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8'));
  const own = { profile: options.profile, ...options.context };
  const app = new App({
    outdir: options.outdir ?? fs.mkdtempSync(path.join(os.tmpdir(), `lake-${options.profile}-`)),
    context: { ...cdkJson.context, ...own, 'aws:cdk:bundling-stacks': [] },
    builtinCloudFormationValidation: options.validation ?? false,
  });
  buildLake(app, parseConfig(own));
  let assembly: CloudAssembly;
  let error: Error | undefined;
  try {
    assembly = app.synth();
  } catch (err) {
    error = err as Error;
    assembly = new CloudAssembly(app.outdir);
  }
  const templates: Record<string, Record<string, unknown>> = {};
  for (const stack of assembly.stacks) templates[stack.stackName] = stack.template;
  return { app, assembly, templates, error };
}
