/**
 * The TypeScript scorer and model/code/inference.py give the same scores (within
 * 1e-9) for the same events, so the model trained and checked in TypeScript is the
 * model the endpoint serves.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { normalizePaymentEvent, type PaymentEvent } from '../../lambda/shared/payment-event';
import { type FraudModel, riskOf, scoreEvent } from '../../scripts/lib/fraud-model';
import { takeEvents } from '../../scripts/lib/generator';
import { ROOT } from '../helpers';

const MODEL_DIR = path.join(ROOT, 'model');

const PYTHON_SCORER = `
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("inference", sys.argv[1] + "/code/inference.py")
inference = importlib.util.module_from_spec(spec); spec.loader.exec_module(inference)
model = inference.model_fn(sys.argv[1])
with open(sys.argv[2], "rb") as f:
    body = f.read()
data = inference.input_fn(body, "application/jsonlines")
out, _ = inference.output_fn(inference.predict_fn(data, model), "application/json")
sys.stdout.write(out)
`;

interface Prediction {
  event_id: string;
  score: number;
  risk: string;
}

function pythonScores(events: readonly PaymentEvent[]): { model_version: string; predictions: Prediction[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parity-'));
  try {
    const file = path.join(dir, 'vectors.jsonl');
    fs.writeFileSync(file, events.map((e) => JSON.stringify(e)).join('\n'));
    const result = spawnSync('python3', ['-c', PYTHON_SCORER, MODEL_DIR, file], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`inference.py failed:\n${result.stderr}`);
    return JSON.parse(result.stdout);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Generator events (fraud-heavy, other seed than training) plus edge cases of each feature. */
function testVectors(): PaymentEvent[] {
  const generated = takeEvents(400, { seed: 2026, fraudRate: 0.3, lateRate: 0.1 });
  const base = generated[0];
  const edges = [
    { ...base, event_id: 'edge-night-start', event_time: '2026-03-01T00:00:00.000Z' },
    { ...base, event_id: 'edge-night-end', event_time: '2026-03-01T06:00:00.000Z' },
    { ...base, event_id: 'edge-offset', event_time: '2026-03-01T23:30:00-05:00' },
    { ...base, event_id: 'edge-min-amount', amount: 0.01 },
    { ...base, event_id: 'edge-max-amount', amount: 1_000_000 },
    { ...base, event_id: 'edge-unknown-country', country: 'ZZ' },
  ];
  return [...generated, ...edges].map((raw) => {
    const parsed = normalizePaymentEvent(raw);
    if (!parsed.ok) throw new Error(parsed.reason);
    return parsed.event;
  });
}

describe('TypeScript and Python scorers', () => {
  const model = JSON.parse(fs.readFileSync(path.join(MODEL_DIR, 'model.json'), 'utf8')) as FraudModel;
  const events = testVectors();
  const python = pythonScores(events);

  test('score every test vector within 1e-9 of each other', () => {
    expect(python.predictions).toHaveLength(events.length);
    const worst = Math.max(...events.map((e, i) => Math.abs(scoreEvent(model, e) - python.predictions[i].score)));
    expect(worst).toBeLessThanOrEqual(1e-9);
  });

  test('agree on event ids, order and risk bands', () => {
    expect(python.predictions.map((p) => [p.event_id, p.risk])).toEqual(
      events.map((e) => [e.event_id, riskOf(scoreEvent(model, e), model.thresholds)]),
    );
  });

  test('the vectors cover every risk band', () => {
    expect(new Set(python.predictions.map((p) => p.risk))).toEqual(new Set(['low', 'medium', 'high']));
    expect(python.model_version).toBe(model.modelVersion);
  });
});
