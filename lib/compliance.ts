/**
 * Every cdk-nag acknowledgement in the app, in one place.
 *
 * Each one names a single finding (with its `[Action::…]`/`[Resource::…]`
 * detail where the rule gives one), sits on the narrowest construct that
 * raises it, and says why the finding does not apply here. The compliance
 * suite fails on an acknowledgement that is vague, unexplained, or matches
 * no finding.
 *
 * The storage stack needs none: the access-logs bucket is recognised by
 * cdk-nag as a log target, and every other finding is fixed in the construct.
 */
import { CfnElement, Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { LakeStacks } from './lake';
import { ServingStack } from './stacks/serving-stack';

export function acknowledgeFindings(stacks: LakeStacks): void {
  if (stacks.serving) acknowledgeServing(stacks.serving);
}

function acknowledge(construct: IConstruct, id: string, reason: string): void {
  Validations.of(construct).acknowledge({ id, reason });
}

/**
 * The serving stack. AwsSolutions' SageMaker rules (SM1–SM3) cover notebook
 * instances only, so the endpoint raises none; what remains is IAM scoping that
 * the services cannot narrow further.
 */
export function acknowledgeServing(stack: ServingStack): void {
  const endpointPolicy = stack.endpoint.role.node.findChild('DefaultPolicy');
  acknowledge(endpointPolicy, 'AwsSolutions-IAM5[Resource::*]',
    'ecr:GetAuthorizationToken has no resource-level permissions (image pulls are scoped to the one repository); ' +
    'cloudwatch:PutMetricData is limited by a namespace condition; the EC2 network-interface actions SageMaker needs in a VPC ' +
    'have no resource-level scoping before the interfaces exist');
  acknowledge(endpointPolicy,
    'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/sagemaker/Endpoints/*]',
    'SageMaker names the endpoint log group after the endpoint, whose name CloudFormation generates after the role exists');
  if (stack.captureBucket && stack.settings.endpoint.dataCaptureSamplingPercentage !== undefined) {
    const bucket = stack.captureBucket.node.defaultChild as CfnElement;
    acknowledge(endpointPolicy,
      `AwsSolutions-IAM5[Resource::<${Stack.of(bucket).getLogicalId(bucket)}.Arn>/${ServingStack.CAPTURE_PREFIX}/*]`,
      'SageMaker data capture writes objects with generated keys under this one prefix; s3:PutObject only');
  }
  if (!stack.settings.pointInTimeRecovery) {
    acknowledge(stack.view.table, 'AwsSolutions-DDB3',
      'Sandbox only: the real-time view is disposable and rebuilt from the stream and the raw zone; production turns PITR on');
  }
  const speedPolicy = stack.speedLayer.function.role!.node.findChild('DefaultPolicy');
  for (const action of ['kms:GenerateDataKey*', 'kms:ReEncrypt*']) {
    acknowledge(speedPolicy, `AwsSolutions-IAM5[Action::${action}]`,
      'DynamoDB tables and SQS queues encrypted with a customer-managed key need these on the one key ' +
      '(the documented DynamoDB key-policy action set, and the Lambda on-failure destination grant)');
  }
  acknowledge(stack.speedLayer.deadLetterQueue, 'AwsSolutions-SQS3',
    'This queue is the dead-letter queue: it receives poison records and the event source mapping failures');
}
