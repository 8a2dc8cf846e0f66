/**
 * The replacement guard: what a deploy of the working tree would do to the
 * resources that hold data, compared with the deployed baseline.
 *
 * Pure: baseline templates + working-tree templates + acknowledgements in,
 * changes and findings out. The classification is the CDK's own diff engine
 * (`@aws-cdk/cloudformation-diff`, the one `cdk diff` uses), which knows from
 * the CloudFormation resource specification which property changes require
 * replacement, and marks the resources that refer to a replaced one.
 */
import { fullDiff, ResourceDifference, ResourceImpact } from '@aws-cdk/cloudformation-diff';
import type { Json, Templates } from '../cost/estimate';
import { crossStackTarget } from './cross-stack';

/**
 * Resource types whose loss cannot be undone by deploying the template again,
 * with what is lost. Not listed, on purpose: KMS aliases (a name for a key; the
 * key is guarded), SNS topics (no stored messages), security configurations,
 * crawlers, roles, functions and endpoints (all recreated from the template).
 */
export const STATEFUL_TYPES: Readonly<Record<string, string>> = {
  'AWS::S3::Bucket': 'its objects',
  'AWS::KMS::Key': 'the only way to decrypt what was encrypted under it',
  'AWS::Kinesis::Stream': 'the records within its retention period',
  'AWS::DynamoDB::Table': 'its items',
  'AWS::DynamoDB::GlobalTable': 'its items',
  'AWS::SQS::Queue': 'its messages',
  'AWS::Glue::Database': 'its tables and partitions, including those the crawlers created',
  'AWS::Glue::Table': 'its partitions',
  'AWS::Logs::LogGroup': 'its log events',
  'AWS::Athena::WorkGroup': 'its query history and saved queries',
  'AWS::SecretsManager::Secret': 'its secret value',
};

/**
 * Properties that name the key data is encrypted with, for types where a new key
 * applies only to data written afterwards, so that the old key must outlive the
 * change:
 * - S3: a new default encryption applies to new objects only
 *   (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-encryption.html).
 * - Kinesis: "encryption begins for records written to the stream" after the update
 *   (https://docs.aws.amazon.com/kinesis/latest/APIReference/API_StartStreamEncryption.html).
 * - CloudWatch Logs: "log events that were ingested while the key was associated
 *   ... are still encrypted with that key"
 *   (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_DisassociateKmsKey.html).
 */
export const ENCRYPTION_KEY_PROPERTIES: Readonly<Record<string, string>> = {
  'AWS::S3::Bucket': 'BucketEncryption',
  'AWS::Kinesis::Stream': 'StreamEncryption',
  'AWS::Logs::LogGroup': 'KmsKeyId',
};

/** The value CloudFormation shows for a weak reference until it executes the change set (aws/aws-cdk#38829). */
export const KNOWN_AFTER_APPLY = '{{changeSet:KNOWN_AFTER_APPLY}}';

export interface ReplacementAcknowledgement {
  readonly profile: string;
  readonly stack: string;
  readonly logicalId: string;
  /** Why losing the old resource is intended, and what happens to its data. */
  readonly reason: string;
}

export type ChangeKind = 'removed' | 'replaced' | 'may be replaced' | 're-keyed';

export interface ResourceChange {
  readonly stack: string;
  readonly logicalId: string;
  readonly type: string;
  /** Construct path of the baseline resource, when the template records it. */
  readonly path?: string;
  readonly kind: ChangeKind;
  /** What causes it: the properties, the missing logical ID, the new key. */
  readonly reason: string;
  /** What is lost, for a stateful type; undefined for other resources. */
  readonly atStake?: string;
}

export interface GuardInput {
  readonly profile: string;
  readonly baseline: Templates;
  readonly current: Templates;
  readonly acknowledgements: readonly ReplacementAcknowledgement[];
}

