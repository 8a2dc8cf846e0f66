import { Match, Template } from 'aws-cdk-lib/assertions';
import { AlarmTopic } from '../../lib/constructs/alarm-topic';
import { testStack } from '../helpers';

describe('AlarmTopic', () => {
  test('encrypts the topic with its own rotating key', () => {
    const stack = testStack();
    new AlarmTopic(stack, 'Alarms');
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AlarmsKey'), 'Arn'] },
    });
  });

  test('lets CloudWatch alarms and EventBridge rules use the key', () => {
    const stack = testStack();
    new AlarmTopic(stack, 'Alarms');
    const template = Template.fromStack(stack);
    for (const service of ['cloudwatch.amazonaws.com', 'events.amazonaws.com']) {
      template.hasResourceProperties('AWS::KMS::Key', {
        KeyPolicy: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Principal: { Service: service },
              Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            }),
          ]),
        },
      });
    }
  });

  test('denies publishing without TLS', () => {
    const stack = testStack();
    new AlarmTopic(stack, 'Alarms');
    Template.fromStack(stack).hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  test('has no subscription by default and an email subscription when given', () => {
    const bare = testStack();
    new AlarmTopic(bare, 'Alarms');
    Template.fromStack(bare).resourceCountIs('AWS::SNS::Subscription', 0);

    const withEmail = testStack();
    new AlarmTopic(withEmail, 'Alarms', { email: 'ops@example.com' });
    Template.fromStack(withEmail).hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
  });

  test('retains the key by default', () => {
    const stack = testStack();
    new AlarmTopic(stack, 'Alarms');
    Template.fromStack(stack).hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain' });
  });

  test('a bad email fails with a message naming the prop', () => {
    expect(() => new AlarmTopic(testStack(), 'Alarms', { email: 'ops' })).toThrow(
      'AlarmTopic: email must be an email address, got "ops"',
    );
  });
});
