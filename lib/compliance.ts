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

export function acknowledgeFindings(stacks: LakeStacks): void {
  acknowledgeCatalog(stacks);
}

function acknowledge(construct: IConstruct, id: string, reason: string): void {
  Validations.of(construct).acknowledge({ id, reason });
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
