import { CfnTemplate, DAYS_PER_MONTH, describeLake, estimateIdle, estimateRun, estimateUsage, LakeShape, runsPerDay } from '../../lib/cost/estimate';
import { loadPrices } from '../../lib/cost/prices';

const prices = loadPrices();

/** One stack holding the given resources. */
function idle(resources: CfnTemplate['Resources'], stack = 'demo-stack') {
  return estimateIdle({ [stack]: { Resources: resources } }, prices);
}

describe('the price table', () => {
  test('is dated, in USD for us-east-1, and every item has a unit, a price, a source and a verification flag', () => {
    expect(prices).toMatchObject({ asOf: '2026-11-22', currency: 'USD', region: 'us-east-1' });
    for (const [key, item] of Object.entries(prices.items)) {
      expect([key, typeof item.unit, typeof item.price, item.source.startsWith('https://'), typeof item.verified, item.note.length > 0]).toEqual([key, 'string', 'number', true, 'boolean', true]);
    }
  });

  test('says why each unverified price is unverified', () => {
    for (const [key, item] of Object.entries(prices.items).filter(([, i]) => !i.verified)) {
      expect([key, item.note]).toEqual([key, expect.stringMatching(/unverified/i)]);
    }
  });
});

describe('idle cost', () => {
  test('a customer-managed KMS key costs $1 a month', () => {
    const e = idle({ Key: { Type: 'AWS::KMS::Key' } });
    // $1/month ÷ (730 h / 24) days = $0.032877/day
    expect(e.lines[0].perMonth).toBeCloseTo(1, 10);
    expect(e.lines[0].perDay).toBeCloseTo(0.032877, 6);
  });

  test('a provisioned stream costs its shard-hours', () => {
    const e = idle({ Stream: { Type: 'AWS::Kinesis::Stream', Properties: { ShardCount: 2, RetentionPeriodHours: 24 } } });
    // 2 shards × 24 h × $0.015 = $0.72/day; × 30.4167 = $21.90/month
    expect(e.perDay).toBeCloseTo(0.72, 10);
    expect(e.perMonth).toBeCloseTo(21.9, 10);
  });

  test('retention beyond 24 hours adds extended-retention shard-hours', () => {
    const e = idle({ Stream: { Type: 'AWS::Kinesis::Stream', Properties: { ShardCount: 2, RetentionPeriodHours: 48 } } });
    // 0.72 + 2 shards × 24 h × $0.02 = 0.72 + 0.96 = $1.68/day
    expect(e.perDay).toBeCloseTo(1.68, 10);
  });

  test('an on-demand stream costs its stream-hours', () => {
    const e = idle({ Stream: { Type: 'AWS::Kinesis::Stream', Properties: { StreamModeDetails: { StreamMode: 'ON_DEMAND' } } } });
    // 24 h × $0.04 = $0.96/day
    expect(e.perDay).toBeCloseTo(0.96, 10);
  });

  test('an enhanced fan-out consumer costs consumer-shard-hours of its stream', () => {
    const e = idle({
      Stream: { Type: 'AWS::Kinesis::Stream', Properties: { ShardCount: 2 } },
      Consumer: { Type: 'AWS::Kinesis::StreamConsumer', Properties: { StreamARN: { 'Fn::GetAtt': ['Stream', 'Arn'] } } },
    });
    // consumer: 2 shards × 24 h × $0.015 = $0.72/day
    expect(e.lines.find((l) => l.logicalId === 'Consumer')?.perDay).toBeCloseTo(0.72, 10);
  });

  test('an interface endpoint costs one endpoint-hour per subnet (AZ); a gateway endpoint is free', () => {
    const e = idle({
      Kms: { Type: 'AWS::EC2::VPCEndpoint', Properties: { VpcEndpointType: 'Interface', SubnetIds: ['a', 'b'] } },
      S3: { Type: 'AWS::EC2::VPCEndpoint', Properties: { VpcEndpointType: 'Gateway' } },
    });
    // 2 AZs × 24 h × $0.01 = $0.48/day
    expect(e.perDay).toBeCloseTo(0.48, 10);
    expect(e.free).toEqual([expect.objectContaining({ logicalId: 'S3', reason: 'gateway endpoint: no charge' })]);
  });

  test('a NAT gateway costs its hours', () => {
    // 24 h × $0.045 = $1.08/day
    expect(idle({ Nat: { Type: 'AWS::EC2::NatGateway' } }).perDay).toBeCloseTo(1.08, 10);
  });

  test('an alarm costs $0.10 a month per metric, a metric-math alarm per metric in it', () => {
    const e = idle({
      Simple: { Type: 'AWS::CloudWatch::Alarm', Properties: { MetricName: 'Errors' } },
      Math: { Type: 'AWS::CloudWatch::Alarm', Properties: { Metrics: [{ MetricStat: {} }, { MetricStat: {} }, { Expression: 'a+b' }] } },
    });
    // $0.10 + 2 × $0.10 = $0.30/month
    expect(e.perMonth).toBeCloseTo(0.3, 10);
  });

  test('a dashboard costs $3 a month', () => {
    expect(idle({ Board: { Type: 'AWS::CloudWatch::Dashboard' } }).perMonth).toBeCloseTo(3, 10);
  });

  test('an instance endpoint costs instance-hours; serverless and unused configs are free', () => {
    const e = idle({
      Instance: { Type: 'AWS::SageMaker::EndpointConfig', Properties: { ProductionVariants: [{ VariantName: 'A', InstanceType: 'ml.m5.large', InitialInstanceCount: 2 }] } },
      Endpoint: { Type: 'AWS::SageMaker::Endpoint', Properties: { EndpointConfigName: { 'Fn::GetAtt': ['Instance', 'EndpointConfigName'] } } },
      Serverless: { Type: 'AWS::SageMaker::EndpointConfig', Properties: { ProductionVariants: [{ VariantName: 'S', ServerlessConfig: { MemorySizeInMB: 2048 } }] } },
      ServerlessEndpoint: { Type: 'AWS::SageMaker::Endpoint', Properties: { EndpointConfigName: { Ref: 'Serverless' } } },
      Unused: { Type: 'AWS::SageMaker::EndpointConfig', Properties: { ProductionVariants: [{ InstanceType: 'ml.m5.large' }] } },
    });
    // 2 × 24 h × $0.115 = $5.52/day
    expect(e.perDay).toBeCloseTo(5.52, 10);
    expect(e.free.map((f) => [f.logicalId, f.reason])).toEqual(expect.arrayContaining([
      ['Serverless', 'serverless variant S (2048 MB): billed per GB-second of inference only'],
      ['Unused', 'no endpoint in this stack uses it'],
    ]));
  });

  test('an instance type with no price is listed as unpriced, not as free', () => {
    const e = idle({
      Config: { Type: 'AWS::SageMaker::EndpointConfig', Properties: { ProductionVariants: [{ InstanceType: 'ml.p5.48xlarge', InitialInstanceCount: 1 }] } },
      Endpoint: { Type: 'AWS::SageMaker::Endpoint', Properties: { EndpointConfigName: { Ref: 'Config' } } },
    });
    expect(e.unpriced).toEqual([expect.objectContaining({ logicalId: 'Config', reason: '1 × ml.p5.48xlarge: no price in the table' })]);
    expect(e.perDay).toBe(0);
  });

  test('an EMR cluster is priced per running day, apart from the idle total', () => {
    const e = idle({
      Cluster: {
        Type: 'AWS::EMR::Cluster',
        Properties: {
          AutoTerminationPolicy: { IdleTimeout: 1800 },
          Instances: {
            MasterInstanceGroup: { InstanceType: 'm5.xlarge', InstanceCount: 1 },
            CoreInstanceGroup: { InstanceType: 'm5.xlarge', InstanceCount: 1 },
            TaskInstanceFleets: [{ TargetSpotCapacity: 4, InstanceTypeConfigs: [{ InstanceType: 'm5.xlarge', WeightedCapacity: 2 }] }],
          },
        },
      },
    });
    // m5.xlarge: $0.048 EMR + $0.192 EC2 = $0.24/h. primary 1, core 1, task ceil(4/2) = 2 → 4 × 24 × 0.24 = $23.04/day running
    expect(e.whileRunning.reduce((s, l) => s + l.perDay, 0)).toBeCloseTo(23.04, 10);
    expect(e.perDay).toBe(0);
    expect(e.assumptions).toEqual(expect.arrayContaining([expect.stringContaining('terminates after 1800 s idle')]));
  });

  test('a cluster that a schedule keeps busy more often than its idle timeout counts as idle cost', () => {
    const cluster = (idleTimeout: number) => ({
      Type: 'AWS::EMR::Cluster',
      Properties: {
        AutoTerminationPolicy: { IdleTimeout: idleTimeout },
        Instances: {
          MasterInstanceFleet: { TargetOnDemandCapacity: 1, InstanceTypeConfigs: [{ InstanceType: 'm7g.xlarge' }] },
          CoreInstanceFleet: { TargetOnDemandCapacity: 1, InstanceTypeConfigs: [{ InstanceType: 'm7g.xlarge' }] },
        },
      },
    });
    const daily = {
      Type: 'AWS::Scheduler::Schedule',
      Properties: { ScheduleExpression: 'cron(0 2 * * ? *)', Target: { Arn: 'arn:aws:scheduler:::aws-sdk:emr:addJobFlowSteps', Input: { 'Fn::Join': ['', ['{"JobFlowId":"', { Ref: 'Cluster' }, '"}']] } } },
    };
    // m7g.xlarge: $0.0408 EMR + $0.1632 EC2 = $0.204/h × 24 h × 2 nodes = $9.792/day
    const keptUp = idle({ Cluster: cluster(172_800), Daily: daily });
    expect(keptUp.perDay).toBeCloseTo(9.792, 10);
    expect(keptUp.whileRunning).toEqual([]);
    expect(keptUp.assumptions).toEqual(expect.arrayContaining([expect.stringContaining('gets a scheduled step every 24 h, sooner than its 48 h idle timeout')]));
    // An hour's idle timeout lets it terminate between daily runs.
    const terminates = idle({ Cluster: cluster(3600), Daily: daily });
    expect(terminates.perDay).toBe(0);
    expect(terminates.whileRunning.reduce((sum, l) => sum + l.perDay, 0)).toBeCloseTo(9.792, 10);
  });

  test('free resources are listed with the reason they cost nothing when idle', () => {
    const e = idle({
      Bucket: { Type: 'AWS::S3::Bucket' },
      Fn: { Type: 'AWS::Lambda::Function' },
      Table: { Type: 'AWS::DynamoDB::Table', Properties: { BillingMode: 'PAY_PER_REQUEST' } },
      Db: { Type: 'AWS::Glue::Database' },
      Odd: { Type: 'AWS::Some::Thing' },
    });
    expect(e.perDay).toBe(0);
    expect(Object.fromEntries(e.free.map((f) => [f.logicalId, f.reason]))).toEqual({
      Bucket: 'storage and requests only; an empty bucket costs nothing',
      Fn: 'billed per request and GB-second only',
      Table: 'on-demand: billed per request and GB stored only',
      Db: 'Data Catalog: first 1M objects and 1M requests a month are free',
      Odd: 'no idle charge known to the estimator',
    });
  });

  test('a scheduled crawler costs its runs at the 10-minute minimum; an on-demand one is free', () => {
    const e = idle({
      Daily: { Type: 'AWS::Glue::Crawler', Properties: { Schedule: { ScheduleExpression: 'cron(30 0 * * ? *)' } } },
      Hourly: { Type: 'AWS::Glue::Crawler', Properties: { Schedule: { ScheduleExpression: 'cron(0 * * * ? *)' } } },
      Weekdays: { Type: 'AWS::Glue::Crawler', Properties: { Schedule: { ScheduleExpression: 'cron(0 6 ? * MON-FRI *)' } } },
      OnDemand: { Type: 'AWS::Glue::Crawler', Properties: {} },
    });
    // daily: 1 run × 10/60 h × 1 DPU × $0.44 = $0.073333/day; hourly: 24 × that = $1.76/day
    expect(e.lines.find((l) => l.logicalId === 'Daily')?.perDay).toBeCloseTo(0.073333, 6);
    expect(e.lines.find((l) => l.logicalId === 'Hourly')?.perDay).toBeCloseTo(1.76, 10);
    expect(e.unpriced.map((u) => u.logicalId)).toEqual(['Weekdays']);
    expect(e.free.map((u) => u.logicalId)).toEqual(['OnDemand']);
  });

  test.each([
    ['rate(15 minutes)', 96],
    ['rate(6 hours)', 4],
    ['cron(0/15 * * * ? *)', 96],
    ['cron(5/30 * * * ? *)', 48],
    ['cron(*/15 * * * ? *)', 96],
    ['cron(0 1,13 * * ? *)', 2],
    ['cron(0 8-17 * * ? *)', 10],
    ['cron(0 6 ? * MON-FRI *)', undefined],
  ])('schedule %s runs %s times a day', (expression, runs) => {
    expect(runsPerDay(expression)).toBe(runs);
  });

  test('totals add up per stack and overall', () => {
    const e = estimateIdle({
      a: { Resources: { Key: { Type: 'AWS::KMS::Key' }, Nat: { Type: 'AWS::EC2::NatGateway' } } },
      b: { Resources: { Stream: { Type: 'AWS::Kinesis::Stream', Properties: { ShardCount: 1 } } } },
    }, prices);
    // a: 1/30.4167 + 1.08 = 1.112877; b: 24 × 0.015 = 0.36; total 1.472877
    expect(e.stacks.map((s) => s.stack)).toEqual(['a', 'b']);
    expect(e.stacks[0].perDay).toBeCloseTo(1.112877, 6);
    expect(e.stacks[1].perDay).toBeCloseTo(0.36, 10);
    expect(e.perDay).toBeCloseTo(1.472877, 6);
    expect(e.perMonth).toBeCloseTo(e.perDay * DAYS_PER_MONTH, 10);
  });
});

