import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { auditAcknowledgements, PACK_NAMES, PACKS } from '../../lib/compliance';
import { BatchCluster, BatchClusterProps } from '../../lib/constructs/batch-cluster';
import { acknowledgementsIn } from '../../scripts/lib/synth';
import { testStack } from '../helpers';
import { Json, newBatchCluster, reachable, workflowDefinition } from '../workflow';

const GLUE_FACTORY = 'com.amazonaws.glue.catalog.metastore.AWSGlueDataCatalogHiveClientFactory';
const EMR_MANAGED = { Key: 'for-use-with-amazon-emr-managed-policies', Value: 'true' };
const OWNER = { Key: 'batch-cluster', Value: 'TestStack/Batch' };

function build(overrides: Partial<BatchClusterProps> = {}, stack: Stack = testStack()): { stack: Stack; cluster: BatchCluster; template: Template } {
  const cluster = newBatchCluster(stack, overrides);
  return {
    stack,
    cluster,
    get template() {
      return Template.fromStack(stack);
    },
  };
}

// The default (transient) and persistent constructs, built once: most tests only read them.
const transient = build();
const persistent = build({ lifecycle: 'persistent' });
const transientTemplate = transient.template;
const persistentTemplate = persistent.template;
const definition = workflowDefinition(transientTemplate);
const persistentDefinition = workflowDefinition(persistentTemplate);

/** The RunJobFlow request a transient run creates its cluster with. */
const request: Json = definition.States.CreateCluster.Arguments;

function cfnCluster(template: Template): Json {
  return Object.values(template.findResources('AWS::EMR::Cluster'))[0].Properties;
}

function fleet(type: string, req: Json = request): Json {
  return req.Instances.InstanceFleets.find((f: Json) => f.InstanceFleetType === type);
}

function securityConfiguration(template: Template): Json {
  return Object.values(template.findResources('AWS::EMR::SecurityConfiguration'))[0].Properties.SecurityConfiguration;
}

function roleStatements(template: Template, rolePrefix: string): Json[] {
  const policies = template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: [{ Ref: Match.stringLikeRegexp(`^${rolePrefix}`) }] },
  });
  return Object.values(policies).flatMap((p: Json) => p.Properties.PolicyDocument.Statement);
}

const instanceRoleStatements = (template: Template) => roleStatements(template, 'BatchInstanceRole');
const workflowStatements = (template: Template) => roleStatements(template, 'BatchWorkflowRole');
const actionsOf = (s: Json) => [s.Action].flat();