export interface GuardResult {
  /** Every removal, replacement and re-key, stateful or not, for the review. */
  readonly changes: ResourceChange[];
  /** Changes to stateful resources with no acknowledgement: the guard fails on these. */
  readonly findings: ResourceChange[];
  /** Changes to stateful resources with their acknowledgement. */
  readonly acknowledged: Array<{ readonly change: ResourceChange; readonly reason: string }>;
  /** This profile's acknowledgements that match no stateful change: stale, so the guard fails on these too. */
  readonly unusedAcknowledgements: ReplacementAcknowledgement[];
}

export function guardReplacements(input: GuardInput): GuardResult {
  const baseline = canonical(input.baseline, 'baseline');
  const current = canonical(input.current, 'current');
  const changes: ResourceChange[] = [];
  for (const stack of Object.keys(baseline)) {
    changes.push(...stackChanges(stack, baseline[stack], current[stack]));
  }

  const ownAcks = input.acknowledgements.filter((a) => a.profile === input.profile);
  const ackFor = (c: ResourceChange) => ownAcks.find((a) => a.stack === c.stack && a.logicalId === c.logicalId);
  const stateful = changes.filter((c) => c.atStake !== undefined);
  return {
    changes,
    findings: stateful.filter((c) => !ackFor(c)),
    acknowledged: stateful.flatMap((c) => {
      const ack = ackFor(c);
      return ack ? [{ change: c, reason: ack.reason }] : [];
    }),
    unusedAcknowledgements: ownAcks.filter((a) => !stateful.some((c) => c.stack === a.stack && c.logicalId === a.logicalId)),
  };
}

/** One line per failure: each unacknowledged stateful change, then each stale acknowledgement. */
export function guardFailures(result: GuardResult): string[] {
  return [
    ...result.findings.map(describeChange),
    ...result.unusedAcknowledgements.map((a) =>
      `${a.stack}/${a.logicalId}: the acknowledgement for ${a.profile} matches no replaced or removed stateful resource; remove it from test/baseline/acknowledged-replacements.json`),
  ];
}

/** E.g. `lake-serving/ViewTable5E42713E (AWS::DynamoDB::Table, Serving/View/Table/Resource) would be replaced: KeySchema requires replacement. Lost: its items.` */
export function describeChange(c: ResourceChange): string {
  const what = c.kind === 're-keyed' ? 'would change its encryption key' : `would be ${c.kind}`;
  const lost = c.atStake ? ` Lost: ${c.atStake}.` : '';
  return `${c.stack}/${c.logicalId} (${c.type}${c.path ? `, ${c.path}` : ''}) ${what}: ${c.reason}.${lost}`;
}

/** Validates the committed acknowledgements file's content. */
export function parseAcknowledgements(json: Json, profiles: readonly string[]): ReplacementAcknowledgement[] {
  const list = json?.acknowledgements;
  if (!Array.isArray(list)) throw new Error('acknowledged-replacements.json: "acknowledgements" must be an array');
  return list.map((a: Json, i: number) => {
    const where = `acknowledged-replacements.json: acknowledgements[${i}]`;
    if (!profiles.includes(a?.profile)) throw new Error(`${where}.profile must be one of ${profiles.join(', ')}, got ${JSON.stringify(a?.profile)}`);
    for (const key of ['stack', 'logicalId'] as const) {
      if (typeof a[key] !== 'string' || a[key] === '') throw new Error(`${where}.${key} must be a non-empty string, got ${JSON.stringify(a[key])}`);
    }
    if (typeof a.reason !== 'string' || a.reason.trim().length < 20) {
      throw new Error(`${where}.reason must say why the data may go (20 characters or more), got ${JSON.stringify(a.reason)}`);
    }
    return { profile: a.profile, stack: a.stack, logicalId: a.logicalId, reason: a.reason };
  });
}

/**
 * Cross-stack references are replaced by the value they carry, so that switching
 * between strong and weak forms alone is no change. A weak reference in the
 * working tree becomes KNOWN_AFTER_APPLY instead: CloudFormation cannot compare
 * it when it plans the change set, and plans a replacement wherever it feeds a
 * replacement-type property (aws/aws-cdk#38829).
 */
