/**
 * Records what users have deployed: writes the working tree's templates, per
 * profile, to test/baseline/<profile>/<stack>.json. The replacement guard then
 * compares later changes against them.
 *
 *   npm run baseline
 *
 * Run it when a version is released (deployed), never to make the guard pass.
 */
import { parseArgs } from 'node:util';
import { PROFILES } from '../lib/config';
import { baselineDir, clearAcknowledgements, workingTreeTemplates, writeBaseline } from './lib/baseline';

const HELP = `Usage: npm run baseline

Synthesizes the sandbox and production profiles (prefix "lake", no bundling,
asset hashes normalized) and replaces test/baseline/<profile>/ with the
templates. Empties test/baseline/acknowledged-replacements.json: the new
baseline already contains what they acknowledged. Run it for a release, after
the deploy: the baseline is what users have deployed. No AWS credentials needed.`;

function main(): number {
  const { values } = parseArgs({ options: { help: { type: 'boolean', default: false } } });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  for (const profile of PROFILES) {
    const templates = workingTreeTemplates(profile);
    writeBaseline(profile, templates);
    console.log(`${profile}: ${Object.keys(templates).length} stack(s) written to ${baselineDir(profile)}`);
  }
  console.log(`acknowledged replacements: ${clearAcknowledgements()} removed (the baseline now includes them)`);
  return 0;
}

process.exitCode = main();