describe('BatchCluster: the cluster spec', () => {
  test('is transient by default: a workflow, and no CloudFormation cluster', () => {
    expect(transient.cluster.lifecycle).toBe('transient');
    transientTemplate.resourceCountIs('AWS::EMR::Cluster', 0);
    transientTemplate.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    expect(transient.cluster.cluster).toBeUndefined();
  });

  test('uses EMR 7.14.0 with Hadoop, Hive and Spark by default', () => {
    expect(request.ReleaseLabel).toBe('emr-7.14.0');
    expect(request.Applications).toEqual([{ Name: 'Hadoop' }, { Name: 'Hive' }, { Name: 'Spark' }]);
  });

  test('uses the Glue Data Catalog as Hive and Spark metastore (the API names the map Properties)', () => {
    expect(request.Configurations.slice(0, 2)).toEqual([
      { Classification: 'hive-site', Properties: { 'hive.metastore.client.factory.class': GLUE_FACTORY } },
      { Classification: 'spark-hive-site', Properties: { 'hive.metastore.client.factory.class': GLUE_FACTORY } },
    ]);
  });

  test('appends extra configurations and bootstrap actions in both lifecycles', () => {
    const extra: Partial<BatchClusterProps> = {
      configurations: [{ classification: 'spark-defaults', configurationProperties: { 'spark.dynamicAllocation.enabled': 'true' } }],
      bootstrapActions: [{ name: 'Setup', scriptBootstrapAction: { path: 's3://b/setup.sh', args: ['x'] } }],
    };
    const req = workflowDefinition(build(extra).template).States.CreateCluster.Arguments;
    expect(req.Configurations[2]).toEqual({ Classification: 'spark-defaults', Properties: { 'spark.dynamicAllocation.enabled': 'true' } });
    expect(req.BootstrapActions).toEqual([{ Name: 'Setup', ScriptBootstrapAction: { Path: 's3://b/setup.sh', Args: ['x'] } }]);
    const cfn = cfnCluster(build({ ...extra, lifecycle: 'persistent' }).template);
    expect(cfn.Configurations[2]).toEqual({ Classification: 'spark-defaults', ConfigurationProperties: { 'spark.dynamicAllocation.enabled': 'true' } });
    expect(cfn.BootstrapActions).toEqual([{ Name: 'Setup', ScriptBootstrapAction: { Path: 's3://b/setup.sh', Args: ['x'] } }]);
  });

  test('has one on-demand primary node', () => {
    expect(fleet('MASTER')).toEqual({
      InstanceFleetType: 'MASTER',
      Name: 'Primary',
      TargetOnDemandCapacity: 1,
      InstanceTypeConfigs: [{ InstanceType: 'm7g.xlarge', WeightedCapacity: 1 }, { InstanceType: 'm6g.xlarge', WeightedCapacity: 1 }],
      LaunchSpecifications: { OnDemandSpecification: { AllocationStrategy: 'lowest-price' } },
    });
  });

  test('the core fleet is on-demand only', () => {
    const core = fleet('CORE', workflowDefinition(build({ coreCapacity: 2 }).template).States.CreateCluster.Arguments);
    expect([core.TargetOnDemandCapacity, core.TargetSpotCapacity]).toEqual([2, 0]);
    expect(core.LaunchSpecifications).toEqual({ OnDemandSpecification: { AllocationStrategy: 'lowest-price' } });
  });

  test('the task fleet is Spot only, price-capacity-optimized, from at least 3 weighted types, and launches 1 Spot unit', () => {
    const task = fleet('TASK');
    expect(task.TargetOnDemandCapacity).toBe(0);
    expect(task.TargetSpotCapacity).toBe(1);
    expect(task.InstanceTypeConfigs).toEqual([
      { InstanceType: 'm7g.xlarge', WeightedCapacity: 1 },
      { InstanceType: 'm6g.xlarge', WeightedCapacity: 1 },
      { InstanceType: 'r7g.xlarge', WeightedCapacity: 1 },
      { InstanceType: 'm7g.2xlarge', WeightedCapacity: 2 },
    ]);
    expect(task.LaunchSpecifications).toEqual({
      SpotSpecification: { AllocationStrategy: 'price-capacity-optimized', TimeoutDurationMinutes: 10, TimeoutAction: 'SWITCH_TO_ON_DEMAND' },
    });
    expect(task.ResizeSpecifications).toEqual({ SpotResizeSpecification: { AllocationStrategy: 'price-capacity-optimized', TimeoutDurationMinutes: 20 } });
  });

  test('managed scaling grows only with Spot task units', () => {
    const req = workflowDefinition(build({ coreCapacity: 2, maxTaskSpotCapacity: 6 }).template).States.CreateCluster.Arguments;
    expect(req.ManagedScalingPolicy.ComputeLimits).toEqual({
      UnitType: 'InstanceFleetUnits',
      MinimumCapacityUnits: 2,
      MaximumCapacityUnits: 8,
      MaximumCoreCapacityUnits: 2,
      MaximumOnDemandCapacityUnits: 2,
    });
  });

  test('one spec, two renderers: the persistent cluster has the same fleets, limits and settings', () => {
    const cfn = cfnCluster(persistentTemplate);
    expect({ InstanceFleetType: 'MASTER', ...cfn.Instances.MasterInstanceFleet }).toEqual(fleet('MASTER'));
    expect({ InstanceFleetType: 'CORE', ...cfn.Instances.CoreInstanceFleet }).toEqual(fleet('CORE'));
    expect([{ InstanceFleetType: 'TASK', ...cfn.Instances.TaskInstanceFleets[0] }]).toEqual([fleet('TASK')]);
    expect(cfn.ManagedScalingPolicy).toEqual(request.ManagedScalingPolicy);
    for (const key of ['ReleaseLabel', 'Applications', 'EbsRootVolumeSize', 'StepConcurrencyLevel']) expect([key, cfn[key]]).toEqual([key, request[key]]);
  });

  test('auto-terminates after 15 idle minutes when transient (a backstop), one hour when persistent, or the given time', () => {
    expect(request.AutoTerminationPolicy).toEqual({ IdleTimeout: 900 });
    expect(cfnCluster(persistentTemplate).AutoTerminationPolicy).toEqual({ IdleTimeout: 3600 });
    const req = workflowDefinition(build({ idleTimeout: Duration.minutes(30) }).template).States.CreateCluster.Arguments;
    expect(req.AutoTerminationPolicy).toEqual({ IdleTimeout: 1800 });
  });

  test('writes logs under emr-logs/ in the log bucket, encrypted with the key', () => {
    expect(request.LogUri).toMatch(/^s3:\/\/\$\{Ref:Logs[0-9A-F]+\}\/emr-logs\/$/);
    expect(request.LogEncryptionKmsKeyId).toMatch(/^\$\{Key[0-9A-F]+\.Arn\}$/);
    expect(transient.cluster.logUri).toContain('/emr-logs/');
  });

  test('the security configuration encrypts S3 with SSE-KMS and local disks and EBS with KMS, and requires IMDSv2', () => {
    const keyArn = { 'Fn::GetAtt': [expect.stringMatching(/^Key/), 'Arn'] };
    expect(securityConfiguration(transientTemplate)).toEqual({
      EncryptionConfiguration: {
        EnableAtRestEncryption: true,
        AtRestEncryptionConfiguration: {
          S3EncryptionConfiguration: { EncryptionMode: 'SSE-KMS', AwsKmsKey: keyArn },
          LocalDiskEncryptionConfiguration: { EncryptionKeyProviderType: 'AwsKms', AwsKmsKey: keyArn, EnableEbsEncryption: true },
        },
        EnableInTransitEncryption: false,
      },
      InstanceMetadataServiceConfiguration: { MinimumInstanceMetadataServiceVersion: 2, HttpPutResponseHopLimit: 2 },
    });
    expect(request.SecurityConfiguration).toMatch(/^\$\{Ref:BatchSecurityConfiguration[0-9A-F]+\}$/);
    expect(cfnCluster(persistentTemplate).SecurityConfiguration).toEqual({ Ref: expect.stringMatching(/^BatchSecurityConfiguration/) });
  });

  test.each(['transient', 'persistent'] as const)('turns on in-transit encryption when given a PEM certificate bundle (%s)', (lifecycle) => {
    const { template } = build({ lifecycle, inTransitCertificatesS3Uri: 's3://certs/emr.zip' });
    const config = securityConfiguration(template);
    expect(config.EncryptionConfiguration.EnableInTransitEncryption).toBe(true);
    expect(config.EncryptionConfiguration.InTransitEncryptionConfiguration).toEqual({
      TLSCertificateConfiguration: { CertificateProviderType: 'PEM', S3Object: 's3://certs/emr.zip' },
    });
  });

  test('has no key pair and runs in the isolated subnet with the EMR-managed security groups', () => {
    expect(request.Instances).toEqual(expect.objectContaining({
      Ec2SubnetIds: [expect.stringMatching(/^\$\{Ref:VpcIsolatedSubnet1Subnet[0-9A-F]+\}$/)],
      EmrManagedMasterSecurityGroup: expect.stringMatching(/^\$\{BatchPrimarySecurityGroup[0-9A-F]+\.GroupId\}$/),
      EmrManagedSlaveSecurityGroup: expect.stringMatching(/^\$\{BatchWorkerSecurityGroup[0-9A-F]+\.GroupId\}$/),
      ServiceAccessSecurityGroup: expect.stringMatching(/^\$\{BatchServiceAccessSecurityGroup[0-9A-F]+\.GroupId\}$/),
      KeepJobFlowAliveWhenNoSteps: true,
      TerminationProtected: false,
    }));
    expect(request.Instances.Ec2KeyName).toBeUndefined();
    expect(cfnCluster(persistentTemplate).Instances.Ec2KeyName).toBeUndefined();
  });

  test('the security groups start with no ingress rules', () => {
    const groups = transientTemplate.findResources('AWS::EC2::SecurityGroup');
    expect(Object.keys(groups)).toHaveLength(3);
    for (const g of Object.values(groups)) expect((g as Json).Properties.SecurityGroupIngress).toBeUndefined();
    transientTemplate.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
  });

  test('tags the subnet and security groups for the EMR v2 managed policy, and every cluster with it and its owner tag', () => {
    transientTemplate.hasResourceProperties('AWS::EC2::Subnet', { Tags: Match.arrayWith([EMR_MANAGED]) });
    transientTemplate.allResourcesProperties('AWS::EC2::SecurityGroup', { Tags: Match.arrayWith([EMR_MANAGED]) });
    expect(request.Tags).toEqual([EMR_MANAGED, OWNER]);
    expect(cfnCluster(persistentTemplate).Tags).toEqual([OWNER, EMR_MANAGED]); // CloudFormation tags come sorted by key
    expect(transient.cluster.clusterTag).toEqual({ key: 'batch-cluster', value: 'TestStack/Batch' });
  });

  test('carries the cost-allocation tags', () => {
    const req = workflowDefinition(build({ costAllocationTags: { 'cost-center': 'data' } }).template).States.CreateCluster.Arguments;
    expect(req.Tags).toEqual(expect.arrayContaining([{ Key: 'cost-center', Value: 'data' }]));
  });

  test('names a transient cluster after the run dates', () => {
    expect(request.Name).toBe("{% 'TestStack-Batch ' & $start & '..' & $end %}");
    expect(cfnCluster(build({ lifecycle: 'persistent', clusterName: 'lake-batch' }).template).Name).toBe('lake-batch');
  });

  test('termination protection is for the persistent cluster only', () => {
    expect(cfnCluster(persistentTemplate).Instances.TerminationProtected).toBe(false);
    expect(cfnCluster(build({ lifecycle: 'persistent', terminationProtected: true }).template).Instances.TerminationProtected).toBe(true);
  });

  test('has a 32 GiB root volume by default', () => {
    expect(request.EbsRootVolumeSize).toBe(32);
  });
});

