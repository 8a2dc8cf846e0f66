/**
 * Scores events with the deployed endpoint, the way the speed layer does.
 *
 *   npm run invoke-endpoint -- [--prefix lake] [--count 5] [--seed 42] [--fraud-rate 0.2]
 *   npm run invoke-endpoint -- --file events.jsonl      # JSON Lines or a JSON array of events
 *   npm run invoke-endpoint -- --endpoint my-endpoint   # skip the stack lookup
 */
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { normalizePaymentEvent, type PaymentEvent } from '../lambda/shared/payment-event';
import { takeEvents } from './lib/generator';
import { ENDPOINT_OPTIONS, endpointName, runScript } from './lib/serving-endpoint';

export interface Prediction {
  readonly event_id: string;
  readonly score: number;
  readonly risk: string;
}

/** Parses a JSON array or JSON Lines file of events and normalizes each one, or says which is bad. */
export function parseEventsFile(text: string): PaymentEvent[] {
  const trimmed = text.trim();
  const values: unknown[] = trimmed.startsWith('[')
    ? JSON.parse(trimmed)
    : trimmed.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
  return values.map((v, i) => {
    const parsed = normalizePaymentEvent(v);
    if (!parsed.ok) throw new Error(`invoke-endpoint: event ${i} is invalid: ${parsed.reason}`);
    return parsed.event;
  });
}

/** One InvokeEndpoint call with a JSON Lines body; returns the model version and predictions. */
export async function scoreEvents(
  client: SageMakerRuntimeClient,
  endpointName: string,
  events: readonly PaymentEvent[],
): Promise<{ model_version: string; predictions: Prediction[] }> {
  const response = await client.send(new InvokeEndpointCommand({
    EndpointName: endpointName,
    ContentType: 'application/jsonlines',
    Accept: 'application/json',
    Body: Buffer.from(events.map((e) => JSON.stringify(e)).join('\n')),
  }));
  return JSON.parse(Buffer.from(response.Body ?? new Uint8Array()).toString('utf8'));
}

export function formatPredictions(events: readonly PaymentEvent[], predictions: readonly Prediction[]): string {
  const rows = predictions.map((p, i) => {
    const e = events[i];
    const label = e?.is_fraud === null || e?.is_fraud === undefined ? '' : e.is_fraud ? 'fraud' : 'legit';
    return `${p.event_id.padEnd(22)} ${p.score.toFixed(4)}  ${p.risk.padEnd(6)} ${label}`;
  });
  return [`${'event_id'.padEnd(22)} score   risk   label`, ...rows].join('\n');
}

const HELP = `Usage: npm run invoke-endpoint -- [options]

Scores events with the serving stack's SageMaker endpoint.

  --prefix P       stack prefix (default lake); the endpoint is read from <prefix>-serving
  --endpoint NAME  endpoint name (skips the stack lookup)
  --file FILE      events to score (JSON Lines or a JSON array); default: generated events
  --count N        generated events (default 5)
  --seed N         generator seed (default 42)
  --fraud-rate R   share of generated fraud events (default 0.2)
  --help           show this help`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      ...ENDPOINT_OPTIONS,
      file: { type: 'string' },
      count: { type: 'string', default: '5' },
      seed: { type: 'string', default: '42' },
      'fraud-rate': { type: 'string', default: '0.2' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const events = values.file
    ? parseEventsFile(fs.readFileSync(values.file, 'utf8'))
    : takeEvents(Number(values.count), { seed: Number(values.seed), fraudRate: Number(values['fraud-rate']) }).map((raw) => {
      const parsed = normalizePaymentEvent(raw);
      if (!parsed.ok) throw new Error(parsed.reason);
      return parsed.event;
    });
  const name = await endpointName(values);
  const result = await scoreEvents(new SageMakerRuntimeClient({}), name, events);
  console.log(`endpoint ${name}, model ${result.model_version}`);
  console.log(formatPredictions(events, result.predictions));
}

if (require.main === module) runScript(main);
