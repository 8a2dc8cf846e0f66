import { DescribeSecurityGroupRulesCommand, EC2Client, RevokeSecurityGroupEgressCommand, RevokeSecurityGroupIngressCommand } from '@aws-sdk/client-ec2';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../lambda/emr-security-group-cleanup/index';

const ec2 = mockClient(EC2Client);
const deleteEvent = {
  RequestType: 'Delete',
  ServiceToken: 'arn:fn',
  ResponseURL: 'https://cfn.example/response',
  StackId: 'stack-1',
  RequestId: 'req-2',
  LogicalResourceId: 'SecurityGroupCleanup',
  PhysicalResourceId: 'emr-sg-cleanup-req-1',
  ResourceType: 'Custom::EmrSecurityGroupCleanup',
  ResourceProperties: { ServiceToken: 'arn:fn', SecurityGroupIds: ['sg-0a1', 'sg-0b2'] },
} as CloudFormationCustomResourceEvent;
const context = { logStreamName: '2026/11/22/[$LATEST]abc' } as Context;

let fetchMock: jest.SpyInstance;
beforeEach(() => {
  ec2.reset();
  fetchMock = jest.spyOn(global, 'fetch').mockResolvedValue(new Response(null, { status: 200 }));
});
afterEach(() => fetchMock.mockRestore());

describe('the cleanup handler', () => {
  test('reads the rules page by page, revokes them by id and reports success to CloudFormation', async () => {
    ec2
      .on(DescribeSecurityGroupRulesCommand)
      .resolvesOnce({
        SecurityGroupRules: [{ GroupId: 'sg-0a1', SecurityGroupRuleId: 'sgr-1', IsEgress: false }],
        NextToken: 'page-2',
      })
      .resolvesOnce({ SecurityGroupRules: [{ GroupId: 'sg-0b2', SecurityGroupRuleId: 'sgr-2', IsEgress: true }] });
    ec2.on(RevokeSecurityGroupIngressCommand).resolves({ Return: true });
    ec2.on(RevokeSecurityGroupEgressCommand).resolves({ Return: true });

    await handler(deleteEvent, context);

    const describe = ec2.commandCalls(DescribeSecurityGroupRulesCommand).map((c) => c.args[0].input);
    expect(describe).toEqual([
      { Filters: [{ Name: 'group-id', Values: ['sg-0a1', 'sg-0b2'] }], NextToken: undefined },
      { Filters: [{ Name: 'group-id', Values: ['sg-0a1', 'sg-0b2'] }], NextToken: 'page-2' },
    ]);
    expect(ec2.commandCalls(RevokeSecurityGroupIngressCommand)[0].args[0].input).toEqual({ GroupId: 'sg-0a1', SecurityGroupRuleIds: ['sgr-1'] });
    expect(ec2.commandCalls(RevokeSecurityGroupEgressCommand)[0].args[0].input).toEqual({ GroupId: 'sg-0b2', SecurityGroupRuleIds: ['sgr-2'] });

    const [url, init] = fetchMock.mock.calls[0];
    expect(url).toBe('https://cfn.example/response');
    expect(init.method).toBe('PUT');
    expect(JSON.parse(init.body)).toEqual({
      Status: 'SUCCESS',
      Reason: 'See CloudWatch log stream 2026/11/22/[$LATEST]abc',
      PhysicalResourceId: 'emr-sg-cleanup-req-1',
      StackId: 'stack-1',
      RequestId: 'req-2',
      LogicalResourceId: 'SecurityGroupCleanup',
    });
  });

  test('reports a failure with its reason', async () => {
    ec2.on(DescribeSecurityGroupRulesCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'RequestLimitExceeded' }));
    await handler(deleteEvent, context);
    expect(JSON.parse(fetchMock.mock.calls[0][1].body)).toMatchObject({ Status: 'FAILED', Reason: 'Rate exceeded' });
  });

  test('throws when CloudFormation does not accept the response', async () => {
    ec2.on(DescribeSecurityGroupRulesCommand).resolves({ SecurityGroupRules: [] });
    fetchMock.mockResolvedValue(new Response(null, { status: 403 }));
    await expect(handler(deleteEvent, context)).rejects.toThrow('CloudFormation response failed: HTTP 403');
  });
});
