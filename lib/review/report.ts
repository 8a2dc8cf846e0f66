/**
 * "Synth for review": a Markdown report on the synthesized templates of one
 * profile, for someone reviewing the infrastructure. Pure: it takes the
 * templates, the cdk-nag acknowledgements, the validation report and the
 * price table, and returns text plus the counts the summary prints.
 */
import { CfnResource, estimateIdle, Json, Templates } from '../cost/estimate';
import { formatIdle, money, table } from '../cost/format';
import { PriceTable } from '../cost/prices';
import { destroySection, guardSection } from './deploy-safety';
import { list, render } from './render';
import { guardFailures, GuardResult } from './replacement-guard';

export { render };

export interface Acknowledgement {
  /** Construct path, e.g. `Ingestion/Delivery/Resource`. */
  readonly path: string;
  /** Finding id, e.g. `AwsSolutions-IAM5[Action::s3:GetObject*]`. */
  readonly id: string;
  readonly reason: string;
}

/** The parts of the synth's validation-report.json the report uses. */
export interface ValidationReport {
  readonly pluginReports: ReadonlyArray<{ readonly pluginName?: string; readonly summary?: { readonly status?: string }; readonly violations?: ReadonlyArray<{ readonly ruleName?: string; readonly description?: string; readonly violatingResources?: ReadonlyArray<{ readonly resourceLogicalId?: string; readonly templatePath?: string }> }> }>;
}

export interface ReviewInput {
  readonly profile: string;
  readonly templates: Templates;
  readonly acknowledgements: readonly Acknowledgement[];
  /** Undefined when synth did not write one. */
  readonly validation?: ValidationReport;
  /** Set when synth failed. */
  readonly synthError?: string;
  readonly prices: PriceTable;
  /** Findings and acknowledgements per cdk-nag pack (lib/review/compliance.ts). */
  readonly compliance?: readonly PackReview[];
  /** The replacement guard against the deployed baseline, or why it did not run. */
  readonly guard?: GuardResult | string;
}

/** One cdk-nag pack's findings over the app (the shape of lib/review/compliance.ts's summary). */
export interface PackReview {
  readonly pack: string;
  readonly runsAtSynth: boolean;
  readonly findings: number;
  readonly acknowledged: number;
  readonly open: readonly string[];
  readonly byRule: ReadonlyArray<{ readonly rule: string; readonly count: number }>;
}

export interface Statement {
  readonly effect: string;
  readonly actions: string[];
  readonly resources: string[];
  readonly wildcard: boolean;
}

export interface RoleReview {
  readonly stack: string;
  readonly logicalId: string;
  /** Construct path from the template metadata, when synth recorded it. */
  readonly path?: string;
  readonly principals: string[];
  readonly managedPolicies: string[];
  /** Statement source (inline policy or attached AWS::IAM::Policy) → statement. */
  readonly statements: Array<Statement & { readonly source: string }>;
}

export interface StoreEncryption {
  readonly stack: string;
  readonly logicalId: string;
  readonly path?: string;
  readonly type: string;
  readonly encryption: string;
  /** True when the store is not encrypted (or its encryption is not declared). */
  readonly flagged: boolean;
}

export interface IngressRule {
  readonly stack: string;
  readonly group: string;
  readonly rule: string;
  readonly open: boolean;
}

export interface SubnetReview {
  readonly stack: string;
  readonly logicalId: string;
  readonly cidr: string;
  readonly publicIpOnLaunch: boolean;
  readonly route: 'internet gateway' | 'NAT gateway' | 'none (isolated)';
}

export interface ReviewSummary {
  readonly profile: string;
  readonly stacks: number;
  readonly resources: number;
  readonly roles: number;
  readonly wildcardStatements: number;
  readonly dataStores: number;
  readonly unencryptedStores: number;
  readonly subnetsWithInternetRoute: number;
  readonly openIngressRules: number;
  readonly acknowledgements: number;
  /** Per cdk-nag pack: findings, acknowledged, open. */
  readonly packs: ReadonlyArray<{ readonly pack: string; readonly runsAtSynth: boolean; readonly findings: number; readonly acknowledged: number; readonly open: number }>;
  readonly validation: string;
  readonly idlePerDay: number;
  readonly idlePerMonth: number;
  /** Stateful resources the deploy would replace, remove or re-key without an acknowledgement, plus stale acknowledgements; undefined when not compared. */
  readonly guardFailures?: number;
  /** Every resource the deploy would replace, remove or re-key; undefined when not compared. */
  readonly replacements?: number;
  /** Resources a `cdk destroy --all` leaves behind. */
  readonly leftovers: number;
}

