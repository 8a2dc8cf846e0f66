/**
 * Cost estimate from synthesized CloudFormation templates (plain JSON, not
 * CDK constructs), priced with the dated table in data/.
 *
 * - Idle cost: what the deployed stacks cost per day and month with no
 *   traffic (keys, shards, endpoints, alarms, instance endpoints, …). A
 *   long-running EMR cluster is reported apart, as "while running", because it
 *   terminates itself when idle.
 * - Run cost: what one batch run costs when each run creates its own cluster
 *   (the RunJobFlow request in a state machine), for a stated run length.
 * - Usage cost: what a given event rate and size adds per day.
 *
 * Every number comes with the assumption behind it; callers print them.
 */
import { crossStackTarget } from '../review/cross-stack';
import { PriceTable, hasPrice, price } from './prices';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- CloudFormation properties are free-form JSON
export type Json = any;

/** A synthesized template, as JSON. */
export interface CfnTemplate {
  readonly Resources?: Record<string, CfnResource>;
  readonly Outputs?: Record<string, { readonly Value?: Json; readonly Export?: { readonly Name?: Json } }>;
}

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, Json>;
  readonly Metadata?: Record<string, Json>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}

/** Stack name → template. */
export type Templates = Readonly<Record<string, CfnTemplate>>;

/** Hours in a month, as AWS pricing pages count them. */
export const HOURS_PER_MONTH = 730;
export const DAYS_PER_MONTH = HOURS_PER_MONTH / 24;
const SECONDS_PER_DAY = 86_400;
/** 1 GB = 1024² KB, as the Kinesis and Firehose pages count record sizes. */
const KB_PER_GB = 1024 * 1024;

export interface CostLine {
  readonly stack: string;
  readonly logicalId: string;
  readonly type: string;
  /** How the figure was computed, e.g. "2 shards × 24 h × $0.015/shard-hour". */
  readonly basis: string;
  readonly perDay: number;
  readonly perMonth: number;
}

export interface FreeLine {
  readonly stack: string;
  readonly logicalId: string;
  readonly type: string;
  readonly reason: string;
}

export interface StackTotal {
  readonly stack: string;
  readonly perDay: number;
  readonly perMonth: number;
}

export interface IdleEstimate {
  readonly lines: CostLine[];
  /** Cost per day and month while a cluster runs (EMR); not in the idle totals. */
  readonly whileRunning: CostLine[];
  readonly free: FreeLine[];
  /** Resources that may cost money but that the table cannot price. */
  readonly unpriced: FreeLine[];
  readonly stacks: StackTotal[];
  readonly perDay: number;
  readonly perMonth: number;
  readonly assumptions: string[];
}

const FREE_WHEN_IDLE: Record<string, string> = {
  'AWS::S3::Bucket': 'storage and requests only; an empty bucket costs nothing',
  'AWS::S3::BucketPolicy': 'no charge',
  'AWS::Lambda::Function': 'billed per request and GB-second only',
  'AWS::Lambda::EventSourceMapping': 'the function is billed per invocation only',
  'AWS::Lambda::Permission': 'no charge',
  'AWS::Logs::LogGroup': 'billed per GB ingested and stored only',
  'AWS::Logs::LogStream': 'no charge',
  'AWS::DynamoDB::Table': 'on-demand: billed per request and GB stored only',
  'AWS::DynamoDB::GlobalTable': 'on-demand: billed per request and GB stored only',
  'AWS::Glue::Database': 'Data Catalog: first 1M objects and 1M requests a month are free',
  'AWS::Glue::Table': 'Data Catalog: first 1M objects and 1M requests a month are free',
  'AWS::Glue::SecurityConfiguration': 'no charge',
  'AWS::Glue::DataCatalogEncryptionSettings': 'no charge',
  'AWS::Glue::Crawler': 'billed per run (DPU-hours, 10-minute minimum); runs on demand',
  'AWS::Athena::WorkGroup': 'billed per TB scanned only',
  'AWS::Athena::NamedQuery': 'no charge',
  'AWS::KinesisFirehose::DeliveryStream': 'billed per GB ingested only',
  'AWS::SQS::Queue': 'billed per request only',
  'AWS::SQS::QueuePolicy': 'no charge',
  'AWS::SNS::Topic': 'billed per publish and delivery only',
  'AWS::SNS::TopicPolicy': 'no charge',
  'AWS::SNS::Subscription': 'billed per delivery only',
  'AWS::SageMaker::Model': 'no charge; the endpoint config carries the cost',
  'AWS::SageMaker::Endpoint': 'priced through its endpoint config',
  'AWS::EMR::SecurityConfiguration': 'no charge',
  'AWS::EMR::Step': 'runs on the cluster',
  'AWS::EC2::VPC': 'no charge',
  'AWS::EC2::Subnet': 'no charge',
  'AWS::EC2::RouteTable': 'no charge',
  'AWS::EC2::Route': 'no charge',
  'AWS::EC2::SubnetRouteTableAssociation': 'no charge',
  'AWS::EC2::SecurityGroup': 'no charge',
  'AWS::EC2::SecurityGroupIngress': 'no charge',
  'AWS::EC2::SecurityGroupEgress': 'no charge',
  'AWS::EC2::FlowLog': 'billed per GB of logs delivered only',
  'AWS::EC2::InternetGateway': 'no charge (data transfer only)',
  'AWS::EC2::VPCGatewayAttachment': 'no charge',
  'AWS::Events::Rule': 'AWS service events on the default bus are free',
  'AWS::IAM::Role': 'no charge',
  'AWS::IAM::Policy': 'no charge',
  'AWS::IAM::ManagedPolicy': 'no charge',
  'AWS::IAM::InstanceProfile': 'no charge',
  'AWS::KMS::Alias': 'no charge',
  'AWS::CDK::Metadata': 'no charge',
  'AWS::CloudFormation::CustomResource': 'a Lambda call at deploy time',
  'Custom::S3AutoDeleteObjects': 'a Lambda call at deploy time',
  'AWS::Scheduler::Schedule': 'billed per invocation only',
  'AWS::StepFunctions::StateMachine': 'Standard workflow: billed per state transition only',
  'AWS::ApplicationAutoScaling::ScalableTarget': 'no charge',
  'AWS::ApplicationAutoScaling::ScalingPolicy': 'no charge',
};