describe('BatchCluster: roles', () => {
  test('the service role uses the EMR v2 managed policy and may pass only the instance role to EC2', () => {
    transientTemplate.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'elasticmapreduce.amazonaws.com' } })] },
      ManagedPolicyArns: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/service-role/AmazonEMRServicePolicy_v2']] }],
    });
    expect(roleStatements(transientTemplate, 'BatchServiceRole')).toContainEqual({
      Action: 'iam:PassRole',
      Effect: 'Allow',
      Resource: { 'Fn::GetAtt': [expect.stringMatching(/^BatchInstanceRole/), 'Arn'] },
      Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
    });
  });

  test('the instance profile is named as its role, which EMR requires, and both renderers pass names', () => {
    transientTemplate.hasResourceProperties('AWS::IAM::InstanceProfile', {
      InstanceProfileName: { Ref: Match.stringLikeRegexp('^BatchInstanceRole') },
      Roles: [{ Ref: Match.stringLikeRegexp('^BatchInstanceRole') }],
    });
    expect([request.ServiceRole, request.JobFlowRole]).toEqual([expect.stringMatching(/^\$\{Ref:BatchServiceRole/), expect.stringMatching(/^\$\{Ref:BatchInstanceProfile/)]);
    const cfn = cfnCluster(persistentTemplate);
    expect([cfn.ServiceRole, cfn.JobFlowRole]).toEqual([{ Ref: expect.stringMatching(/^BatchServiceRole/) }, { Ref: expect.stringMatching(/^BatchInstanceProfile/) }]);
  });

  test('the instance role has Session Manager core permissions', () => {
    transientTemplate.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'ec2.amazonaws.com' } })] },
      ManagedPolicyArns: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/AmazonSSMManagedInstanceCore']] }],
    });
  });

  test('the instance role reads only the raw prefix and writes only the curated and log prefixes', () => {
    const statements = instanceRoleStatements(transientTemplate);
    const byResource = (regex: RegExp) => statements.filter((s) => regex.test(JSON.stringify(s.Resource)));
    expect(byResource(/\/raw\/\*/).map((s) => s.Action)).toEqual(['s3:GetObject']);
    expect(byResource(/\/curated\/\*/).map((s) => s.Action)).toEqual([
      ['s3:AbortMultipartUpload', 's3:DeleteObject', 's3:GetObject', 's3:PutObject'],
    ]);
    expect(byResource(/\/emr-logs\/\*/).map((s) => s.Action)).toEqual(['s3:PutObject']);
    for (const s of statements) expect(JSON.stringify(s.Action)).not.toMatch(/s3:\*|"\*"/);
  });

  /**
   * IAM's condition operators, for a request that carries `s3:prefix` or not: StringLike
   * does not match a missing key; StringLikeIfExists does.
   * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IfExists
   */
  function allowsList(statement: Json, prefix: string | undefined): boolean {
    const [[operator, keys]] = Object.entries(statement.Condition as Record<string, Record<string, string[]>>);
    const patterns = keys['s3:prefix'];
    const like = (p: string) => new RegExp(`^${p.split('*').map((x) => x.replace(/[.+?^${}()|[\]\\/]/g, '\\$&')).join('.*')}$`);
    if (prefix === undefined) return operator === 'StringLikeIfExists';
    if (operator !== 'StringLike' && operator !== 'StringLikeIfExists') return false;
    return patterns.some((p) => like(p).test(prefix));
  }

  test('ListBucket also allows a request without s3:prefix, so a HEAD of a missing key gets 404, not 403', () => {
    const lists = instanceRoleStatements(transientTemplate).filter((s) => s.Action === 's3:ListBucket');
    expect(lists).toHaveLength(2);
    for (const list of lists) {
      expect(allowsList(list, undefined)).toBe(true); // HeadObject of a missing key: no s3:prefix
      expect(allowsList(list, 'somewhere-else/')).toBe(false);
    }
    expect(allowsList(lists[0], 'raw/2026/')).toBe(true);
    expect(allowsList(lists[1], 'curated/payments/')).toBe(true);
  });

  test('the ListBucket check fails on a plain StringLike', () => {
    expect(allowsList({ Condition: { StringLike: { 's3:prefix': ['raw/*'] } } }, undefined)).toBe(false);
  });

  test('the instance role uses only the lake key', () => {
    const kmsStatements = instanceRoleStatements(transientTemplate).filter((s) => JSON.stringify(s.Action).includes('kms:'));
    expect(kmsStatements).toEqual([
      {
        Action: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'],
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^Key/), 'Arn'] },
      },
    ]);
  });

  test('the instance role reaches only the lake database in the Glue catalog (and reads or creates default)', () => {
    const glue = instanceRoleStatements(transientTemplate).filter((s) => JSON.stringify(s.Action).includes('glue:'));
    const resources = glue.map((s) => JSON.stringify(s.Resource));
    expect(resources[0]).toMatch(/:catalog"/);
    expect(resources[0]).toMatch(/:database\/lake_lake"/);
    expect(resources[0]).toMatch(/:database\/default"/);
    expect(resources[0]).toMatch(/:table\/lake_lake\/\*"/);
    expect(glue[1]).toEqual({ Action: 'glue:CreateDatabase', Effect: 'Allow', Resource: [expect.anything(), expect.anything()] });
    expect(resources[1]).toMatch(/:catalog".*:database\/default"/);
    expect(resources[2]).not.toMatch(/database\/default/);
    expect(glue[2].Action).toContain('glue:CreateTable');
    expect(glue[0].Action).not.toContain('glue:CreateTable');
  });

  test('grantReadObject lets the cluster read exactly one object', () => {
    const { stack, cluster } = build();
    const scripts = new s3.Bucket(stack, 'Scripts');
    cluster.grantReadObject(scripts, 'jobs/curate.py');
    const getObject = instanceRoleStatements(Template.fromStack(stack)).find((st) => st.Action === 's3:GetObject');
    expect(getObject.Resource).toContainEqual({
      'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^Scripts/), 'Arn'] }, '/jobs/curate.py']],
    });
  });
});

describe('BatchCluster: the workflow role', () => {
  const statements = workflowStatements(transientTemplate);
  const withAction = (action: string) => statements.filter((s) => actionsOf(s).includes(action));
  const tagged = { StringEquals: { 'elasticmapreduce:ResourceTag/batch-cluster': 'TestStack/Batch' } };

  test('may create clusters only when the request carries the owner tag and the EMR v2 tag', () => {
    expect(withAction('elasticmapreduce:RunJobFlow')).toEqual([
      {
        Action: 'elasticmapreduce:RunJobFlow',
        Effect: 'Allow',
        Resource: '*',
        Condition: {
          StringEquals: { 'aws:RequestTag/batch-cluster': 'TestStack/Batch', 'aws:RequestTag/for-use-with-amazon-emr-managed-policies': 'true' },
        },
      },
    ]);
  });

  test('may pass only the two EMR roles, each to its own service', () => {
    expect(withAction('iam:PassRole')).toEqual([
      {
        Action: 'iam:PassRole',
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^BatchServiceRole/), 'Arn'] },
        Condition: { StringLike: { 'iam:PassedToService': 'elasticmapreduce.amazonaws.com*' } },
      },
      {
        Action: 'iam:PassRole',
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^BatchInstanceRole/), 'Arn'] },
        Condition: { StringLike: { 'iam:PassedToService': 'ec2.amazonaws.com*' } },
      },
    ]);
  });

  test.each(['elasticmapreduce:TerminateJobFlows', 'elasticmapreduce:AddJobFlowSteps', 'elasticmapreduce:DescribeCluster', 'elasticmapreduce:DescribeStep', 'elasticmapreduce:AddTags'])(
    '%s only on clusters that carry the owner tag',
    (action) => {
      const granted = withAction(action);
      expect(granted).toHaveLength(1);
      expect(granted[0].Condition).toEqual(tagged);
      expect(JSON.stringify(granted[0].Resource)).toContain(':cluster/*');
    },
  );

  test('no EMR action is granted without a condition, except none', () => {
    for (const s of statements.filter((st) => JSON.stringify(st.Action).includes('elasticmapreduce:'))) {
      expect(s.Condition).toBeDefined();
    }
  });

  test('may manage the EventBridge rules of the .sync integrations, and no other rule', () => {
    const [events] = withAction('events:PutRule');
    expect(JSON.stringify(events.Resource)).toMatch(/rule\/StepFunctionsGetEventForEMRAddJobFlowStepsRule".*rule\/StepFunctionsGetEventForEMRTerminateJobFlowsRule"/);
    expect(events.Resource).toHaveLength(2);
  });

  test('uses the lock table with three item actions, and its key only through DynamoDB', () => {
    expect(withAction('dynamodb:PutItem')).toEqual([
      { Action: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem'], Effect: 'Allow', Resource: { 'Fn::GetAtt': [expect.stringMatching(/^BatchRunLock/), 'Arn'] } },
    ]);
    const [key] = withAction('kms:Decrypt');
    expect(key.Condition).toEqual({ StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['dynamodb.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } } });
    expect(actionsOf(key).some((a) => a.endsWith('*'))).toBe(false);
  });

  test('may start and read only the given crawler', () => {
    const [crawler] = withAction('glue:StartCrawler');
    expect(crawler.Action).toEqual(['glue:GetCrawler', 'glue:StartCrawler']);
    expect(JSON.stringify(crawler.Resource)).toMatch(/:crawler\/curated-crawler"/);
  });

  test('persistent: no RunJobFlow or PassRole, and cluster actions on the one cluster', () => {
    const own = workflowStatements(persistentTemplate);
    expect(own.filter((s) => actionsOf(s).some((a: string) => ['elasticmapreduce:RunJobFlow', 'iam:PassRole', 'elasticmapreduce:AddTags'].includes(a)))).toEqual([]);
    const [cluster] = own.filter((s) => actionsOf(s).includes('elasticmapreduce:AddJobFlowSteps'));
    expect(JSON.stringify(cluster.Resource)).toMatch(/:cluster\/",\{"Ref":"BatchCluster[0-9A-F]+"\}/);
  });
});

describe('BatchCluster: the workflow', () => {
  test('is a Standard state machine in JSONata, timing out after 4 hours, logging ALL with execution data, and traced', () => {
    transientTemplate.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: true }),
      TracingConfiguration: { Enabled: true },
    });
    expect(definition.QueryLanguage).toBe('JSONata');
    expect(definition.TimeoutSeconds).toBe(14_400);
  });

  test('logs to its own log group with the given retention and removal policy', () => {
    const { template } = build({ logRetention: logs.RetentionDays.ONE_WEEK, removalPolicy: RemovalPolicy.DESTROY });
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      LoggingConfiguration: { Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^BatchWorkflowLogs'), 'Arn'] } } }], IncludeExecutionData: true, Level: 'ALL' },
    });
    template.hasResource('AWS::Logs::LogGroup', { Properties: { RetentionInDays: 7 }, DeletionPolicy: 'Delete' });
  });

  test('creates the cluster request-response (the id is known at once), with no retry, and keeps the id', () => {
    const create = definition.States.CreateCluster;
    expect(create.Resource).toBe('arn:${Ref:AWS::Partition}:states:::elasticmapreduce:createCluster');
    expect(create.Retry).toBeUndefined();
    expect(create.Assign).toEqual({ clusterId: '{% $states.result.ClusterId %}' });
    expect(create.TimeoutSeconds).toBe(300);
  });

  test('runs the step with addStep.sync on the run cluster; a failed step ends the cluster too', () => {
    const step = definition.States.RunStep;
    expect(step.Resource).toBe('arn:${Ref:AWS::Partition}:states:::elasticmapreduce:addStep.sync');
    expect(step.Arguments).toEqual({
      ClusterId: '{% $clusterId %}',
      Step: {
        Name: "{% 'curate ' & $start & '..' & $end %}",
        ActionOnFailure: 'TERMINATE_CLUSTER',
        HadoopJarStep: { Jar: 'command-runner.jar', Args: ['spark-submit', 's3://code/job.py', '--start-date', '{% $start %}', '--end-date', '{% $end %}'] },
      },
    });
    expect(step.TimeoutSeconds).toBe(7200);
  });

  test('terminates the cluster with terminateCluster.sync, retrying', () => {
    const terminate = definition.States.TerminateCluster;
    expect(terminate.Resource).toBe('arn:${Ref:AWS::Partition}:states:::elasticmapreduce:terminateCluster.sync');
    expect(terminate.Retry).toEqual([expect.objectContaining({ ErrorEquals: ['States.TaskFailed'], MaxAttempts: 3 })]);
  });

  test('every task after the cluster is created catches all errors on a path that reaches the termination', () => {
    const after = [...reachable(definition, definition.States.CreateCluster.Next)].filter((n) => definition.States[n].Type === 'Task');
    expect(after).toEqual(expect.arrayContaining(['RunStep', 'TerminateCluster', 'StartCrawler', 'GetCrawler', 'ReleaseLock']));
    for (const name of [...after, 'CreateCluster'].filter((n) => !/AfterFailure$/.test(n))) {
      const catchAll = (definition.States[name].Catch ?? []).find((c: Json) => c.ErrorEquals.includes('States.ALL'));
      expect([name, catchAll?.Next]).toEqual([name, 'TerminateIfCreated']);
      expect(catchAll.Assign.failedState).toBe(name);
    }
    expect(reachable(definition, 'TerminateIfCreated').has('TerminateAfterFailure')).toBe(true);
    // The crawl's own failures (a failed or endless crawl) take the same path.
    expect(definition.States.CrawlFinished.Choices.slice(1).map((c: Json) => c.Next)).toEqual(['TerminateIfCreated', 'TerminateIfCreated']);
  });

  test('the failure path ends in a Fail that names the failed state, after releasing the lock', () => {
    expect(definition.States.RunFailed).toEqual({
      Type: 'Fail',
      Comment: expect.any(String),
      Error: '{% $error %}',
      Cause: "{% $failedState & ' failed: ' & $cause %}",
    });
    expect(reachable(definition, 'TerminateAfterFailure')).toEqual(new Set(['TerminateAfterFailure', 'ReleaseLockAfterFailure', 'RunFailed']));
  });

  test('task timeouts fire before the run times out (a timed-out execution runs no Catch)', () => {
    const st = definition.States;
    const timeout = (...names: string[]) => names.reduce((sum, n) => sum + st[n].TimeoutSeconds, 0);
    // Waiting out a crawl already running, then polling this run's crawl: each up to the crawler timeout.
    const crawlerRunning = st.StartCrawler.Retry.find((r: Json) => r.ErrorEquals.includes('Glue.CrawlerRunningException'));
    const waitForOtherCrawl = crawlerRunning.MaxAttempts * crawlerRunning.IntervalSeconds;
    const pollOwnCrawl = st.CrawlFinished.Choices[2].Condition.match(/>= (\d+)/)[1] * st.WaitForCrawler.Seconds;
    const worst =
      timeout('AcquireLock', 'CreateCluster', 'RunStep', 'TerminateCluster', 'ReleaseLock') +
      waitForOtherCrawl +
      pollOwnCrawl +
      timeout('TerminateAfterFailure', 'ReleaseLockAfterFailure');
    expect(waitForOtherCrawl).toBe(30 * 60);
    expect(worst).toBeLessThanOrEqual(definition.TimeoutSeconds);
    expect(() => build({ runTimeout: Duration.seconds(worst - 1) })).toThrow(/runTimeout must be at least/);
    expect(() => build({ runTimeout: Duration.seconds(worst) })).not.toThrow();
  });

  test('persistent: adds the step to the one cluster and never creates or terminates one', () => {
    expect(Object.keys(persistentDefinition.States)).not.toEqual(expect.arrayContaining(['CreateCluster']));
    for (const name of ['CreateCluster', 'TerminateCluster', 'TerminateIfCreated', 'TerminateAfterFailure']) expect(persistentDefinition.States[name]).toBeUndefined();
    expect(persistentDefinition.States.RunStep.Arguments.ClusterId).toMatch(/^\$\{Ref:BatchCluster[0-9A-F]+\}$/);
    expect(persistentDefinition.States.RunStep.Arguments.Step.ActionOnFailure).toBe('CONTINUE');
    expect(persistentDefinition.States.RunStep.Catch).toEqual([expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: 'ReleaseLockAfterFailure' })]);
  });

  test('without a crawler, a run releases the lock after terminating the cluster', () => {
    const def = workflowDefinition(build({ crawlerName: undefined }).template);
    expect(def.States.TerminateCluster.Next).toBe('ReleaseLock');
    expect(def.States.StartCrawler).toBeUndefined();
  });
});

