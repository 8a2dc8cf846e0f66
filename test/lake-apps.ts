/**
 * The whole lake, built once per configuration and test file, for test/lake.test.ts and its
 * parts. Apart from test/helpers.ts, so that a construct test does not load every stack.
 */
import { parseConfig, ProfileName } from '../lib/config';
import { Templates } from '../lib/cost/estimate';
import { buildLake, LakeStacks } from '../lib/lake';
import { workingTreeTemplates } from '../scripts/lib/baseline';
import { testApp } from './helpers';

const lakes = new Map<string, LakeStacks>();

/**
 * The whole lake for a context (no bundling, no built-in validation), built once per
 * configuration and test file: the parts of test/lake.test.ts share it instead of building
 * the app for every test, and contexts that parse to the same configuration (`{}` and
 * `{ profile: 'sandbox' }`) share one app. Do not add constructs to the returned stacks.
 */
export function lake(context: Record<string, string> = {}): LakeStacks {
  const config = parseConfig(context);
  const key = JSON.stringify(config);
  let stacks = lakes.get(key);
  if (!stacks) {
    stacks = buildLake(testApp({ context }), config);
    lakes.set(key, stacks);
  }
  return stacks;
}

const templatesByProfile = new Map<ProfileName, Templates>();

/**
 * The whole lake's templates for a profile, synthesized as `npm run baseline` does
 * (prefix lake, path metadata, no bundling, asset hashes normalized), once per test file.
 */
export function lakeTemplates(profile: ProfileName): Templates {
  let templates = templatesByProfile.get(profile);
  if (!templates) {
    templates = workingTreeTemplates(profile);
    templatesByProfile.set(profile, templates);
  }
  return templates;
}