/** A state machine whose definition joins a reference in, as CloudFormation templates do. */
function workflow(states: Record<string, unknown>) {
  const text = JSON.stringify({ StartAt: Object.keys(states)[0], States: states });
  const [before, after] = text.split('"__CLUSTER__"');
  return {
    Type: 'AWS::StepFunctions::StateMachine',
    Properties: { DefinitionString: { 'Fn::Join': ['', after === undefined ? [before] : [`${before}"`, { Ref: 'Cluster' }, `"${after}`]] } },
  };
}

const createCluster = {
  Type: 'Task',
  Resource: 'arn:aws:states:::elasticmapreduce:createCluster',
  Arguments: {
    ManagedScalingPolicy: { ComputeLimits: { MaximumCapacityUnits: 5 } },
    Instances: {
      InstanceFleets: [
        { InstanceFleetType: 'MASTER', TargetOnDemandCapacity: 1, InstanceTypeConfigs: [{ InstanceType: 'm7g.xlarge' }] },
        { InstanceFleetType: 'CORE', TargetOnDemandCapacity: 2, InstanceTypeConfigs: [{ InstanceType: 'm7g.xlarge' }] },
        { InstanceFleetType: 'TASK', TargetOnDemandCapacity: 0, TargetSpotCapacity: 2, InstanceTypeConfigs: [{ InstanceType: 'm7g.2xlarge', WeightedCapacity: 2 }] },
      ],
    },
  },
  Next: 'Crawl',
};
const crawl = { Type: 'Task', Resource: 'arn:aws:states:::aws-sdk:glue:startCrawler', Arguments: { Name: 'c' }, End: true };