describe('BatchCluster: one run at a time', () => {
  test('the lock is an on-demand table encrypted with the lake key, with a TTL, retained by default', () => {
    transientTemplate.hasResource('AWS::DynamoDB::Table', {
      Properties: {
        KeySchema: [{ AttributeName: 'lockId', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] } },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      },
      DeletionPolicy: 'Retain',
    });
    build({ removalPolicy: RemovalPolicy.DESTROY }).template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
  });

  test('takes the whole-zone lock only when it is free, expired, or already this run\'s', () => {
    const acquire = definition.States.AcquireLock;
    expect(acquire.Resource).toBe('arn:${Ref:AWS::Partition}:states:::dynamodb:putItem');
    expect(acquire.Arguments.Item.lockId).toEqual({ S: 'curated-zone' });
    expect(acquire.Arguments.ConditionExpression).toBe('attribute_not_exists(lockId) OR expiresAt < :now OR holder = :me');
  });

  test('never retries a held lock, and retries other errors', () => {
    expect(definition.States.AcquireLock.Retry).toEqual([
      { ErrorEquals: ['DynamoDB.ConditionalCheckFailedException', 'DynamoDb.ConditionalCheckFailedException'], MaxAttempts: 0 },
      expect.objectContaining({ ErrorEquals: ['States.TaskFailed'], MaxAttempts: 3 }),
    ]);
    expect(definition.States.AcquireLock.Catch[0]).toEqual({
      ErrorEquals: ['DynamoDB.ConditionalCheckFailedException', 'DynamoDb.ConditionalCheckFailedException'],
      Next: 'ReadLockHolder',
    });
  });

  test('releases the lock only if this run holds it, on success and on failure', () => {
    for (const name of ['ReleaseLock', 'ReleaseLockAfterFailure']) {
      expect(definition.States[name].Arguments).toEqual({
        TableName: expect.stringMatching(/^\$\{Ref:BatchRunLock/),
        Key: { lockId: { S: 'curated-zone' } },
        ConditionExpression: 'holder = :me',
        ExpressionAttributeValues: { ':me': { S: '{% $states.context.Execution.Id %}' } },
      });
    }
  });
});

