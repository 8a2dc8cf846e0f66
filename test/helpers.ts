import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, AppProps, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';

export const ROOT = path.resolve(__dirname, '..');

/** The feature flags and settings from cdk.json, so tests see what `cdk synth` sees. */
export function cdkJsonContext(): Record<string, unknown> {
  cdkJson ??= JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')).context;
  return { ...cdkJson };
}
let cdkJson: Record<string, unknown> | undefined;

export interface TestAppOptions {
  /** Extra context, e.g. `{ profile: 'production' }`. */
  readonly context?: Record<string, unknown>;
  /** Run the built-in CloudFormation validation. Only the compliance suite does. */
  readonly validation?: boolean;
  /** Bundle Lambda assets with esbuild. Unit tests skip it. */
  readonly bundling?: boolean;
  /**
   * Record where each resource was created (`aws:cdk:creationStack` metadata), as `cdk synth` does.
   * Unit tests skip it: under Jest every trace is source-mapped frame by frame, about a tenth of
   * a construct test's CPU time, and no test reads it.
   * @default the same as `validation`: the compliance suite's real synth records them
   */
  readonly creationStackTraces?: boolean;
}

/** An App with the project's feature flags, no bundling, no built-in validation and no creation stack traces by default. */
export function testApp(options: TestAppOptions = {}): App {
  const context: Record<string, unknown> = { ...cdkJsonContext(), ...options.context };
  if (!options.bundling) context['aws:cdk:bundling-stacks'] = [];
  if (!(options.creationStackTraces ?? options.validation)) context['aws:cdk:disable-creation-stack-traces'] = true;
  const props: AppProps = {
    context,
    builtinCloudFormationValidation: options.validation ?? false,
  };
  return new App(props);
}

/** A bare stack in a test app, for construct tests. */
export function testStack(options: TestAppOptions = {}): Stack {
  return new Stack(testApp(options), 'TestStack');
}

/**
 * The stack's template with asset hashes and bundling-dependent values
 * replaced, so snapshots change only when the infrastructure does.
 */
export function normalizedTemplate(stack: Stack): unknown {
  const json = JSON.stringify(Template.fromStack(stack).toJSON());
  return JSON.parse(
    json
      .replace(/[0-9a-f]{64}(\.zip|\.json|\.tar\.gz)?/g, 'ASSET_HASH$1')
      .replace(/"S3Key":"[^"]*"/g, '"S3Key":"ASSET_KEY"'),
  );
}
