/**
 * Trains the fraud-risk model on seeded generator events, prints the holdout AUC
 * and writes model/model.json. The same options give the same file, byte for byte.
 *
 *   npm run train-model -- [--seed 7] [--count 40000] [--fraud-rate 0.05]
 *                          [--test-share 0.25] [--out model/model.json] [--timestamp]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { normalizePaymentEvent, type PaymentEvent } from '../lambda/shared/payment-event';
import { DEFAULT_TRAIN_OPTIONS, type FraudModel, holdoutSplit, trainModel } from './lib/fraud-model';
import { takeEvents } from './lib/generator';

export interface TrainingRun {
  readonly seed: number;
  readonly count: number;
  readonly fraudRate: number;
  readonly testShare: number;
  readonly modelVersion: string;
  readonly trainedAt?: string;
}

export const DEFAULT_RUN: TrainingRun = {
  seed: 7,
  count: 20_000,
  fraudRate: 0.05,
  testShare: 0.25,
  modelVersion: '1.0.0',
};

/** Generates, normalizes (as the speed layer sees events), splits and trains. */
export function runTraining(run: TrainingRun): FraudModel {
  const events: PaymentEvent[] = takeEvents(run.count, { seed: run.seed, fraudRate: run.fraudRate }).map((raw) => {
    const parsed = normalizePaymentEvent(raw);
    if (!parsed.ok) throw new Error(`train-model: generator produced an invalid event: ${parsed.reason}`);
    return parsed.event;
  });
  const { train, test } = holdoutSplit(events, run.testShare);
  return trainModel(train, test, {
    ...DEFAULT_TRAIN_OPTIONS,
    seed: run.seed,
    fraudRate: run.fraudRate,
    modelVersion: run.modelVersion,
    trainedAt: run.trainedAt,
  });
}

/** model.json's text: two-space JSON with a trailing newline. */
export function serializeModel(model: FraudModel): string {
  return `${JSON.stringify(model, null, 2)}\n`;
}

const HELP = `Usage: npm run train-model -- [options]

Trains the logistic-regression fraud model on seeded generator events and writes model.json.

  --seed N          generator seed (default ${DEFAULT_RUN.seed})
  --count N         events to generate (default ${DEFAULT_RUN.count})
  --fraud-rate R    share of fraud events, 0–1 (default ${DEFAULT_RUN.fraudRate})
  --test-share R    holdout share, 0–1 (default ${DEFAULT_RUN.testShare})
  --model-version V version recorded in model.json (default ${DEFAULT_RUN.modelVersion})
  --out FILE        output path (default model/model.json)
  --timestamp       record the training time (makes the output non-deterministic)
  --help            show this help`;

function positive(name: string, value: string, integer: boolean): number {
  const n = Number(value);
  if (!(n > 0) || (integer && !Number.isInteger(n))) {
    throw new Error(`train-model: --${name} must be a positive ${integer ? 'whole number' : 'number'}, got ${value}`);
  }
  return n;
}

function main(): void {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string', default: String(DEFAULT_RUN.seed) },
      count: { type: 'string', default: String(DEFAULT_RUN.count) },
      'fraud-rate': { type: 'string', default: String(DEFAULT_RUN.fraudRate) },
      'test-share': { type: 'string', default: String(DEFAULT_RUN.testShare) },
      'model-version': { type: 'string', default: DEFAULT_RUN.modelVersion },
      out: { type: 'string', default: path.join(__dirname, '..', 'model', 'model.json') },
      timestamp: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const run: TrainingRun = {
    seed: positive('seed', values.seed, true),
    count: positive('count', values.count, true),
    fraudRate: positive('fraud-rate', values['fraud-rate'], false),
    testShare: positive('test-share', values['test-share'], false),
    modelVersion: values['model-version'],
    trainedAt: values.timestamp ? new Date().toISOString() : undefined,
  };
  const model = runTraining(run);
  fs.mkdirSync(path.dirname(values.out), { recursive: true });
  fs.writeFileSync(values.out, serializeModel(model));
  const t = model.training;
  console.log(`trained on ${t.trainCount} events (${t.trainFraudCount} fraud), tested on ${t.testCount} (${t.testFraudCount} fraud)`);
  console.log(`holdout AUC ${t.testAuc.toFixed(4)}`);
  console.log(`wrote ${path.relative(process.cwd(), values.out)}`);
}

if (require.main === module) main();
