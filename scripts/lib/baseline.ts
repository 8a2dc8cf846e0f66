/**
 * Reads and writes the deployed baseline (test/baseline/<profile>/<stack>.json)
 * and synthesizes the working tree the same way, so both sides of the
 * replacement guard come from one code path.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PROFILES, ProfileName } from '../../lib/config';
import { CfnTemplate, Templates } from '../../lib/cost/estimate';
import { BASELINE_DIR, BASELINE_PREFIX, normalizeAssets } from '../../lib/review/baseline';
import { parseAcknowledgements, ReplacementAcknowledgement } from '../../lib/review/replacement-guard';
import { synthLake, SynthResult } from './synth';

const ROOT = path.resolve(__dirname, '..', '..');

export function baselineDir(profile: ProfileName, root = ROOT): string {
  return path.join(root, BASELINE_DIR, profile);
}

/** The working tree's templates for a profile, with the baseline's prefix and normalization. */
export function workingTreeTemplates(profile: ProfileName): Templates {
  return baselineTemplates(synthLake({ profile, context: { prefix: BASELINE_PREFIX } }));
}

/** A synth's templates normalized like the baseline; throws if synth failed. */
export function baselineTemplates(synth: SynthResult): Templates {
  if (synth.error) throw synth.error;
  return normalizeAssets(synth.templates);
}

/** Stack name → template, as committed. Empty when the profile has no baseline yet. */
export function readBaseline(profile: ProfileName, root = ROOT): Templates {
  const dir = baselineDir(profile, root);
  if (!fs.existsSync(dir)) return {};
  const templates: Record<string, CfnTemplate> = {};
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    templates[file.replace(/\.json$/, '')] = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
  }
  return templates;
}

/** Replaces the profile's baseline with these templates (stacks no longer synthesized are removed). */
export function writeBaseline(profile: ProfileName, templates: Templates, root = ROOT): void {
  const dir = baselineDir(profile, root);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  for (const [stack, template] of Object.entries(templates)) {
    fs.writeFileSync(path.join(dir, `${stack}.json`), JSON.stringify(template, null, 2) + '\n');
  }
}

const ACKNOWLEDGEMENTS_FILE = 'acknowledged-replacements.json';

/** The committed acknowledgements of intended replacements since the baseline. */
export function readAcknowledgements(root = ROOT): ReplacementAcknowledgement[] {
  return parseAcknowledgements(JSON.parse(fs.readFileSync(path.join(root, BASELINE_DIR, ACKNOWLEDGEMENTS_FILE), 'utf8')), PROFILES);
}

/** Empties the acknowledgements (a new baseline includes what they acknowledged); returns how many there were. */
export function clearAcknowledgements(root = ROOT): number {
  const file = path.join(root, BASELINE_DIR, ACKNOWLEDGEMENTS_FILE);
  const before = fs.existsSync(file) ? readAcknowledgements(root).length : 0;
  fs.writeFileSync(file, JSON.stringify({ acknowledgements: [] }, null, 2) + '\n');
  return before;
}