function line(stack: string, logicalId: string, type: string, basis: string, perDay: number): CostLine {
  return { stack, logicalId, type, basis, perDay, perMonth: perDay * DAYS_PER_MONTH };
}

const monthly = (perMonth: number) => perMonth / DAYS_PER_MONTH;
const usd = (n: number) => `$${n}`;

/**
 * The logical id a `{ Ref }` or `{ Fn::GetAtt }` points at, if it is one. With
 * the templates, a cross-stack reference (`Fn::ImportValue` or
 * `Fn::GetStackOutput`) is followed to the output's value in the other stack.
 */
function refTarget(value: unknown, templates?: Templates): string | undefined {
  if (value && typeof value === 'object') {
    const v = value as Record<string, Json>;
    if (typeof v.Ref === 'string') return v.Ref;
    const getAtt = v['Fn::GetAtt'];
    if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
    const target = templates ? crossStackTarget(v, templates) : undefined;
    if (target) return refTarget(target.value, templates);
  }
  return undefined;
}

/** Shards of a stream resource: provisioned ShardCount, or the on-demand starting 4. */
function streamShards(stream: CfnResource | undefined): { shards: number; known: boolean } {
  const props = stream?.Properties ?? {};
  if (props.StreamModeDetails?.StreamMode === 'ON_DEMAND') return { shards: 4, known: false };
  if (typeof props.ShardCount === 'number') return { shards: props.ShardCount, known: true };
  return { shards: 1, known: false };
}

interface InstanceCount {
  readonly type: string;
  readonly count: number;
  readonly role: string;
}

/**
 * A state machine's definition as JSON. References in its Fn::Join become `${Ref:Id}` or
 * `${Id.Attr}` text, so a reference to a resource can still be found in it.
 */
export function stateMachineDefinition(resource: CfnResource): Json | undefined {
  const def = resource.Properties?.DefinitionString;
  if (typeof def === 'string') return JSON.parse(def);
  const parts = def?.['Fn::Join']?.[1];
  if (!Array.isArray(parts)) return undefined;
  const text = parts
    .map((p: Json) => {
      if (typeof p === 'string') return p;
      if (typeof p?.Ref === 'string') return `\${Ref:${p.Ref}}`;
      if (Array.isArray(p?.['Fn::GetAtt'])) return `\${${p['Fn::GetAtt'].join('.')}}`;
      return '${?}';
    })
    .join('');
  return JSON.parse(text);
}

/** Task states of a definition, by name (top level; the batch workflow has no nested states). */
function taskStates(definition: Json): Array<[string, Json]> {
  return Object.entries((definition?.States ?? {}) as Record<string, Json>).filter(([, st]) => st?.Type === 'Task');
}

/** The RunJobFlow request a workflow creates its clusters with (`elasticmapreduce:createCluster`), if any. */
function createClusterRequest(definition: Json): Json | undefined {
  return taskStates(definition).find(([, st]) => /elasticmapreduce:createCluster/.test(st.Resource ?? ''))?.[1].Arguments;
}

/** Instances of an EMR cluster by node type, from instance groups or fleets (CloudFormation or RunJobFlow shape). */
function emrInstances(props: Record<string, Json>): InstanceCount[] {
  const inst = props.Instances ?? {};
  const out: InstanceCount[] = [];
  const group = (g: Json, role: string) => {
    if (g?.InstanceType) out.push({ type: g.InstanceType, count: g.InstanceCount ?? 1, role });
  };
  const fleet = (f: Json, role: string) => {
    const first = f?.InstanceTypeConfigs?.[0];
    if (!first) return;
    const weight = first.WeightedCapacity ?? 1;
    const onDemand = f.TargetOnDemandCapacity ?? 0;
    const spot = f.TargetSpotCapacity ?? 0;
    if (onDemand > 0) out.push({ type: first.InstanceType, count: Math.ceil(onDemand / weight), role });
    if (spot > 0) out.push({ type: first.InstanceType, count: Math.ceil(spot / weight), role: `${role} (Spot, priced On-Demand)` });
  };
  group(inst.MasterInstanceGroup, 'primary');
  group(inst.CoreInstanceGroup, 'core');
  for (const g of inst.TaskInstanceGroups ?? []) group(g, 'task');
  fleet(inst.MasterInstanceFleet, 'primary');
  fleet(inst.CoreInstanceFleet, 'core');
  for (const f of inst.TaskInstanceFleets ?? []) fleet(f, 'task');
  const roles: Record<string, string> = { MASTER: 'primary', CORE: 'core', TASK: 'task' };
  for (const f of inst.InstanceFleets ?? []) fleet(f, roles[f.InstanceFleetType] ?? 'task');
  return out;
}

/** Alarm metrics billed: one per metric in a metric-math alarm, else one. */
function alarmMetrics(props: Record<string, Json>): number {
  const metrics = props.Metrics as Array<{ MetricStat?: unknown }> | undefined;
  if (!metrics) return 1;
  return Math.max(1, metrics.filter((m) => m.MetricStat).length);
}