function canonical(templates: Templates, side: 'baseline' | 'current'): Record<string, Json> {
  const walk = (value: Json): Json => {
    if (Array.isArray(value)) return value.map(walk);
    if (!value || typeof value !== 'object') return value;
    const target = crossStackTarget(value, templates);
    if (target) {
      return side === 'current' && target.strength === 'weak' ? KNOWN_AFTER_APPLY : { 'Fn::CrossStack': [target.stack, walk(target.value)] };
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v)]));
  };
  return Object.fromEntries(Object.entries(templates).map(([stack, t]) => [stack, { Resources: walk(t.Resources ?? {}) }]));
}

function stackChanges(stack: string, baseline: Json, current: Json | undefined): ResourceChange[] {
  const diff = fullDiff(baseline, current ?? { Resources: {} });
  const changes: ResourceChange[] = [];
  diff.resources.forEachDifference((logicalId, d) => {
    const type = d.oldResourceType;
    if (!type) return; // an addition
    const base = { stack, logicalId, type, path: d.oldValue?.Metadata?.['aws:cdk:path'], atStake: STATEFUL_TYPES[type] };
    if (d.isRemoval) {
      changes.push({ ...base, kind: 'removed', reason: removalReason(d, stack, baseline, current) });
      return;
    }
    const impact = d.changeImpact;
    if (impact === ResourceImpact.WILL_REPLACE || impact === ResourceImpact.MAY_REPLACE) {
      changes.push({ ...base, kind: impact === ResourceImpact.WILL_REPLACE ? 'replaced' : 'may be replaced', reason: replacementReason(d) });
      return;
    }
    const keyProperty = ENCRYPTION_KEY_PROPERTIES[type];
    const keyChange = keyProperty ? d.propertyUpdates[keyProperty] : undefined;
    if (keyChange && keyChange.oldValue !== undefined) {
      changes.push({
        ...base,
        kind: 're-keyed',
        reason: `${keyProperty} changes, so data written before the deploy stays encrypted under the old key, which must stay usable to read it`,
      });
    }
  });
  return changes;
}

function removalReason(d: ResourceDifference, stack: string, baseline: Json, current: Json | undefined): string {
  const fate = d.changeImpact === ResourceImpact.WILL_ORPHAN
    ? 'CloudFormation would leave it in the account (DeletionPolicy Retain), no longer managed or used by the stack'
    : 'CloudFormation would delete it';
  if (!current) return `stack ${stack} is no longer in the app, so ${fate}`;
  const added = Object.entries(current.Resources ?? {})
    .filter(([id, r]) => (r as Json).Type === d.oldResourceType && !(id in (baseline.Resources ?? {})))
    .map(([id]) => id);
  const successor = added.length > 0 ? `; new in the stack: ${d.oldResourceType} ${added.join(', ')}` : '';
  return `its logical ID is no longer in the template (a renamed or moved construct id changes it), so ${fate}${successor}`;
}

function replacementReason(d: ResourceDifference): string {
  if (d.resourceTypeChanged) return `its type changes to ${d.newResourceType}`;
  const props = Object.entries(d.propertyUpdates)
    .filter(([, p]) => p.changeImpact === ResourceImpact.WILL_REPLACE || p.changeImpact === ResourceImpact.MAY_REPLACE)
    .map(([name, p]) => {
      const text = JSON.stringify(p.newValue ?? null);
      const why = text.includes('(replaced)') ? ' (it refers to a resource that is itself replaced)'
        : text.includes(KNOWN_AFTER_APPLY) ? ' (fed by a weak cross-stack reference, unknown until the change set runs)' : '';
      return `${name}${p.changeImpact === ResourceImpact.MAY_REPLACE ? ' may require' : ' requires'} replacement${why}`;
    });
  return props.join('; ');
}