describe('BatchCluster: notifications', () => {
  test('creates no notification rules without an alarm topic', () => {
    transientTemplate.resourceCountIs('AWS::Events::Rule', 0);
    expect(transient.cluster.alarmRole).toBeUndefined();
  });

  test('tells the alarm topic about failed, timed-out and stopped runs', () => {
    const stack = testStack();
    const topic = new sns.Topic(stack, 'Alarms');
    const { template } = build({ alarmTopic: topic }, stack);
    const rules = Object.values(template.findResources('AWS::Events::Rule')).map((r: Json) => r.Properties);
    expect(rules).toEqual([
      expect.objectContaining({
        EventPattern: {
          source: ['aws.states'],
          'detail-type': ['Step Functions Execution Status Change'],
          detail: { stateMachineArn: [{ Ref: expect.stringMatching(/^BatchWorkflow/) }], status: ['FAILED', 'TIMED_OUT', 'ABORTED'] },
        },
        Targets: [expect.objectContaining({ Arn: { Ref: expect.stringMatching(/^Alarms/) }, RoleArn: { 'Fn::GetAtt': [expect.stringMatching(/^BatchAlarmRole/), 'Arn'] } })],
      }),
    ]);
  });

  test('persistent: also failed or cancelled steps and a cluster terminated with errors', () => {
    const stack = testStack();
    const { template } = build({ lifecycle: 'persistent', alarmTopic: new sns.Topic(stack, 'Alarms') }, stack);
    const patterns = Object.values(template.findResources('AWS::Events::Rule')).map((r: Json) => r.Properties.EventPattern);
    expect(patterns.slice(1)).toEqual([
      { source: ['aws.emr'], 'detail-type': ['EMR Step Status Change'], detail: { clusterId: [{ Ref: expect.stringMatching(/^BatchCluster/) }], state: ['FAILED', 'CANCELLED'] } },
      { source: ['aws.emr'], 'detail-type': ['EMR Cluster State Change'], detail: { clusterId: [{ Ref: expect.stringMatching(/^BatchCluster/) }], state: ['TERMINATED_WITH_ERRORS'] } },
    ]);
  });
});

