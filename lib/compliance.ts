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
 * The network stack needs none either.
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
  acknowledgeBatch(stacks);
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

function acknowledgeBatch(stacks: LakeStacks): void {
  if (!stacks.batch) return;
  const batch = stacks.batch.cluster;
  const { cluster } = batch;

  acknowledge(
    batch.serviceRole,
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonEMRServicePolicy_v2]',
    'EMR requires a service role; AmazonEMRServicePolicy_v2 is the scoped v2 policy AWS maintains for it. It acts only on ' +
      'resources tagged for-use-with-amazon-emr-managed-policies=true, which this app sets on the subnet and security groups.',
  );
  acknowledge(
    batch.instanceRole,
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]',
    'Session Manager is the only shell access to the nodes (no EC2 key pair, no inbound SSH); AmazonSSMManagedInstanceCore ' +
      'is the AWS-maintained minimum for the SSM agent and changes with it.',
  );

  const policy = batch.instanceRole.node.findChild('DefaultPolicy') as iam.Policy;
  acknowledgeObjectPrefix(policy, 'raw/payments/', 'Spark reads every object of the date partitions it curates, and only under raw/payments/.');
  acknowledgeObjectPrefix(policy, 'curated/', 'Spark rewrites whole partitions of the curated zone (dynamic overwrite), and only under curated/.');
  acknowledgeObjectPrefix(policy, 'emr-logs/', 'EMR writes its step and node logs as new objects under emr-logs/ only (put, no read or delete).');
  acknowledge(
    policy,
    `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:glue:<AWS::Region>:<AWS::AccountId>:table/${stacks.batch.databaseName}/*]`,
    'The Glue metastore client reads and updates the tables of the lake database only; table names are not known at deploy time.',
  );

  acknowledge(
    batch.securityGroupCleanupFunction.role!,
    'AwsSolutions-IAM5[Resource::*]',
    'Only for ec2:DescribeSecurityGroupRules, which supports no resource-level permissions; the revoke actions are limited ' +
      'to the three EMR-managed security groups of this cluster.',
  );
  if (batch.alarmRole) {
    acknowledge(
      batch.alarmRole.node.findChild('DefaultPolicy'),
      'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      "Publishing to the KMS-encrypted alarm topic needs data keys from the topic's key; the grant (sns.Topic.grantPublish) " +
        'is limited to that one key.',
    );
  }
  acknowledge(
    cluster,
    'AwsSolutions-EMR4',
    'False positive: cdk-nag reads EnableAtRestEncryption at the top level of the security configuration, while EMR nests it ' +
      'under EncryptionConfiguration. The configuration encrypts local disks and EBS with the lake KMS key (unit-tested).',
  );
  acknowledge(
    cluster,
    'AwsSolutions-EMR5',
    'In-transit encryption needs a TLS certificate bundle the operator provides (BatchCluster inTransitCertificatesS3Uri). ' +
      'Without it, node-to-node traffic stays inside one isolated subnet with no internet route; S3, Glue and KMS calls use TLS.',
  );
  acknowledge(
    cluster,
    'AwsSolutions-EMR6',
    'No EC2 key pair and no Kerberos on purpose: operators reach nodes through Session Manager (IAM-authenticated and logged), ' +
      'and steps are submitted through the EMR API.',
  );
}

/**
 * Acknowledges `AwsSolutions-IAM5[Resource::<bucket ARN>/<prefix>*]` on a policy.
 * A bucket from another stack is a cross-stack reference, which becomes its final
 * `Fn::ImportValue` only during synthesis, so the exact finding id is derived from
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