describe('batch runs', () => {
  test('a state machine costs nothing when idle, even one that creates clusters', () => {
    const e = idle({ Workflow: workflow({ Create: createCluster, Crawl: crawl }) });
    expect(e.perDay).toBe(0);
    expect(e.whileRunning).toEqual([]);
    expect(e.free).toEqual([expect.objectContaining({ logicalId: 'Workflow', reason: 'Standard workflow: billed per state transition only' })]);
  });

  test('one run costs its cluster for the stated minutes, from the RunJobFlow request, plus its crawl', () => {
    const r = estimateRun({ batch: { Resources: { Workflow: workflow({ Create: createCluster, Crawl: crawl }) } } }, prices, 30);
    // m7g.xlarge $0.204/h: primary 1 and core 2 × 0.5 h = $0.306; task ceil(2/2) = 1 m7g.2xlarge $0.408/h × 0.5 h = $0.204;
    // crawl 10 min × 1 DPU × $0.44 = $0.073333
    expect(r.lines.map((l) => [l.item, Number(l.perRun.toFixed(6))])).toEqual([
      ['EMR primary', 0.102],
      ['EMR core', 0.204],
      ['EMR task (Spot, priced On-Demand)', 0.204],
      ['Glue crawl', 0.073333],
    ]);
    expect(r.perRun).toBeCloseTo(0.583333, 6);
    expect(r.assumptions).toEqual(expect.arrayContaining([
      expect.stringContaining('exists for 30 minutes'),
      expect.stringContaining('grow the cluster to 5 units, core and task'),
    ]));
  });

  test('a workflow that adds steps to a long-running cluster costs only its crawl per run', () => {
    const addStep = { Type: 'Task', Resource: 'arn:aws:states:::elasticmapreduce:addStep.sync', Arguments: { ClusterId: '__CLUSTER__' }, Next: 'Crawl' };
    const r = estimateRun({ batch: { Resources: { Workflow: workflow({ Step: addStep, Crawl: crawl }) } } }, prices, 30);
    expect(r.lines.map((l) => l.item)).toEqual(['Glue crawl']);
  });

  test('a daily schedule that starts a workflow adding steps to a cluster keeps that cluster up', () => {
    const addStep = { Type: 'Task', Resource: 'arn:aws:states:::elasticmapreduce:addStep.sync', Arguments: { ClusterId: '__CLUSTER__' }, End: true };
    const cluster = {
      Type: 'AWS::EMR::Cluster',
      Properties: {
        AutoTerminationPolicy: { IdleTimeout: 172_800 },
        Instances: {
          MasterInstanceFleet: { TargetOnDemandCapacity: 1, InstanceTypeConfigs: [{ InstanceType: 'm7g.xlarge' }] },
          CoreInstanceFleet: { TargetOnDemandCapacity: 1, InstanceTypeConfigs: [{ InstanceType: 'm7g.xlarge' }] },
        },
      },
    };
    const daily = { Type: 'AWS::Scheduler::Schedule', Properties: { ScheduleExpression: 'cron(0 2 * * ? *)', Target: { Arn: { Ref: 'Workflow' } } } };
    const e = idle({ Cluster: cluster, Workflow: workflow({ Step: addStep }), Daily: daily });
    expect(e.perDay).toBeCloseTo(9.792, 10);
    // Without the schedule the cluster terminates when idle: priced apart.
    expect(idle({ Cluster: cluster, Workflow: workflow({ Step: addStep }) }).perDay).toBe(0);
  });

  test('needs a positive run length', () => {
    expect(() => estimateRun({}, prices, 0)).toThrow('estimateRun: minutes must be > 0, got 0');
  });
});