describe('BatchCluster: security-group cleanup', () => {
  test('empties the EMR-managed security groups on delete, in both lifecycles', () => {
    for (const template of [transientTemplate, persistentTemplate]) {
      const [cleanup] = Object.values(template.findResources('Custom::EmrSecurityGroupCleanup')) as Json[];
      expect(cleanup.Properties.SecurityGroupIds).toEqual(
        ['BatchPrimarySecurityGroup', 'BatchWorkerSecurityGroup', 'BatchServiceAccessSecurityGroup'].map((g) => ({
          'Fn::GetAtt': [expect.stringMatching(new RegExp(`^${g}`)), 'GroupId'],
        })),
      );
    }
  });

  test('the persistent cluster is deleted before the cleanup runs', () => {
    const [id] = Object.keys(persistentTemplate.findResources('Custom::EmrSecurityGroupCleanup'));
    expect(Object.values(persistentTemplate.findResources('AWS::EMR::Cluster'))[0].DependsOn).toContain(id);
  });

  test('the cleanup function runs on Node.js 24 (arm64) with its own log group and a narrow role', () => {
    const { template } = build({ logRetention: logs.RetentionDays.ONE_WEEK, removalPolicy: RemovalPolicy.DESTROY });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Timeout: 300,
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^BatchSecurityGroupCleanupLogs') } },
    });
    const role = Object.values(template.findResources('AWS::IAM::Role', { Properties: { Description: Match.stringLikeRegexp('Revokes the rules') } }))[0] as Json;
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    const statements = role.Properties.Policies[0].PolicyDocument.Statement;
    expect(statements.map((st: Json) => [st.Action, st.Resource === '*' ? '*' : 'scoped'])).toEqual([
      [['logs:CreateLogStream', 'logs:PutLogEvents'], 'scoped'],
      ['ec2:DescribeSecurityGroupRules', '*'],
      [['ec2:RevokeSecurityGroupEgress', 'ec2:RevokeSecurityGroupIngress'], 'scoped'],
    ]);
    expect(statements[2].Resource).toHaveLength(3);
  });
});

