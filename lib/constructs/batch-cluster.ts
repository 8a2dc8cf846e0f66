import * as fs from 'node:fs';
import * as path from 'node:path';
import { AssetHashType, Aws, CustomResource, Duration, RemovalPolicy, Stack, Tags } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as emr from 'aws-cdk-lib/aws-emr';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventsTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

/** A task-fleet instance type and how many capacity units one instance counts for. */
export interface WeightedInstanceType {
  /** EC2 instance type, e.g. `m7g.xlarge`. */
  readonly instanceType: string;
  /** Capacity units one instance provides (whole number ≥ 1). */
  readonly weightedCapacity: number;
}

export interface BatchClusterProps {
  /** The VPC to launch into. */
  readonly vpc: ec2.IVpc;
  /**
   * The subnet for every node. It is tagged `for-use-with-amazon-emr-managed-policies=true`,
   * which the EMR v2 service policy requires (unless imported).
   * @default - the VPC's first isolated subnet, else its first private subnet
   */
  readonly subnet?: ec2.ISubnet;
  /** The lake key: S3 SSE-KMS, local disks and EBS, and the logs. */
  readonly key: kms.IKey;
  /** Bucket with the raw zone. The cluster may read `rawPrefix`. */
  readonly rawBucket: s3.IBucket;
  /**
   * Key prefix the cluster may read in the raw bucket.
   * @default 'raw/'
   */
  readonly rawPrefix?: string;
  /** Bucket with the curated zone. The cluster may read, write and delete under `curatedPrefix`. */
  readonly curatedBucket: s3.IBucket;
  /**
   * Key prefix the cluster may write in the curated bucket.
   * @default 'curated/'
   */
  readonly curatedPrefix?: string;
  /** Bucket for EMR logs, written under `logPrefix` and encrypted with `key`. */
  readonly logBucket: s3.IBucket;
  /**
   * Key prefix for EMR logs, ending in `/`.
   * @default 'emr-logs/'
   */
  readonly logPrefix?: string;
  /** Glue database the cluster may read and write tables in (the metastore). */
  readonly databaseName: string;
  /**
   * EMR release label, `emr-7.<minor>.<patch>`.
   * @default 'emr-7.14.0'
   */
  readonly releaseLabel?: string;
  /**
   * Applications to install.
   * @default ['Hadoop', 'Hive', 'Spark']
   */
  readonly applications?: string[];
  /**
   * Idle time after which the cluster terminates itself, 60–604800 seconds.
   * @default Duration.hours(1)
   */
  readonly idleTimeout?: Duration;
  /**
   * Primary-node instance types (on-demand, one node).
   * @default ['m7g.xlarge', 'm6g.xlarge']
   */
  readonly primaryInstanceTypes?: string[];
  /**
   * Core-node instance types (on-demand; each counts 1 unit).
   * @default ['m7g.xlarge', 'm6g.xlarge']
   */
  readonly coreInstanceTypes?: string[];
  /**
   * On-demand core units (nodes). Core nodes hold HDFS, so they are never Spot.
   * @default 1
   */
  readonly coreCapacity?: number;
  /**
   * Task-node instance types and weights (Spot only). At least 3, so that Spot can
   * draw from several pools.
   * @default m7g.xlarge ×1, m6g.xlarge ×1, r7g.xlarge ×1, m7g.2xlarge ×2
   */
  readonly taskInstanceTypes?: WeightedInstanceType[];
  /**
   * Spot task units at launch.
   * @default 0
   */
  readonly taskSpotCapacity?: number;
  /**
   * The most Spot task units managed scaling may add.
   * @default 4
   */
  readonly maxTaskSpotCapacity?: number;
  /**
   * Minutes to wait for the launch-time Spot task capacity before the timeout action, 5–1440.
   * @default 10
   */
  readonly spotTimeoutMinutes?: number;
  /**
   * Root EBS volume size of each node in GiB, 15–100.
   * @default 32
   */
  readonly ebsRootVolumeSize?: number;
  /**
   * Refuse TerminateJobFlows until turned off. Auto-termination after idle still applies.
   * @default false
   */
  readonly terminationProtected?: boolean;
  /**
   * Bootstrap actions, run on every node before applications start.
   * @default - none
   */
  readonly bootstrapActions?: emr.CfnCluster.BootstrapActionConfigProperty[];
  /**
   * Configurations added after the Glue metastore classifications.
   * @default - none
   */
  readonly configurations?: emr.CfnCluster.ConfigurationProperty[];
  /**
   * S3 URI of a zip with PEM certificates for in-transit encryption. When given, the
   * security configuration turns on in-transit encryption with it.
   * @default - no in-transit encryption (see the README)
   */
  readonly inTransitCertificatesS3Uri?: string;
  /**
   * Cost-allocation tags on the cluster (EMR propagates them to its instances).
   * @default - none
   */
  readonly costAllocationTags?: Record<string, string>;
  /**
   * Cluster name.
   * @default - the construct path
   */
  readonly clusterName?: string;
  /**
   * Topic told (through EventBridge) when a step fails or is cancelled, and when the
   * cluster terminates with errors. The rules publish with their own role.
   * @default - no notifications
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * Retention of the log group of the function that empties the security groups on delete.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to that log group when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Entry file (it exports `handler`) of the function that empties the security groups, bundled with esbuild.
   * Relative paths are resolved from the working directory.
   * @default - ../../lambda/emr-security-group-cleanup/index.ts, relative to this file
   */
  readonly securityGroupCleanupEntry?: string;
}

