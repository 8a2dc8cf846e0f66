/**
 * The fraud-risk model: logistic regression on features visible in one event.
 *
 * Pure functions only. `scripts/train-model.ts` trains and writes `model/model.json`;
 * the speed layer's tests and `model/code/inference.py` score with the same feature
 * spec, so a change here must be mirrored there (the parity test catches drift).
 */
import { CHANNELS, type PaymentEvent } from '../../lambda/shared/payment-event';
import { COUNTRY_CURRENCY, HIGH_RISK_CATEGORIES } from './generator';

/** Bumped when the file layout of model.json changes; inference.py checks it. */
export const MODEL_SCHEMA_VERSION = 1;

/** The event fields the model reads. */
export type ScoredEvent = Pick<
  PaymentEvent,
  'event_id' | 'event_time' | 'merchant_category' | 'amount' | 'currency' | 'country' | 'channel'
>;

/** Everything needed to turn an event into the model's input vector. */
export interface FeatureSpec {
  /** Feature names, in the order of `weights`. */
  readonly names: readonly string[];
  /** Merchant category codes flagged as high risk. */
  readonly highRiskCategories: readonly string[];
  /** Channels, one indicator feature each. */
  readonly channels: readonly string[];
  /** Home currency per country; an event whose currency differs (or whose country is unknown) is cross-border. */
  readonly countryCurrency: Readonly<Record<string, string>>;
  /** UTC hours [from, to) counted as night. */
  readonly nightHours: readonly [number, number];
  /** Per-feature mean and standard deviation from the training set. */
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

export interface RiskThresholds {
  /** Scores at or above this are "medium". */
  readonly medium: number;
  /** Scores at or above this are "high". */
  readonly high: number;
}

export interface FraudModel {
  readonly schemaVersion: number;
  readonly modelVersion: string;
  readonly algorithm: 'logistic-regression';
  readonly features: FeatureSpec;
  readonly weights: readonly number[];
  readonly bias: number;
  readonly thresholds: RiskThresholds;
  readonly training: TrainingMetadata;
}

export interface TrainingMetadata {
  readonly seed: number;
  readonly fraudRate: number;
  readonly trainCount: number;
  readonly trainFraudCount: number;
  readonly testCount: number;
  readonly testFraudCount: number;
  readonly epochs: number;
  readonly learningRate: number;
  readonly l2: number;
  readonly testAuc: number;
  /** ISO time of training; only with `--timestamp`, so the default output is deterministic. */
  readonly trainedAt?: string;
}

export type Risk = 'low' | 'medium' | 'high';


/** The feature spec before standardization parameters are known. */
export type RawFeatureSpec = Omit<FeatureSpec, 'names' | 'mean' | 'std'>;

export const DEFAULT_RAW_SPEC: RawFeatureSpec = {
  highRiskCategories: HIGH_RISK_CATEGORIES,
  channels: CHANNELS,
  countryCurrency: COUNTRY_CURRENCY,
  nightHours: [0, 6],
};

export function featureNames(spec: RawFeatureSpec): string[] {
  return ['log_amount', 'high_risk_mcc', ...spec.channels.map((c) => `channel_${c}`), 'night', 'cross_border'];
}

/** The unstandardized feature vector of one event. */
export function extractFeatures(event: ScoredEvent, spec: RawFeatureSpec): number[] {
  const hour = new Date(event.event_time).getUTCHours();
  const home = spec.countryCurrency[event.country];
  return [
    Math.log1p(event.amount),
    spec.highRiskCategories.includes(event.merchant_category) ? 1 : 0,
    ...spec.channels.map((c) => (event.channel === c ? 1 : 0)),
    hour >= spec.nightHours[0] && hour < spec.nightHours[1] ? 1 : 0,
    home === event.currency ? 0 : 1,
  ];
}

/** Column means and population standard deviations; a constant column gets std 1. */
export function standardizationParams(rows: readonly number[][]): { mean: number[]; std: number[] } {
  const n = rows.length;
  const width = rows[0]?.length ?? 0;
  const mean = Array.from({ length: width }, (_, j) => rows.reduce((s, r) => s + r[j], 0) / n);
  const std = mean.map((m, j) => {
    const sd = Math.sqrt(rows.reduce((s, r) => s + (r[j] - m) ** 2, 0) / n);
    return sd > 0 ? sd : 1;
  });
  return { mean, std };
}

export function standardize(row: readonly number[], mean: readonly number[], std: readonly number[]): number[] {
  return row.map((x, j) => (x - mean[j]) / std[j]);
}

export function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

export interface GradientDescentOptions {
  readonly epochs: number;
  readonly learningRate: number;
  /** L2 penalty on the weights (not the bias). */
  readonly l2: number;
}

/** Full-batch gradient descent on the mean log loss plus (l2/2)·|w|². Deterministic. */
export function trainLogisticRegression(
  x: readonly number[][],
  y: readonly number[],
  options: GradientDescentOptions,
): { weights: number[]; bias: number } {
  const n = x.length;
  const width = x[0]?.length ?? 0;
  const weights = new Array<number>(width).fill(0);
  let bias = 0;
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    const grad = new Array<number>(width).fill(0);
    let gradBias = 0;
    for (let i = 0; i < n; i++) {
      const row = x[i];
      let z = bias;
      for (let j = 0; j < width; j++) z += weights[j] * row[j];
      const err = sigmoid(z) - y[i];
      for (let j = 0; j < width; j++) grad[j] += err * row[j];
      gradBias += err;
    }
    for (let j = 0; j < width; j++) weights[j] -= options.learningRate * (grad[j] / n + options.l2 * weights[j]);
    bias -= options.learningRate * (gradBias / n);
  }
  return { weights, bias };
}