/** Count of values a cron field matches: a star, a start with a step (`0/15`, or a star), `a-b`, `a,b,c` or a number; undefined if unsure. */
function cronCount(field: string, size: number): number | undefined {
  let total = 0;
  for (const part of field.split(',')) {
    let m: RegExpMatchArray | null;
    if (part === '*') total += size;
    else if ((m = part.match(/^(\*|\d+)\/(\d+)$/))) total += Math.ceil((size - (m[1] === '*' ? 0 : Number(m[1]))) / Number(m[2]));
    else if ((m = part.match(/^(\d+)-(\d+)$/))) total += Number(m[2]) - Number(m[1]) + 1;
    else if (/^\d+$/.test(part)) total += 1;
    else return undefined;
  }
  return total;
}

/**
 * Runs per day of an EventBridge/Glue schedule: `rate(n unit)` or a daily
 * `cron(min hour * * ? *)`. Undefined when it runs on some days only or the
 * expression is not understood.
 */
export function runsPerDay(expression: string): number | undefined {
  const rate = expression.match(/^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/);
  if (rate) {
    const n = Number(rate[1]);
    return rate[2].startsWith('minute') ? 1440 / n : rate[2].startsWith('hour') ? 24 / n : 1 / n;
  }
  const cron = expression.match(/^cron\((\S+) (\S+) (\S+) (\S+) (\S+)(?: (\S+))?\)$/);
  if (!cron) return undefined;
  const [, min, hour, dom, month, dow] = cron;
  if (![dom, dow].every((f) => f === '*' || f === '?') || month !== '*') return undefined;
  const mins = cronCount(min, 60);
  const hours = cronCount(hour, 24);
  return mins === undefined || hours === undefined ? undefined : mins * hours;
}

/**
 * Steps per day that schedules in the template add to the cluster: EventBridge Scheduler or
 * rules calling AddJobFlowSteps on it, or starting a state machine that adds a step to it.
 */
function scheduledStepsPerDay(resources: Record<string, CfnResource>, clusterId: string): number | undefined {
  const addsStep = (r: CfnResource | undefined) => {
    if (r?.Type !== 'AWS::StepFunctions::StateMachine') return false;
    const definition = stateMachineDefinition(r);
    return taskStates(definition).some(([, st]) => /elasticmapreduce:addStep/.test(st.Resource ?? '') && JSON.stringify(st.Arguments ?? {}).includes(`\${Ref:${clusterId}}`));
  };
  let total: number | undefined;
  for (const r of Object.values(resources)) {
    if (r.Type !== 'AWS::Scheduler::Schedule' && r.Type !== 'AWS::Events::Rule') continue;
    const text = JSON.stringify(r.Properties ?? {});
    const target = refTarget(r.Properties?.Target?.Arn) ?? refTarget(r.Properties?.Targets?.[0]?.Arn);
    const direct = (text.includes('addJobFlowSteps') || text.includes('AddJobFlowSteps')) && text.includes(`{"Ref":"${clusterId}"}`);
    if (!direct && !addsStep(target ? resources[target] : undefined)) continue;
    if (r.Properties?.State === 'DISABLED') continue;
    const runs = runsPerDay(r.Properties?.ScheduleExpression ?? '');
    if (runs !== undefined) total = (total ?? 0) + runs;
  }
  return total;
}