/** The EMR managed-policy v2 tag: EMR may only use subnets and security groups that carry it. */
const EMR_MANAGED_TAG = 'for-use-with-amazon-emr-managed-policies';
const GLUE_METASTORE_FACTORY = 'com.amazonaws.glue.catalog.metastore.AWSGlueDataCatalogHiveClientFactory';
const RELEASE_LABEL_PATTERN = /^emr-7\.\d+\.\d+$/;
/** EMR auto-termination limits (AutoTerminationPolicy.IdleTimeout). */
const MIN_IDLE_SECONDS = 60;
const MAX_IDLE_SECONDS = 604_800;

/**
 * A long-running EMR cluster for Spark in a private subnet.
 *
 * - Instance fleets: one on-demand primary, on-demand core nodes (HDFS), and Spot-only task
 *   nodes drawn from several instance types with price-capacity-optimized allocation.
 * - Managed scaling grows the cluster only with Spot task nodes: the core and on-demand limits
 *   equal the core capacity.
 * - Auto-terminates when idle. The Glue Data Catalog is the Hive and Spark metastore.
 * - A security configuration encrypts S3 (SSE-KMS), local disks and EBS (KMS) with the lake key,
 *   and requires IMDSv2. Logs go to S3, encrypted with the same key.
 * - No EC2 key pair: shell access is Session Manager (AmazonSSMManagedInstanceCore).
 * - EMR-managed security groups are created empty; EMR adds the rules it needs.
 *
 * The cluster starts when the stack is deployed and terminates after `idleTimeout` without
 * work. CloudFormation keeps the terminated cluster's resource: to start a new cluster,
 * destroy and redeploy the stack, or change a property that replaces the cluster (its name).
 */
export class BatchCluster extends Construct {
  public readonly cluster: emr.CfnCluster;
  public readonly securityConfiguration: emr.CfnSecurityConfiguration;
  /** Role EMR assumes to provision the cluster. */
  public readonly serviceRole: iam.Role;
  /** Role of the cluster's instances, and so of every Spark job. */
  public readonly instanceRole: iam.Role;
  public readonly instanceProfile: iam.InstanceProfile;
  public readonly primarySecurityGroup: ec2.SecurityGroup;
  public readonly workerSecurityGroup: ec2.SecurityGroup;
  public readonly serviceAccessSecurityGroup: ec2.SecurityGroup;
  /** `s3://<log bucket>/<log prefix>`; EMR writes `<cluster id>/…` below it. */
  public readonly logUri: string;
  /** EventBridge rules for failed steps and clusters, when `alarmTopic` is given. */
  public readonly alarmRules: events.Rule[] = [];
  /** The role the alarm rules publish with, when `alarmTopic` is given. */
  public readonly alarmRole?: iam.Role;
  /**
   * Empties the EMR-managed security groups after the cluster is deleted, so that the
   * groups (and the VPC) can be deleted: EMR's rules make them refer to each other.
   */
  public readonly securityGroupCleanup: CustomResource;
  public readonly securityGroupCleanupFunction: lambda.Function;

