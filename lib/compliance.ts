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
  acknowledgeCatalog(stacks);
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

/** A weak cross-stack reference to a storage-stack attribute, as cdk-nag renders it. */
function storageOutput(stacks: LakeStacks, outputName: string): string {
  return `{"Fn::GetStackOutput":{"StackName":"${stacks.storage.stackName}","Region":{"Ref":"AWS::Region"},"OutputName":"${outputName}"}}`;
}

/**
 * The crawler roles. Their catalog permissions name exact tables; what remains are the
 * object keys a crawler must read and the log streams of its own log group.
 */
function acknowledgeCatalog(stacks: LakeStacks): void {
  const { catalog } = stacks.catalog;
  const securityConfiguration = logicalId(catalog.securityConfiguration.node.defaultChild);
  const zones = [
    { zone: catalog.raw, output: 'PublishOutputFnGetAttLakeRaw8A880B75Arn1FB7FB3D' },
    { zone: catalog.curated, output: 'PublishOutputFnGetAttLakeCurated8ED8635FArn2016A1DC' },
  ];
  for (const { zone, output } of zones) {
    const policy = zone.role.node.findChild('DefaultPolicy');
    for (const keyPrefix of zone.keyPrefixes) {
      acknowledge(
        policy,
        `AwsSolutions-IAM5[Resource::${storageOutput(stacks, output)}/${keyPrefix}*]`,
        'A crawler reads every object of its dataset, and new objects arrive under new event_date= folders; the grant is limited to that one dataset prefix.',
      );
    }
    acknowledge(
      policy,
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws-glue/crawlers-role/<${logicalId(zone.role.node.defaultChild)}>-<${securityConfiguration}>:*]`,
      'Glue names one log stream per crawl inside the crawler\'s own log group; the wildcard covers only the streams of that one group.',
    );
  }
}

function logicalId(resource: IConstruct | undefined): string {
  if (!resource) throw new Error('compliance: expected a CloudFormation resource');
  return Stack.of(resource).getLogicalId(resource as CfnElement);
}