/** Idle cost of every stack. */
export function estimateIdle(templates: Templates, prices: PriceTable): IdleEstimate {
  const lines: CostLine[] = [];
  const whileRunning: CostLine[] = [];
  const free: FreeLine[] = [];
  const unpriced: FreeLine[] = [];
  const assumptions = new Set<string>([
    `Prices: ${prices.region}, ${prices.currency}, as of ${prices.asOf} (data/prices-${prices.region}.json); a month is ${HOURS_PER_MONTH} hours.`,
    'Free tiers are not applied (e.g. the first 10 alarms and 3 dashboards per account are free).',
  ]);

  for (const [stack, template] of Object.entries(templates)) {
    const resources = template.Resources ?? {};
    const usedConfigs = new Set(
      Object.values(resources)
        .filter((r) => r.Type === 'AWS::SageMaker::Endpoint')
        .map((r) => refTarget(r.Properties?.EndpointConfigName))
        .filter((id): id is string => id !== undefined),
    );

    for (const [id, res] of Object.entries(resources)) {
      const props = res.Properties ?? {};
      const add = (basis: string, perDay: number) => lines.push(line(stack, id, res.Type, basis, perDay));
      switch (res.Type) {
        case 'AWS::KMS::Key': {
          const p = price(prices, 'kms.key-month');
          add(`1 key × ${usd(p)}/month`, monthly(p));
          assumptions.add('KMS keys: $1/month each; rotated backing keys and request charges are not included.');
          break;
        }
        case 'AWS::Kinesis::Stream': {
          if (props.StreamModeDetails?.StreamMode === 'ON_DEMAND') {
            const p = price(prices, 'kinesis.on-demand-stream-hour');
            add(`on-demand: 24 stream-hours × ${usd(p)}`, 24 * p);
          } else {
            const { shards } = streamShards(res);
            const p = price(prices, 'kinesis.shard-hour');
            add(`provisioned: ${shards} shard(s) × 24 h × ${usd(p)}/shard-hour`, shards * 24 * p);
            const retention = props.RetentionPeriodHours ?? 24;
            if (retention > 24) {
              const r = price(prices, 'kinesis.extended-retention-shard-hour');
              add(`retention ${retention} h > 24 h: ${shards} shard(s) × 24 h × ${usd(r)}/shard-hour`, shards * 24 * r);
            }
          }
          break;
        }
        case 'AWS::Kinesis::StreamConsumer': {
          const streamId = refTarget(props.StreamARN, templates);
          const stream = streamId ? (resources[streamId] ?? Object.values(templates).find((t) => t.Resources?.[streamId])?.Resources?.[streamId]) : undefined;
          const { shards, known } = streamShards(stream);
          if (!known) assumptions.add(`Enhanced fan-out consumers of an on-demand stream, or of one not in the templates, are priced at ${shards} shard(s).`);
          const p = price(prices, 'kinesis.efo-consumer-shard-hour');
          add(`enhanced fan-out: ${shards} shard(s) × 24 h × ${usd(p)}/consumer-shard-hour`, shards * 24 * p);
          break;
        }
        case 'AWS::EC2::VPCEndpoint': {
          if (props.VpcEndpointType !== 'Interface') {
            free.push({ stack, logicalId: id, type: res.Type, reason: 'gateway endpoint: no charge' });
            break;
          }
          const azs = Array.isArray(props.SubnetIds) ? props.SubnetIds.length : 1;
          const p = price(prices, 'vpc.interface-endpoint-az-hour');
          add(`interface endpoint in ${azs} AZ(s) × 24 h × ${usd(p)}/AZ-hour`, azs * 24 * p);
          assumptions.add('Interface endpoints: one AZ per subnet listed; data processed is not included.');
          break;
        }
        case 'AWS::EC2::NatGateway': {
          const p = price(prices, 'vpc.nat-gateway-hour');
          add(`24 h × ${usd(p)}/hour`, 24 * p);
          break;
        }
        case 'AWS::CloudWatch::Alarm': {
          const n = alarmMetrics(props);
          const p = price(prices, 'cloudwatch.alarm-month');
          add(`${n} alarm metric(s) × ${usd(p)}/month`, monthly(n * p));
          break;
        }
        case 'AWS::CloudWatch::Dashboard': {
          const p = price(prices, 'cloudwatch.dashboard-month');
          add(`1 dashboard × ${usd(p)}/month`, monthly(p));
          break;
        }
        case 'AWS::SecretsManager::Secret': {
          const p = price(prices, 'secretsmanager.secret-month');
          add(`1 secret × ${usd(p)}/month`, monthly(p));
          break;
        }
        case 'AWS::SageMaker::EndpointConfig': {
          if (!usedConfigs.has(id)) {
            free.push({ stack, logicalId: id, type: res.Type, reason: 'no endpoint in this stack uses it' });
            break;
          }
          for (const v of (props.ProductionVariants ?? []) as Array<Record<string, Json>>) {
            if (v.ServerlessConfig) {
              free.push({ stack, logicalId: id, type: res.Type, reason: `serverless variant ${v.VariantName ?? ''} (${v.ServerlessConfig.MemorySizeInMB} MB): billed per GB-second of inference only`.replace('  ', ' ') });
              continue;
            }
            const key = `sagemaker.${v.InstanceType}-hour`;
            const count = v.InitialInstanceCount ?? 1;
            if (!hasPrice(prices, key)) {
              unpriced.push({ stack, logicalId: id, type: res.Type, reason: `${count} × ${v.InstanceType}: no price in the table` });
              continue;
            }
            const p = price(prices, key);
            add(`${count} × ${v.InstanceType} × 24 h × ${usd(p)}/hour`, count * 24 * p);
          }
          break;
        }
        case 'AWS::EMR::Cluster': {
          const idle: number | undefined = props.AutoTerminationPolicy?.IdleTimeout;
          // A scheduled step more often than the idle timeout keeps the cluster up for good.
          const stepsPerDay = scheduledStepsPerDay(resources, id);
          const keptUp = stepsPerDay !== undefined && stepsPerDay > 0 && (idle === undefined || SECONDS_PER_DAY / stepsPerDay < idle);
          if (keptUp) {
            assumptions.add(
              `EMR cluster ${id} gets a scheduled step every ${SECONDS_PER_DAY / stepsPerDay / 3600} h${idle ? `, sooner than its ${idle / 3600} h idle timeout` : ''}, so it never terminates itself: its primary and core nodes count as idle cost.`,
            );
          }
          for (const inst of emrInstances(props)) {
            const emrKey = `emr.${inst.type}-hour`;
            const ec2Key = `ec2.${inst.type}-hour`;
            if (!hasPrice(prices, emrKey) || !hasPrice(prices, ec2Key)) {
              unpriced.push({ stack, logicalId: id, type: res.Type, reason: `${inst.count} × ${inst.type} (${inst.role}): no price in the table` });
              continue;
            }
            const hourly = price(prices, emrKey) + price(prices, ec2Key);
            const l = line(stack, id, res.Type, `${inst.role}: ${inst.count} × ${inst.type} × 24 h × ${usd(Number(hourly.toFixed(4)))}/hour (EMR + EC2)`, inst.count * 24 * hourly);
            (keptUp && !inst.role.startsWith('task') ? lines : whileRunning).push(l);
          }
          assumptions.add(
            `EMR is priced per day of running, apart from the idle total${idle ? `; the cluster terminates after ${idle} s idle` : ''}. Instance fleets are priced at their first instance type; Spot task nodes at On-Demand (an upper bound); EBS volumes are not included.`,
          );
          break;
        }
        case 'AWS::Glue::Crawler': {
          const schedule: string | undefined = props.Schedule?.ScheduleExpression;
          const runs = schedule ? runsPerDay(schedule) : undefined;
          if (schedule && runs !== undefined) {
            const p = price(prices, 'glue.crawler-dpu-hour');
            add(`scheduled ${schedule}: ${runs} run(s)/day × 10 min minimum × 1 DPU × ${usd(p)}/DPU-hour`, (runs * 10 / 60) * p);
            assumptions.add('Scheduled crawlers: each run billed at the 10-minute minimum on 1 DPU; longer or larger crawls cost more.');
          } else if (schedule) {
            const p = price(prices, 'glue.crawler-dpu-hour');
            unpriced.push({ stack, logicalId: id, type: res.Type, reason: `scheduled (${schedule}): each run costs at least 10 min × DPUs × ${usd(p)}/DPU-hour` });
          } else {
            free.push({ stack, logicalId: id, type: res.Type, reason: FREE_WHEN_IDLE[res.Type] });
          }
          break;
        }
        case 'AWS::DynamoDB::Table':
        case 'AWS::DynamoDB::GlobalTable': {
          if (props.BillingMode === 'PAY_PER_REQUEST') free.push({ stack, logicalId: id, type: res.Type, reason: FREE_WHEN_IDLE[res.Type] });
          else unpriced.push({ stack, logicalId: id, type: res.Type, reason: 'provisioned capacity: not priced by the estimator' });
          break;
        }
        default:
          free.push({
            stack,
            logicalId: id,
            type: res.Type,
            reason: FREE_WHEN_IDLE[res.Type] ?? (res.Type.startsWith('Custom::') ? 'custom resource: a Lambda call at deploy and delete time' : 'no idle charge known to the estimator'),
          });
      }
    }
  }

  const stacks = Object.keys(templates).map((stack) => {
    const own = lines.filter((l) => l.stack === stack);
    const perDay = own.reduce((s, l) => s + l.perDay, 0);
    return { stack, perDay, perMonth: perDay * DAYS_PER_MONTH };
  });
  const perDay = stacks.reduce((s, t) => s + t.perDay, 0);
  return { lines, whileRunning, free, unpriced, stacks, perDay, perMonth: perDay * DAYS_PER_MONTH, assumptions: [...assumptions] };
}

