/**
 * The app's compliance set-up: which cdk-nag packs run in which profile, the audit of
 * every acknowledgement, and the batch layer's AwsSolutions acknowledgements.
 *
 * Every other acknowledgement sits in the construct (or, for a profile choice, the stack)
 * whose resources raise the finding, next to the code that causes it. Each names a single
 * finding (with its `[Action::…]`/`[Resource::…]` detail where the rule gives one) and says
 * why the finding stands.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks, HIPAASecurityChecks, NagPack, NIST80053R5Checks, PCIDSS321Checks } from 'cdk-nag';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import type { IConstruct } from 'constructs';
import type { ProfileName } from './config';
import type { BatchStack } from './stacks/batch-stack';

/** The cdk-nag packs, by the prefix each gives its rule ids. */
export const PACKS = {
  AwsSolutions: AwsSolutionsChecks,
  'PCI.DSS.321': PCIDSS321Checks,
  'NIST.800.53.R5': NIST80053R5Checks,
  'HIPAA.Security': HIPAASecurityChecks,
} as const;
export type PackName = keyof typeof PACKS;
export const PACK_NAMES = Object.keys(PACKS) as PackName[];

/**
 * The packs each profile runs at synth. Production runs all four: a card-payments lake is
 * judged against PCI DSS. The sandbox runs AwsSolutions: it holds synthetic data only, is
 * never in PCI or HIPAA scope, and its deliberate differences (no point-in-time recovery,
 * no in-transit encryption, short log retention) are the profile's purpose. The compliance
 * suite still runs every pack over both profiles to audit the acknowledgements.
 */
export const PACKS_BY_PROFILE: Record<ProfileName, readonly PackName[]> = {
  sandbox: ['AwsSolutions'],
  production: PACK_NAMES,
};

export function addPacks(root: IConstruct, profile: ProfileName): void {
  Validations.of(root).addPlugins(...PACKS_BY_PROFILE[profile].map((name) => new PACKS[name](root)));
}

/** The pack an acknowledgement id belongs to, from its prefix; undefined for an id without one. */
export function packOf(id: string): PackName | undefined {
  return PACK_NAMES.find((name) => id.startsWith(`${name}-`));
}

/** Every finding of a pack in the tree, acknowledged or not: rule id (with detail) → construct paths. */
export function allFindings(root: IConstruct, name: PackName): Map<string, string[]> {
  const pack: NagPack = new PACKS[name]();
  (pack as unknown as { isAcknowledged: () => boolean }).isAcknowledged = () => false;
  const findings = new Map<string, string[]>();
  for (const v of pack.validateScope(root).violations) findings.set(v.ruleName, v.violatingResources.map((r) => r.constructPath ?? ''));
  return findings;
}

export interface AuditedAcknowledgement {
  readonly path: string;
  readonly id: string;
  readonly reason: string;
}

/**
 * What is wrong with each acknowledgement, as `<id> on <path>: <problem>`; empty when every
 * one names a pack, one finding (with its detail for IAM4/IAM5), gives a reason of at least
 * 20 characters, sits below a stack, and matches a finding on its construct or below it.
 * An id without a pack prefix matches nothing in any pack, so it would silence nothing.
 */
export function auditAcknowledgements(root: IConstruct, acknowledgements: readonly AuditedAcknowledgement[], onStackOrApp: ReadonlySet<string>): string[] {
  const findings = new Map<PackName, Map<string, string[]>>();
  const problems: string[] = [];
  for (const ack of acknowledgements) {
    const where = `${ack.id} on ${ack.path}`;
    const pack = packOf(ack.id);
    if (!pack) {
      problems.push(`${where}: no pack prefix (${PACK_NAMES.map((p) => `${p}-`).join(', ')}), so it matches no finding`);
      continue;
    }
    if (!/^[A-Za-z0-9.]+-[A-Za-z0-9]+(\[[^\]]+\])?$/.test(ack.id)) problems.push(`${where}: not one rule id`);
    if (/^AwsSolutions-IAM[45]/.test(ack.id) && !/\[(Action|Resource|Policy)::.+\]$/.test(ack.id)) {
      problems.push(`${where}: vague (IAM4/IAM5 need the [Action::…], [Resource::…] or [Policy::…] detail)`);
    }
    if (ack.reason.trim().length < 20) problems.push(`${where}: no real reason`);
    if (onStackOrApp.has(ack.path)) problems.push(`${where}: on a stack or the app, not the narrowest construct`);
    if (!findings.has(pack)) findings.set(pack, allFindings(root, pack));
    const paths = findings.get(pack)!.get(ack.id) ?? [];
    if (!paths.some((p) => p === ack.path || p.startsWith(`${ack.path}/`))) problems.push(`${where}: matches no finding`);
  }
  return problems;
}

function acknowledge(construct: IConstruct, id: string, reason: string): void {
  Validations.of(construct).acknowledge({ id, reason });
}

/**
 * The batch layer's AwsSolutions acknowledgements (its compliance-pack ones, and EMR5, are
 * in lib/constructs/batch-cluster.ts and the batch stack).
 */
export function acknowledgeBatch(stack: BatchStack): void {
  const batch = stack.cluster;
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
    `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:glue:<AWS::Region>:<AWS::AccountId>:table/${stack.databaseName}/*]`,
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