export interface Review {
  readonly markdown: string;
  readonly summary: ReviewSummary;
  readonly roles: RoleReview[];
  readonly stores: StoreEncryption[];
  readonly subnets: SubnetReview[];
  readonly ingress: IngressRule[];
}

function statements(document: Json, templates: Templates): Statement[] {
  return list(document?.Statement).map((s: Json) => {
    const actions = list(s.Action ?? s.NotAction).map((a) => render(a, templates));
    const resources = list(s.Resource ?? s.NotResource).map((x) => render(x, templates));
    return {
      effect: s.Effect ?? 'Allow',
      actions: s.NotAction ? actions.map((a) => `NOT ${a}`) : actions,
      resources: s.NotResource ? resources.map((r) => `NOT ${r}`) : resources,
      wildcard: (s.Effect ?? 'Allow') === 'Allow' && (actions.some((a) => a.includes('*')) || resources.some((r) => r.includes('*'))),
    };
  });
}

function principals(trust: Json): string[] {
  return list(trust?.Statement).flatMap((s: Json) =>
    Object.entries(s.Principal ?? {}).flatMap(([kind, v]) => list(v).map((p) => `${kind}: ${render(p)}`)),
  );
}

/** Every role with its trust, managed policies, inline policies and attached AWS::IAM::Policy statements. */
export function reviewRoles(templates: Templates): RoleReview[] {
  const out: RoleReview[] = [];
  for (const [stack, t] of Object.entries(templates)) {
    const resources = Object.entries(t.Resources ?? {});
    for (const [id, role] of resources.filter(([, r]) => r.Type === 'AWS::IAM::Role')) {
      const props = role.Properties ?? {};
      const stmts: RoleReview['statements'] = [];
      for (const p of list(props.Policies)) {
        for (const s of statements(p.PolicyDocument, templates)) stmts.push({ ...s, source: `inline ${p.PolicyName}` });
      }
      for (const [pid, policy] of resources.filter(([, r]) => r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy')) {
        const roles = list(policy.Properties?.Roles).map((v) => render(v));
        if (!roles.includes(`\${${id}}`)) continue;
        for (const s of statements(policy.Properties?.PolicyDocument, templates)) stmts.push({ ...s, source: pid });
      }
      out.push({
        stack,
        logicalId: id,
        path: role.Metadata?.['aws:cdk:path'],
        principals: principals(props.AssumeRolePolicyDocument),
        managedPolicies: list(props.ManagedPolicyArns).map((v) => render(v, templates)),
        statements: stmts,
      });
    }
  }
  return out;
}

const kmsOrFlag = (key: Json, what: string, rd: (v: Json) => string) => (key ? { encryption: `${what}, key ${rd(key)}`, flagged: false } : undefined);

/** The encryption of one data store, or undefined when the resource is not a data store. */
function storeEncryption(res: CfnResource, resources: Record<string, CfnResource>, rd: (v: Json) => string): { encryption: string; flagged: boolean } | undefined {
  const p = res.Properties ?? {};
  switch (res.Type) {
    case 'AWS::S3::Bucket': {
      const rule = list(p.BucketEncryption?.ServerSideEncryptionConfiguration)[0];
      const sse = rule?.ServerSideEncryptionByDefault;
      if (!sse) return { encryption: 'not declared (S3 applies SSE-S3 by default)', flagged: true };
      if (sse.SSEAlgorithm === 'AES256') return { encryption: 'SSE-S3', flagged: false };
      return { encryption: `SSE-KMS (${sse.SSEAlgorithm}), key ${rd(sse.KMSMasterKeyID) || 'aws/s3'}${rule.BucketKeyEnabled ? ', bucket key on' : ''}`, flagged: false };
    }
    case 'AWS::Kinesis::Stream':
      return p.StreamEncryption?.EncryptionType === 'KMS'
        ? { encryption: `KMS, key ${rd(p.StreamEncryption.KeyId)}`, flagged: false }
        : { encryption: 'none', flagged: true };
    case 'AWS::DynamoDB::Table':
    case 'AWS::DynamoDB::GlobalTable':
      return p.SSESpecification?.SSEEnabled
        ? { encryption: `KMS${p.SSESpecification.KMSMasterKeyId ? `, key ${rd(p.SSESpecification.KMSMasterKeyId)}` : ' (AWS managed key)'}`, flagged: false }
        : { encryption: 'AWS owned key (DynamoDB default)', flagged: false };
    case 'AWS::SQS::Queue':
      return kmsOrFlag(p.KmsMasterKeyId, 'SSE-KMS', rd) ?? (p.SqsManagedSseEnabled === false ? { encryption: 'none', flagged: true } : { encryption: 'SSE-SQS (SQS managed, default)', flagged: false });
    case 'AWS::SNS::Topic':
      return kmsOrFlag(p.KmsMasterKeyId, 'SSE-KMS', rd) ?? { encryption: 'none', flagged: true };
    case 'AWS::SageMaker::EndpointConfig': {
      const serverless = list(p.ProductionVariants).every((v: Json) => v.ServerlessConfig);
      return kmsOrFlag(p.KmsKeyId, 'KMS', rd) ?? (serverless ? { encryption: 'serverless: AWS managed storage (KmsKeyId not supported)', flagged: false } : { encryption: 'no KmsKeyId', flagged: true });
    }
    case 'AWS::Glue::SecurityConfiguration': {
      const e = p.EncryptionConfiguration ?? {};
      const s3 = list(e.S3Encryptions)[0]?.S3EncryptionMode ?? 'DISABLED';
      const cw = e.CloudWatchEncryption?.CloudWatchEncryptionMode ?? 'DISABLED';
      const jb = e.JobBookmarksEncryption?.JobBookmarksEncryptionMode ?? 'DISABLED';
      return { encryption: `S3 ${s3}, CloudWatch ${cw}, job bookmarks ${jb}`, flagged: [s3, cw, jb].includes('DISABLED') };
    }
    case 'AWS::Glue::DataCatalogEncryptionSettings': {
      const s = p.DataCatalogEncryptionSettings ?? {};
      const atRest = s.EncryptionAtRest?.CatalogEncryptionMode ?? 'DISABLED';
      return { encryption: `catalog ${atRest}${s.EncryptionAtRest?.SseAwsKmsKeyId ? `, key ${rd(s.EncryptionAtRest.SseAwsKmsKeyId)}` : ''}; connection passwords ${s.ConnectionPasswordEncryption?.ReturnConnectionPasswordEncrypted ? 'encrypted' : 'not encrypted'}`, flagged: atRest === 'DISABLED' };
    }
    case 'AWS::Athena::WorkGroup': {
      const c = p.WorkGroupConfiguration ?? {};
      const e = c.ResultConfiguration?.EncryptionConfiguration;
      if (!e) return { encryption: 'query results not encrypted', flagged: true };
      return { encryption: `results ${e.EncryptionOption}${e.KmsKey ? `, key ${rd(e.KmsKey)}` : ''}${c.EnforceWorkGroupConfiguration ? ', enforced' : ', not enforced'}`, flagged: false };
    }
    case 'AWS::EMR::SecurityConfiguration': {
      const e = (typeof p.SecurityConfiguration === 'string' ? JSON.parse(p.SecurityConfiguration) : p.SecurityConfiguration)?.EncryptionConfiguration ?? {};
      const atRest = e.EnableAtRestEncryption === true;
      const s3 = e.AtRestEncryptionConfiguration?.S3EncryptionConfiguration?.EncryptionMode;
      const disk = e.AtRestEncryptionConfiguration?.LocalDiskEncryptionConfiguration?.EncryptionKeyProviderType;
      return { encryption: `at rest ${atRest ? `on (S3 ${s3 ?? '—'}, local disk ${disk ?? '—'})` : 'off'}, in transit ${e.EnableInTransitEncryption ? 'on' : 'off'}`, flagged: !atRest };
    }
    case 'AWS::EMR::Cluster': {
      const ref = p.SecurityConfiguration;
      const id = ref && typeof ref === 'object' && 'Ref' in ref ? ref.Ref : undefined;
      return ref ? { encryption: `security configuration ${id && resources[id] ? id : rd(ref)}`, flagged: false } : { encryption: 'no security configuration', flagged: true };
    }
    case 'AWS::Logs::LogGroup':
      return kmsOrFlag(p.KmsKeyId, 'KMS', rd) ?? { encryption: 'CloudWatch Logs service-managed encryption', flagged: false };
    case 'AWS::KinesisFirehose::DeliveryStream': {
      const dest = p.ExtendedS3DestinationConfiguration ?? p.S3DestinationConfiguration ?? {};
      const kms = dest.EncryptionConfiguration?.KMSEncryptionConfig?.AWSKMSKeyARN;
      const sse = p.DeliveryStreamEncryptionConfigurationInput;
      const source = p.KinesisStreamSourceConfiguration ? 'source: Kinesis stream (encrypted there; Firehose SSE not supported)' : sse ? `SSE ${sse.KeyType}` : 'no SSE';
      return { encryption: `${source}; S3 writes ${kms ? `KMS key ${rd(kms)}` : "bucket's default encryption"}`, flagged: !p.KinesisStreamSourceConfiguration && !sse };
    }
    case 'AWS::SecretsManager::Secret':
      return kmsOrFlag(p.KmsKeyId, 'KMS', rd) ?? { encryption: 'aws/secretsmanager key', flagged: false };
    default:
      return undefined;
  }
}

export function reviewEncryption(templates: Templates): StoreEncryption[] {
  return Object.entries(templates).flatMap(([stack, t]) =>
    Object.entries(t.Resources ?? {}).flatMap(([id, res]) => {
      const e = storeEncryption(res, t.Resources ?? {}, (v) => render(v, templates));
      return e ? [{ stack, logicalId: id, path: res.Metadata?.['aws:cdk:path'], type: res.Type, ...e }] : [];
    }),
  );
}

const OPEN_CIDRS = ['0.0.0.0/0', '::/0'];

function ingressText(r: Json): { rule: string; open: boolean } {
  const source = r.CidrIp ?? r.CidrIpv6 ?? (r.SourceSecurityGroupId ? `sg ${render(r.SourceSecurityGroupId)}` : r.SourcePrefixListId ? `prefix list ${render(r.SourcePrefixListId)}` : '?');
  const ports = r.IpProtocol === '-1' ? 'all traffic' : `${r.IpProtocol} ${r.FromPort === r.ToPort ? r.FromPort : `${r.FromPort}-${r.ToPort}`}`;
  return { rule: `${ports} from ${render(source)}`, open: OPEN_CIDRS.includes(String(r.CidrIp ?? r.CidrIpv6)) };
}

export function reviewNetwork(templates: Templates): { subnets: SubnetReview[]; ingress: IngressRule[]; vpcs: string[]; endpoints: string[] } {
  const subnets: SubnetReview[] = [];
  const ingress: IngressRule[] = [];
  const vpcs: string[] = [];
  const endpoints: string[] = [];
  for (const [stack, t] of Object.entries(templates)) {
    const resources = t.Resources ?? {};
    const entries = Object.entries(resources);
    const routeKind = new Map<string, SubnetReview['route']>();
    for (const [, r] of entries.filter(([, r]) => r.Type === 'AWS::EC2::Route')) {
      const table = render(r.Properties?.RouteTableId);
      const gw = r.Properties?.GatewayId ? resources[render(r.Properties.GatewayId).slice(2, -1)] : undefined;
      if (gw?.Type === 'AWS::EC2::InternetGateway' || (r.Properties?.GatewayId && !gw)) routeKind.set(table, 'internet gateway');
      else if (r.Properties?.NatGatewayId && routeKind.get(table) !== 'internet gateway') routeKind.set(table, 'NAT gateway');
    }
    const subnetTable = new Map<string, string>();
    for (const [, a] of entries.filter(([, r]) => r.Type === 'AWS::EC2::SubnetRouteTableAssociation')) {
      subnetTable.set(render(a.Properties?.SubnetId), render(a.Properties?.RouteTableId));
    }
    for (const [id, r] of entries) {
      const p = r.Properties ?? {};
      if (r.Type === 'AWS::EC2::VPC') vpcs.push(`${stack}/${id} ${render(p.CidrBlock)}`);
      if (r.Type === 'AWS::EC2::VPCEndpoint') endpoints.push(`${stack}/${id} ${p.VpcEndpointType ?? 'Gateway'} ${render(p.ServiceName)}`);
      if (r.Type === 'AWS::EC2::Subnet') {
        subnets.push({
          stack,
          logicalId: id,
          cidr: render(p.CidrBlock),
          publicIpOnLaunch: p.MapPublicIpOnLaunch === true,
          route: routeKind.get(subnetTable.get(`\${${id}}`) ?? '') ?? 'none (isolated)',
        });
      }
      if (r.Type === 'AWS::EC2::SecurityGroup') {
        for (const rule of list(p.SecurityGroupIngress)) ingress.push({ stack, group: id, ...ingressText(rule) });
      }
      if (r.Type === 'AWS::EC2::SecurityGroupIngress') ingress.push({ stack, group: render(p.GroupId), ...ingressText(p) });
    }
  }
  return { subnets, ingress, vpcs, endpoints };
}

function validationStatus(input: ReviewInput): string {
  if (input.synthError) return `FAILED: ${input.synthError.split('\n')[0]}`;
  if (!input.validation) return 'not run (no validation-report.json)';
  const violations = input.validation.pluginReports.flatMap((r) => r.violations ?? []);
  return violations.length === 0 ? 'passed (no findings)' : `${violations.length} finding(s)`;
}

const flag = (b: boolean) => (b ? '⚠ ' : '');

export function buildReview(input: ReviewInput): Review {
  const { templates } = input;
  const roles = reviewRoles(templates);
  const stores = reviewEncryption(templates);
  const network = reviewNetwork(templates);
  const idle = estimateIdle(templates, input.prices);
  const validation = validationStatus(input);
  const resourceCount = Object.values(templates).reduce((n, t) => n + Object.keys(t.Resources ?? {}).length, 0);

  const md: string[] = [`# Infrastructure review: ${input.profile} profile`, ''];
  md.push(`Stacks: ${Object.keys(templates).join(', ')}. Built-in CloudFormation validation: ${validation}. Idle cost: ${money(idle.perDay)}/day.`, '');
  md.push('Lines marked ⚠ need a reviewer\'s attention: wildcards in IAM, unencrypted stores, internet routes, ingress open to the world.', '');

  md.push('## Resources per stack and type', '');
  for (const [stack, t] of Object.entries(templates)) {
    const counts = new Map<string, number>();
    for (const r of Object.values(t.Resources ?? {})) counts.set(r.Type, (counts.get(r.Type) ?? 0) + 1);
    md.push(`### ${stack} (${Object.keys(t.Resources ?? {}).length} resources)`, '');
    md.push(table(['type', 'count'], [...counts.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([type, n]) => [type, String(n)])), '');
  }

  md.push('## IAM roles', '');
  for (const role of roles) {
    md.push(`### ${role.stack} / ${role.logicalId}`, '', role.path ? `Construct: \`${role.path}\`.` : '', '');
    md.push(`Assumed by: ${role.principals.join('; ') || '—'}. Managed policies: ${role.managedPolicies.join('; ') || 'none'}.`, '');
    if (role.statements.length === 0) md.push('No inline or attached statements.', '');
    else md.push(table(['', 'source', 'effect', 'actions', 'resources'], role.statements.map((s) => [flag(s.wildcard) || ' ', s.source, s.effect, s.actions.join(', '), s.resources.join(', ')])), '');
  }

  md.push('## Encryption of data stores', '');
  md.push(table(['', 'stack', 'resource', 'construct', 'type', 'encryption'], stores.map((s) => [flag(s.flagged) || ' ', s.stack, s.logicalId, s.path ?? '', s.type, s.encryption])), '');

  md.push('## Network exposure', '');
  md.push(`VPCs: ${network.vpcs.join('; ') || 'none'}. VPC endpoints: ${network.endpoints.join('; ') || 'none'}.`, '');
  if (network.subnets.length > 0) {
    md.push(table(['', 'stack', 'subnet', 'CIDR', 'public IP on launch', 'default route'], network.subnets.map((s) => [flag(s.route !== 'none (isolated)' || s.publicIpOnLaunch) || ' ', s.stack, s.logicalId, s.cidr, String(s.publicIpOnLaunch), s.route])), '');
  } else md.push('No subnets.', '');
  if (network.ingress.length > 0) {
    md.push('Security-group ingress:', '', table(['', 'stack', 'group', 'rule'], network.ingress.map((r) => [flag(r.open) || ' ', r.stack, r.group, r.rule])), '');
  } else md.push('No security-group ingress rules.', '');

  if (input.compliance) {
    md.push('## cdk-nag packs', '');
    md.push('Each pack runs over the whole app. A finding is one rule on one resource; acknowledged findings are counted per rule. Packs marked "report only" do not run at synth in this profile.', '');
    md.push(table(['pack', 'at synth', 'findings', 'acknowledged', 'open', 'acknowledged by rule'], input.compliance.map((p) => [
      p.pack, p.runsAtSynth ? 'runs' : 'report only', String(p.findings), String(p.acknowledged), String(p.open.length),
      p.byRule.map((r) => `${r.rule} ×${r.count}`).join(', ') || '—',
    ])), '');
    for (const p of input.compliance.filter((c) => c.open.length > 0)) {
      md.push(`${flag(p.runsAtSynth)}Open in ${p.pack}${p.runsAtSynth ? '' : ' (report only)'}:`, '', ...p.open.map((o) => `- ${o}`), '');
    }
  }

  md.push('## cdk-nag acknowledgements', '');
  md.push(input.acknowledgements.length === 0 ? 'None.' : table(['construct', 'finding', 'reason'], input.acknowledgements.map((a) => [a.path, a.id, a.reason])), '');

  md.push('## Built-in CloudFormation validation', '', validation, '');
  for (const r of input.validation?.pluginReports ?? []) {
    for (const v of r.violations ?? []) md.push(`- ${r.pluginName ?? ''} ${v.ruleName ?? ''}: ${v.description ?? ''} (${(v.violatingResources ?? []).map((x) => x.resourceLogicalId).join(', ')})`);
  }

  md.push('', ...guardSection(input.profile, input.guard));
  const destroy = destroySection(input.profile, templates);
  md.push(...destroy.markdown);

  md.push('## Idle cost estimate', '', formatIdle(idle, { listFree: false }), '');

  const summary: ReviewSummary = {
    profile: input.profile,
    stacks: Object.keys(templates).length,
    resources: resourceCount,
    roles: roles.length,
    wildcardStatements: roles.reduce((n, r) => n + r.statements.filter((s) => s.wildcard).length, 0),
    dataStores: stores.length,
    unencryptedStores: stores.filter((s) => s.flagged).length,
    subnetsWithInternetRoute: network.subnets.filter((s) => s.route !== 'none (isolated)').length,
    openIngressRules: network.ingress.filter((r) => r.open).length,
    acknowledgements: input.acknowledgements.length,
    packs: (input.compliance ?? []).map((p) => ({ pack: p.pack, runsAtSynth: p.runsAtSynth, findings: p.findings, acknowledged: p.acknowledged, open: p.open.length })),
    validation,
    idlePerDay: idle.perDay,
    idlePerMonth: idle.perMonth,
    guardFailures: typeof input.guard === 'object' ? guardFailures(input.guard).length : undefined,
    replacements: typeof input.guard === 'object' ? input.guard.changes.length : undefined,
    leftovers: destroy.leftovers.length,
  };
  return { markdown: md.join('\n'), summary, roles, stores, subnets: network.subnets, ingress: network.ingress };
}

export function formatSummary(s: ReviewSummary): string {
  return [
    `${s.profile}: ${s.stacks} stack(s), ${s.resources} resources`,
    `  IAM: ${s.roles} role(s), ${s.wildcardStatements} statement(s) with a wildcard`,
    `  encryption: ${s.dataStores} data store(s), ${s.unencryptedStores} not encrypted or not declared`,
    `  network: ${s.subnetsWithInternetRoute} subnet(s) with an internet or NAT route, ${s.openIngressRules} ingress rule(s) open to the world`,
    `  cdk-nag acknowledgements: ${s.acknowledgements}`,
    ...s.packs.map((p) => `  ${p.pack} (${p.runsAtSynth ? 'runs at synth' : 'report only'}): ${p.findings} finding(s), ${p.acknowledged} acknowledged, ${p.open} open`),
    `  built-in validation: ${s.validation}`,
    `  idle cost: ${money(s.idlePerDay)}/day, ${money(s.idlePerMonth)}/month`,
    s.replacements === undefined
      ? '  against the deployed baseline: not compared'
      : `  against the deployed baseline: ${s.replacements} resource(s) replaced, removed or re-keyed; ${s.guardFailures} unacknowledged stateful change(s) or stale acknowledgement(s)`,
    `  cdk destroy --all leaves behind: ${s.leftovers} resource(s)`,
  ].join('\n');
}