export interface RunLine {
  readonly stack: string;
  /** The state machine that creates the cluster. */
  readonly logicalId: string;
  readonly item: string;
  readonly basis: string;
  readonly perRun: number;
}

export interface RunEstimate {
  /** Minutes each run's cluster exists, from RunJobFlow to TERMINATED. */
  readonly minutes: number;
  readonly lines: RunLine[];
  readonly perRun: number;
  /** Resources EMR prices could not be found for. */
  readonly unpriced: string[];
  readonly assumptions: string[];
}

/**
 * The cost of one batch run of each workflow that creates a cluster per run (a state machine
 * with an `elasticmapreduce:createCluster` task): its instances for `minutes`, plus the crawl
 * it starts. A workflow that adds steps to a long-running cluster costs nothing per run beyond
 * the crawl; that cluster is priced per running day by `estimateIdle`.
 */
export function estimateRun(templates: Templates, prices: PriceTable, minutes: number): RunEstimate {
  if (!(minutes > 0)) throw new Error(`estimateRun: minutes must be > 0, got ${minutes}`);
  const lines: RunLine[] = [];
  const unpriced: string[] = [];
  const assumptions = new Set<string>([
    `Prices: ${prices.region}, ${prices.currency}, as of ${prices.asOf} (data/prices-${prices.region}.json).`,
    `A run's cluster exists for ${minutes} minutes, from RunJobFlow to TERMINATED (start-up, the step, shutdown); EMR and EC2 bill per second.`,
  ]);
  for (const [stack, template] of Object.entries(templates)) {
    for (const [id, res] of Object.entries(template.Resources ?? {})) {
      if (res.Type !== 'AWS::StepFunctions::StateMachine') continue;
      const definition = stateMachineDefinition(res);
      const request = createClusterRequest(definition);
      if (request) {
        for (const inst of emrInstances(request)) {
          const emrKey = `emr.${inst.type}-hour`;
          const ec2Key = `ec2.${inst.type}-hour`;
          if (!hasPrice(prices, emrKey) || !hasPrice(prices, ec2Key)) {
            unpriced.push(`${stack}/${id}: ${inst.count} × ${inst.type} (${inst.role})`);
            continue;
          }
          const hourly = price(prices, emrKey) + price(prices, ec2Key);
          lines.push({
            stack,
            logicalId: id,
            item: `EMR ${inst.role}`,
            basis: `${inst.count} × ${inst.type} × ${minutes} min × ${usd(Number(hourly.toFixed(4)))}/hour (EMR + EC2)`,
            perRun: (inst.count * minutes * hourly) / 60,
          });
        }
        const limits = request.ManagedScalingPolicy?.ComputeLimits;
        assumptions.add(
          'Instance fleets are priced at their first instance type; Spot task nodes at On-Demand (an upper bound), at the launch target' +
            (limits ? ` (managed scaling may grow the cluster to ${limits.MaximumCapacityUnits} units, core and task)` : '') +
            '. EBS volumes are not included.',
        );
      }
      if (taskStates(definition).some(([, st]) => /glue:startCrawler/.test(st.Resource ?? ''))) {
        const p = price(prices, 'glue.crawler-dpu-hour');
        lines.push({ stack, logicalId: id, item: 'Glue crawl', basis: `1 run × 10 min minimum × 1 DPU × ${usd(p)}/DPU-hour`, perRun: (10 / 60) * p });
      }
    }
  }
  assumptions.add('Step Functions state transitions (about 20 a run) and lock-table requests cost fractions of a cent and are not included.');
  return { minutes, lines, perRun: lines.reduce((sum, l) => sum + l.perRun, 0), unpriced, assumptions: [...assumptions] };
}

