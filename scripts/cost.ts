/**
 * Prints the idle cost of the lake for a profile, and optionally the usage
 * cost for a traffic level.
 *
 *   npm run cost -- --profile sandbox
 *   npm run cost -- --profile production --events-per-sec 200 --avg-kb 1.5
 */
import { parseArgs } from 'node:util';
import { PROFILES, ProfileName } from '../lib/config';
import { describeLake, estimateIdle, estimateRun, estimateUsage } from '../lib/cost/estimate';
import { formatIdle, formatRun, formatUsage } from '../lib/cost/format';
import { loadPrices } from '../lib/cost/prices';
import { synthLake } from './lib/synth';

const HELP = `Usage: npm run cost -- [--profile sandbox|production] [--events-per-sec N --avg-kb K] [--run-minutes 30] [--prefix P]

Synthesizes the app (no bundling, no credentials needed) and prints:
  - idle $/day and $/month per stack, resource by resource, with the basis of each figure
  - the cost of one batch run whose cluster exists for --run-minutes (default 30)
  - with --events-per-sec and --avg-kb: the usage-driven cost per day and month
Every assumption is printed. Prices: data/prices-us-east-1.json.`;

function main(): void {
  const { values } = parseArgs({
    options: {
      profile: { type: 'string', default: 'sandbox' },
      prefix: { type: 'string', default: 'lake' },
      'events-per-sec': { type: 'string' },
      'avg-kb': { type: 'string' },
      'run-minutes': { type: 'string', default: '30' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  if (!(PROFILES as readonly string[]).includes(values.profile!)) throw new Error(`--profile must be one of ${PROFILES.join(', ')}, got ${values.profile}`);
  const prices = loadPrices();
  const { templates } = synthLake({ profile: values.profile as ProfileName, context: { prefix: values.prefix } });
  console.log(`# Idle cost, ${values.profile} profile (stacks: ${Object.keys(templates).join(', ')})\n`);
  console.log(formatIdle(estimateIdle(templates, prices), { listFree: true }));
  const minutes = Number(values['run-minutes']);
  if (!(minutes > 0)) throw new Error(`--run-minutes must be a positive number, got ${values['run-minutes']}`);
  console.log(`\n# One batch run, ${values.profile} profile (cluster for ${minutes} minutes)\n`);
  console.log(formatRun(estimateRun(templates, prices, minutes)));
  if (values['events-per-sec'] !== undefined || values['avg-kb'] !== undefined) {
    const usage = estimateUsage(describeLake(templates), { eventsPerSecond: Number(values['events-per-sec']), avgEventKb: Number(values['avg-kb']) }, prices);
    console.log(`\n# Usage cost at ${values['events-per-sec']} events/s × ${values['avg-kb']} KB\n`);
    console.log(formatUsage(usage));
  }
}

try {
  main();
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}
