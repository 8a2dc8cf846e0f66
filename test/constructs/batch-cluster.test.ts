import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { BatchCluster, BatchClusterProps } from '../../lib/constructs/batch-cluster';
import { testStack } from '../helpers';

const GLUE_FACTORY = 'com.amazonaws.glue.catalog.metastore.AWSGlueDataCatalogHiveClientFactory';

function build(overrides: Partial<BatchClusterProps> = {}, stack: Stack = testStack()): { stack: Stack; cluster: BatchCluster; template: Template } {
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    maxAzs: 1,
    natGateways: 0,
    subnetConfiguration: [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
  });
  const cluster = new BatchCluster(stack, 'Batch', {
    vpc,
    key: new kms.Key(stack, 'Key'),
    rawBucket: new s3.Bucket(stack, 'Raw'),
    curatedBucket: new s3.Bucket(stack, 'Curated'),
    logBucket: new s3.Bucket(stack, 'Logs'),
    databaseName: 'lake_lake',
    ...overrides,
  });
  return {
    stack,
    cluster,
    get template() {
      return Template.fromStack(stack);
    },
  };
}

function clusterProps(template: Template): any {
  return Object.values(template.findResources('AWS::EMR::Cluster'))[0].Properties;
}

function securityConfiguration(template: Template): any {
  return Object.values(template.findResources('AWS::EMR::SecurityConfiguration'))[0].Properties.SecurityConfiguration;
}

function instanceRoleStatements(template: Template): any[] {
  const policies = template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^BatchInstanceRole') }] },
  });
  return Object.values(policies).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
}