/** What the usage estimate needs to know about the deployed lake, read from the templates. */
export interface LakeShape {
  readonly stream?: { readonly mode: 'PROVISIONED' | 'ON_DEMAND'; readonly shards: number };
  /** Standard (shared-throughput) consumers of the stream: Firehose and Lambda event-source mappings. */
  readonly standardConsumers: number;
  readonly efoConsumers: number;
  readonly firehose?: {
    readonly bufferIntervalSeconds: number;
    readonly bufferSizeMb: number;
    readonly dynamicPartitioning: boolean;
    readonly formatConversion: boolean;
    /** Transform Lambda: memory and Firehose's processor buffer. */
    readonly transform?: { readonly memoryMb: number; readonly bufferSizeMb: number; readonly bufferIntervalSeconds: number };
  };
  readonly speedLayer?: {
    readonly memoryMb: number;
    readonly batchSize: number;
    readonly parallelizationFactor: number;
    readonly batchingWindowSeconds: number;
  };
  readonly inference?: { readonly serverlessMemoryMb?: number; readonly instanceType?: string };
  readonly viewTable: boolean;
}

function allResources(templates: Templates): Array<[string, CfnResource]> {
  return Object.values(templates).flatMap((t) => Object.entries(t.Resources ?? {}));
}

/** Reads the parts of the lake that drive usage cost. Absent layers stay undefined. */
export function describeLake(templates: Templates): LakeShape {
  const resources = allResources(templates);
  const byId = new Map(resources);
  const ofType = (type: string) => resources.filter(([, r]) => r.Type === type);
  const functionMemory = (value: unknown): number | undefined => {
    const id = refTarget(value, templates);
    const fn = id ? byId.get(id) : undefined;
    return fn?.Type === 'AWS::Lambda::Function' ? (fn.Properties?.MemorySize ?? 128) : undefined;
  };

  const streamRes = ofType('AWS::Kinesis::Stream')[0]?.[1];
  const stream = streamRes
    ? {
        mode: streamRes.Properties?.StreamModeDetails?.StreamMode === 'ON_DEMAND' ? ('ON_DEMAND' as const) : ('PROVISIONED' as const),
        shards: streamShards(streamRes).shards,
      }
    : undefined;

  const kinesisMappings = ofType('AWS::Lambda::EventSourceMapping').filter(([, r]) => {
    const source = refTarget(r.Properties?.EventSourceArn, templates);
    const target = source ? byId.get(source) : undefined;
    return target?.Type === 'AWS::Kinesis::Stream' || target?.Type === 'AWS::Kinesis::StreamConsumer';
  });

  const deliveries = ofType('AWS::KinesisFirehose::DeliveryStream');
  const firehoseRes = deliveries[0]?.[1];
  let firehose: LakeShape['firehose'];
  if (firehoseRes) {
    const dest = firehoseRes.Properties?.ExtendedS3DestinationConfiguration ?? {};
    const processor = (dest.ProcessingConfiguration?.Processors ?? []).find((p: Json) => p.Type === 'Lambda');
    const param = (name: string) => processor?.Parameters?.find((p: Json) => p.ParameterName === name)?.ParameterValue;
    const memoryMb = processor ? functionMemory(param('LambdaArn')) : undefined;
    firehose = {
      bufferIntervalSeconds: dest.BufferingHints?.IntervalInSeconds ?? 300,
      bufferSizeMb: dest.BufferingHints?.SizeInMBs ?? 5,
      dynamicPartitioning: dest.DynamicPartitioningConfiguration?.Enabled === true,
      formatConversion: dest.DataFormatConversionConfiguration?.Enabled === true,
      transform:
        memoryMb !== undefined
          ? { memoryMb, bufferSizeMb: Number(param('BufferSizeInMBs') ?? 1), bufferIntervalSeconds: Number(param('BufferIntervalInSeconds') ?? 60) }
          : undefined,
    };
  }

  const speedMapping = kinesisMappings[0]?.[1];
  const speedLayer = speedMapping
    ? {
        memoryMb: functionMemory(speedMapping.Properties?.FunctionName) ?? 128,
        batchSize: speedMapping.Properties?.BatchSize ?? 100,
        parallelizationFactor: speedMapping.Properties?.ParallelizationFactor ?? 1,
        batchingWindowSeconds: speedMapping.Properties?.MaximumBatchingWindowInSeconds ?? 0,
      }
    : undefined;

  const variant = ofType('AWS::SageMaker::EndpointConfig')[0]?.[1]?.Properties?.ProductionVariants?.[0];
  const inference = variant
    ? { serverlessMemoryMb: variant.ServerlessConfig?.MemorySizeInMB, instanceType: variant.InstanceType }
    : undefined;

  return {
    stream,
    standardConsumers: deliveries.filter(([, r]) => r.Properties?.KinesisStreamSourceConfiguration).length +
      kinesisMappings.filter(([, r]) => byId.get(refTarget(r.Properties?.EventSourceArn, templates) ?? '')?.Type === 'AWS::Kinesis::Stream').length,
    efoConsumers: ofType('AWS::Kinesis::StreamConsumer').length,
    firehose,
    speedLayer,
    inference,
    viewTable: ofType('AWS::DynamoDB::Table').length > 0 || ofType('AWS::DynamoDB::GlobalTable').length > 0,
  };
}

