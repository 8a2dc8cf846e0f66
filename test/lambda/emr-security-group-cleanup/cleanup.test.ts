import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { groupIdsOf, handleCleanup, SecurityGroupRules } from '../../../lambda/emr-security-group-cleanup/cleanup';

const GROUPS = ['sg-0a1', 'sg-0b2', 'sg-0c3'];

function event(requestType: 'Create' | 'Update' | 'Delete', ids: unknown = GROUPS): CloudFormationCustomResourceEvent {
  const common = {
    ServiceToken: 'arn:fn',
    ResponseURL: 'https://cfn.example/response',
    StackId: 'stack-1',
    RequestId: 'req-1',
    LogicalResourceId: 'SecurityGroupCleanup',
    ResourceType: 'Custom::EmrSecurityGroupCleanup',
    ResourceProperties: { ServiceToken: 'arn:fn', SecurityGroupIds: ids },
  };
  if (requestType === 'Create') return { ...common, RequestType: 'Create' } as CloudFormationCustomResourceEvent;
  return { ...common, RequestType: requestType, PhysicalResourceId: 'emr-sg-cleanup-req-0', OldResourceProperties: {} } as CloudFormationCustomResourceEvent;
}

/** An in-memory EC2: rules per group, and a record of what was revoked. */
function fakeRules(rules: { groupId: string; ruleId: string; egress: boolean }[], failWith?: Error) {
  const revoked: [string, readonly string[], boolean][] = [];
  const port: SecurityGroupRules = {
    list: async (groupIds) => {
      if (failWith) throw failWith;
      return rules.filter((r) => groupIds.includes(r.groupId));
    },
    revoke: async (groupId, ruleIds, egress) => {
      revoked.push([groupId, ruleIds, egress]);
    },
  };
  return { port, revoked };
}

describe('EMR security group cleanup', () => {
  test('does nothing on Create and Update, and names the resource once', async () => {
    const { port, revoked } = fakeRules([{ groupId: 'sg-0a1', ruleId: 'sgr-1', egress: false }]);
    await expect(handleCleanup(event('Create'), port)).resolves.toEqual({ status: 'SUCCESS', physicalResourceId: 'emr-sg-cleanup-req-1', revoked: {} });
    await expect(handleCleanup(event('Update'), port)).resolves.toEqual({ status: 'SUCCESS', physicalResourceId: 'emr-sg-cleanup-req-0', revoked: {} });
    expect(revoked).toEqual([]);
  });

  test('on Delete revokes every ingress and egress rule of each group', async () => {
    const { port, revoked } = fakeRules([
      { groupId: 'sg-0a1', ruleId: 'sgr-1', egress: false },
      { groupId: 'sg-0a1', ruleId: 'sgr-2', egress: false },
      { groupId: 'sg-0a1', ruleId: 'sgr-3', egress: true },
      { groupId: 'sg-0c3', ruleId: 'sgr-4', egress: true },
      { groupId: 'sg-other', ruleId: 'sgr-9', egress: false },
    ]);
    const result = await handleCleanup(event('Delete'), port);
    expect(result).toEqual({ status: 'SUCCESS', physicalResourceId: 'emr-sg-cleanup-req-0', revoked: { 'sg-0a1': 3, 'sg-0c3': 1 } });
    expect(revoked).toEqual([
      ['sg-0a1', ['sgr-1', 'sgr-2'], false],
      ['sg-0a1', ['sgr-3'], true],
      ['sg-0c3', ['sgr-4'], true],
    ]);
  });

  test('a group that is already gone is not an error', async () => {
    const gone = Object.assign(new Error("The security group 'sg-0a1' does not exist"), { name: 'InvalidGroup.NotFound' });
    const { port } = fakeRules([], gone);
    await expect(handleCleanup(event('Delete'), port)).resolves.toMatchObject({ status: 'SUCCESS' });
  });

  test('any other error fails the deletion with its message', async () => {
    const denied = Object.assign(new Error('You are not authorized to perform this operation.'), { name: 'UnauthorizedOperation' });
    const { port } = fakeRules([], denied);
    await expect(handleCleanup(event('Delete'), port)).resolves.toEqual({
      status: 'FAILED',
      physicalResourceId: 'emr-sg-cleanup-req-0',
      reason: 'You are not authorized to perform this operation.',
      revoked: {},
    });
  });

  test.each([[null], [[]], [['sg-0a1', 'subnet-1']], ['sg-0a1']])('rejects SecurityGroupIds %j', (ids) => {
    expect(() => groupIdsOf(event('Create', ids))).toThrow(
      `SecurityGroupIds must be a non-empty list of security group ids, got ${JSON.stringify(ids)}`,
    );
  });

  test('a Create with bad properties fails, so a wrong wiring shows at deploy time', async () => {
    const { port } = fakeRules([]);
    await expect(handleCleanup(event('Create', []), port)).resolves.toMatchObject({ status: 'FAILED' });
  });
});
