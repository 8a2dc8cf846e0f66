/**
 * Empties EMR-managed security groups before CloudFormation deletes them.
 *
 * EMR adds rules to the security groups it manages, and the primary, worker and
 * service-access groups refer to each other. A group that another group's rule refers to
 * cannot be deleted ("has a dependent object"), so without this the stack (and then the
 * VPC) would fail to delete. On Delete, after the cluster is gone, every ingress and
 * egress rule of the groups is revoked; Create and Update do nothing.
 */
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';

/** What the handler needs from EC2 (the adapter implements it with the SDK). */
export interface SecurityGroupRules {
  /** Rule ids of the groups, split by direction. */
  list(groupIds: readonly string[]): Promise<readonly { groupId: string; ruleId: string; egress: boolean }[]>;
  revoke(groupId: string, ruleIds: readonly string[], egress: boolean): Promise<void>;
}

export interface CleanupResult {
  readonly status: 'SUCCESS' | 'FAILED';
  readonly physicalResourceId: string;
  readonly reason?: string;
  /** Revoked rule count per group, for the log. */
  readonly revoked: Readonly<Record<string, number>>;
}

/** The security group ids from the resource properties, validated. */
export function groupIdsOf(event: CloudFormationCustomResourceEvent): string[] {
  const ids = (event.ResourceProperties as Record<string, unknown>).SecurityGroupIds;
  if (!Array.isArray(ids) || ids.length === 0 || !ids.every((id) => typeof id === 'string' && /^sg-[0-9a-f]+$/.test(id))) {
    throw new Error(`SecurityGroupIds must be a non-empty list of security group ids, got ${JSON.stringify(ids)}`);
  }
  return ids;
}

export async function handleCleanup(event: CloudFormationCustomResourceEvent, rules: SecurityGroupRules): Promise<CleanupResult> {
  const physicalResourceId = event.RequestType === 'Create' ? `emr-sg-cleanup-${event.RequestId}` : event.PhysicalResourceId;
  const revoked: Record<string, number> = {};
  try {
    const groupIds = groupIdsOf(event);
    if (event.RequestType !== 'Delete') return { status: 'SUCCESS', physicalResourceId, revoked };

    const byGroup = new Map<string, { ingress: string[]; egress: string[] }>();
    for (const rule of await rules.list(groupIds)) {
      const entry = byGroup.get(rule.groupId) ?? { ingress: [], egress: [] };
      (rule.egress ? entry.egress : entry.ingress).push(rule.ruleId);
      byGroup.set(rule.groupId, entry);
    }
    for (const [groupId, { ingress, egress }] of byGroup) {
      if (ingress.length > 0) await rules.revoke(groupId, ingress, false);
      if (egress.length > 0) await rules.revoke(groupId, egress, true);
      revoked[groupId] = ingress.length + egress.length;
    }
    return { status: 'SUCCESS', physicalResourceId, revoked };
  } catch (err) {
    // A group that is already gone needs no cleanup.
    if ((err as Error).name === 'InvalidGroup.NotFound') return { status: 'SUCCESS', physicalResourceId, revoked };
    return { status: 'FAILED', physicalResourceId, reason: (err as Error).message, revoked };
  }
}
