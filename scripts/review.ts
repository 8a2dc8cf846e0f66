/**
 * Synth for review: synthesizes both profiles (no bundling, built-in
 * validation on), writes a Markdown report per profile and prints a summary.
 *
 *   npm run review [-- --out cdk.out/review --prefix lake]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { PROFILES } from '../lib/config';
import { loadPrices } from '../lib/cost/prices';
import { complianceSummary } from '../lib/review/compliance';
import { BASELINE_PREFIX, normalizeAssets } from '../lib/review/baseline';
import { guardReplacements } from '../lib/review/replacement-guard';
import { buildReview, formatSummary } from '../lib/review/report';
import { readAcknowledgements, readBaseline } from './lib/baseline';
import { synthLake } from './lib/synth';

const HELP = `Usage: npm run review -- [--out DIR] [--prefix P]

Synthesizes the sandbox and production profiles and writes DIR/report-<profile>.md
(default DIR: cdk.out/review): resources per stack, IAM roles with wildcards
flagged, encryption of every data store, network exposure, findings and
acknowledgements per cdk-nag pack (AwsSolutions, PCI DSS 3.2.1, NIST 800-53 R5,
HIPAA Security), the built-in validation status, what a deploy would replace
or remove compared with the deployed baseline (test/baseline), what
cdk destroy --all leaves behind, and the idle cost.
Exits 1 if synth or validation fails, or if a deploy would replace or remove a
stateful resource without an acknowledgement. No AWS credentials needed.`;

function main(): number {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: path.join('cdk.out', 'review') },
      prefix: { type: 'string', default: 'lake' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const prices = loadPrices();
  fs.mkdirSync(values.out!, { recursive: true });
  let failed = false;
  for (const profile of PROFILES) {
    const synth = synthLake({ profile, context: { prefix: values.prefix }, validation: true });
    const guard = synth.error ? 'synth failed'
      : values.prefix !== BASELINE_PREFIX ? `the baseline is synthesized with prefix ${BASELINE_PREFIX}, this review with ${values.prefix}`
        : guardReplacements({ profile, baseline: readBaseline(profile), current: normalizeAssets(synth.templates), acknowledgements: readAcknowledgements() });
    const review = buildReview({
      profile,
      templates: synth.templates,
      acknowledgements: synth.acknowledgements,
      validation: synth.validation,
      synthError: synth.error?.message,
      prices,
      compliance: complianceSummary(synth.app, profile),
      guard,
    });
    const file = path.join(values.out!, `report-${profile}.md`);
    fs.writeFileSync(file, review.markdown + '\n');
    console.log(`${formatSummary(review.summary)}\n  report: ${file}\n`);
    failed ||= synth.error !== undefined || (review.summary.guardFailures ?? 0) > 0;
  }
  return failed ? 1 : 0;
}

process.exitCode = main();