/** Traffic and the assumptions that turn it into usage. */
export interface UsageInput {
  readonly eventsPerSecond: number;
  /** Average event size in KB (1 KB = 1024 bytes). */
  readonly avgEventKb: number;
  /** GZIP output size over input size for the raw zone. @default 0.2 */
  readonly gzipRatio?: number;
  /** Athena queries per day. @default 24 */
  readonly queriesPerDay?: number;
  /** GB each query scans. @default one day of raw data (compressed) */
  readonly gbScannedPerQuery?: number;
  /** Transform Lambda duration per invocation, ms. @default 200 */
  readonly transformMsPerInvocation?: number;
  /** Speed-layer Lambda duration per invocation, ms. @default 300 */
  readonly speedLayerMsPerInvocation?: number;
  /** Endpoint compute per InvokeEndpoint call, ms. @default 100 */
  readonly inferenceMsPerCall?: number;
  /** Events scored per InvokeEndpoint call. @default the speed layer's batch size */
  readonly eventsPerInferenceCall?: number;
  /** Real-time view write request units per event. @default 2 (the event's score item and the customer's latest item, each ≤ 1 KB) */
  readonly viewWriteUnitsPerEvent?: number;
}

export interface UsageEstimate {
  readonly lines: Array<{ readonly item: string; readonly basis: string; readonly perDay: number; readonly perMonth: number }>;
  readonly perDay: number;
  readonly perMonth: number;
  /** Compressed raw-zone growth per day, GB. */
  readonly rawGbPerDay: number;
  readonly assumptions: string[];
}

const round = (n: number, digits = 4) => Number(n.toPrecision(digits));

