import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  auc,
  DEFAULT_RAW_SPEC,
  extractFeatures,
  featureNames,
  type FraudModel,
  holdoutSplit,
  riskOf,
  scoreEvent,
  standardizationParams,
  trainLogisticRegression,
} from '../../scripts/lib/fraud-model';
import { DEFAULT_RUN, runTraining, serializeModel } from '../../scripts/train-model';
import { ROOT } from '../helpers';

const event = {
  event_id: 'evt-1',
  event_time: '2026-01-01T03:15:00.000Z',
  merchant_category: '7995',
  amount: 99,
  currency: 'USD',
  country: 'NG',
  channel: 'ECOM' as const,
};

describe('feature extraction', () => {
  test('names the features in vector order', () => {
    expect(featureNames(DEFAULT_RAW_SPEC)).toEqual([
      'log_amount', 'high_risk_mcc', 'channel_POS', 'channel_ECOM', 'channel_MOBILE', 'channel_MOTO', 'channel_ATM',
      'night', 'cross_border',
    ]);
  });

  test('a night, cross-border, high-risk e-commerce event sets those flags', () => {
    expect(extractFeatures(event, DEFAULT_RAW_SPEC)).toEqual([Math.log(100), 1, 0, 1, 0, 0, 0, 1, 1]);
  });

  test('a daytime domestic grocery event at POS sets none of them', () => {
    const domestic = { ...event, event_time: '2026-01-01T12:00:00.000Z', merchant_category: '5411', country: 'US', channel: 'POS' as const };
    expect(extractFeatures(domestic, DEFAULT_RAW_SPEC)).toEqual([Math.log(100), 0, 1, 0, 0, 0, 0, 0, 0]);
  });

  test('an unknown country counts as cross-border', () => {
    expect(extractFeatures({ ...event, country: 'ZZ' }, DEFAULT_RAW_SPEC)[8]).toBe(1);
  });
});

describe('standardization', () => {
  test('gives column means and population standard deviations', () => {
    expect(standardizationParams([[1, 5], [3, 5]])).toEqual({ mean: [2, 5], std: [1, 1] });
  });
});

describe('auc', () => {
  test('is 1 for a perfect ranking and 0 for a reversed one', () => {
    expect(auc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBe(1);
    expect(auc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1])).toBe(0);
  });

  test('counts ties as one half', () => {
    expect(auc([0.5, 0.5], [0, 1])).toBe(0.5);
    expect(auc([0.1, 0.5, 0.5, 0.9], [0, 0, 1, 1])).toBe(0.875);
  });

  test('needs both classes', () => {
    expect(() => auc([0.1, 0.2], [1, 1])).toThrow('auc: needs at least one positive and one negative label');
  });
});

describe('training', () => {
  test('gradient descent separates a separable toy set', () => {
    const x = [[-2], [-1], [1], [2]];
    const { weights, bias } = trainLogisticRegression(x, [0, 0, 1, 1], { epochs: 200, learningRate: 0.5, l2: 0 });
    expect(weights[0]).toBeGreaterThan(1);
    expect(Math.abs(bias)).toBeLessThan(1e-9);
  });

  test('L2 shrinks the weights', () => {
    const x = [[-2], [-1], [1], [2]];
    const free = trainLogisticRegression(x, [0, 0, 1, 1], { epochs: 200, learningRate: 0.5, l2: 0 });
    const penalized = trainLogisticRegression(x, [0, 0, 1, 1], { epochs: 200, learningRate: 0.5, l2: 0.5 });
    expect(penalized.weights[0]).toBeLessThan(free.weights[0]);
  });

  test('the holdout is the last share of the events', () => {
    expect(holdoutSplit([1, 2, 3, 4], 0.25)).toEqual({ train: [1, 2, 3], test: [4] });
    expect(() => holdoutSplit([1], 1)).toThrow('holdoutSplit: testShare must be between 0 and 1, got 1');
  });

  test('reaches a holdout AUC of at least 0.90 with the fixed seed on a small sample', () => {
    const model = runTraining({ ...DEFAULT_RUN, count: 8000 });
    expect(model.training.testAuc).toBeGreaterThanOrEqual(0.9);
    expect(model.training.testCount).toBe(2000);
  });
});

describe('model/model.json', () => {
  const committed = fs.readFileSync(path.join(ROOT, 'model', 'model.json'), 'utf8');
  const model = JSON.parse(committed) as FraudModel;

  test('is exactly what train-model writes for the default run (deterministic, no wall-clock time)', () => {
    expect(serializeModel(runTraining(DEFAULT_RUN))).toBe(committed);
    expect(model.training.trainedAt).toBeUndefined();
  });

  test('records its versions, seed, feature spec and holdout AUC of at least 0.90', () => {
    expect(model.schemaVersion).toBe(1);
    expect(model.modelVersion).toBe(DEFAULT_RUN.modelVersion);
    expect(model.training.seed).toBe(DEFAULT_RUN.seed);
    expect(model.features.names).toHaveLength(model.weights.length);
    expect(model.features.mean).toHaveLength(model.weights.length);
    expect(model.training.testAuc).toBeGreaterThanOrEqual(0.9);
  });

  test('scores a risky event high and a routine one low', () => {
    const routine = { ...event, event_time: '2026-01-01T12:00:00.000Z', merchant_category: '5411', country: 'US', channel: 'POS' as const, amount: 25 };
    const risky = { ...event, amount: 2500 };
    expect(riskOf(scoreEvent(model, risky), model.thresholds)).toBe('high');
    expect(riskOf(scoreEvent(model, routine), model.thresholds)).toBe('low');
  });
});

describe('riskOf', () => {
  test('uses inclusive lower bounds', () => {
    const t = { medium: 0.3, high: 0.7 };
    expect([0.29, 0.3, 0.69, 0.7].map((s) => riskOf(s, t))).toEqual(['low', 'medium', 'medium', 'high']);
  });
});