describe('reading the lake from templates', () => {
  const templates = {
    ingestion: {
      Resources: {
        Stream: { Type: 'AWS::Kinesis::Stream', Properties: { ShardCount: 2 } },
        Transform: { Type: 'AWS::Lambda::Function', Properties: { MemorySize: 256 } },
        Delivery: {
          Type: 'AWS::KinesisFirehose::DeliveryStream',
          Properties: {
            KinesisStreamSourceConfiguration: {},
            ExtendedS3DestinationConfiguration: {
              BufferingHints: { IntervalInSeconds: 300, SizeInMBs: 5 },
              ProcessingConfiguration: {
                Processors: [{ Type: 'Lambda', Parameters: [{ ParameterName: 'LambdaArn', ParameterValue: { 'Fn::GetAtt': ['Transform', 'Arn'] } }] }],
              },
            },
          },
        },
      },
    },
    serving: {
      Resources: {
        Speed: { Type: 'AWS::Lambda::Function', Properties: { MemorySize: 512 } },
        Mapping: { Type: 'AWS::Lambda::EventSourceMapping', Properties: { FunctionName: { Ref: 'Speed' }, EventSourceArn: { 'Fn::GetAtt': ['Stream', 'Arn'] }, BatchSize: 100 } },
        Config: { Type: 'AWS::SageMaker::EndpointConfig', Properties: { ProductionVariants: [{ ServerlessConfig: { MemorySizeInMB: 2048 } }] } },
        View: { Type: 'AWS::DynamoDB::Table', Properties: { BillingMode: 'PAY_PER_REQUEST' } },
      },
    },
  };

  test('finds the stream, Firehose with its transform memory, the speed layer, the serverless endpoint and the view', () => {
    expect(describeLake(templates)).toEqual({
      stream: { mode: 'PROVISIONED', shards: 2 },
      standardConsumers: 2,
      efoConsumers: 0,
      firehose: {
        bufferIntervalSeconds: 300,
        bufferSizeMb: 5,
        dynamicPartitioning: false,
        formatConversion: false,
        transform: { memoryMb: 256, bufferSizeMb: 1, bufferIntervalSeconds: 60 },
      },
      speedLayer: { memoryMb: 512, batchSize: 100, parallelizationFactor: 1, batchingWindowSeconds: 0 },
      inference: { serverlessMemoryMb: 2048, instanceType: undefined },
      viewTable: true,
    });
  });

  test.each([
    ['strong', { 'Fn::ImportValue': 'ingestion:StreamArnExport' }],
    ['weak', { 'Fn::GetStackOutput': { StackName: 'ingestion', OutputName: 'StreamArnExport' } }],
  ])('follows the speed layer across stacks (%s reference) to the stream it reads', (_strength, eventSourceArn) => {
    const crossStack = {
      ingestion: { ...templates.ingestion, Outputs: { StreamArnExport: { Value: { 'Fn::GetAtt': ['Stream', 'Arn'] }, Export: { Name: 'ingestion:StreamArnExport' } } } },
      serving: {
        Resources: {
          ...templates.serving.Resources,
          Mapping: { Type: 'AWS::Lambda::EventSourceMapping', Properties: { FunctionName: { Ref: 'Speed' }, BatchSize: 500, EventSourceArn: eventSourceArn } },
        },
      },
    };
    const shape = describeLake(crossStack);
    expect(shape.speedLayer).toEqual({ memoryMb: 512, batchSize: 500, parallelizationFactor: 1, batchingWindowSeconds: 0 });
    expect(shape.standardConsumers).toBe(2);
  });

  test('an empty lake has no layers to cost', () => {
    expect(describeLake({ storage: { Resources: {} } })).toEqual({
      stream: undefined, standardConsumers: 0, efoConsumers: 0, firehose: undefined, speedLayer: undefined, inference: undefined, viewTable: false,
    });
  });
});

