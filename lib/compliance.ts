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
import { createHash } from 'node:crypto';
import { CfnResource, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { IConstruct } from 'constructs';
import type { LakeStacks } from './lake';

export function acknowledgeFindings(stacks: LakeStacks): void {
  acknowledgeBatch(stacks);
}

function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/**
 * How cdk-nag prints a bucket ARN that another stack reads with a weak cross-stack
 * reference (`Fn::GetStackOutput` on the output CDK publishes in the producing stack,
 * whose id is `Publish/Output<reference>`, made unique the way CDK makes logical ids).
 */
function bucketArnFromOtherStack(bucket: s3.IBucket): string {
  const producer = Stack.of(bucket);
  const reference = JSON.stringify({ 'Fn::GetAtt': [producer.getLogicalId(bucket.node.defaultChild as CfnResource), 'Arn'] });
  const hash = createHash('md5').update(`Publish/Output${reference}`).digest('hex').slice(0, 8).toUpperCase();
  const outputName = `PublishOutput${reference.replace(/[^A-Za-z0-9]/g, '')}${hash}`;
  return JSON.stringify({ 'Fn::GetStackOutput': { StackName: producer.stackName, Region: { Ref: 'AWS::Region' }, OutputName: outputName } });
}

function acknowledgeBatch(stacks: LakeStacks): void {
  if (!stacks.batch) return;
  const { cluster } = stacks.batch.cluster;
  const batch = stacks.batch.cluster;
  const lake = stacks.storage.lake;

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
  const prefixes: [s3.IBucket, string, string][] = [
    [lake.rawBucket, 'raw/payments/*', 'Spark reads every object of the date partitions it curates, and only under raw/payments/.'],
    [lake.curatedBucket, 'curated/*', 'Spark rewrites whole partitions of the curated zone (dynamic overwrite), and only under curated/.'],
    [lake.accessLogsBucket, 'emr-logs/*', 'EMR writes its step and node logs as new objects under emr-logs/ only (put, no read or delete).'],
  ];
  for (const [bucket, prefix, reason] of prefixes) {
    acknowledge(policy, `AwsSolutions-IAM5[Resource::${bucketArnFromOtherStack(bucket)}/${prefix}]`, reason);
  }
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