  constructor(scope: Construct, id: string, props: BatchClusterProps) {
    super(scope, id);

    const releaseLabel = props.releaseLabel ?? 'emr-7.14.0';
    const idleSeconds = (props.idleTimeout ?? Duration.hours(1)).toSeconds();
    const coreCapacity = props.coreCapacity ?? 1;
    const taskTypes = props.taskInstanceTypes ?? [
      { instanceType: 'm7g.xlarge', weightedCapacity: 1 },
      { instanceType: 'm6g.xlarge', weightedCapacity: 1 },
      { instanceType: 'r7g.xlarge', weightedCapacity: 1 },
      { instanceType: 'm7g.2xlarge', weightedCapacity: 2 },
    ];
    const taskSpotCapacity = props.taskSpotCapacity ?? 0;
    const maxTaskSpotCapacity = props.maxTaskSpotCapacity ?? 4;
    const spotTimeoutMinutes = props.spotTimeoutMinutes ?? 10;
    const ebsRootVolumeSize = props.ebsRootVolumeSize ?? 32;
    const rawPrefix = props.rawPrefix ?? 'raw/';
    const curatedPrefix = props.curatedPrefix ?? 'curated/';
    const logPrefix = props.logPrefix ?? 'emr-logs/';
    const primaryTypes = props.primaryInstanceTypes ?? ['m7g.xlarge', 'm6g.xlarge'];
    const coreTypes = props.coreInstanceTypes ?? ['m7g.xlarge', 'm6g.xlarge'];
    const cleanupEntry = path.resolve(props.securityGroupCleanupEntry ?? path.join(__dirname, '..', '..', 'lambda', 'emr-security-group-cleanup', 'index.ts'));

    if (!RELEASE_LABEL_PATTERN.test(releaseLabel)) {
      throw new Error(`BatchCluster: releaseLabel must look like emr-7.<minor>.<patch>, got ${releaseLabel}`);
    }
    if (!Number.isInteger(idleSeconds) || idleSeconds < MIN_IDLE_SECONDS || idleSeconds > MAX_IDLE_SECONDS) {
      throw new Error(`BatchCluster: idleTimeout must be ${MIN_IDLE_SECONDS}–${MAX_IDLE_SECONDS} seconds, got ${idleSeconds}`);
    }
    if (taskTypes.length < 3) {
      throw new Error(`BatchCluster: taskInstanceTypes must list at least 3 instance types, got ${taskTypes.length}`);
    }
    for (const t of taskTypes) {
      if (!Number.isInteger(t.weightedCapacity) || t.weightedCapacity < 1) {
        throw new Error(`BatchCluster: weightedCapacity of ${t.instanceType} must be a whole number ≥ 1, got ${t.weightedCapacity}`);
      }
    }
    if (primaryTypes.length < 1 || coreTypes.length < 1) {
      throw new Error('BatchCluster: primaryInstanceTypes and coreInstanceTypes must each list at least 1 instance type');
    }
    requireWhole('coreCapacity', coreCapacity, 1);
    requireWhole('taskSpotCapacity', taskSpotCapacity, 0);
    requireWhole('maxTaskSpotCapacity', maxTaskSpotCapacity, taskSpotCapacity, `${taskSpotCapacity} (taskSpotCapacity)`);
    requireWhole('spotTimeoutMinutes', spotTimeoutMinutes, 5, '5', 1440);
    requireWhole('ebsRootVolumeSize', ebsRootVolumeSize, 15, '15', 100);
    for (const [name, prefix] of [['rawPrefix', rawPrefix], ['curatedPrefix', curatedPrefix], ['logPrefix', logPrefix]]) {
      if (!/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*\/$/.test(prefix)) {
        throw new Error(`BatchCluster: ${name} must be a key prefix ending in "/" with no leading "/", got "${prefix}"`);
      }
    }

    if (!/\.[cm]?[jt]s$/.test(cleanupEntry) || !fs.statSync(cleanupEntry, { throwIfNoEntry: false })?.isFile()) {
      throw new Error(`BatchCluster: securityGroupCleanupEntry must be an existing .ts or .js file, got ${cleanupEntry}`);
    }

    const subnet = props.subnet ?? props.vpc.isolatedSubnets[0] ?? props.vpc.privateSubnets[0];
    if (!subnet) throw new Error('BatchCluster: vpc must have an isolated or private subnet, or pass subnet');
    Tags.of(subnet).add(EMR_MANAGED_TAG, 'true');

    this.logUri = `s3://${props.logBucket.bucketName}/${logPrefix}`;

    // Security groups: EMR fills these in (private subnets need the service-access group).
    const group = (groupId: string, description: string, allowAllOutbound: boolean) => {
      const sg = new ec2.SecurityGroup(this, groupId, { vpc: props.vpc, description, allowAllOutbound });
      Tags.of(sg).add(EMR_MANAGED_TAG, 'true');
      return sg;
    };
    this.primarySecurityGroup = group('PrimarySecurityGroup', 'EMR primary node (rules managed by EMR)', true);
    this.workerSecurityGroup = group('WorkerSecurityGroup', 'EMR core and task nodes (rules managed by EMR)', true);
    this.serviceAccessSecurityGroup = group('ServiceAccessSecurityGroup', 'EMR service access (rules managed by EMR)', false);

    this.instanceRole = new iam.Role(this, 'InstanceRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: 'EMR instances and Spark jobs: lake prefixes, lake key, Glue database',
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore')],
    });
    this.instanceProfile = new iam.InstanceProfile(this, 'InstanceProfile', { role: this.instanceRole });
    this.grantLakeAccess(props, rawPrefix, curatedPrefix, logPrefix);

