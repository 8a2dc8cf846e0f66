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
 * The network stack needs none either. The batch layer's are acknowledged inside
 * BatchCluster, next to the code that causes them.
 */
import { CfnElement, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import type { IConstruct } from 'constructs';
import type { LakeStacks } from './lake';
import { ServingStack } from './stacks/serving-stack';

export function acknowledgeFindings(stacks: LakeStacks): void {
  acknowledgeCatalog(stacks);
  acknowledgeIngestion(stacks);
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

/**
 * The crawler roles. Their catalog permissions name exact tables; what remains are the
 * object keys a crawler must read and the log streams of its own log group.
 */
function acknowledgeCatalog(stacks: LakeStacks): void {
  const { catalog } = stacks.catalog;
  const securityConfiguration = logicalId(catalog.securityConfiguration.node.defaultChild);
  for (const zone of [catalog.raw, catalog.curated]) {
    const policy = zone.role.node.findChild('DefaultPolicy') as iam.Policy;
    for (const keyPrefix of zone.keyPrefixes) {
      acknowledgeObjectPrefix(
        policy,
        keyPrefix,
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

function acknowledgeIngestion({ ingestion }: LakeStacks): void {
  if (!ingestion) return;
  const { delivery, stream } = ingestion;
  acknowledge(
    delivery.deliveryStream,
    'AwsSolutions-KDF1',
    'Firehose rejects server-side encryption on a delivery stream whose source is a Kinesis stream; the source stream is KMS-encrypted and the S3 output uses the lake key.',
  );
  acknowledge(
    stream.stream,
    'AwsSolutions-KDS3',
    'The stream uses a customer-managed key with rotation instead of aws/kinesis, as the lake requires for key policy control and audit.',
  );
  for (const prefix of ['raw/payments/', 'errors/', 'backup/']) {
    acknowledgeObjectPrefix(
      delivery.policy,
      prefix,
      `Firehose names the objects under ${prefix} itself (partition, date, random suffix), so its write access must cover every key under that prefix and no other.`,
    );
  }
}

/**
 * Acknowledges `AwsSolutions-IAM5[Resource::<bucket ARN>/<prefix>*]` on a policy.
 * A bucket from another stack is a cross-stack reference, which becomes its final
 * `Fn::GetStackOutput` only during synthesis, so the exact finding id is derived from
 * the resolved policy then (validation runs after references are resolved and before
 * cdk-nag). Nothing is acknowledged if the policy has no such resource.
 */
function acknowledgeObjectPrefix(policy: iam.Policy, prefix: string, reason: string): void {
  policy.node.addValidation({
    validate: () => {
      const document = Stack.of(policy).resolve((policy.node.defaultChild as iam.CfnPolicy).policyDocument);
      for (const statement of document.Statement ?? []) {
        for (const resource of [statement.Resource].flat()) {
          const flat = flattenCfnReference(resource);
          if (flat.endsWith(`/${prefix}*`)) acknowledge(policy, `AwsSolutions-IAM5[Resource::${flat}]`, reason);
        }
      }
      return [];
    },
  });
}

function logicalId(resource: IConstruct | undefined): string {
  if (!resource) throw new Error('compliance: expected a CloudFormation resource');
  return Stack.of(resource).getLogicalId(resource as CfnElement);
}