/**
 * Area under the ROC curve by ranks (Mann–Whitney U). Tied scores share their
 * average rank, so ties count one half.
 */
export function auc(scores: readonly number[], labels: readonly number[]): number {
  if (scores.length !== labels.length) throw new Error(`auc: ${scores.length} scores but ${labels.length} labels`);
  const order = scores.map((s, i) => ({ s, y: labels[i] })).sort((a, b) => a.s - b.s);
  let positives = 0;
  let rankSum = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1].s === order[i].s) j++;
    const averageRank = (i + j + 2) / 2; // ranks are 1-based
    for (let k = i; k <= j; k++) {
      if (order[k].y === 1) {
        positives++;
        rankSum += averageRank;
      }
    }
    i = j + 1;
  }
  const negatives = order.length - positives;
  if (positives === 0 || negatives === 0) throw new Error('auc: needs at least one positive and one negative label');
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** The model's fraud probability for one event. Pure. */
export function scoreEvent(model: FraudModel, event: ScoredEvent): number {
  const x = standardize(extractFeatures(event, model.features), model.features.mean, model.features.std);
  let z = model.bias;
  for (let j = 0; j < x.length; j++) z += model.weights[j] * x[j];
  return sigmoid(z);
}

export function riskOf(score: number, thresholds: RiskThresholds): Risk {
  if (score >= thresholds.high) return 'high';
  if (score >= thresholds.medium) return 'medium';
  return 'low';
}

export interface LabelledEvent extends ScoredEvent {
  readonly is_fraud: boolean | null;
}

export interface TrainOptions extends GradientDescentOptions {
  readonly seed: number;
  readonly fraudRate: number;
  readonly thresholds: RiskThresholds;
  readonly modelVersion: string;
  readonly trainedAt?: string;
}

export const DEFAULT_TRAIN_OPTIONS = {
  epochs: 300,
  learningRate: 0.5,
  l2: 0.001,
  thresholds: { medium: 0.3, high: 0.7 },
} as const;

/** Standardizes on the training set, trains, and measures AUC on the holdout. */
export function trainModel(
  train: readonly LabelledEvent[],
  test: readonly LabelledEvent[],
  options: TrainOptions,
  spec: RawFeatureSpec = DEFAULT_RAW_SPEC,
): FraudModel {
  const label = (e: LabelledEvent) => (e.is_fraud ? 1 : 0);
  const rawTrain = train.map((e) => extractFeatures(e, spec));
  const { mean, std } = standardizationParams(rawTrain);
  const x = rawTrain.map((r) => standardize(r, mean, std));
  const { weights, bias } = trainLogisticRegression(x, train.map(label), options);
  const partial: FraudModel = {
    schemaVersion: MODEL_SCHEMA_VERSION,
    modelVersion: options.modelVersion,
    algorithm: 'logistic-regression',
    features: { names: featureNames(spec), ...spec, mean, std },
    weights,
    bias,
    thresholds: options.thresholds,
    training: {
      seed: options.seed,
      fraudRate: options.fraudRate,
      trainCount: train.length,
      trainFraudCount: train.filter((e) => e.is_fraud).length,
      testCount: test.length,
      testFraudCount: test.filter((e) => e.is_fraud).length,
      epochs: options.epochs,
      learningRate: options.learningRate,
      l2: options.l2,
      testAuc: 0,
      ...(options.trainedAt ? { trainedAt: options.trainedAt } : {}),
    },
  };
  const testAuc = auc(test.map((e) => scoreEvent(partial, e)), test.map(label));
  return { ...partial, training: { ...partial.training, testAuc } };
}

/** Splits off the last `testShare` of the events as the holdout (events are i.i.d. per seed). */
export function holdoutSplit<T>(events: readonly T[], testShare: number): { train: T[]; test: T[] } {
  if (!(testShare > 0 && testShare < 1)) throw new Error(`holdoutSplit: testShare must be between 0 and 1, got ${testShare}`);
  const cut = Math.round(events.length * (1 - testShare));
  return { train: events.slice(0, cut), test: events.slice(cut) };
}
