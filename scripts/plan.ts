/**
 * Capacity plan and cost for a traffic level.
 *
 *   npm run plan -- --events-per-sec 500 --avg-kb 2 [--consumers 2 --efo 0] [--profile sandbox]
 */
import { parseArgs } from 'node:util';
import { PROFILES, ProfileName } from '../lib/config';
import { describeLake, estimateIdle, estimateUsage } from '../lib/cost/estimate';
import { formatUsage, money, table } from '../lib/cost/format';
import { planCapacity } from '../lib/cost/plan';
import { loadPrices } from '../lib/cost/prices';
import { synthLake } from './lib/synth';

const HELP = `Usage: npm run plan -- --events-per-sec N --avg-kb K [--consumers C] [--efo E] [--parallelization F] [--profile sandbox|production]

--consumers, --efo and --parallelization default to what the profile deploys.

Prints the shards the stream needs (seed formula), Firehose headroom, Lambda
concurrency, daily raw-zone growth, and the idle + usage cost of the profile
at that traffic. No AWS credentials needed.`;

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

function main(): void {
  const { values } = parseArgs({
    options: {
      'events-per-sec': { type: 'string' },
      'avg-kb': { type: 'string' },
      consumers: { type: 'string' },
      efo: { type: 'string' },
      parallelization: { type: 'string' },
      profile: { type: 'string', default: 'sandbox' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help || values['events-per-sec'] === undefined || values['avg-kb'] === undefined) {
    console.log(HELP);
    process.exit(values.help ? 0 : 1);
  }
  if (!(PROFILES as readonly string[]).includes(values.profile!)) throw new Error(`--profile must be one of ${PROFILES.join(', ')}, got ${values.profile}`);
  const eventsPerSecond = Number(values['events-per-sec']);
  const avgEventKb = Number(values['avg-kb']);
  const prices = loadPrices();
  const { templates } = synthLake({ profile: values.profile as ProfileName });
  const shape = describeLake(templates);
  // Consumers default to what the profile deploys: Firehose and the speed layer (standard or enhanced fan-out).
  const consumers = values.consumers !== undefined ? Number(values.consumers) : Math.max(1, shape.standardConsumers);
  const efoConsumers = values.efo !== undefined ? Number(values.efo) : shape.efoConsumers;
  const parallelizationFactor = values.parallelization !== undefined ? Number(values.parallelization) : (shape.speedLayer?.parallelizationFactor ?? 1);
  const plan = planCapacity({ eventsPerSecond, avgEventKb, consumers, efoConsumers, parallelizationFactor });

  console.log(`# Capacity plan: ${eventsPerSecond} events/s × ${avgEventKb} KB (${values.profile}: ${consumers} standard consumer(s), ${efoConsumers} enhanced fan-out, parallelization factor ${parallelizationFactor})\n`);
  console.log(table(['what', 'value'], [
    ['write throughput', `${plan.writeKbPerSec} KB/s, ${eventsPerSecond} records/s`],
    ['shared read throughput', `${plan.readKbPerSec} KB/s`],
    ['shards (provisioned)', `${plan.shards} (bound by ${plan.bindingLimit})`],
    ['shared read capacity used', pct(plan.readUtilization)],
    ['Firehose Direct PUT quota the same traffic would use', pct(plan.directPutUtilization)],
    ['speed-layer Lambda concurrency', String(plan.speedLayerConcurrency)],
    ['transform Lambda concurrency (estimate)', String(plan.transformConcurrency)],
    ['raw-zone growth (GZIP)', `${plan.rawGbPerDay.toFixed(3)} GB/day`],
  ]));
  console.log('\n' + plan.notes.map((n) => `- ${n}`).join('\n'));

  const idle = estimateIdle(templates, prices);
  const usage = estimateUsage(shape, { eventsPerSecond, avgEventKb }, prices);
  console.log(`\n# Cost, ${values.profile} profile as synthesized (stacks: ${Object.keys(templates).join(', ')})\n`);
  console.log(`Idle: ${money(idle.perDay)}/day, ${money(idle.perMonth)}/month (details: npm run cost -- --profile ${values.profile}).\n`);
  console.log(formatUsage(usage));
  console.log(`\nTotal at this traffic: ${money(idle.perDay + usage.perDay)}/day, ${money(idle.perMonth + usage.perMonth)}/month.`);
}

try {
  main();
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}
