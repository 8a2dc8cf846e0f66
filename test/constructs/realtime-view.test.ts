import { RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { RealtimeView, RealtimeViewProps } from '../../lib/constructs/realtime-view';
import { testStack } from '../helpers';

function build(props: RealtimeViewProps = {}) {
  const stack = testStack();
  const view = new RealtimeView(stack, 'View', props);
  return { stack, view, template: () => Template.fromStack(stack) };
}

describe('RealtimeView', () => {
  test('keys items by customer (pk) and event or "latest" (sk), on demand', () => {
    build().template().hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    });
  });

  test('encrypts with its own rotating customer-managed key', () => {
    const t = build().template();
    t.hasResourceProperties('AWS::DynamoDB::Table', {
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('ViewKey'), 'Arn'] } },
    });
    t.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  test('expires items through the expires_at TTL attribute', () => {
    build().template().hasResourceProperties('AWS::DynamoDB::Table', {
      TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: true },
    });
    expect(RealtimeView.TTL_ATTRIBUTE).toBe('expires_at');
  });

  test('defaults to PITR on, no deletion protection, and RETAIN', () => {
    const t = build().template();
    t.hasResourceProperties('AWS::DynamoDB::Table', {
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: false,
    });
    t.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain' });
  });

  test('PITR, deletion protection and removal policy follow the props', () => {
    const t = build({ pointInTimeRecovery: false, deletionProtection: true, removalPolicy: RemovalPolicy.DESTROY }).template();
    t.hasResourceProperties('AWS::DynamoDB::Table', {
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: false },
      DeletionProtectionEnabled: true,
    });
    t.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
    t.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Delete' });
  });

  test('grantWriteScores allows only BatchWriteItem and PutItem on the table', () => {
    const { stack, view, template } = build();
    const role = new iam.Role(stack, 'Writer', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    view.grantWriteScores(role);
    template().hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([{
        Action: ['dynamodb:BatchWriteItem', 'dynamodb:PutItem'],
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('ViewTable'), 'Arn'] },
      }]) },
    });
  });

  test('grantReadScores allows only GetItem and Query', () => {
    const { stack, view, template } = build();
    const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.AccountRootPrincipal() });
    view.grantReadScores(role);
    template().hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: ['dynamodb:GetItem', 'dynamodb:Query'] })]) },
    });
  });
});
