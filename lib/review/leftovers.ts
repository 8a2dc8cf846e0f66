/**
 * What `cdk destroy --all` would leave in the account, derived from the
 * templates: retained resources, buckets CloudFormation cannot empty, tables
 * with deletion protection, and log groups services create outside the
 * templates. The sandbox target is nothing; a resource retained on purpose
 * carries its reason in the `lake:retainedOnDestroy` metadata.
 */
import type { Json, Templates } from '../cost/estimate';
import { logInventory } from './log-groups';

/** Metadata key whose value explains why a resource is kept on purpose when its stack is deleted. */
export const RETAINED_ON_DESTROY = 'lake:retainedOnDestroy';

/**
 * DeletionPolicy values that keep the resource (or a snapshot of it)
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html).
 */
const KEEPING_POLICIES = ['Retain', 'RetainExceptOnCreate', 'Snapshot'];

export interface Leftover {
  readonly stack: string;
  /** The template resource concerned; for a log group no template owns, the resource that writes to it. */
  readonly logicalId: string;
  readonly type: string;
  /** Why it stays. */
  readonly why: string;
  /** The reason it is kept on purpose, from `lake:retainedOnDestroy`. */
  readonly deliberate?: string;
}

export function destroyLeftovers(templates: Templates): Leftover[] {
  const leftovers: Leftover[] = [];
  for (const [stack, template] of Object.entries(templates)) {
    const resources = Object.entries(template.Resources ?? {}) as Array<[string, Json]>;
    const autoDeleted = new Set(resources.filter(([, r]) => r.Type === 'Custom::S3AutoDeleteObjects').map(([, r]) => r.Properties?.BucketName?.Ref));
    for (const [id, r] of resources) {
      const deliberate: string | undefined = r.Metadata?.[RETAINED_ON_DESTROY];
      const left = (why: string) => leftovers.push({ stack, logicalId: id, type: r.Type, why, ...(deliberate ? { deliberate } : {}) });
      if (KEEPING_POLICIES.includes(r.DeletionPolicy)) {
        left(`DeletionPolicy ${r.DeletionPolicy}`);
        continue;
      }
      if (r.Type === 'AWS::S3::Bucket' && !autoDeleted.has(id)) {
        // CloudFormation deletes only empty buckets (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-s3-bucket.html).
        left('no auto-delete of its objects: CloudFormation cannot delete the bucket while it holds any');
      }
      if (r.Type === 'AWS::DynamoDB::Table' && (r.Properties?.DeletionProtectionEnabled === true || r.Properties?.DeletionProtectionEnabled === 'true')) {
        left('deletion protection is on: CloudFormation cannot delete the table');
      }
    }
  }
  for (const d of logInventory(templates).destinations) {
    if (!d.owner) {
      leftovers.push({ stack: d.stack, logicalId: d.writer, type: d.writerType, why: `writes to ${d.logGroup}, which no template creates: the service creates it, with no retention` });
    }
  }
  return leftovers;
}

/** KMS keys are deleted only after their waiting period (7–30 days); nothing to do, but a destroy is not instant. */
export function keysPendingDeletion(templates: Templates): Array<{ readonly stack: string; readonly logicalId: string; readonly days: number }> {
  return Object.entries(templates).flatMap(([stack, t]) =>
    Object.entries(t.Resources ?? {})
      .filter(([, r]) => r.Type === 'AWS::KMS::Key' && !KEEPING_POLICIES.includes(r.DeletionPolicy ?? 'Delete'))
      // PendingWindowInDays defaults to 30 (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-kms-key.html).
      .map(([id, r]) => ({ stack, logicalId: id, days: Number(r.Properties?.PendingWindowInDays ?? 30) })),
  );
}
