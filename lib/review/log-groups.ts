/**
 * Every log group a deployed lake writes to, derived from its templates: the
 * services' own naming rules applied to the resources that log, matched to the
 * AWS::Logs::LogGroup resources of the templates. A group no template owns is
 * created by the service on first write, with no retention, and outlives
 * `cdk destroy`.
 */
import type { CfnResource, Json, Templates } from '../cost/estimate';
import { crossStackTarget } from './cross-stack';
import { list, render } from './render';

export interface LogGroupOwner {
  readonly stack: string;
  readonly logicalId: string;
  readonly resource: CfnResource;
}

export interface LogDestination {
  readonly stack: string;
  /** The resource that writes, or makes its service write, to the group. */
  readonly writer: string;
  readonly writerType: string;
  /** The group's name (or reference) as readable text. */
  readonly logGroup: string;
  /** The template's AWS::Logs::LogGroup that is this group; undefined when no template owns it. */
  readonly owner?: LogGroupOwner;
  /** Where AWS documents the naming rule. */
  readonly source: string;
}

export interface LogInventory {
  readonly destinations: LogDestination[];
  /** Resources of a type this inventory does not know; it cannot tell whether they log. */
  readonly unclassified: Array<{ readonly stack: string; readonly logicalId: string; readonly type: string }>;
}

/** A log group written to: a reference to a LogGroup resource, or a name. */
type Target = { readonly ref: Json } | { readonly name: Json };

interface Rule {
  readonly source: string;
  readonly targets: (props: Record<string, Json>, logicalId: string) => Target[];
}

/** Resource types that log, with where they log. */
const RULES: Readonly<Record<string, Rule>> = {
  'AWS::Lambda::Function': {
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-loggroups.html',
    // LoggingConfig.LogGroup, else /aws/lambda/<function name>; Ref of a function is its name.
    targets: (p, id) => [p.LoggingConfig?.LogGroup ? { name: p.LoggingConfig.LogGroup } : { name: join('/aws/lambda/', p.FunctionName ?? { Ref: id }) }],
  },
  'AWS::SageMaker::Endpoint': {
    source: 'https://docs.aws.amazon.com/sagemaker/latest/dg/logging-cloudwatch.html',
    targets: (p, id) => [{ name: join('/aws/sagemaker/Endpoints/', p.EndpointName ?? { 'Fn::GetAtt': [id, 'EndpointName'] }) }],
  },
  'AWS::Glue::Crawler': {
    // With a security configuration, crawlers log to /aws-glue/crawlers-role/<role name>-<configuration name>;
    // without one, to the account-wide /aws-glue/crawlers
    // (https://docs.aws.amazon.com/glue/latest/dg/encryption-security-configuration.html).
    source: 'https://docs.aws.amazon.com/glue/latest/dg/encryption-security-configuration.html',
    targets: (p) => [{
      name: p.CrawlerSecurityConfiguration ? join('/aws-glue/crawlers-role/', roleName(p.Role), '-', p.CrawlerSecurityConfiguration) : '/aws-glue/crawlers',
    }],
  },
  'AWS::KinesisFirehose::DeliveryStream': {
    source: 'https://docs.aws.amazon.com/firehose/latest/dev/monitoring-with-cloudwatch-logs.html',
    targets: (p) => findAll(p, 'CloudWatchLoggingOptions').filter((o) => o?.Enabled === true || o?.Enabled === 'true').map((o) => ({ name: o.LogGroupName })),
  },
  'AWS::StepFunctions::StateMachine': {
    source: 'https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html',
    targets: (p) => list(p.LoggingConfiguration?.Destinations).map((d) => ({ ref: d?.CloudWatchLogsLogGroup?.LogGroupArn })),
  },
  'AWS::EC2::FlowLog': {
    source: 'https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-cwl.html',
    targets: (p) => (p.LogDestinationType ?? 'cloud-watch-logs') !== 'cloud-watch-logs' ? [] : [p.LogGroupName ? { name: p.LogGroupName } : { ref: p.LogDestination }],
  },
};

/**
 * Types that write no CloudWatch Logs of their own (a custom resource's logs are
 * its provider function's, listed under AWS::Lambda::Function). EMR writes its
 * cluster, step and node logs to the S3 LogUri
 * (https://docs.aws.amazon.com/emr/latest/ManagementGuide/emr-plan-debugging.html).
 */
const SILENT = [
  /^AWS::(IAM|KMS|S3|SNS|SQS|DynamoDB|CloudWatch|Logs|Kinesis|Athena|ApplicationAutoScaling|SSM|CDK|CloudFormation)::/,
  /^AWS::EC2::(?!FlowLog$)/,
  /^AWS::Glue::(Database|Table|SecurityConfiguration|DataCatalogEncryptionSettings)$/,
  /^AWS::SageMaker::(Model|EndpointConfig)$/,
  /^AWS::Lambda::(EventSourceMapping|Permission|Version|Alias|EventInvokeConfig)$/,
  /^AWS::EMR::(Cluster|SecurityConfiguration)$/,
  /^AWS::(Events::Rule|Scheduler::Schedule)$/,
  /^Custom::/,
];

