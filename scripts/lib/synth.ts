/**
 * Synthesizes the lake for a profile into a temporary directory, the way
 * `cdk synth` does but without bundling Lambda code, and returns the
 * templates as JSON. Used by `npm run cost`, `plan` and `review`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { parseConfig, ProfileName } from '../../lib/config';
import { Templates } from '../../lib/cost/estimate';
import { buildLake, LakeStacks } from '../../lib/lake';
import { Acknowledgement, ValidationReport } from '../../lib/review/report';

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
  /** Every cdk-nag acknowledgement in the construct tree. */
  readonly acknowledgements: Acknowledgement[];
  /** The synth's validation-report.json, when it wrote one. */
  readonly validation?: ValidationReport;
}

/** Acknowledgements recorded as construct metadata by `Validations.of(c).acknowledge()`. */
export function acknowledgementsIn(root: IConstruct): Acknowledgement[] {
  return root.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({ path: c.node.path, id: id.replace(/^annotation::/i, ''), reason }))),
  );
}

export function synthLake(options: SynthOptions): SynthResult {
  return synthApp(lakeApp(options).app);
}

/** The lake's app, built but not yet synthesized, so that a caller can change it first (the replacement guard's canaries do). */
export function lakeApp(options: SynthOptions): { app: App; stacks: LakeStacks } {
  const cdkJson = JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8'));
  const own = { profile: options.profile, ...options.context };
  const app = new App({
    outdir: options.outdir ?? fs.mkdtempSync(path.join(os.tmpdir(), `lake-${options.profile}-`)),
    context: { ...cdkJson.context, ...own, 'aws:cdk:bundling-stacks': [], 'aws:cdk:enable-path-metadata': true },
    builtinCloudFormationValidation: options.validation ?? false,
  });
  return { app, stacks: buildLake(app, parseConfig(own)) };
}

/** Synthesizes an app from `lakeApp`. */
export function synthApp(app: App): SynthResult {
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
  const report = path.join(app.outdir, 'validation-report.json');
  const validation = fs.existsSync(report) ? (JSON.parse(fs.readFileSync(report, 'utf8')) as ValidationReport) : undefined;
  return { app, assembly, templates, error, acknowledgements: acknowledgementsIn(app), validation };
}