describe('BatchCluster', () => {
  test('uses EMR 7.14.0 with Hadoop, Hive and Spark by default', () => {
    const props = clusterProps(build().template);
    expect(props.ReleaseLabel).toBe('emr-7.14.0');
    expect(props.Applications).toEqual([{ Name: 'Hadoop' }, { Name: 'Hive' }, { Name: 'Spark' }]);
  });

  test('uses the Glue Data Catalog as Hive and Spark metastore', () => {
    const props = clusterProps(build().template);
    expect(props.Configurations.slice(0, 2)).toEqual([
      { Classification: 'hive-site', ConfigurationProperties: { 'hive.metastore.client.factory.class': GLUE_FACTORY } },
      { Classification: 'spark-hive-site', ConfigurationProperties: { 'hive.metastore.client.factory.class': GLUE_FACTORY } },
    ]);
  });

  test('appends extra configurations and bootstrap actions', () => {
    const props = clusterProps(
      build({
        configurations: [{ classification: 'spark-defaults', configurationProperties: { 'spark.dynamicAllocation.enabled': 'true' } }],
        bootstrapActions: [{ name: 'Setup', scriptBootstrapAction: { path: 's3://b/setup.sh' } }],
      }).template,
    );
    expect(props.Configurations[2]).toEqual({ Classification: 'spark-defaults', ConfigurationProperties: { 'spark.dynamicAllocation.enabled': 'true' } });
    expect(props.BootstrapActions).toEqual([{ Name: 'Setup', ScriptBootstrapAction: { Path: 's3://b/setup.sh' } }]);
  });

  test('has one on-demand primary node', () => {
    const fleet = clusterProps(build().template).Instances.MasterInstanceFleet;
    expect(fleet.TargetOnDemandCapacity).toBe(1);
    expect(fleet.TargetSpotCapacity).toBeUndefined();
    expect(fleet.LaunchSpecifications).toEqual({ OnDemandSpecification: { AllocationStrategy: 'lowest-price' } });
  });

  test('the core fleet is on-demand only', () => {
    const fleet = clusterProps(build({ coreCapacity: 2 }).template).Instances.CoreInstanceFleet;
    expect(fleet.TargetOnDemandCapacity).toBe(2);
    expect(fleet.TargetSpotCapacity).toBe(0);
    expect(fleet.LaunchSpecifications.SpotSpecification).toBeUndefined();
  });

  test('the task fleet is Spot only, price-capacity-optimized, from at least 3 weighted instance types', () => {
    const [fleet] = clusterProps(build().template).Instances.TaskInstanceFleets;
    expect(fleet.TargetOnDemandCapacity).toBe(0);
    expect(fleet.TargetSpotCapacity).toBe(0);
    expect(fleet.InstanceTypeConfigs).toEqual([
      { InstanceType: 'm7g.xlarge', WeightedCapacity: 1 },
      { InstanceType: 'm6g.xlarge', WeightedCapacity: 1 },
      { InstanceType: 'r7g.xlarge', WeightedCapacity: 1 },
      { InstanceType: 'm7g.2xlarge', WeightedCapacity: 2 },
    ]);
    expect(fleet.LaunchSpecifications).toEqual({
      SpotSpecification: { AllocationStrategy: 'price-capacity-optimized', TimeoutDurationMinutes: 10, TimeoutAction: 'SWITCH_TO_ON_DEMAND' },
    });
    expect(fleet.ResizeSpecifications.SpotResizeSpecification.AllocationStrategy).toBe('price-capacity-optimized');
  });

  test('managed scaling grows only with Spot task units', () => {
    const { ComputeLimits } = clusterProps(build({ coreCapacity: 2, maxTaskSpotCapacity: 6 }).template).ManagedScalingPolicy;
    expect(ComputeLimits).toEqual({
      UnitType: 'InstanceFleetUnits',
      MinimumCapacityUnits: 2,
      MaximumCapacityUnits: 8,
      MaximumCoreCapacityUnits: 2,
      MaximumOnDemandCapacityUnits: 2,
    });
  });

  test('auto-terminates after one idle hour by default, and after the given idle time', () => {
    expect(clusterProps(build().template).AutoTerminationPolicy).toEqual({ IdleTimeout: 3600 });
    expect(clusterProps(build({ idleTimeout: Duration.days(2) }).template).AutoTerminationPolicy).toEqual({ IdleTimeout: 172800 });
  });

  test('writes logs under emr-logs/ in the log bucket, encrypted with the key', () => {
    const { template, cluster } = build();
    const props = clusterProps(template);
    expect(props.LogUri).toEqual({ 'Fn::Join': ['', ['s3://', { Ref: expect.stringMatching(/^Logs/) }, '/emr-logs/']] });
    expect(props.LogEncryptionKmsKeyId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^Key/), 'Arn'] });
    expect(cluster.logUri).toContain('/emr-logs/');
  });

  test('the security configuration encrypts S3 with SSE-KMS and local disks and EBS with KMS, and requires IMDSv2', () => {
    const { template } = build();
    const keyArn = { 'Fn::GetAtt': [expect.stringMatching(/^Key/), 'Arn'] };
    expect(securityConfiguration(template)).toEqual({
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
    expect(clusterProps(template).SecurityConfiguration).toEqual({ Ref: expect.stringMatching(/^BatchSecurityConfiguration/) });
  });

  test('turns on in-transit encryption when given a PEM certificate bundle', () => {
    const config = securityConfiguration(build({ inTransitCertificatesS3Uri: 's3://certs/emr.zip' }).template);
    expect(config.EncryptionConfiguration.EnableInTransitEncryption).toBe(true);
    expect(config.EncryptionConfiguration.InTransitEncryptionConfiguration).toEqual({
      TLSCertificateConfiguration: { CertificateProviderType: 'PEM', S3Object: 's3://certs/emr.zip' },
    });
  });

  test('has no key pair and runs in the isolated subnet with EMR-managed security groups', () => {
    const { template } = build();
    const instances = clusterProps(template).Instances;
    expect(instances.Ec2KeyName).toBeUndefined();
    expect(instances.Ec2SubnetIds).toEqual([{ Ref: expect.stringMatching(/^VpcIsolatedSubnet1/) }]);
    expect(instances.EmrManagedMasterSecurityGroup).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^BatchPrimarySecurityGroup/), 'GroupId'] });
    expect(instances.EmrManagedSlaveSecurityGroup).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^BatchWorkerSecurityGroup/), 'GroupId'] });
    expect(instances.ServiceAccessSecurityGroup).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^BatchServiceAccessSecurityGroup/), 'GroupId'] });
    expect(instances.KeepJobFlowAliveWhenNoSteps).toBe(true);
  });

  test('the security groups start with no ingress rules', () => {
    const { template } = build();
    const groups = template.findResources('AWS::EC2::SecurityGroup');
    expect(Object.keys(groups)).toHaveLength(3);
    for (const g of Object.values(groups)) expect((g as any).Properties.SecurityGroupIngress).toBeUndefined();
    template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
  });

  test('tags the subnet, the security groups and the cluster for the EMR v2 managed policy', () => {
    const { template } = build();
    const tag = { Key: 'for-use-with-amazon-emr-managed-policies', Value: 'true' };
    template.hasResourceProperties('AWS::EC2::Subnet', { Tags: Match.arrayWith([tag]) });
    template.allResourcesProperties('AWS::EC2::SecurityGroup', { Tags: Match.arrayWith([tag]) });
    expect(clusterProps(template).Tags).toEqual(expect.arrayContaining([tag]));
  });

  test('carries the cost-allocation tags', () => {
    const props = clusterProps(build({ costAllocationTags: { 'cost-center': 'data' } }).template);
    expect(props.Tags).toEqual(expect.arrayContaining([{ Key: 'cost-center', Value: 'data' }]));
  });

  test('is not termination-protected by default, and protected when asked', () => {
    const props = clusterProps(build().template);
    expect(props.Instances.TerminationProtected).toBe(false);
    expect(clusterProps(build({ terminationProtected: true }).template).Instances.TerminationProtected).toBe(true);
  });

  test('has a 32 GiB root volume by default', () => {
    expect(clusterProps(build().template).EbsRootVolumeSize).toBe(32);
  });

  test('the service role uses the EMR v2 managed policy and may pass only the instance role to EC2', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'elasticmapreduce.amazonaws.com' } })] },
      ManagedPolicyArns: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/service-role/AmazonEMRServicePolicy_v2']] }],
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Action: 'iam:PassRole',
            Effect: 'Allow',
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^BatchInstanceRole'), 'Arn'] },
            Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
          },
        ]),
      },
    });
  });

  test('the instance role has Session Manager core permissions', () => {
    build().template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'ec2.amazonaws.com' } })] },
      ManagedPolicyArns: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/AmazonSSMManagedInstanceCore']] }],
    });
  });

  test('the instance role reads only the raw prefix and writes only the curated and log prefixes', () => {
    const statements = instanceRoleStatements(build().template);
    const byResource = (regex: RegExp) => statements.filter((s) => regex.test(JSON.stringify(s.Resource)));
    expect(byResource(/\/raw\/\*/).map((s) => s.Action)).toEqual(['s3:GetObject']);
    expect(byResource(/\/curated\/\*/).map((s) => s.Action)).toEqual([
      ['s3:AbortMultipartUpload', 's3:DeleteObject', 's3:GetObject', 's3:PutObject'],
    ]);
    expect(byResource(/\/emr-logs\/\*/).map((s) => s.Action)).toEqual(['s3:PutObject']);
    const lists = statements.filter((s) => s.Action === 's3:ListBucket');
    expect(lists.map((s) => s.Condition.StringLike['s3:prefix'])).toEqual([['raw/*'], ['curated/*']]);
    for (const s of statements) {
      expect(JSON.stringify(s.Action)).not.toMatch(/s3:\*|"\*"/);
    }
  });

  test('the instance role uses only the lake key', () => {
    const kmsStatements = instanceRoleStatements(build().template).filter((s) => JSON.stringify(s.Action).includes('kms:'));
    expect(kmsStatements).toEqual([
      {
        Action: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'],
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^Key/), 'Arn'] },
      },
    ]);
  });

  test('the instance role reaches only the lake database in the Glue catalog (and reads or creates default)', () => {
    const glue = instanceRoleStatements(build().template).filter((s) => JSON.stringify(s.Action).includes('glue:'));
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
    const statements = instanceRoleStatements(Template.fromStack(stack));
    const getObject = statements.find((st) => st.Action === 's3:GetObject');
    expect(getObject.Resource).toContainEqual({
      'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^Scripts/), 'Arn'] }, '/jobs/curate.py']],
    });
    expect(JSON.stringify(statements)).not.toMatch(/Scripts[0-9A-F]+","Arn"\]\},"\/\*"/);
  });

  test('empties the EMR-managed security groups on delete, after the cluster is gone', () => {
    const { template } = build();
    const [id, cleanup] = Object.entries(template.findResources('Custom::EmrSecurityGroupCleanup'))[0] as [string, any];
    expect(cleanup.Properties.SecurityGroupIds).toEqual(
      ['BatchPrimarySecurityGroup', 'BatchWorkerSecurityGroup', 'BatchServiceAccessSecurityGroup'].map((g) => ({
        'Fn::GetAtt': [expect.stringMatching(new RegExp(`^${g}`)), 'GroupId'],
      })),
    );
    // CloudFormation deletes in reverse order: cluster, then the cleanup, then the groups.
    expect(Object.values(template.findResources('AWS::EMR::Cluster'))[0].DependsOn).toContain(id);
  });

  test('the cleanup function runs on Node.js 24 (arm64) with its own log group and a narrow role', () => {
    const { template } = build({ logRetention: logs.RetentionDays.ONE_WEEK, removalPolicy: RemovalPolicy.DESTROY });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Timeout: 300,
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^BatchSecurityGroupCleanupLogs') } },
    });
    template.hasResource('AWS::Logs::LogGroup', { Properties: { RetentionInDays: 7 }, DeletionPolicy: 'Delete' });
    const role = Object.values(template.findResources('AWS::IAM::Role', { Properties: { Description: Match.stringLikeRegexp('Revokes the rules') } }))[0] as any;
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    const statements = role.Properties.Policies[0].PolicyDocument.Statement;
    expect(statements.map((st: any) => [st.Action, st.Resource === '*' ? '*' : 'scoped'])).toEqual([
      [['logs:CreateLogStream', 'logs:PutLogEvents'], 'scoped'],
      ['ec2:DescribeSecurityGroupRules', '*'],
      [['ec2:RevokeSecurityGroupEgress', 'ec2:RevokeSecurityGroupIngress'], 'scoped'],
    ]);
    expect(statements[2].Resource).toHaveLength(3);
    expect(JSON.stringify(statements[2].Resource)).toContain(':security-group/');
  });

  test('creates no notification rules without an alarm topic', () => {
    const { cluster, template } = build();
    template.resourceCountIs('AWS::Events::Rule', 0);
    expect(cluster.alarmRole).toBeUndefined();
  });

  test('tells the alarm topic about failed or cancelled steps and clusters terminated with errors', () => {
    const stack = testStack();
    const topic = new sns.Topic(stack, 'Alarms');
    const { template } = build({ alarmTopic: topic }, stack);
    const target = [{ Arn: { Ref: expect.stringMatching(/^Alarms/) }, Id: 'Target0', RoleArn: { 'Fn::GetAtt': [expect.stringMatching(/^BatchAlarmRole/), 'Arn'] } }];
    const rules = Object.values(template.findResources('AWS::Events::Rule')).map((r: any) => r.Properties);
    expect(rules).toEqual([
      expect.objectContaining({
        EventPattern: {
          source: ['aws.emr'],
          'detail-type': ['EMR Step Status Change'],
          detail: { clusterId: [{ Ref: expect.stringMatching(/^BatchCluster/) }], state: ['FAILED', 'CANCELLED'] },
        },
        Targets: target,
      }),
      expect.objectContaining({
        EventPattern: {
          source: ['aws.emr'],
          'detail-type': ['EMR Cluster State Change'],
          detail: { clusterId: [{ Ref: expect.stringMatching(/^BatchCluster/) }], state: ['TERMINATED_WITH_ERRORS'] },
        },
        Targets: target,
      }),
    ]);
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^BatchAlarmRole') }],
      PolicyDocument: { Statement: [{ Action: 'sns:Publish', Effect: 'Allow', Resource: { Ref: Match.stringLikeRegexp('^Alarms') } }] },
    });
  });

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
    [{ taskSpotCapacity: -1 }, 'BatchCluster: taskSpotCapacity must be a whole number ≥ 0, got -1'],
    [{ taskSpotCapacity: 3, maxTaskSpotCapacity: 2 }, 'BatchCluster: maxTaskSpotCapacity must be a whole number ≥ 3 (taskSpotCapacity), got 2'],
    [{ spotTimeoutMinutes: 4 }, 'BatchCluster: spotTimeoutMinutes must be a whole number 5–1440, got 4'],
    [{ ebsRootVolumeSize: 101 }, 'BatchCluster: ebsRootVolumeSize must be a whole number 15–100, got 101'],
    [{ rawPrefix: '/raw' }, 'BatchCluster: rawPrefix must be a key prefix ending in "/" with no leading "/", got "/raw"'],
    [{ logPrefix: 'logs' }, 'BatchCluster: logPrefix must be a key prefix ending in "/" with no leading "/", got "logs"'],
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