export function logInventory(templates: Templates): LogInventory {
  const destinations: LogDestination[] = [];
  const unclassified: LogInventory['unclassified'] = [];
  for (const [stack, template] of Object.entries(templates)) {
    for (const [id, resource] of Object.entries(template.Resources ?? {})) {
      const rule = RULES[resource.Type];
      if (!rule) {
        if (!SILENT.some((pattern) => pattern.test(resource.Type))) unclassified.push({ stack, logicalId: id, type: resource.Type });
        continue;
      }
      const seen = new Set<string>();
      for (const target of rule.targets(resource.Properties ?? {}, id)) {
        const value = 'ref' in target ? target.ref : target.name;
        const key = JSON.stringify(value);
        if (seen.has(key)) continue; // e.g. a delivery stream's destination and backup logging to one group
        seen.add(key);
        destinations.push({
          stack,
          writer: id,
          writerType: resource.Type,
          logGroup: render(value, templates),
          owner: ownerByRef(value, stack, templates) ?? ('name' in target ? ownerByName(value, stack, templates) : undefined),
          source: rule.source,
        });
      }
    }
  }
  return { destinations, unclassified };
}

/** The LogGroup a `Ref`, `Fn::GetAtt` or cross-stack reference points at. */
function ownerByRef(value: Json, stack: string, templates: Templates): LogGroupOwner | undefined {
  const target = crossStackTarget(value, templates);
  if (target) return ownerByRef(target.value, target.stack, templates);
  const id = value?.Ref ?? (Array.isArray(value?.['Fn::GetAtt']) ? value['Fn::GetAtt'][0] : undefined);
  const resource = typeof id === 'string' ? templates[stack]?.Resources?.[id] : undefined;
  return resource?.Type === 'AWS::Logs::LogGroup' ? { stack, logicalId: id, resource } : undefined;
}

/** The LogGroup whose LogGroupName is the same expression as `name`. */
function ownerByName(name: Json, stack: string, templates: Templates): LogGroupOwner | undefined {
  const wanted = nameKey(name, stack, templates);
  for (const [s, template] of Object.entries(templates)) {
    for (const [id, resource] of Object.entries(template.Resources ?? {})) {
      if (resource.Type === 'AWS::Logs::LogGroup' && resource.Properties?.LogGroupName !== undefined && nameKey(resource.Properties.LogGroupName, s, templates) === wanted) {
        return { stack: s, logicalId: id, resource };
      }
    }
  }
  return undefined;
}

/** A name expression as comparable text: joins flattened, literals merged, references qualified by their stack. */
function nameKey(value: Json, stack: string, templates: Templates): string {
  const parts: string[] = [];
  const add = (v: Json, s: string): void => {
    const target = crossStackTarget(v, templates);
    if (target) return add(target.value, target.stack);
    if (typeof v === 'string' || typeof v === 'number') {
      if (parts.length > 0 && !parts[parts.length - 1].startsWith('${')) parts[parts.length - 1] += String(v);
      else parts.push(String(v));
      return;
    }
    const joined = v?.['Fn::Join'];
    if (Array.isArray(joined) && joined[0] === '') return list(joined[1]).forEach((p) => add(p, s));
    const named = literalName(v, templates[s]);
    if (named !== undefined) return add(named, s);
    parts.push(`\${${s}:${JSON.stringify(v)}}`);
  };
  add(value, stack);
  return parts.join('');
}

/**
 * Resource types whose Ref is the name CloudFormation was given, when the template sets one
 * (e.g. a crawler's log group is named after its role and security configuration).
 */
const NAME_PROPERTY: Readonly<Record<string, string>> = {
  'AWS::IAM::Role': 'RoleName',
  'AWS::Glue::SecurityConfiguration': 'Name',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::Logs::LogGroup': 'LogGroupName',
};

/** The literal name a `Ref` stands for, when its resource sets one. */
function literalName(value: Json, template: Templates[string] | undefined): string | undefined {
  const resource = typeof value?.Ref === 'string' ? template?.Resources?.[value.Ref] : undefined;
  const property = resource ? NAME_PROPERTY[resource.Type] : undefined;
  const name = property ? resource?.Properties?.[property] : undefined;
  return typeof name === 'string' ? name : undefined;
}

function join(...parts: Json[]): Json {
  return { 'Fn::Join': ['', parts] };
}

/** A crawler's Role is a name or an ARN; for a role in the template, its name is its Ref. */
function roleName(role: Json): Json {
  const getAtt = role?.['Fn::GetAtt'];
  return Array.isArray(getAtt) && getAtt[1] === 'Arn' ? { Ref: getAtt[0] } : role;
}

function findAll(value: Json, key: string): Json[] {
  if (!value || typeof value !== 'object') return [];
  if (Array.isArray(value)) return value.flatMap((v) => findAll(v, key));
  return Object.entries(value).flatMap(([k, v]) => (k === key ? [v] : findAll(v, key)));
}