describe('BatchCluster: log groups', () => {
  test('the workflow logs to /aws/vendedlogs/states/<stack>-<path>-Workflow and the cleanup function to /aws/lambda/<stack>-<path>-SecurityGroupCleanup', () => {
    for (const name of ['/aws/vendedlogs/states/TestStack-Batch-7E3F1FAB-Workflow', '/aws/lambda/TestStack-Batch-7E3F1FAB-SecurityGroupCleanup']) {
      transientTemplate.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: name, RetentionInDays: 30 });
    }
  });

  test('with logEncryptionKey, both groups use the key, and its policy admits CloudWatch Logs for exactly those two groups', () => {
    const stack = testStack();
    const key = new kms.Key(stack, 'LogsKey');
    const { template } = build({ logEncryptionKey: key }, stack);
    const groups = Object.values(template.findResources('AWS::Logs::LogGroup'));
    expect(groups.map((g) => g.Properties.KmsKeyId)).toEqual([
      { 'Fn::GetAtt': [expect.stringMatching(/^LogsKey/), 'Arn'] },
      { 'Fn::GetAtt': [expect.stringMatching(/^LogsKey/), 'Arn'] },
    ]);
    const policy = Object.values(template.findResources('AWS::KMS::Key'))[0].Properties.KeyPolicy.Statement;
    const admitted = policy
      .filter((st: Json) => st.Condition?.ArnEquals)
      .map((st: Json) => st.Condition.ArnEquals['kms:EncryptionContext:aws:logs:arn']['Fn::Join'][1].at(-1));
    expect(admitted.sort()).toEqual([
      ':log-group:/aws/lambda/TestStack-Batch-7E3F1FAB-SecurityGroupCleanup',
      ':log-group:/aws/vendedlogs/states/TestStack-Batch-7E3F1FAB-Workflow',
    ]);
  });
});

