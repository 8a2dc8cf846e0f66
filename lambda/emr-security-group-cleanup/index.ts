/**
 * Custom-resource handler: see cleanup.ts. Answers CloudFormation itself (no provider
 * framework), so the stack never waits an hour on a crashed handler.
 */
import { DescribeSecurityGroupRulesCommand, EC2Client, RevokeSecurityGroupEgressCommand, RevokeSecurityGroupIngressCommand } from '@aws-sdk/client-ec2';
import { Logger } from '@aws-lambda-powertools/logger';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { CleanupResult, handleCleanup, SecurityGroupRules } from './cleanup';

const ec2 = new EC2Client({});
const logger = new Logger({ serviceName: 'emr-security-group-cleanup' });

export const sdkRules: SecurityGroupRules = {
  async list(groupIds) {
    const found: { groupId: string; ruleId: string; egress: boolean }[] = [];
    let NextToken: string | undefined;
    do {
      const page = await ec2.send(
        new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [...groupIds] }], NextToken }),
      );
      for (const r of page.SecurityGroupRules ?? []) {
        if (r.GroupId && r.SecurityGroupRuleId) found.push({ groupId: r.GroupId, ruleId: r.SecurityGroupRuleId, egress: r.IsEgress === true });
      }
      NextToken = page.NextToken;
    } while (NextToken);
    return found;
  },
  async revoke(groupId, ruleIds, egress) {
    const input = { GroupId: groupId, SecurityGroupRuleIds: [...ruleIds] };
    if (egress) await ec2.send(new RevokeSecurityGroupEgressCommand(input));
    else await ec2.send(new RevokeSecurityGroupIngressCommand(input));
  },
};

/** Sends the result to CloudFormation's pre-signed response URL. */
export async function respond(event: CloudFormationCustomResourceEvent, context: Context, result: CleanupResult): Promise<void> {
  const body = JSON.stringify({
    Status: result.status,
    Reason: result.reason ?? `See CloudWatch log stream ${context.logStreamName}`,
    PhysicalResourceId: result.physicalResourceId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
  });
  const response = await fetch(event.ResponseURL, { method: 'PUT', body, headers: { 'content-type': '' } });
  if (!response.ok) throw new Error(`CloudFormation response failed: HTTP ${response.status}`);
}

export async function handler(event: CloudFormationCustomResourceEvent, context: Context): Promise<void> {
  const result = await handleCleanup(event, sdkRules);
  logger.info('cleanup', { requestType: event.RequestType, status: result.status, reason: result.reason, revoked: result.revoked });
  await respond(event, context, result);
}