describe('usage cost', () => {
  const full: LakeShape = {
    stream: { mode: 'PROVISIONED', shards: 2 },
    standardConsumers: 2,
    efoConsumers: 0,
    firehose: { bufferIntervalSeconds: 300, bufferSizeMb: 5, dynamicPartitioning: false, formatConversion: false, transform: { memoryMb: 256, bufferSizeMb: 1, bufferIntervalSeconds: 60 } },
    speedLayer: { memoryMb: 512, batchSize: 100, parallelizationFactor: 1, batchingWindowSeconds: 0 },
    inference: { serverlessMemoryMb: 2048 },
    viewTable: true,
  };
  // 10 events/s × 86,400 s = 864,000 events/day
  const usage = estimateUsage(full, { eventsPerSecond: 10, avgEventKb: 3 }, prices);
  const item = (name: string) => usage.lines.find((l) => l.item === name)?.perDay;

  test('Kinesis PUT payload units: one 25 KB unit per 3 KB record', () => {
    // 864,000 units × $0.014/M = $0.012096
    expect(item('Kinesis PUT payload units')).toBeCloseTo(0.012096, 10);
  });

  test('Firehose bills each 3 KB record as 5 KB', () => {
    // 864,000 × 5 KB / 1024² = 4.119873 GB × $0.029 = $0.119476
    expect(item('Firehose ingestion')).toBeCloseTo(0.119476, 6);
  });

  test('S3 PUTs: one object per 5 MB buffer when that fills before 300 s', () => {
    // raw in: 864,000 × 3 KB / 1024 = 2,531.25 MB → 506.25 objects (> 288 by time) × $0.005/1,000 = $0.00253125
    expect(item('S3 PUT requests (Firehose objects)')).toBeCloseTo(0.00253125, 10);
  });

  test('the transform Lambda: one invocation per MB, at the memory read from the template', () => {
    // 2,531.25 invocations × 0.2 s × 0.25 GB = 126.5625 GB-s × $0.0000133334 = $0.00168755
    // + 2,531.25 requests × $0.20/M = $0.00050625 → $0.0021938
    expect(item('Lambda transform')).toBeCloseTo(0.0021938, 7);
  });

  test('raw-zone storage: GZIP to a fifth, priced in S3 Standard', () => {
    // 2.471924 GB × 0.2 = 0.4943848 GB/day × $0.023 = $0.01137085 per day (one month held)
    expect(usage.rawGbPerDay).toBeCloseTo(0.4943848, 6);
    expect(item('S3 raw-zone storage (one month of data held)')).toBeCloseTo(0.01137085, 7);
  });

  test("Athena: 24 queries a day, each over one day's raw data", () => {
    // 24 × 0.4943848 GB = 11.865234 GB / 1024 = 0.0115871 TB × $5 = $0.0579357
    expect(item('Athena scans')).toBeCloseTo(0.0579357, 6);
  });

  test('Athena bills at least 10 MB a query', () => {
    const small = estimateUsage(full, { eventsPerSecond: 10, avgEventKb: 3, queriesPerDay: 100, gbScannedPerQuery: 0.001 }, prices);
    // 100 × 10 MB = 1000 MB = 0.9765625 GB / 1024 TB × $5 = $0.00476837
    expect(small.lines.find((l) => l.item === 'Athena scans')?.perDay).toBeCloseTo(0.00476837, 8);
  });

  test('the speed layer: one poll per shard per second when batches are not full', () => {
    // min(10, max(10/100, 2 shards × 1)) = 2 invocations/s → 172,800/day
    // 172,800 × 0.3 s × 0.5 GB = 25,920 GB-s × $0.0000133334 = $0.34560173 + 0.1728 M × $0.20 = $0.03456 → $0.38016173
    expect(item('Lambda speed layer')).toBeCloseTo(0.38016173, 7);
  });

  test('serverless inference: one call per speed-layer batch, at the memory read from the template', () => {
    // 864,000 events / 172,800 invocations = 5 events per call → 172,800 calls × 0.1 s × 2 GB = 34,560 GB-s × $0.00002 = $0.6912
    expect(item('SageMaker serverless inference')).toBeCloseTo(0.6912, 10);
  });

  test('real-time view: two write units per event (score item and latest item)', () => {
    // 864,000 × 2 × $0.625/M = $1.08
    expect(item('DynamoDB view writes')).toBeCloseTo(1.08, 10);
  });

  test('an on-demand stream bills GB in, rounded to 1 KB per record, and GB out per standard consumer', () => {
    const u = estimateUsage({ ...full, stream: { mode: 'ON_DEMAND', shards: 4 } }, { eventsPerSecond: 10, avgEventKb: 1.5 }, prices);
    // 864,000 × 2 KB / 1024² = 1.647949 GB; in × $0.08 = $0.131836; out × 2 consumers × $0.04 = $0.131836
    expect(u.lines.find((l) => l.item === 'Kinesis on-demand data in')?.perDay).toBeCloseTo(0.131836, 6);
    expect(u.lines.find((l) => l.item === 'Kinesis on-demand data out')?.perDay).toBeCloseTo(0.131836, 6);
  });

  test('the total is the sum of the lines, and every assumption is stated', () => {
    expect(usage.perDay).toBeCloseTo(usage.lines.reduce((s, l) => s + l.perDay, 0), 12);
    expect(usage.assumptions).toEqual(expect.arrayContaining([
      'Traffic: 10 events/s of 3 KB on average, steady all day (864000 events/day).',
      expect.stringContaining('GZIP output is 0.2 of the input size'),
      expect.stringContaining('Transform Lambda (256 MB, from the template)'),
      expect.stringContaining('Serverless inference (2048 MB, from the template)'),
    ]));
  });

  test('layers missing from the templates are named as not costed', () => {
    const u = estimateUsage({ standardConsumers: 0, efoConsumers: 0, viewTable: false }, { eventsPerSecond: 1, avgEventKb: 1 }, prices);
    expect(u.lines.map((l) => l.item)).toEqual(['Athena scans']);
    expect(u.assumptions).toEqual(expect.arrayContaining([
      'No Kinesis stream in the templates: stream usage not costed.',
      'No speed-layer consumer in the templates: speed layer and inference not costed.',
    ]));
  });

  test('rejects a non-positive rate or size', () => {
    expect(() => estimateUsage(full, { eventsPerSecond: 0, avgEventKb: 1 }, prices)).toThrow('estimateUsage: eventsPerSecond must be > 0, got 0');
    expect(() => estimateUsage(full, { eventsPerSecond: 1, avgEventKb: -1 }, prices)).toThrow('estimateUsage: avgEventKb must be > 0, got -1');
  });
});