describe('BatchCluster: cdk-nag', () => {
  /** With its log groups on a customer-managed key, as the packs require and the app does. */
  function withLogKey(lifecycle: 'transient' | 'persistent') {
    const stack = testStack();
    return build({ lifecycle, logEncryptionKey: new kms.Key(stack, 'LogsKey', { enableKeyRotation: true }) }, stack);
  }

  test.each(['transient', 'persistent'] as const)('%s: every finding of every pack is acknowledged inside the construct, and every acknowledgement matches a finding', (lifecycle) => {
    const built = withLogKey(lifecycle);
    Template.fromStack(built.stack); // synthesis runs the validations that name the IAM5 resource acknowledgements
    const open = PACK_NAMES.flatMap((name) => new PACKS[name]().validateScope(built.cluster).violations.map((v) => v.ruleName));
    expect(open).toEqual([]);
    const acks = acknowledgementsIn(built.cluster);
    expect(acks.length).toBeGreaterThan(5);
    expect(auditAcknowledgements(built.cluster, acks, new Set())).toEqual([]);
  });
});

describe('BatchCluster: validation', () => {
  test.each<[Partial<BatchClusterProps>, string]>([
    [{ releaseLabel: 'emr-6.15.0' }, 'BatchCluster: releaseLabel must look like emr-7.<minor>.<patch>, got emr-6.15.0'],
    [{ releaseLabel: 'emr-7.13' }, 'BatchCluster: releaseLabel must look like emr-7.<minor>.<patch>, got emr-7.13'],
    [{ idleTimeout: Duration.seconds(59) }, 'BatchCluster: idleTimeout must be 60–604800 seconds, got 59'],
    [{ idleTimeout: Duration.days(8) }, 'BatchCluster: idleTimeout must be 60–604800 seconds, got 691200'],
    [
      { taskInstanceTypes: [{ instanceType: 'm7g.xlarge', weightedCapacity: 1 }, { instanceType: 'm6g.xlarge', weightedCapacity: 1 }] },
      'BatchCluster: taskInstanceTypes must list at least 3 instance types, got 2',
    ],
    [
      {
        taskInstanceTypes: [
          { instanceType: 'm7g.xlarge', weightedCapacity: 1 },
          { instanceType: 'm6g.xlarge', weightedCapacity: 0 },
          { instanceType: 'r7g.xlarge', weightedCapacity: 1 },
        ],
      },
      'BatchCluster: weightedCapacity of m6g.xlarge must be a whole number ≥ 1, got 0',
    ],
    [{ primaryInstanceTypes: [] }, 'BatchCluster: primaryInstanceTypes and coreInstanceTypes must each list at least 1 instance type'],
    [{ coreCapacity: 0 }, 'BatchCluster: coreCapacity must be a whole number ≥ 1, got 0'],
    [{ taskSpotCapacity: 0 }, 'BatchCluster: taskSpotCapacity must be a whole number ≥ 1, got 0'],
    [{ taskSpotCapacity: 3, maxTaskSpotCapacity: 2 }, 'BatchCluster: maxTaskSpotCapacity must be a whole number ≥ 3 (taskSpotCapacity), got 2'],
    [{ spotTimeoutMinutes: 4 }, 'BatchCluster: spotTimeoutMinutes must be a whole number 5–1440, got 4'],
    [{ ebsRootVolumeSize: 101 }, 'BatchCluster: ebsRootVolumeSize must be a whole number 15–100, got 101'],
    [{ rawPrefix: '/raw' }, 'BatchCluster: rawPrefix must be a key prefix ending in "/" with no leading "/", got "/raw"'],
    [{ logPrefix: 'logs' }, 'BatchCluster: logPrefix must be a key prefix ending in "/" with no leading "/", got "logs"'],
    [{ terminationProtected: true }, "BatchCluster: terminationProtected must be false with lifecycle 'transient' (each run terminates its cluster), got true"],
    [{ lifecycle: 'forever' as never }, "BatchCluster: lifecycle must be 'transient' or 'persistent', got 'forever'"],
    [{ stepTimeout: Duration.seconds(30) }, 'BatchCluster: stepTimeout must be at least 60 seconds, got 30'],
    [
      { runTimeout: Duration.hours(3) },
      'BatchCluster: runTimeout must be at least stepTimeout + 2 × crawlerTimeout + 55 minutes (14100 seconds), got 10800',
    ],
  ])('rejects %j', (overrides, message) => {
    expect(() => build(overrides)).toThrow(message);
  });

  test('needs an isolated or private subnet', () => {
    const stack = testStack();
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 1, subnetConfiguration: [{ name: 'Public', subnetType: ec2.SubnetType.PUBLIC }] });
    expect(
      () =>
        new BatchCluster(stack, 'Batch', {
          vpc,
          key: new kms.Key(stack, 'Key'),
          rawBucket: new s3.Bucket(stack, 'Raw'),
          curatedBucket: new s3.Bucket(stack, 'Curated'),
          logBucket: new s3.Bucket(stack, 'Logs'),
          databaseName: 'db',
          step: { name: 'curate', args: () => [] },
        }),
    ).toThrow('BatchCluster: vpc must have an isolated or private subnet, or pass subnet');
  });
});

describe('BatchCluster in-transit encryption', () => {
  test('says whether it encrypts in transit', () => {
    expect(build().cluster.inTransitEncryption).toBe(false);
    expect(build({ inTransitCertificatesS3Uri: 's3://certs/emr.zip' }).cluster.inTransitEncryption).toBe(true);
  });

  test('rejects a certificate URI that is not an s3:// zip', () => {
    expect(() => build({ inTransitCertificatesS3Uri: 'https://certs/emr.zip' })).toThrow(
      'BatchCluster: inTransitCertificatesS3Uri must be s3://<bucket>/<key>.zip, got https://certs/emr.zip',
    );
  });
});
