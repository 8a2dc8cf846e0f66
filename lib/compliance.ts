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
import * as iam from 'aws-cdk-lib/aws-iam';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import type { IConstruct } from 'constructs';
import type { LakeStacks } from './lake';

export function acknowledgeFindings(stacks: LakeStacks): void {
  acknowledgeCatalog(stacks);
  acknowledgeIngestion(stacks);
}

function acknowledge(construct: IConstruct, id: string, reason: string): void {
  Validations.of(construct).acknowledge({ id, reason });
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