/** Usage-driven cost per day for a traffic level. Pure. */
export function estimateUsage(shape: LakeShape, input: UsageInput, prices: PriceTable): UsageEstimate {
  const { eventsPerSecond: eps, avgEventKb: kb } = input;
  if (!(eps > 0)) throw new Error(`estimateUsage: eventsPerSecond must be > 0, got ${eps}`);
  if (!(kb > 0)) throw new Error(`estimateUsage: avgEventKb must be > 0, got ${kb}`);
  const gzipRatio = input.gzipRatio ?? 0.2;
  const lines: UsageEstimate['lines'] = [];
  const assumptions: string[] = [
    `Traffic: ${eps} events/s of ${kb} KB on average, steady all day (${round(eps * SECONDS_PER_DAY, 6)} events/day).`,
    'Free tiers are not applied; 1 GB = 1024² KB.',
  ];
  const add = (item: string, basis: string, perDay: number) => lines.push({ item, basis, perDay, perMonth: perDay * DAYS_PER_MONTH });
  const eventsPerDay = eps * SECONDS_PER_DAY;
  const rawGbIn = (eventsPerDay * kb) / KB_PER_GB;
  const rawGbPerDay = rawGbIn * gzipRatio;

  if (shape.stream?.mode === 'PROVISIONED') {
    const units = eventsPerDay * Math.ceil(kb / 25);
    const p = price(prices, 'kinesis.put-payload-units-1m');
    add('Kinesis PUT payload units', `${round(units, 6)} units (ceil(${kb} KB / 25 KB) per record) × ${usd(p)}/M`, (units / 1e6) * p);
  } else if (shape.stream?.mode === 'ON_DEMAND') {
    const gbIn = (eventsPerDay * Math.ceil(kb)) / KB_PER_GB;
    const pIn = price(prices, 'kinesis.on-demand-gb-in');
    const pOut = price(prices, 'kinesis.on-demand-gb-out');
    add('Kinesis on-demand data in', `${round(gbIn)} GB (records rounded up to 1 KB) × ${usd(pIn)}/GB`, gbIn * pIn);
    add('Kinesis on-demand data out', `${round(gbIn)} GB × ${shape.standardConsumers} standard consumer(s) × ${usd(pOut)}/GB`, gbIn * shape.standardConsumers * pOut);
  } else {
    assumptions.push('No Kinesis stream in the templates: stream usage not costed.');
  }
  if (shape.efoConsumers > 0) {
    const p = price(prices, 'kinesis.efo-gb');
    add('Kinesis enhanced fan-out reads', `${round(rawGbIn)} GB × ${shape.efoConsumers} consumer(s) × ${usd(p)}/GB`, rawGbIn * shape.efoConsumers * p);
  }

  if (shape.firehose) {
    const fh = shape.firehose;
    const billedGb = (eventsPerDay * Math.ceil(kb / 5) * 5) / KB_PER_GB;
    const p = price(prices, 'firehose.gb-ingested');
    add('Firehose ingestion', `${round(billedGb)} GB (each record rounded up to 5 KB) × ${usd(p)}/GB`, billedGb * p);
    const objects = Math.max(SECONDS_PER_DAY / fh.bufferIntervalSeconds, (rawGbIn * 1024) / fh.bufferSizeMb);
    assumptions.push(`Firehose writes one object per buffer: every ${fh.bufferIntervalSeconds} s or ${fh.bufferSizeMb} MB, whichever comes first (${round(objects)} objects/day, one partition).`);
    const put = price(prices, 's3.put-1k');
    add('S3 PUT requests (Firehose objects)', `${round(objects)} objects × ${usd(put)}/1,000`, (objects / 1000) * put);
    if (fh.dynamicPartitioning) {
      const pGb = price(prices, 'firehose.dynamic-partitioning-gb');
      const pObj = price(prices, 'firehose.dynamic-partitioning-1k-objects');
      add('Firehose dynamic partitioning', `${round(rawGbIn)} GB × ${usd(pGb)}/GB + ${round(objects)} objects × ${usd(pObj)}/1,000`, rawGbIn * pGb + (objects / 1000) * pObj);
    }
    if (fh.formatConversion) {
      const pConv = price(prices, 'firehose.format-conversion-gb');
      add('Firehose format conversion', `${round(billedGb)} GB × ${usd(pConv)}/GB`, billedGb * pConv);
    }
    if (fh.transform) {
      const t = fh.transform;
      const ms = input.transformMsPerInvocation ?? 200;
      const invocations = Math.max(SECONDS_PER_DAY / t.bufferIntervalSeconds, (rawGbIn * 1024) / t.bufferSizeMb);
      const gbSeconds = invocations * (ms / 1000) * (t.memoryMb / 1024);
      const pGbs = price(prices, 'lambda.arm64-gb-second');
      const pReq = price(prices, 'lambda.requests-1m');
      assumptions.push(`Transform Lambda (${t.memoryMb} MB, from the template): one invocation per ${t.bufferSizeMb} MB or ${t.bufferIntervalSeconds} s of records, ${ms} ms each.`);
      add('Lambda transform', `${round(invocations)} invocations × ${ms} ms × ${t.memoryMb} MB = ${round(gbSeconds)} GB-s × ${usd(pGbs)} + requests × ${usd(pReq)}/M`, gbSeconds * pGbs + (invocations / 1e6) * pReq);
    }
    const pStore = price(prices, 's3.standard-gb-month');
    assumptions.push(`Raw zone: GZIP output is ${gzipRatio} of the input size; priced in S3 Standard (transitions to IA/Glacier later lower it).`);
    // After a month of traffic the zone holds rawGbPerDay × DAYS_PER_MONTH GB; that month's bill ÷ days = rawGbPerDay × price.
    add('S3 raw-zone storage (one month of data held)', `${round(rawGbPerDay)} GB/day × ${round(DAYS_PER_MONTH)} days × ${usd(pStore)}/GB-month; grows by this every month the data is kept`, rawGbPerDay * pStore);
  } else {
    assumptions.push('No Firehose delivery stream in the templates: Firehose, transform and raw-zone storage not costed.');
  }

  const queries = input.queriesPerDay ?? 24;
  const scanned = input.gbScannedPerQuery ?? rawGbPerDay;
  const billedPerQueryGb = Math.max(scanned, 10 / 1024);
  const pAthena = price(prices, 'athena.tb-scanned');
  assumptions.push(`Athena: ${queries} queries/day, each scanning ${input.gbScannedPerQuery === undefined ? "one day's raw data" : `${scanned} GB`} (10 MB minimum per query).`);
  add('Athena scans', `${queries} queries × ${round(billedPerQueryGb)} GB = ${round((queries * billedPerQueryGb) / 1024)} TB × ${usd(pAthena)}/TB`, ((queries * billedPerQueryGb) / 1024) * pAthena);

  if (shape.speedLayer && shape.stream) {
    const s = shape.speedLayer;
    const ms = input.speedLayerMsPerInvocation ?? 300;
    // Lambda polls each shard (× parallelization factor) about once per second, or once per batching window.
    const pollsPerSecond = (shape.stream.shards * s.parallelizationFactor) / Math.max(1, s.batchingWindowSeconds);
    const perSecond = Math.min(eps, Math.max(eps / s.batchSize, pollsPerSecond));
    const invocations = perSecond * SECONDS_PER_DAY;
    const gbSeconds = invocations * (ms / 1000) * (s.memoryMb / 1024);
    const pGbs = price(prices, 'lambda.arm64-gb-second');
    const pReq = price(prices, 'lambda.requests-1m');
    assumptions.push(`Speed layer (${s.memoryMb} MB, batch ${s.batchSize}, from the template): ${round(perSecond)} invocations/s (one poll per shard × parallelization factor per second, or per full batch), ${ms} ms each.`);
    add('Lambda speed layer', `${round(invocations)} invocations × ${ms} ms × ${s.memoryMb} MB = ${round(gbSeconds)} GB-s × ${usd(pGbs)} + requests × ${usd(pReq)}/M`, gbSeconds * pGbs + (invocations / 1e6) * pReq);

    if (shape.inference?.serverlessMemoryMb) {
      const mem = shape.inference.serverlessMemoryMb;
      const perCall = input.eventsPerInferenceCall ?? Math.max(1, eventsPerDay / invocations);
      const calls = eventsPerDay / perCall;
      const callMs = input.inferenceMsPerCall ?? 100;
      const gbs = calls * (callMs / 1000) * (mem / 1024);
      const p = price(prices, 'sagemaker.serverless-gb-second');
      assumptions.push(`Serverless inference (${mem} MB, from the template): ${round(perCall)} events per InvokeEndpoint call, ${callMs} ms of compute each.`);
      add('SageMaker serverless inference', `${round(calls)} calls × ${callMs} ms × ${mem} MB = ${round(gbs)} GB-s × ${usd(p)}`, gbs * p);
    } else if (shape.inference?.instanceType) {
      assumptions.push(`Instance endpoint (${shape.inference.instanceType}): its cost is in the idle estimate; usage adds none.`);
    }
  } else {
    assumptions.push('No speed-layer consumer in the templates: speed layer and inference not costed.');
  }

  if (shape.viewTable) {
    const wru = input.viewWriteUnitsPerEvent ?? 2;
    const p = price(prices, 'dynamodb.on-demand-1m-wru');
    assumptions.push(`Real-time view: ${wru} write request unit(s) per event (the score item and the customer's latest item, each ≤ 1 KB); reads and storage not included.`);
    add('DynamoDB view writes', `${round(eventsPerDay * wru, 6)} WRU × ${usd(p)}/M`, ((eventsPerDay * wru) / 1e6) * p);
  }

  const perDay = lines.reduce((s, l) => s + l.perDay, 0);
  return { lines, perDay, perMonth: perDay * DAYS_PER_MONTH, rawGbPerDay, assumptions };
}