    this.serviceRole = new iam.Role(this, 'ServiceRole', {
      assumedBy: new iam.ServicePrincipal('elasticmapreduce.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
      description: 'EMR service role (v2 managed policy)',
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonEMRServicePolicy_v2')],
    });
    // The v2 policy passes only EMR_EC2_DefaultRole; this cluster's role must be passable too.
    this.serviceRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.instanceRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
      }),
    );
    // EBS encryption: EMR creates the volumes' grants on the key.
    this.serviceRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:CreateGrant'],
        resources: [props.key.keyArn],
        conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
      }),
    );
    this.serviceRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:DescribeKey', 'kms:Decrypt', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'],
        resources: [props.key.keyArn],
      }),
    );

    const encryption: Record<string, unknown> = {
      EnableAtRestEncryption: true,
      AtRestEncryptionConfiguration: {
        S3EncryptionConfiguration: { EncryptionMode: 'SSE-KMS', AwsKmsKey: props.key.keyArn },
        LocalDiskEncryptionConfiguration: {
          EncryptionKeyProviderType: 'AwsKms',
          AwsKmsKey: props.key.keyArn,
          EnableEbsEncryption: true,
        },
      },
      EnableInTransitEncryption: props.inTransitCertificatesS3Uri !== undefined,
    };
    if (props.inTransitCertificatesS3Uri !== undefined) {
      encryption.InTransitEncryptionConfiguration = {
        TLSCertificateConfiguration: { CertificateProviderType: 'PEM', S3Object: props.inTransitCertificatesS3Uri },
      };
    }
    this.securityConfiguration = new emr.CfnSecurityConfiguration(this, 'SecurityConfiguration', {
      securityConfiguration: {
        EncryptionConfiguration: encryption,
        InstanceMetadataServiceConfiguration: { MinimumInstanceMetadataServiceVersion: 2, HttpPutResponseHopLimit: 2 },
      },
    });

    const onDemand = { onDemandSpecification: { allocationStrategy: 'lowest-price' } };
    this.cluster = new emr.CfnCluster(this, 'Cluster', {
      name: props.clusterName ?? this.node.path.replace(/\//g, '-'),
      releaseLabel,
      applications: (props.applications ?? ['Hadoop', 'Hive', 'Spark']).map((name) => ({ name })),
      serviceRole: this.serviceRole.roleArn,
      jobFlowRole: this.instanceProfile.instanceProfileName,
      securityConfiguration: this.securityConfiguration.ref,
      logUri: this.logUri,
      logEncryptionKmsKeyId: props.key.keyArn,
      ebsRootVolumeSize,
      stepConcurrencyLevel: 1,
      autoTerminationPolicy: { idleTimeout: idleSeconds },
      configurations: [
        { classification: 'hive-site', configurationProperties: { 'hive.metastore.client.factory.class': GLUE_METASTORE_FACTORY } },
        { classification: 'spark-hive-site', configurationProperties: { 'hive.metastore.client.factory.class': GLUE_METASTORE_FACTORY } },
        ...(props.configurations ?? []),
      ],
      bootstrapActions: props.bootstrapActions,
      managedScalingPolicy: {
        computeLimits: {
          // Limits cover core and task nodes only; the primary node never scales.
          unitType: 'InstanceFleetUnits',
          minimumCapacityUnits: coreCapacity,
          maximumCapacityUnits: coreCapacity + maxTaskSpotCapacity,
          maximumCoreCapacityUnits: coreCapacity,
          maximumOnDemandCapacityUnits: coreCapacity,
        },
      },
      instances: {
        ec2SubnetIds: [subnet.subnetId],
        emrManagedMasterSecurityGroup: this.primarySecurityGroup.securityGroupId,
        emrManagedSlaveSecurityGroup: this.workerSecurityGroup.securityGroupId,
        serviceAccessSecurityGroup: this.serviceAccessSecurityGroup.securityGroupId,
        keepJobFlowAliveWhenNoSteps: true,
        terminationProtected: props.terminationProtected ?? false,
        masterInstanceFleet: {
          name: 'Primary',
          targetOnDemandCapacity: 1,
          instanceTypeConfigs: primaryTypes.map((instanceType) => ({ instanceType, weightedCapacity: 1 })),
          launchSpecifications: onDemand,
        },
        coreInstanceFleet: {
          name: 'Core',
          targetOnDemandCapacity: coreCapacity,
          targetSpotCapacity: 0,
          instanceTypeConfigs: coreTypes.map((instanceType) => ({ instanceType, weightedCapacity: 1 })),
          launchSpecifications: onDemand,
        },
        taskInstanceFleets: [
          {
            name: 'Task',
            targetOnDemandCapacity: 0,
            targetSpotCapacity: taskSpotCapacity,
            instanceTypeConfigs: taskTypes.map((t) => ({ instanceType: t.instanceType, weightedCapacity: t.weightedCapacity })),
            launchSpecifications: {
              // SWITCH_TO_ON_DEMAND applies only at launch, when taskSpotCapacity > 0 and Spot is
              // short. Losing the whole cluster (TERMINATE_CLUSTER) over optional task nodes is
              // worse than briefly paying on-demand for them. Later growth comes from managed
              // scaling, whose on-demand limit equals the core capacity, so it adds Spot only.
              spotSpecification: {
                allocationStrategy: 'price-capacity-optimized',
                timeoutDurationMinutes: spotTimeoutMinutes,
                timeoutAction: 'SWITCH_TO_ON_DEMAND',
              },
            },
            resizeSpecifications: {
              spotResizeSpecification: { allocationStrategy: 'price-capacity-optimized', timeoutDurationMinutes: 20 },
            },
          },
        ],
      },
      tags: Object.entries({ ...props.costAllocationTags, [EMR_MANAGED_TAG]: 'true' }).map(([key, value]) => ({ key, value })),
    });
    this.securityGroupCleanupFunction = this.cleanupFunction(props, cleanupEntry);
    this.securityGroupCleanup = new CustomResource(this, 'SecurityGroupCleanup', {
      serviceToken: this.securityGroupCleanupFunction.functionArn,
      resourceType: 'Custom::EmrSecurityGroupCleanup',
      properties: {
        SecurityGroupIds: [this.primarySecurityGroup, this.workerSecurityGroup, this.serviceAccessSecurityGroup].map((g) => g.securityGroupId),
      },
    });
    // Deleted in reverse: the cluster first, then the cleanup (revokes EMR's rules), then the groups.
    this.cluster.node.addDependency(this.instanceRole, this.serviceRole, this.instanceProfile, this.securityGroupCleanup);

    if (props.alarmTopic) {
      const topic = props.alarmTopic;
      const role = new iam.Role(this, 'AlarmRole', {
        assumedBy: new iam.ServicePrincipal('events.amazonaws.com'),
        description: 'EventBridge: publish batch-cluster failures to the alarm topic',
      });
      this.alarmRole = role;
      const notify = (ruleId: string, description: string, detailType: string, states: string[]) => {
        const rule = new events.Rule(this, ruleId, {
          description,
          eventPattern: { source: ['aws.emr'], detailType: [detailType], detail: { clusterId: [this.cluster.ref], state: states } },
        });
        rule.addTarget(new eventsTargets.SnsTopic(topic, { authorizeUsingRole: true, role }));
        this.alarmRules.push(rule);
      };
      notify('StepFailed', 'A step on the batch cluster failed or was cancelled', 'EMR Step Status Change', ['FAILED', 'CANCELLED']);
      notify('ClusterFailed', 'The batch cluster terminated with errors', 'EMR Cluster State Change', ['TERMINATED_WITH_ERRORS']);
    }
  }

  private cleanupFunction(props: BatchClusterProps, entry: string): lambda.Function {
    const logGroup = new logs.LogGroup(this, 'SecurityGroupCleanupLogs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    const groups = [this.primarySecurityGroup, this.workerSecurityGroup, this.serviceAccessSecurityGroup];
    const role = new iam.Role(this, 'SecurityGroupCleanupRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Revokes the rules of the EMR-managed security groups on stack deletion',
      inlinePolicies: {
        Cleanup: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }),
            // EC2 Describe* actions support no resource-level permissions.
            new iam.PolicyStatement({ actions: ['ec2:DescribeSecurityGroupRules'], resources: ['*'] }),
            new iam.PolicyStatement({
              actions: ['ec2:RevokeSecurityGroupIngress', 'ec2:RevokeSecurityGroupEgress'],
              resources: groups.map((g) =>
                Stack.of(this).formatArn({ service: 'ec2', resource: 'security-group', resourceName: g.securityGroupId }),
              ),
            }),
          ],
        }),
      },
    });
    return new lambda.Function(this, 'SecurityGroupCleanupFunction', {
      // Not minified, as before: the bundle and its asset hash stay as they were.
      code: bundledHandler('BatchCluster: securityGroupCleanupEntry', entry, { minify: false, sourcemap: false }),
      handler: 'index.handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      timeout: Duration.minutes(5),
      memorySize: 256,
      role,
      logGroup,
      description: 'Empties the EMR-managed security groups before CloudFormation deletes them',
    });
  }

  /** Lets the cluster read one object, e.g. a job script asset. */
  public grantReadObject(bucket: s3.IBucket, objectKey: string): void {
    this.instanceRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [bucket.arnForObjects(objectKey)] }),
    );
  }

  private grantLakeAccess(props: BatchClusterProps, rawPrefix: string, curatedPrefix: string, logPrefix: string): void {
    const role = this.instanceRole;
    const list = (bucket: s3.IBucket, prefix: string) =>
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${prefix}*`] } },
      });
    role.addToPrincipalPolicy(list(props.rawBucket, rawPrefix));
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [props.rawBucket.arnForObjects(`${rawPrefix}*`)] }));
    role.addToPrincipalPolicy(list(props.curatedBucket, curatedPrefix));
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
        resources: [props.curatedBucket.arnForObjects(`${curatedPrefix}*`)],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [props.logBucket.arnForObjects(`${logPrefix}*`)] }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
        resources: [props.key.keyArn],
      }),
    );

    const stack = Stack.of(this);
    const glue = (resource: string) => stack.formatArn({ service: 'glue', resource });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [
          'glue:GetDatabase',
          'glue:GetDatabases',
          'glue:GetTable',
          'glue:GetTables',
          'glue:GetPartition',
          'glue:GetPartitions',
          'glue:BatchGetPartition',
          'glue:GetUserDefinedFunctions',
        ],
        // Spark's Hive client also reads the `default` database when it starts.
        resources: [glue('catalog'), glue(`database/${props.databaseName}`), glue('database/default'), glue(`table/${props.databaseName}/*`)],
      }),
    );
    // ...and creates it when the account's catalog has none yet.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['glue:CreateDatabase'], resources: [glue('catalog'), glue('database/default')] }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [
          'glue:CreateTable',
          'glue:UpdateTable',
          'glue:DeleteTable',
          'glue:CreatePartition',
          'glue:BatchCreatePartition',
          'glue:UpdatePartition',
          'glue:DeletePartition',
          'glue:BatchDeletePartition',
        ],
        resources: [glue('catalog'), glue(`database/${props.databaseName}`), glue(`table/${props.databaseName}/*`)],
      }),
    );
  }
}

function requireWhole(prop: string, value: number, min: number, minText = String(min), max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${minText}` : `${minText}–${max}`;
    throw new Error(`BatchCluster: ${prop} must be a whole number ${range}, got ${value}`);
  }
}

/**
 * The handler at `entry`, bundled by esbuild into one CommonJS `index.js` for Node.js 24; the
 * AWS SDK v3 (`@aws-sdk/*`, `@smithy/*`) is left to the Lambda runtime. With esbuild installed,
 * it runs in this process through its JS API: no process per function. Without it, esbuild
 * runs in the SAM build image with Docker
 * (https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/serverless-image-repositories.html).
 * The asset hash is the bundle's, so a change to any file the handler imports (lambda/shared
 * too) deploys new code. The same function is in each construct that bundles, so that each
 * file can be copied alone; test/copyability.test.ts keeps the copies identical.
 */
function bundledHandler(label: string, entry: string, options: { minify: boolean; sourcemap: boolean }): lambda.Code {
  let root = path.dirname(entry); // the project with its node_modules; Docker mounts it as /asset-input
  while (!fs.existsSync(path.join(root, 'package.json'))) {
    if (root === path.dirname(root)) throw new Error(`${label} must be in a folder with a package.json above it, got ${entry}`);
    root = path.dirname(root);
  }
  const build = { bundle: true, platform: 'node', target: 'node24', ...options, external: ['@aws-sdk/*', '@smithy/*'] };
  const flags = Object.entries(build).flatMap(([k, v]) => (Array.isArray(v) ? v.map((x) => `--${k}:${x}`) : v === true ? [`--${k}`] : v ? [`--${k}=${v}`] : []));
  const relativeEntry = path.relative(root, entry).split(path.sep).join('/');
  const command = ['npx', '--yes', 'esbuild@0.28', `/asset-input/${relativeEntry}`, '--outfile=/asset-output/index.js', ...flags];
  return lambda.Code.fromAsset(root, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      image: lambda.Runtime.NODEJS_24_X.bundlingImage,
      environment: { npm_config_cache: '/tmp/npm-cache', npm_config_update_notifier: 'false' },
      command: ['bash', '-c', command.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ')],
      local: {
        tryBundle(outputDir: string): boolean {
          let esbuild: { buildSync(options: object): unknown };
          try {
            // Loaded here, not imported: a copy of this file needs esbuild only to bundle in-process.
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            esbuild = require('esbuild');
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw err;
            process.stderr.write(`${label} ${relativeEntry} is bundled with Docker because esbuild is not installed; \`npm install --save-dev esbuild\` bundles it in this process.\n`);
            return false;
          }
          esbuild.buildSync({ ...build, entryPoints: [entry], outfile: path.join(outputDir, 'index.js'), absWorkingDir: root, logLevel: 'warning' });
          return true;
        },
      },
    },
  });
}
