import * as fs from 'node:fs';
import * as path from 'node:path';
import { Annotations, ArnFormat, AssetHashType, Aws, CustomResource, Duration, Names, RemovalPolicy, Stack, Tags, Token, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
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
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

/** A task-fleet instance type and how many capacity units one instance counts for. */
export interface WeightedInstanceType {
  /** EC2 instance type, e.g. `m7g.xlarge`. */
  readonly instanceType: string;
  /** Capacity units one instance provides (whole number ≥ 1). */
  readonly weightedCapacity: number;
}

/**
 * - `transient`: every run creates its own cluster and terminates it; nothing runs between runs.
 * - `persistent`: one long-running cluster that CloudFormation owns (for interactive work); runs
 *   add their step to it.
 */
export type BatchLifecycle = 'transient' | 'persistent';

/** The run's first and last day, as the workflow passes them to `BatchRunStep.args`. */
export interface BatchRunDates {
  /** Evaluates to the first day, YYYY-MM-DD. */
  readonly start: string;
  /** Evaluates to the last day, YYYY-MM-DD (inclusive). */
  readonly end: string;
}

/** The EMR step every run adds: `command-runner.jar` with these arguments. */
export interface BatchRunStep {
  /** Step name in EMR; the run's dates are appended. */
  readonly name: string;
  /**
   * The step's arguments for a run's dates. `start` and `end` are Step Functions JSONata
   * expressions (`{% $start %}`); put each one in an argument of its own.
   */
  readonly args: (dates: BatchRunDates) => string[];
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
  /** The lake key: S3 SSE-KMS, local disks and EBS, the logs and the run lock table. */
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
  /** The step each run adds to the cluster. */
  readonly step: BatchRunStep;
  /**
   * Glue crawler each run starts, and waits for, after its step (e.g. the curated-zone crawler).
   * @default - runs do not crawl
   */
  readonly crawlerName?: string;
  /**
   * `transient` (a cluster per run) or `persistent` (one long-running cluster).
   * @default 'transient'
   */
  readonly lifecycle?: BatchLifecycle;
  /**
   * A run's Step Functions execution timeout, and the lifetime of its lock. At least
   * stepTimeout + 2 × crawlerTimeout + 55 minutes: a crawl already running is waited for
   * before this run's own, and the lock, create and terminate states have their own timeouts.
   * @default Duration.hours(4)
   */
  readonly runTimeout?: Duration;
  /**
   * How long the step may take, including the wait for a new cluster to start.
   * @default Duration.hours(2)
   */
  readonly stepTimeout?: Duration;
  /**
   * How long a run waits for a crawl already running before it starts its own, and, again,
   * how long it waits for its own crawl.
   * @default Duration.minutes(30)
   */
  readonly crawlerTimeout?: Duration;
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
   * Idle time after which a cluster terminates itself, 60–604800 seconds. For a transient
   * cluster it is the backstop for a run that dies without terminating it.
   * @default - 15 minutes (transient), 1 hour (persistent)
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
   * Spot task units at launch, ≥ 1: EMR requires a fleet target above 0.
   * @default 1
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
   * Refuse TerminateJobFlows until turned off (persistent lifecycle only: a transient
   * cluster must be terminated by its run). Auto-termination after idle still applies.
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
   * `s3://bucket/key.zip` of a zip with PEM certificates (privateKey.pem, certificateChain.pem,
   * trustedCertificates.pem) for in-transit encryption. When given, the security configuration
   * turns on in-transit encryption with it; the instance role must be able to read it.
   * @default - no in-transit encryption
   */
  readonly inTransitCertificatesS3Uri?: string;
  /**
   * Cost-allocation tags on the cluster (EMR propagates them to its instances).
   * @default - none
   */
  readonly costAllocationTags?: Record<string, string>;
  /**
   * Cluster name; a transient cluster's name ends with its run's dates.
   * @default - the construct path
   */
  readonly clusterName?: string;
  /**
   * Topic told (through EventBridge) when a run fails, times out or is stopped; with the
   * persistent lifecycle also when a step fails or the cluster terminates with errors.
   * The rules publish with their own role.
   * @default - no notifications
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * Retention of the log groups: the workflow's and the security-group cleanup function's.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to those log groups and to the run lock table when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Customer-managed key for those log groups. Its policy gets a statement that lets CloudWatch
   * Logs use it for exactly those groups (a key defined in this app only).
   * @default - CloudWatch Logs' own encryption
   */
  readonly logEncryptionKey?: kms.IKey;
  /**
   * Entry file (it exports `handler`) of the function that empties the security groups, bundled with esbuild.
   * Relative paths are resolved from the working directory.
   * @default - ../../lambda/emr-security-group-cleanup/index.ts, relative to this file
   */
  readonly securityGroupCleanupEntry?: string;
}

/** `s3://<bucket>/<key>.zip`, as EMR's PEM certificate provider takes it. */
const CERTIFICATES_URI = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/\S+\.zip$/;

/** The EMR managed-policy v2 tag: EMR may only use subnets and security groups that carry it. */
const EMR_MANAGED_TAG = 'for-use-with-amazon-emr-managed-policies';
/** Marks the clusters this construct starts; the workflow may act on no other cluster. */
const OWNER_TAG = 'batch-cluster';
const GLUE_METASTORE_FACTORY = 'com.amazonaws.glue.catalog.metastore.AWSGlueDataCatalogHiveClientFactory';
const RELEASE_LABEL_PATTERN = /^emr-7\.\d+\.\d+$/;
/** EMR auto-termination limits (AutoTerminationPolicy.IdleTimeout). */
const MIN_IDLE_SECONDS = 60;
const MAX_IDLE_SECONDS = 604_800;
/** The longest range one run may cover (the Spark job enforces the same). */
const MAX_RANGE_DAYS = 366;
/** Task timeouts of the states around the step; the run timeout must leave room for them. */
const CREATE_TIMEOUT = Duration.minutes(5);
const TERMINATE_TIMEOUT = Duration.minutes(30);
const LOCK_TIMEOUT = Duration.minutes(5);
const CRAWLER_POLL = Duration.seconds(30);
/**
 * The longest the states other than the step and the crawl can take: acquire the lock, create,
 * terminate, release; then, if the release fails, terminate again and release on the failure path.
 */
const AROUND_STEP = Duration.minutes(
  [LOCK_TIMEOUT, CREATE_TIMEOUT, TERMINATE_TIMEOUT, LOCK_TIMEOUT, LOCK_TIMEOUT, LOCK_TIMEOUT].reduce((s, d) => s + d.toMinutes(), 0),
);
const LOCK_ID = 'curated-zone';
/** Error names of a failed DynamoDB condition: the optimized integration's and the SDK integration's spelling. */
const CONDITION_FAILED = ['DynamoDB.ConditionalCheckFailedException', 'DynamoDb.ConditionalCheckFailedException'];
const DAY = "'[Y0001]-[M01]-[D01]'";

/** The cluster both lifecycles launch, in one place; rendered as a CfnCluster or a RunJobFlow request. */
interface ClusterSpec {
  readonly name: string;
  readonly releaseLabel: string;
  readonly applications: string[];
  readonly logUri: string;
  readonly logEncryptionKmsKeyId: string;
  readonly securityConfiguration: string;
  readonly serviceRole: string;
  readonly jobFlowRole: string;
  readonly ebsRootVolumeSize: number;
  readonly idleTimeoutSeconds: number;
  readonly configurations: emr.CfnCluster.ConfigurationProperty[];
  readonly bootstrapActions?: emr.CfnCluster.BootstrapActionConfigProperty[];
  readonly subnetIds: string[];
  readonly primarySecurityGroup: string;
  readonly workerSecurityGroup: string;
  readonly serviceAccessSecurityGroup: string;
  readonly terminationProtected: boolean;
  readonly fleets: Record<'primary' | 'core' | 'task', Fleet>;
  readonly computeLimits: { readonly minimum: number; readonly maximum: number; readonly maximumCore: number; readonly maximumOnDemand: number };
  readonly tags: Record<string, string>;
}

interface Fleet {
  readonly name: string;
  readonly onDemand: number;
  readonly spot?: number;
  readonly types: WeightedInstanceType[];
  readonly spotTimeoutMinutes?: number;
}

/**
 * An EMR 7.x batch layer for Spark in a private subnet: one cluster spec, and a Step
 * Functions workflow that runs one step for a date range.
 *
 * - Instance fleets: one on-demand primary, on-demand core nodes (HDFS), and Spot-only task
 *   nodes drawn from several instance types with price-capacity-optimized allocation.
 * - Managed scaling grows the cluster only with Spot task nodes: the core and on-demand limits
 *   equal the core capacity.
 * - The Glue Data Catalog is the Hive and Spark metastore. A security configuration encrypts
 *   S3 (SSE-KMS), local disks and EBS with the lake key and requires IMDSv2. Logs go to S3,
 *   encrypted with the same key. No EC2 key pair.
 * - EMR-managed security groups are created empty; EMR adds the rules it needs, and a custom
 *   resource revokes them on delete so the groups (and the VPC) can be deleted.
 *
 * The workflow (`stateMachine`, a Standard state machine) takes `{ "start", "end" }` (days,
 * YYYY-MM-DD) or `{ "asOf", "lookbackDays" }` (the days before an ISO time). It holds a lock so
 * that one run at a time writes the output, and with the transient lifecycle (default) it
 * creates the run's cluster, runs the step, and terminates the cluster on every path. See
 * docs/batch.md.
 */
export class BatchCluster extends Construct {
  public readonly lifecycle: BatchLifecycle;
  /** The long-running cluster (persistent lifecycle only). */
  public readonly cluster?: emr.CfnCluster;
  /** One run: lock, (create cluster,) step, (terminate,) crawl, unlock. */
  public readonly stateMachine: sfn.StateMachine;
  /** The run lock: one item while a run writes the output. */
  public readonly lockTable: dynamodb.Table;
  public readonly workflowLogGroup: logs.LogGroup;
  /** The tag on every cluster this construct starts; the workflow may act only on clusters with it. */
  public readonly clusterTag: { readonly key: string; readonly value: string };
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
  /** EventBridge rules that tell `alarmTopic`, when it is given. */
  public readonly alarmRules: events.Rule[] = [];
  /** The role the alarm rules publish with, when `alarmTopic` is given. */
  public readonly alarmRole?: iam.Role;
  /**
   * Empties the EMR-managed security groups after the cluster is deleted, so that the
   * groups (and the VPC) can be deleted: EMR's rules make them refer to each other.
   */
  public readonly securityGroupCleanup: CustomResource;
  public readonly securityGroupCleanupFunction: lambda.Function;
  /** Whether the security configuration encrypts data in transit (with `inTransitCertificatesS3Uri`). */
  public readonly inTransitEncryption: boolean;

  private readonly props: BatchClusterProps;
  private readonly spec: ClusterSpec;

  constructor(scope: Construct, id: string, props: BatchClusterProps) {
    super(scope, id);
    this.props = props;
    this.lifecycle = props.lifecycle ?? 'transient';
    const transient = this.lifecycle === 'transient';
    const v = validate(props, this.lifecycle);
    this.inTransitEncryption = props.inTransitCertificatesS3Uri !== undefined;

    const subnet = props.subnet ?? props.vpc.isolatedSubnets[0] ?? props.vpc.privateSubnets[0];
    if (!subnet) throw new Error('BatchCluster: vpc must have an isolated or private subnet, or pass subnet');
    Tags.of(subnet).add(EMR_MANAGED_TAG, 'true');

    this.logUri = `s3://${props.logBucket.bucketName}/${v.logPrefix}`;
    const stack = Stack.of(this);
    this.clusterTag = { key: OWNER_TAG, value: `${stack.stackName}/${this.node.path.slice(stack.node.path.length + 1)}` };

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
    Validations.of(this.instanceRole).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]',
      reason:
        'Session Manager is the only shell access to the nodes (no EC2 key pair, no inbound SSH); AmazonSSMManagedInstanceCore ' +
        'is the AWS-maintained minimum for the SSM agent and changes with it.',
    });
    // EMR needs the instance profile named as its role: "Amazon EC2 allows you to create instance
    // profiles and roles with different names, but Amazon EMR does not support this configuration"
    // (https://docs.aws.amazon.com/emr/latest/ManagementGuide/emr-iam-roles-custom.html).
    this.instanceProfile = new iam.InstanceProfile(this, 'InstanceProfile', {
      role: this.instanceRole,
      instanceProfileName: this.instanceRole.roleName,
    });
    this.grantLakeAccess(v.rawPrefix, v.curatedPrefix, v.logPrefix);
    this.serviceRole = this.createServiceRole();
    this.securityConfiguration = this.createSecurityConfiguration();

    this.spec = this.clusterSpec(v, subnet);
    this.securityGroupCleanupFunction = this.cleanupFunction(v.cleanupEntry);
    this.securityGroupCleanup = new CustomResource(this, 'SecurityGroupCleanup', {
      serviceToken: this.securityGroupCleanupFunction.functionArn,
      resourceType: 'Custom::EmrSecurityGroupCleanup',
      properties: {
        SecurityGroupIds: [this.primarySecurityGroup, this.workerSecurityGroup, this.serviceAccessSecurityGroup].map((g) => g.securityGroupId),
      },
    });
    if (!transient) this.cluster = this.createPersistentCluster();

    this.lockTable = this.createLockTable();
    // Step Functions' vended logs go under /aws/vendedlogs/ so that CloudWatch Logs' resource
    // policy stays small (https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html).
    this.workflowLogGroup = this.logGroup('WorkflowLogs', `/aws/vendedlogs/states/${this.uniqueName()}-Workflow`);
    this.stateMachine = this.createWorkflow(v);
    this.grantWorkflow(props.crawlerName);

    if (props.alarmTopic) this.alarmRole = this.notify(props.alarmTopic);
    this.acknowledgeComplianceFindings();
  }

  /** A log group with a fixed name (so a key policy can name exactly it), the props' retention, removal policy and key. */
  private logGroup(id: string, logGroupName: string): logs.LogGroup {
    const group = new logs.LogGroup(this, id, {
      logGroupName,
      retention: this.props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      encryptionKey: this.props.logEncryptionKey,
      removalPolicy: this.props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    if (this.props.logEncryptionKey) admitLogGroups(this, this.props.logEncryptionKey, logGroupName, `Logs${Names.uniqueId(this)}${id}`);
    return group;
  }

  /** The stack name and this construct's path: unique in the account and Region. */
  private uniqueName(): string {
    return Names.uniqueResourceName(this, { maxLength: 200, separator: '-' });
  }

  /**
   * The compliance-pack findings this construct causes by design, each with why it stands.
   * cdk-nag's EMR rules read AWS::EMR::Cluster resources, so they see the persistent cluster
   * only; the transient cluster's request is pinned by unit tests instead.
   */
  private acknowledgeComplianceFindings(): void {
    const acknowledge = (scope: Construct, id: string, reason: string) => Validations.of(scope).acknowledge({ id, reason });
    const all = ['PCI.DSS.321', 'NIST.800.53.R5', 'HIPAA.Security'];
    if (this.cluster && this.inTransitEncryption) {
      acknowledge(this.cluster, 'AwsSolutions-EMR5',
        'False positive: cdk-nag reads EnableInTransitEncryption at the top level of the security configuration, while EMR ' +
          'nests it under EncryptionConfiguration, where this configuration turns it on with a PEM certificate archive (unit-tested).');
    }
    for (const pack of this.cluster ? ['PCI.DSS.321', 'HIPAA.Security'] : []) {
      acknowledge(this.cluster!, `${pack}-EMRKerberosEnabled`,
        'No person signs in to the cluster: steps arrive through the EMR API (IAM-authenticated, in CloudTrail) and operators ' +
          'use Session Manager (IAM-authenticated, logged). Kerberos authenticates users of Hadoop services, needs a KDC that ' +
          'a cluster-dedicated setup loses with the cluster, and would authenticate no one here.');
    }
    const roles: Array<[iam.IRole | undefined, string]> = [
      [this.instanceRole, 'lake prefixes, the lake key and the Glue database'],
      [this.serviceRole, 'passing the instance role and the key grants EMR needs'],
      [this.securityGroupCleanupFunction.role, 'the three EMR-managed security groups and its log group'],
      [this.stateMachine.role, 'the lock table, clusters with this construct\'s tag, the two EMR roles and the crawler'],
      [this.alarmRole, 'publishing to the one alarm topic'],
    ];
    for (const [role, names] of roles) {
      for (const pack of role ? all : []) {
        acknowledge(role!, `${pack}-IAMNoInlinePolicy`,
          `The role's own policy, naming only ${names}; it is deleted with the role and cannot be attached elsewhere ` +
            '(https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html).');
      }
    }
    const fn = this.securityGroupCleanupFunction;
    for (const pack of all) {
      acknowledge(fn, `${pack}-LambdaInsideVPC`,
        'Runs only when CloudFormation deletes the stack, calls only the EC2 API and touches no data; inside the VPC it would ' +
          'need an EC2 interface endpoint that is itself being torn down.');
    }
    for (const pack of ['NIST.800.53.R5', 'HIPAA.Security']) {
      acknowledge(fn, `${pack}-LambdaConcurrency`,
        'Invoked once per stack create, update or delete; reserving concurrency would fail the first deploy in accounts whose ' +
          'quota leaves less than 100 unreserved (https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html).');
      acknowledge(fn, `${pack}-LambdaDLQ`,
        'A custom-resource handler: it reports every outcome to CloudFormation itself, which shows a failure as the stack ' +
          'event; a dead-letter queue would hold requests no one replays.');
    }
  }

  /** Lets the cluster read one object, e.g. a job script asset. */
  public grantReadObject(bucket: s3.IBucket, objectKey: string): void {
    this.instanceRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [bucket.arnForObjects(objectKey)] }),
    );
  }

  /** Lets a principal start runs (and read their history, as run-batch does). */
  public grantStartRun(grantee: iam.IGrantable): iam.Grant {
    this.stateMachine.grantRead(grantee);
    return this.stateMachine.grantStartExecution(grantee);
  }

  private createServiceRole(): iam.Role {
    const role = new iam.Role(this, 'ServiceRole', {
      assumedBy: new iam.ServicePrincipal('elasticmapreduce.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
      description: 'EMR service role (v2 managed policy)',
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonEMRServicePolicy_v2')],
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonEMRServicePolicy_v2]',
      reason:
        'EMR requires a service role; AmazonEMRServicePolicy_v2 is the scoped v2 policy AWS maintains for it. It acts only on ' +
        'resources tagged for-use-with-amazon-emr-managed-policies=true, which this construct sets on the subnet and security groups.',
    });
    // The v2 policy passes only EMR_EC2_DefaultRole; this cluster's role must be passable too.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.instanceRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
      }),
    );
    // EBS encryption: EMR creates the volumes' grants on the key.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:CreateGrant'],
        resources: [this.props.key.keyArn],
        conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:DescribeKey', 'kms:Decrypt', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'],
        resources: [this.props.key.keyArn],
      }),
    );
    return role;
  }

  private createSecurityConfiguration(): emr.CfnSecurityConfiguration {
    const { key, inTransitCertificatesS3Uri } = this.props;
    const encryption: Record<string, unknown> = {
      EnableAtRestEncryption: true,
      AtRestEncryptionConfiguration: {
        S3EncryptionConfiguration: { EncryptionMode: 'SSE-KMS', AwsKmsKey: key.keyArn },
        LocalDiskEncryptionConfiguration: {
          EncryptionKeyProviderType: 'AwsKms',
          AwsKmsKey: key.keyArn,
          EnableEbsEncryption: true,
        },
      },
      EnableInTransitEncryption: inTransitCertificatesS3Uri !== undefined,
    };
    if (inTransitCertificatesS3Uri !== undefined) {
      encryption.InTransitEncryptionConfiguration = {
        TLSCertificateConfiguration: { CertificateProviderType: 'PEM', S3Object: inTransitCertificatesS3Uri },
      };
    }
    return new emr.CfnSecurityConfiguration(this, 'SecurityConfiguration', {
      securityConfiguration: {
        EncryptionConfiguration: encryption,
        InstanceMetadataServiceConfiguration: { MinimumInstanceMetadataServiceVersion: 2, HttpPutResponseHopLimit: 2 },
      },
    });
  }

  private clusterSpec(v: Resolved, subnet: ec2.ISubnet): ClusterSpec {
    const props = this.props;
    return {
      name: props.clusterName ?? this.node.path.replace(/\//g, '-'),
      releaseLabel: v.releaseLabel,
      applications: props.applications ?? ['Hadoop', 'Hive', 'Spark'],
      logUri: this.logUri,
      logEncryptionKmsKeyId: props.key.keyArn,
      securityConfiguration: this.securityConfiguration.ref,
      // Names, as the Step Functions EMR integration's own examples pass them.
      serviceRole: this.serviceRole.roleName,
      jobFlowRole: this.instanceProfile.instanceProfileName,
      ebsRootVolumeSize: v.ebsRootVolumeSize,
      idleTimeoutSeconds: v.idleSeconds,
      configurations: [
        { classification: 'hive-site', configurationProperties: { 'hive.metastore.client.factory.class': GLUE_METASTORE_FACTORY } },
        { classification: 'spark-hive-site', configurationProperties: { 'hive.metastore.client.factory.class': GLUE_METASTORE_FACTORY } },
        ...(props.configurations ?? []),
      ],
      bootstrapActions: props.bootstrapActions,
      subnetIds: [subnet.subnetId],
      primarySecurityGroup: this.primarySecurityGroup.securityGroupId,
      workerSecurityGroup: this.workerSecurityGroup.securityGroupId,
      serviceAccessSecurityGroup: this.serviceAccessSecurityGroup.securityGroupId,
      terminationProtected: props.terminationProtected ?? false,
      fleets: {
        primary: { name: 'Primary', onDemand: 1, types: v.primaryTypes.map((instanceType) => ({ instanceType, weightedCapacity: 1 })) },
        core: { name: 'Core', onDemand: v.coreCapacity, spot: 0, types: v.coreTypes.map((instanceType) => ({ instanceType, weightedCapacity: 1 })) },
        task: { name: 'Task', onDemand: 0, spot: v.taskSpotCapacity, types: v.taskTypes, spotTimeoutMinutes: v.spotTimeoutMinutes },
      },
      // Limits cover core and task nodes only; the primary node never scales.
      computeLimits: {
        minimum: v.coreCapacity,
        maximum: v.coreCapacity + v.maxTaskSpotCapacity,
        maximumCore: v.coreCapacity,
        maximumOnDemand: v.coreCapacity,
      },
      tags: { ...props.costAllocationTags, [EMR_MANAGED_TAG]: 'true', [this.clusterTag.key]: this.clusterTag.value },
    };
  }

  /** The spec as a CloudFormation cluster (persistent lifecycle). */
  private createPersistentCluster(): emr.CfnCluster {
    const s = this.spec;
    const fleet = (f: Fleet): emr.CfnCluster.InstanceFleetConfigProperty => ({
      name: f.name,
      targetOnDemandCapacity: f.onDemand,
      targetSpotCapacity: f.spot,
      instanceTypeConfigs: f.types.map((t) => ({ instanceType: t.instanceType, weightedCapacity: t.weightedCapacity })),
      ...launchSpecifications(f),
    });
    const cluster = new emr.CfnCluster(this, 'Cluster', {
      name: s.name,
      releaseLabel: s.releaseLabel,
      applications: s.applications.map((name) => ({ name })),
      serviceRole: s.serviceRole,
      jobFlowRole: s.jobFlowRole,
      securityConfiguration: s.securityConfiguration,
      logUri: s.logUri,
      logEncryptionKmsKeyId: s.logEncryptionKmsKeyId,
      ebsRootVolumeSize: s.ebsRootVolumeSize,
      stepConcurrencyLevel: 1,
      autoTerminationPolicy: { idleTimeout: s.idleTimeoutSeconds },
      configurations: s.configurations,
      bootstrapActions: s.bootstrapActions,
      managedScalingPolicy: {
        computeLimits: {
          unitType: 'InstanceFleetUnits',
          minimumCapacityUnits: s.computeLimits.minimum,
          maximumCapacityUnits: s.computeLimits.maximum,
          maximumCoreCapacityUnits: s.computeLimits.maximumCore,
          maximumOnDemandCapacityUnits: s.computeLimits.maximumOnDemand,
        },
      },
      instances: {
        ec2SubnetIds: s.subnetIds,
        emrManagedMasterSecurityGroup: s.primarySecurityGroup,
        emrManagedSlaveSecurityGroup: s.workerSecurityGroup,
        serviceAccessSecurityGroup: s.serviceAccessSecurityGroup,
        keepJobFlowAliveWhenNoSteps: true,
        terminationProtected: s.terminationProtected,
        masterInstanceFleet: fleet(s.fleets.primary),
        coreInstanceFleet: fleet(s.fleets.core),
        taskInstanceFleets: [fleet(s.fleets.task)],
      },
      tags: Object.entries(s.tags).map(([key, value]) => ({ key, value })),
    });
    // Deleted in reverse: the cluster first, then the cleanup (revokes EMR's rules), then the groups.
    cluster.node.addDependency(this.instanceRole, this.serviceRole, this.instanceProfile, this.securityGroupCleanup);
    Validations.of(cluster).acknowledge({
      id: 'AwsSolutions-EMR4',
      reason:
        'False positive: cdk-nag reads EnableAtRestEncryption at the top level of the security configuration, while EMR nests it ' +
        'under EncryptionConfiguration. The configuration encrypts local disks and EBS with the lake KMS key (unit-tested).',
    });
    if (this.props.inTransitCertificatesS3Uri === undefined) {
      Validations.of(cluster).acknowledge({
        id: 'AwsSolutions-EMR5',
        reason:
          'In-transit encryption needs a TLS certificate bundle the operator provides (inTransitCertificatesS3Uri). Without it, ' +
          'node-to-node traffic stays inside one isolated subnet with no internet route; S3, Glue and KMS calls use TLS.',
      });
    }
    Validations.of(cluster).acknowledge({
      id: 'AwsSolutions-EMR6',
      reason:
        'No EC2 key pair and no Kerberos on purpose: operators reach nodes through Session Manager (IAM-authenticated and logged), ' +
        'and steps are submitted through the EMR API.',
    });
    return cluster;
  }

  /**
   * The spec as the RunJobFlow request of Step Functions' `createCluster` (transient lifecycle):
   * "createCluster uses the same request syntax as runJobFlow", with KeepJobFlowAliveWhenNoSteps
   * true and no Steps (https://docs.aws.amazon.com/step-functions/latest/dg/connect-emr.html).
   */
  private runJobFlowRequest(): Record<string, unknown> {
    const s = this.spec;
    const fleet = (f: Fleet, type: string) => ({
      InstanceFleetType: type,
      Name: f.name,
      TargetOnDemandCapacity: f.onDemand,
      ...(f.spot === undefined ? {} : { TargetSpotCapacity: f.spot }),
      InstanceTypeConfigs: f.types.map((t) => ({ InstanceType: t.instanceType, WeightedCapacity: t.weightedCapacity })),
      ...(pascal(launchSpecifications(f)) as Record<string, unknown>),
    });
    return {
      Name: `{% '${s.name} ' & $start & '..' & $end %}`,
      ReleaseLabel: s.releaseLabel,
      Applications: s.applications.map((name) => ({ Name: name })),
      ServiceRole: s.serviceRole,
      JobFlowRole: s.jobFlowRole,
      SecurityConfiguration: s.securityConfiguration,
      LogUri: s.logUri,
      LogEncryptionKmsKeyId: s.logEncryptionKmsKeyId,
      EbsRootVolumeSize: s.ebsRootVolumeSize,
      StepConcurrencyLevel: 1,
      AutoTerminationPolicy: { IdleTimeout: s.idleTimeoutSeconds },
      Configurations: s.configurations.map(configurationRequest),
      ...(s.bootstrapActions ? { BootstrapActions: s.bootstrapActions.map(bootstrapActionRequest) } : {}),
      ManagedScalingPolicy: {
        ComputeLimits: {
          UnitType: 'InstanceFleetUnits',
          MinimumCapacityUnits: s.computeLimits.minimum,
          MaximumCapacityUnits: s.computeLimits.maximum,
          MaximumCoreCapacityUnits: s.computeLimits.maximumCore,
          MaximumOnDemandCapacityUnits: s.computeLimits.maximumOnDemand,
        },
      },
      Instances: {
        Ec2SubnetIds: s.subnetIds,
        EmrManagedMasterSecurityGroup: s.primarySecurityGroup,
        EmrManagedSlaveSecurityGroup: s.workerSecurityGroup,
        ServiceAccessSecurityGroup: s.serviceAccessSecurityGroup,
        KeepJobFlowAliveWhenNoSteps: true,
        TerminationProtected: s.terminationProtected,
        InstanceFleets: [fleet(s.fleets.primary, 'MASTER'), fleet(s.fleets.core, 'CORE'), fleet(s.fleets.task, 'TASK')],
      },
      Tags: Object.entries(s.tags).map(([Key, Value]) => ({ Key, Value })),
    };
  }

  /**
   * On-demand DynamoDB table with one item, `lockId = curated-zone`, while a run holds the lock.
   * The item's `expiresAt` (epoch seconds) is the run's start plus its timeout, so a run that
   * dies without unlocking blocks others only until its own timeout; it is also the TTL.
   */
  private createLockTable(): dynamodb.Table {
    const table = new dynamodb.Table(this, 'RunLock', {
      partitionKey: { name: 'lockId', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.props.key,
      timeToLiveAttribute: 'expiresAt',
      removalPolicy: this.props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    const reason = 'The table holds at most one short-lived lock item, which expires with its run; there is nothing to restore, ' +
      'and a restored copy of a lock would be wrong.';
    for (const id of ['AwsSolutions-DDB3', 'NIST.800.53.R5-DynamoDBPITREnabled', 'HIPAA.Security-DynamoDBPITREnabled',
      'NIST.800.53.R5-DynamoDBInBackupPlan', 'HIPAA.Security-DynamoDBInBackupPlan']) {
      Validations.of(table).acknowledge({ id, reason });
    }
    return table;
  }

  private createWorkflow(v: Resolved): sfn.StateMachine {
    const transient = this.lifecycle === 'transient';
    // The states are constructs too: their own scope keeps their ids apart from this one's.
    const definition = new WorkflowBuilder(new Construct(this, 'States'), {
      transient,
      createClusterRequest: transient ? this.runJobFlowRequest() : undefined,
      clusterId: this.cluster?.ref,
      step: this.props.step,
      crawlerName: this.props.crawlerName,
      tableName: this.lockTable.tableName,
      runTimeout: v.runTimeout,
      stepTimeout: v.stepTimeout,
      crawlerTimeout: v.crawlerTimeout,
    }).build();
    return new sfn.StateMachine(this, 'Workflow', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      queryLanguage: sfn.QueryLanguage.JSONATA,
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      timeout: v.runTimeout,
      comment: `${this.spec.name}: one batch run (${this.lifecycle} cluster)`,
      // Execution data is dates, cluster and step ids and EMR step states: no payloads, and it
      // is what an operator needs to see why a run failed.
      logs: { destination: this.workflowLogGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      tracingEnabled: true,
    });
  }

  /**
   * The workflow's role. Every EMR action is limited to clusters carrying `clusterTag`, which
   * only this workflow (or the persistent cluster's stack) sets; RunJobFlow must set it. EMR
   * launches only into subnets and security groups tagged for the v2 managed policy, and the
   * request names only this construct's subnet and groups.
   * Actions and condition keys: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticmapreduce.html
   * Tag-based examples (incl. AddTags at create, PassRole): https://docs.aws.amazon.com/emr/latest/ManagementGuide/emr-fine-grained-cluster-access.html
   * .sync managed rules: https://docs.aws.amazon.com/step-functions/latest/dg/emr-iam.html
   */
  private grantWorkflow(crawlerName: string | undefined): void {
    const stack = Stack.of(this);
    const role = this.stateMachine.role;
    const tagged = { StringEquals: { [`elasticmapreduce:ResourceTag/${this.clusterTag.key}`]: this.clusterTag.value } };
    // A transient run's cluster id is known only once it exists; the persistent cluster's now.
    const clusters = stack.formatArn({ service: 'elasticmapreduce', resource: 'cluster', resourceName: this.cluster?.ref ?? '*' });
    const add = (statement: iam.PolicyStatementProps) => role.addToPrincipalPolicy(new iam.PolicyStatement(statement));

    if (this.lifecycle === 'transient') {
      add({
        actions: ['elasticmapreduce:RunJobFlow'],
        resources: ['*'], // RunJobFlow has no resource type; the request tags are the scope.
        conditions: {
          StringEquals: { [`aws:RequestTag/${this.clusterTag.key}`]: this.clusterTag.value, [`aws:RequestTag/${EMR_MANAGED_TAG}`]: 'true' },
        },
      });
      // Creating a cluster with tags also needs AddTags, on the new (tagged) cluster.
      add({ actions: ['elasticmapreduce:AddTags'], resources: [clusters], conditions: tagged });
      add({
        actions: ['iam:PassRole'],
        resources: [this.serviceRole.roleArn],
        conditions: { StringLike: { 'iam:PassedToService': 'elasticmapreduce.amazonaws.com*' } },
      });
      add({
        actions: ['iam:PassRole'],
        resources: [this.instanceRole.roleArn],
        conditions: { StringLike: { 'iam:PassedToService': 'ec2.amazonaws.com*' } },
      });
      // createCluster needs the EMR cleanup service-linked role, created on the account's first cluster.
      add({
        actions: ['iam:CreateServiceLinkedRole'],
        resources: [
          stack.formatArn({
            service: 'iam',
            region: '',
            resource: 'role',
            resourceName: 'aws-service-role/elasticmapreduce.amazonaws.com/AWSServiceRoleForEMRCleanup',
          }),
        ],
        conditions: { StringEquals: { 'iam:AWSServiceName': 'elasticmapreduce.amazonaws.com' } },
      });
    }
    add({
      actions: [
        'elasticmapreduce:DescribeCluster',
        'elasticmapreduce:TerminateJobFlows',
        'elasticmapreduce:AddJobFlowSteps',
        'elasticmapreduce:DescribeStep',
        'elasticmapreduce:CancelSteps',
      ],
      resources: [clusters],
      conditions: tagged,
    });
    // The .sync integrations watch EMR through these Step Functions-managed EventBridge rules.
    const rules = ['StepFunctionsGetEventForEMRAddJobFlowStepsRule'];
    if (this.lifecycle === 'transient') rules.push('StepFunctionsGetEventForEMRTerminateJobFlowsRule');
    add({
      actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
      resources: rules.map((name) => stack.formatArn({ service: 'events', resource: 'rule', resourceName: name })),
    });
    add({ actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'], resources: [this.lockTable.tableArn] });
    // The lock table is encrypted with the lake key; DynamoDB uses it on the caller's behalf.
    add({
      actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:DescribeKey'],
      resources: [this.props.key.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${Aws.REGION}.amazonaws.com` } },
    });
    if (crawlerName !== undefined) {
      add({
        actions: ['glue:StartCrawler', 'glue:GetCrawler'],
        resources: [stack.formatArn({ service: 'glue', resource: 'crawler', resourceName: crawlerName })],
      });
    }

    const policy = role.node.findChild('DefaultPolicy');
    if (this.lifecycle === 'transient') {
      Validations.of(policy).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:elasticmapreduce:<AWS::Region>:<AWS::AccountId>:cluster/*]',
        reason:
          'A run creates its cluster, so the cluster id is unknown at deploy time; every cluster action is limited by a condition to ' +
          `clusters tagged ${this.clusterTag.key}=${this.clusterTag.value}, which only this workflow sets.`,
      });
    }
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Actions with no resource-level permissions: X-Ray trace upload and CloudWatch Logs delivery for the workflow, and ' +
        (this.lifecycle === 'transient' ? 'RunJobFlow, which is limited by conditions to requests that carry this workflow\'s cluster tag.' : 'nothing else.'),
    });
  }

  /** EventBridge rules to the topic, published with a role of their own. */
  private notify(topic: sns.ITopic): iam.Role {
    const role = new iam.Role(this, 'AlarmRole', {
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com'),
      description: 'EventBridge: publish batch failures to the alarm topic',
    });
    const rule = (ruleId: string, description: string, eventPattern: events.EventPattern, message?: events.RuleTargetInput) => {
      const r = new events.Rule(this, ruleId, { description, eventPattern });
      r.addTarget(new eventsTargets.SnsTopic(topic, { authorizeUsingRole: true, role, message }));
      this.alarmRules.push(r);
    };
    const field = events.EventField.fromPath;
    rule(
      'RunFailed',
      'A batch run failed, timed out or was stopped',
      {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { stateMachineArn: [this.stateMachine.stateMachineArn], status: ['FAILED', 'TIMED_OUT', 'ABORTED'] },
      },
      events.RuleTargetInput.fromText(
        `Batch run ${field('$.detail.name')} ${field('$.detail.status')}: ${field('$.detail.error')}: ${field('$.detail.cause')}`,
      ),
    );
    if (this.cluster) {
      const emrRule = (ruleId: string, description: string, detailType: string, states: string[]) =>
        rule(ruleId, description, { source: ['aws.emr'], detailType: [detailType], detail: { clusterId: [this.cluster!.ref], state: states } });
      emrRule('StepFailed', 'A step on the batch cluster failed or was cancelled', 'EMR Step Status Change', ['FAILED', 'CANCELLED']);
      emrRule('ClusterFailed', 'The batch cluster terminated with errors', 'EMR Cluster State Change', ['TERMINATED_WITH_ERRORS']);
    }
    Validations.of(role.node.findChild('DefaultPolicy')).acknowledge({
      id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      reason:
        "Publishing to a KMS-encrypted topic needs data keys from the topic's key; the grant (sns.Topic.grantPublish) is " +
        'limited to that one key.',
    });
    return role;
  }

  private cleanupFunction(entry: string): lambda.Function {
    const logGroup = this.logGroup('SecurityGroupCleanupLogs', `/aws/lambda/${this.uniqueName()}-SecurityGroupCleanup`);
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
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only for ec2:DescribeSecurityGroupRules, which supports no resource-level permissions; the revoke actions are limited ' +
        'to the three EMR-managed security groups of this construct.',
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

  private grantLakeAccess(rawPrefix: string, curatedPrefix: string, logPrefix: string): void {
    const props = this.props;
    const role = this.instanceRole;
    // A HEAD of a missing key (fs.exists(), overwrite) carries no s3:prefix; without ListBucket S3
    // answers 403 instead of 404 (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html).
    // ...IfExists matches when the key is absent and still limits real listings to the prefix
    // (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IfExists).
    const list = (bucket: s3.IBucket, prefix: string) =>
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: { StringLikeIfExists: { 's3:prefix': [`${prefix}*`] } },
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
    const tables = glue(`table/${props.databaseName}/*`);
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
        resources: [glue('catalog'), glue(`database/${props.databaseName}`), glue('database/default'), tables],
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
        resources: [glue('catalog'), glue(`database/${props.databaseName}`), tables],
      }),
    );

    const policy = role.node.findChild('DefaultPolicy') as iam.Policy;
    const reasons: Record<string, string> = {
      [`/${rawPrefix}*`]: `Spark reads every object of the date partitions it processes, and only under ${rawPrefix}.`,
      [`/${curatedPrefix}*`]: `Spark rewrites whole partitions of its output (dynamic overwrite), and only under ${curatedPrefix}.`,
      [`/${logPrefix}*`]: `EMR writes its step and node logs as new objects under ${logPrefix} only (put, no read or delete).`,
      [`:table/${props.databaseName}/*`]:
        'The Glue metastore client reads and updates the tables of the lake database only; table names are not known at deploy time.',
    };
    acknowledgeResources(policy, (resource) => Object.entries(reasons).find(([suffix]) => resource.endsWith(suffix))?.[1]);
  }
}

/** Props resolved to their defaults and validated. */
interface Resolved {
  readonly releaseLabel: string;
  readonly idleSeconds: number;
  readonly coreCapacity: number;
  readonly taskTypes: WeightedInstanceType[];
  readonly taskSpotCapacity: number;
  readonly maxTaskSpotCapacity: number;
  readonly spotTimeoutMinutes: number;
  readonly ebsRootVolumeSize: number;
  readonly rawPrefix: string;
  readonly curatedPrefix: string;
  readonly logPrefix: string;
  readonly primaryTypes: string[];
  readonly coreTypes: string[];
  readonly runTimeout: Duration;
  readonly stepTimeout: Duration;
  readonly crawlerTimeout: Duration;
  readonly cleanupEntry: string;
}

function validate(props: BatchClusterProps, lifecycle: BatchLifecycle): Resolved {
  if (lifecycle !== 'transient' && lifecycle !== 'persistent') {
    throw new Error(`BatchCluster: lifecycle must be 'transient' or 'persistent', got '${String(lifecycle)}'`);
  }
  const certificates = props.inTransitCertificatesS3Uri;
  if (certificates !== undefined && !Token.isUnresolved(certificates) && !CERTIFICATES_URI.test(certificates)) {
    throw new Error(`BatchCluster: inTransitCertificatesS3Uri must be s3://<bucket>/<key>.zip, got ${certificates}`);
  }
  const r: Resolved = {
    releaseLabel: props.releaseLabel ?? 'emr-7.14.0',
    idleSeconds: (props.idleTimeout ?? (lifecycle === 'transient' ? Duration.minutes(15) : Duration.hours(1))).toSeconds(),
    coreCapacity: props.coreCapacity ?? 1,
    taskTypes: props.taskInstanceTypes ?? [
      { instanceType: 'm7g.xlarge', weightedCapacity: 1 },
      { instanceType: 'm6g.xlarge', weightedCapacity: 1 },
      { instanceType: 'r7g.xlarge', weightedCapacity: 1 },
      { instanceType: 'm7g.2xlarge', weightedCapacity: 2 },
    ],
    taskSpotCapacity: props.taskSpotCapacity ?? 1,
    maxTaskSpotCapacity: props.maxTaskSpotCapacity ?? 4,
    spotTimeoutMinutes: props.spotTimeoutMinutes ?? 10,
    ebsRootVolumeSize: props.ebsRootVolumeSize ?? 32,
    rawPrefix: props.rawPrefix ?? 'raw/',
    curatedPrefix: props.curatedPrefix ?? 'curated/',
    logPrefix: props.logPrefix ?? 'emr-logs/',
    primaryTypes: props.primaryInstanceTypes ?? ['m7g.xlarge', 'm6g.xlarge'],
    coreTypes: props.coreInstanceTypes ?? ['m7g.xlarge', 'm6g.xlarge'],
    runTimeout: props.runTimeout ?? Duration.hours(4),
    stepTimeout: props.stepTimeout ?? Duration.hours(2),
    crawlerTimeout: props.crawlerTimeout ?? Duration.minutes(30),
    cleanupEntry: path.resolve(props.securityGroupCleanupEntry ?? path.join(__dirname, '..', '..', 'lambda', 'emr-security-group-cleanup', 'index.ts')),
  };
  if (!/\.[cm]?[jt]s$/.test(r.cleanupEntry) || !fs.statSync(r.cleanupEntry, { throwIfNoEntry: false })?.isFile()) {
    throw new Error(`BatchCluster: securityGroupCleanupEntry must be an existing .ts or .js file, got ${r.cleanupEntry}`);
  }

  if (!RELEASE_LABEL_PATTERN.test(r.releaseLabel)) {
    throw new Error(`BatchCluster: releaseLabel must look like emr-7.<minor>.<patch>, got ${r.releaseLabel}`);
  }
  if (!Number.isInteger(r.idleSeconds) || r.idleSeconds < MIN_IDLE_SECONDS || r.idleSeconds > MAX_IDLE_SECONDS) {
    throw new Error(`BatchCluster: idleTimeout must be ${MIN_IDLE_SECONDS}–${MAX_IDLE_SECONDS} seconds, got ${r.idleSeconds}`);
  }
  if (r.taskTypes.length < 3) {
    throw new Error(`BatchCluster: taskInstanceTypes must list at least 3 instance types, got ${r.taskTypes.length}`);
  }
  for (const t of r.taskTypes) {
    if (!Number.isInteger(t.weightedCapacity) || t.weightedCapacity < 1) {
      throw new Error(`BatchCluster: weightedCapacity of ${t.instanceType} must be a whole number ≥ 1, got ${t.weightedCapacity}`);
    }
  }
  if (r.primaryTypes.length < 1 || r.coreTypes.length < 1) {
    throw new Error('BatchCluster: primaryInstanceTypes and coreInstanceTypes must each list at least 1 instance type');
  }
  requireWhole('coreCapacity', r.coreCapacity, 1);
  // "At least one of TargetSpotCapacity and TargetOnDemandCapacity should be greater than 0."
  // https://docs.aws.amazon.com/emr/latest/APIReference/API_InstanceFleetConfig.html
  requireWhole('taskSpotCapacity', r.taskSpotCapacity, 1);
  requireWhole('maxTaskSpotCapacity', r.maxTaskSpotCapacity, r.taskSpotCapacity, `${r.taskSpotCapacity} (taskSpotCapacity)`);
  requireWhole('spotTimeoutMinutes', r.spotTimeoutMinutes, 5, '5', 1440);
  requireWhole('ebsRootVolumeSize', r.ebsRootVolumeSize, 15, '15', 100);
  for (const [name, prefix] of [['rawPrefix', r.rawPrefix], ['curatedPrefix', r.curatedPrefix], ['logPrefix', r.logPrefix]]) {
    if (!/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*\/$/.test(prefix)) {
      throw new Error(`BatchCluster: ${name} must be a key prefix ending in "/" with no leading "/", got "${prefix}"`);
    }
  }
  if (lifecycle === 'transient' && props.terminationProtected) {
    throw new Error("BatchCluster: terminationProtected must be false with lifecycle 'transient' (each run terminates its cluster), got true");
  }
  for (const [name, d] of [['stepTimeout', r.stepTimeout], ['crawlerTimeout', r.crawlerTimeout]] as const) {
    if (d.toSeconds() < 60) throw new Error(`BatchCluster: ${name} must be at least 60 seconds, got ${d.toSeconds()}`);
  }
  // Task timeouts must fire before the execution times out: a timed-out execution runs no Catch.
  // The crawler counts twice: waiting out a crawl already running, then its own crawl.
  const minimum = r.stepTimeout.toSeconds() + 2 * r.crawlerTimeout.toSeconds() + AROUND_STEP.toSeconds();
  if (r.runTimeout.toSeconds() < minimum) {
    throw new Error(
      `BatchCluster: runTimeout must be at least stepTimeout + 2 × crawlerTimeout + ${AROUND_STEP.toMinutes()} minutes ` +
        `(${minimum} seconds), got ${r.runTimeout.toSeconds()}`,
    );
  }
  return r;
}

/**
 * Lets CloudWatch Logs use `key` for exactly the named log groups: the encryption-context
 * condition admits no other group
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html).
 * One name is written as one ARN, a list as a list. An imported key's policy cannot be
 * changed here, so that case is a synth warning. The same function is in each construct that
 * encrypts its logs, so that each file can be copied alone; test/copyability.test.ts keeps
 * the copies identical.
 */
function admitLogGroups(scope: Construct, key: kms.IKey, logGroupNames: string | string[], sid = `Logs${Names.uniqueId(scope)}`): void {
  const stack = Stack.of(scope);
  const arns = [logGroupNames].flat().map((resourceName) =>
    stack.formatArn({ service: 'logs', resource: 'log-group', resourceName, arnFormat: ArnFormat.COLON_RESOURCE_NAME }));
  const { statementAdded } = key.addToResourcePolicy(new iam.PolicyStatement({
    sid: sid.slice(0, 100),
    principals: [new iam.ServicePrincipal(`logs.${Aws.REGION}.amazonaws.com`)],
    actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
    resources: ['*'],
    conditions: { ArnEquals: { 'kms:EncryptionContext:aws:logs:arn': typeof logGroupNames === 'string' ? arns[0] : arns } },
  }));
  if (!statementAdded) {
    Annotations.of(scope).addWarningV2('lake:log-key-policy',
      `The log key is imported: let logs.<region>.amazonaws.com use it for ${[logGroupNames].flat().join(', ')}, or those log groups fail to create.`);
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

function requireWhole(prop: string, value: number, min: number, minText = String(min), max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${minText}` : `${minText}–${max}`;
    throw new Error(`BatchCluster: ${prop} must be a whole number ${range}, got ${value}`);
  }
}

/**
 * Launch specifications of a fleet. Spot only for the task fleet: SWITCH_TO_ON_DEMAND applies
 * only at launch, to the launch-time units, when Spot is short for `spotTimeoutMinutes`; a run
 * that cannot find Spot for one task unit then still finishes (TERMINATE_CLUSTER would throw
 * away the on-demand primary and core time already paid, and fail the run). Later growth comes
 * from managed scaling, whose on-demand limit equals the core capacity, so it adds Spot only.
 * https://docs.aws.amazon.com/emr/latest/APIReference/API_SpotProvisioningSpecification.html
 */
function launchSpecifications(f: Fleet): Record<string, unknown> {
  if (f.spotTimeoutMinutes === undefined) {
    return { launchSpecifications: { onDemandSpecification: { allocationStrategy: 'lowest-price' } } };
  }
  return {
    launchSpecifications: {
      spotSpecification: { allocationStrategy: 'price-capacity-optimized', timeoutDurationMinutes: f.spotTimeoutMinutes, timeoutAction: 'SWITCH_TO_ON_DEMAND' },
    },
    resizeSpecifications: { spotResizeSpecification: { allocationStrategy: 'price-capacity-optimized', timeoutDurationMinutes: 20 } },
  };
}

/** camelCase keys → PascalCase, for the API request. */
function pascal(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(pascal);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.charAt(0).toUpperCase() + k.slice(1), pascal(v)]));
  }
  return value;
}

/** A CloudFormation configuration as the API's Configuration (`Properties`, not `ConfigurationProperties`). */
function configurationRequest(c: emr.CfnCluster.ConfigurationProperty): Record<string, unknown> {
  const nested = c.configurations as emr.CfnCluster.ConfigurationProperty[] | undefined;
  return {
    ...(c.classification ? { Classification: c.classification } : {}),
    ...(c.configurationProperties ? { Properties: c.configurationProperties } : {}),
    ...(nested ? { Configurations: nested.map(configurationRequest) } : {}),
  };
}

function bootstrapActionRequest(b: emr.CfnCluster.BootstrapActionConfigProperty): Record<string, unknown> {
  const script = b.scriptBootstrapAction as emr.CfnCluster.ScriptBootstrapActionConfigProperty;
  return { Name: b.name, ScriptBootstrapAction: { Path: script.path, ...(script.args ? { Args: script.args } : {}) } };
}

/**
 * Acknowledges AwsSolutions-IAM5 on each wildcard resource of the policy that `reasonFor`
 * explains. A bucket in another stack is a cross-stack reference whose final form exists
 * only during synthesis, so the finding id (cdk-nag's flattened resource) is derived from
 * the resolved policy then: validation runs after references are resolved and before cdk-nag.
 * The same function is in each construct that needs it, so that each file can be copied
 * alone; test/copyability.test.ts keeps the copies identical.
 */
function acknowledgeResources(policy: iam.Policy, reasonFor: (resource: string) => string | undefined): void {
  policy.node.addValidation({
    validate: () => {
      const document = Stack.of(policy).resolve((policy.node.defaultChild as iam.CfnPolicy).policyDocument);
      for (const statement of document.Statement ?? []) {
        for (const resource of [statement.Resource].flat()) {
          const flat = flattenReference(resource);
          const reason = flat.includes('*') ? reasonFor(flat) : undefined;
          if (reason) Validations.of(policy).acknowledge({ id: `AwsSolutions-IAM5[Resource::${flat}]`, reason });
        }
      }
      return [];
    },
  });
}

/** A CloudFormation value as cdk-nag writes it in a finding id: `<Logical.Attr>`, joins flattened. */
function flattenReference(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/}/g, '>');
  const v = value as Record<string, unknown>;
  if (v['Fn::Join']) {
    const [delimiter, items] = v['Fn::Join'] as [string, unknown[]];
    return items.map(flattenReference).join(delimiter);
  }
  if (v['Fn::Sub']) return flattenReference(v['Fn::Sub']);
  if (v['Fn::GetAtt']) {
    const [resource, attribute] = v['Fn::GetAtt'] as [unknown, unknown];
    return `<${flattenReference(resource)}.${flattenReference(attribute)}>`;
  }
  if (v['Fn::ImportValue']) return flattenReference(v['Fn::ImportValue']);
  if (v.Ref) return `<${flattenReference(v.Ref)}>`;
  return JSON.stringify(value);
}

interface WorkflowOptions {
  readonly transient: boolean;
  /** RunJobFlow request (transient). */
  readonly createClusterRequest?: Record<string, unknown>;
  /** The persistent cluster's id. */
  readonly clusterId?: string;
  readonly step: BatchRunStep;
  readonly crawlerName?: string;
  readonly tableName: string;
  readonly runTimeout: Duration;
  readonly stepTimeout: Duration;
  readonly crawlerTimeout: Duration;
}

/** Sends a state's failures down the failure path, recording which state failed. */
type OnError = (state: sfn.CustomState, name: string) => void;

/** A Step Functions service integration. */
function taskArn(api: string): string {
  return `arn:${Aws.PARTITION}:states:::${api}`;
}

/**
 * The run, in JSONata states (https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html).
 * Workflow variables carry the run: `$start`, `$end`, `$clusterId`, `$clusterTerminated`, and on
 * failure `$failedState`, `$error`, `$cause`. Every Catch records which state failed, then the
 * failure path terminates the cluster (if this run created one), releases the lock and fails
 * with that state and cause. Step Functions does not terminate an EMR cluster when an execution
 * stops (https://docs.aws.amazon.com/step-functions/latest/dg/connect-emr.html): the cluster id
 * is known as soon as RunJobFlow returns (request-response createCluster), and the cluster's
 * auto-termination after idle is the backstop for an execution that times out or is stopped.
 */
class WorkflowBuilder {
  constructor(private readonly scope: Construct, private readonly o: WorkflowOptions) {}

  /** The run: dates, lock, cluster and step, crawl, unlock; any failure goes down the failure path. */
  build(): sfn.IChainable {
    const failurePath = this.failurePath();
    const onError: OnError = (state, name) =>
      state.addCatch(failurePath, {
        errors: [sfn.Errors.ALL],
        assign: { failedState: name, error: '{% $states.errorOutput.Error %}', cause: '{% $states.errorOutput.Cause %}' },
      });
    const acquire = this.acquireLock(onError);
    const start = this.runDates(acquire);
    const afterStep = this.clusterAndStep(acquire, onError);
    afterStep.next(this.crawlAndRelease(onError, failurePath));
    return start;
  }

  /**
   * Terminates the cluster this run created (if it has not yet), releases the lock and fails
   * with the failed state, its error and its cause.
   */
  private failurePath(): sfn.IChainable {
    const s = this.scope;
    const failed = sfn.Fail.jsonata(s, 'RunFailed', {
      comment: 'Fails the execution with the failed state, its error and its cause',
      error: '{% $error %}',
      cause: "{% $failedState & ' failed: ' & $cause %}",
    });
    const releaseAfterFailure = this.releaseLock('ReleaseLockAfterFailure');
    // A lock we no longer hold, or cannot release, expires with its run: fail with the real cause.
    releaseAfterFailure.addCatch(failed, { errors: [sfn.Errors.ALL] });
    releaseAfterFailure.next(failed);
    if (!this.o.transient) return releaseAfterFailure;

    const terminate = this.task('TerminateAfterFailure', {
      Resource: taskArn('elasticmapreduce:terminateCluster'),
      Arguments: { ClusterId: '{% $clusterId %}' },
      TimeoutSeconds: LOCK_TIMEOUT.toSeconds(),
    });
    terminate.addRetry({ errors: [sfn.Errors.ALL], maxAttempts: 4, interval: Duration.seconds(10), backoffRate: 2 });
    // If EMR cannot be reached, the cluster's auto-termination after idle ends it.
    terminate.addCatch(releaseAfterFailure, {
      errors: [sfn.Errors.ALL],
      assign: { cause: "{% $cause & ' (terminating cluster ' & $clusterId & ' failed too: ' & $states.errorOutput.Cause & '; it auto-terminates when idle)' %}" },
    });
    terminate.next(releaseAfterFailure);
    return sfn.Choice.jsonata(s, 'TerminateIfCreated', { comment: 'A cluster this run created and has not terminated yet?' })
      .when(sfn.Condition.jsonata("{% $type($clusterId) = 'string' and $not($clusterTerminated) %}"), terminate)
      .otherwise(releaseAfterFailure);
  }

  /**
   * The run's first and last day, given (`start`, `end`) or counted back from `asOf`
   * (`lookbackDays`); real days, in order, at most MAX_RANGE_DAYS apart, else the run fails
   * before it takes the lock. Returns the first state.
   */
  private runDates(next: sfn.IChainable): sfn.IChainable {
    const s = this.scope;
    const start = sfn.Pass.jsonata(s, 'StartRun', {
      comment: 'Run variables; later states set them',
      assign: {
        start: null, end: null, clusterId: null, clusterTerminated: false, failedState: null, error: null, cause: null, crawlPolls: 0,
        holderName: 'unknown', holderStart: 'unknown', holderEnd: 'unknown', holderUntil: 'unknown',
      },
    });
    const given = sfn.Pass.jsonata(s, 'UseGivenDates', { assign: { start: '{% $states.input.start %}', end: '{% $states.input.end %}' } });
    const day = (expr: string) => `$fromMillis(${expr}, ${DAY})`;
    const asOf = `$toMillis($substring($states.input.asOf, 0, 10), ${DAY})`;
    const lookback = sfn.Pass.jsonata(s, 'UseLookbackDates', {
      comment: 'The lookbackDays whole UTC days before asOf',
      assign: {
        start: `{% ${day(`${asOf} - $states.input.lookbackDays * 86400000`)} %}`,
        end: `{% ${day(`${asOf} - 86400000`)} %}`,
      },
    });
    const isDay = (v: string) => `$type(${v}) = 'string' and $contains(${v}, /^\\d{4}-\\d{2}-\\d{2}$/)`;
    const invalidInput = sfn.Fail.jsonata(s, 'InvalidInput', {
      error: 'InvalidInput',
      cause: 'Give {"start": "YYYY-MM-DD", "end": "YYYY-MM-DD"} or {"asOf": "<ISO-8601 time>", "lookbackDays": 1-366}',
    });
    const checkInput = sfn.Choice.jsonata(s, 'CheckInput')
      .when(sfn.Condition.jsonata(`{% ${isDay('$states.input.start')} and ${isDay('$states.input.end')} %}`), given)
      .when(
        sfn.Condition.jsonata(
          "{% $type($states.input.asOf) = 'string' and $contains($states.input.asOf, /^\\d{4}-\\d{2}-\\d{2}T/) and " +
            `$type($states.input.lookbackDays) = 'number' and $states.input.lookbackDays = $round($states.input.lookbackDays) and ` +
            `$states.input.lookbackDays >= 1 and $states.input.lookbackDays <= ${MAX_RANGE_DAYS} %}`,
        ),
        lookback,
      )
      .otherwise(invalidInput);
    const invalidDates = sfn.Fail.jsonata(s, 'InvalidDates', {
      error: 'InvalidDates',
      cause: `{% 'Dates must be real days, start <= end, at most ${MAX_RANGE_DAYS} days; got ' & $start & '..' & $end %}`,
    });
    const millis = (v: string) => `$toMillis(${v}, ${DAY})`;
    const checkDates = sfn.Choice.jsonata(s, 'CheckDates');
    given.next(checkDates);
    lookback.next(checkDates);
    checkDates
      .when(
        sfn.Condition.jsonata(
          `{% ( $real := function($d) { ${day(millis('$d'))} = $d }; $real($start) and $real($end) and $start <= $end and ` +
            `(${millis('$end')} - ${millis('$start')}) / 86400000 < ${MAX_RANGE_DAYS} ) %}`,
        ),
        next,
      )
      .otherwise(invalidDates);
    return start.next(checkInput);
  }

  /** Takes the lock (or an expired one); a lock another run holds refuses the run, naming that run. */
  private acquireLock(onError: OnError): sfn.CustomState {
    const s = this.scope;
    const acquire = this.task('AcquireLock', {
      Comment: 'One run at a time writes the output: take the lock, or an expired one',
      Resource: taskArn('dynamodb:putItem'),
      Arguments: {
        TableName: this.o.tableName,
        Item: {
          lockId: { S: LOCK_ID },
          holder: { S: '{% $states.context.Execution.Id %}' },
          runName: { S: '{% $states.context.Execution.Name %}' },
          start: { S: '{% $start %}' },
          end: { S: '{% $end %}' },
          expiresAt: { N: `{% $string($floor($toMillis($states.context.Execution.StartTime) / 1000) + ${this.o.runTimeout.toSeconds()}) %}` },
        },
        ConditionExpression: 'attribute_not_exists(lockId) OR expiresAt < :now OR holder = :me',
        ExpressionAttributeValues: {
          ':now': { N: '{% $string($floor($millis() / 1000)) %}' },
          ':me': { S: '{% $states.context.Execution.Id %}' },
        },
      },
      TimeoutSeconds: LOCK_TIMEOUT.toSeconds(),
    });
    // Retriers apply in order: a held lock is never retried, other errors are.
    acquire.addRetry({ errors: CONDITION_FAILED, maxAttempts: 0 });
    acquire.addRetry({ errors: [sfn.Errors.TASKS_FAILED], maxAttempts: 3, interval: Duration.seconds(5), backoffRate: 2 });
    const refused = sfn.Fail.jsonata(s, 'RunRefused', {
      comment: 'Another run holds the lock',
      error: 'RunRefused',
      cause:
        "{% 'Another run is writing the output: ' & $holderName & ' (' & $holderStart & '..' & $holderEnd & '), " +
        "its lock lasts until ' & $holderUntil & '. Runs are serialised: start this one again when that one has ended.' %}",
    });
    const readHolder = this.task('ReadLockHolder', {
      Resource: taskArn('dynamodb:getItem'),
      Arguments: { TableName: this.o.tableName, Key: { lockId: { S: LOCK_ID } }, ConsistentRead: true },
      TimeoutSeconds: LOCK_TIMEOUT.toSeconds(),
      // The lock may have been released since: every value falls back to 'unknown'.
      Assign: {
        holderName: "{% $exists($states.result.Item.runName.S) ? $states.result.Item.runName.S : 'unknown' %}",
        holderStart: "{% $exists($states.result.Item.start.S) ? $states.result.Item.start.S : 'unknown' %}",
        holderEnd: "{% $exists($states.result.Item.end.S) ? $states.result.Item.end.S : 'unknown' %}",
        holderUntil:
          "{% $exists($states.result.Item.expiresAt.N) ? $fromMillis($number($states.result.Item.expiresAt.N) * 1000) : 'unknown' %}",
      },
    });
    readHolder.addCatch(refused, { errors: [sfn.Errors.ALL] });
    readHolder.next(refused);
    acquire.addCatch(readHolder, { errors: CONDITION_FAILED });
    onError(acquire, 'AcquireLock');
    return acquire;
  }

  /**
   * After the lock: the step, on the persistent cluster, or on a cluster created for this run
   * and terminated after it. Returns the last state of the two.
   */
  private clusterAndStep(acquire: sfn.CustomState, onError: OnError): sfn.CustomState {
    const o = this.o;
    const runStep = this.task('RunStep', {
      Comment: 'Adds the step and waits for it; a new cluster runs it once it has started',
      Resource: taskArn('elasticmapreduce:addStep.sync'),
      Arguments: {
        ClusterId: o.transient ? '{% $clusterId %}' : o.clusterId,
        Step: {
          Name: `{% '${o.step.name} ' & $start & '..' & $end %}`,
          // A transient cluster exists for this step only: if it fails, EMR ends the cluster too.
          ActionOnFailure: o.transient ? 'TERMINATE_CLUSTER' : 'CONTINUE',
          HadoopJarStep: { Jar: 'command-runner.jar', Args: o.step.args({ start: '{% $start %}', end: '{% $end %}' }) },
        },
      },
      TimeoutSeconds: o.stepTimeout.toSeconds(),
    });
    onError(runStep, 'RunStep');
    if (!o.transient) {
      acquire.next(runStep);
      return runStep;
    }
    const create = this.task('CreateCluster', {
      Comment: 'RunJobFlow, request-response: the cluster id is known at once, so every later failure can terminate it',
      Resource: taskArn('elasticmapreduce:createCluster'),
      Arguments: o.createClusterRequest,
      TimeoutSeconds: CREATE_TIMEOUT.toSeconds(),
      Assign: { clusterId: '{% $states.result.ClusterId %}' },
    });
    // No Retry: RunJobFlow is not idempotent. A cluster created by a call that still failed
    // has no steps, so it is idle and auto-terminates.
    onError(create, 'CreateCluster');
    create.next(runStep);
    const terminate = this.task('TerminateCluster', {
      Resource: taskArn('elasticmapreduce:terminateCluster.sync'),
      Arguments: { ClusterId: '{% $clusterId %}' },
      TimeoutSeconds: TERMINATE_TIMEOUT.toSeconds(),
      Assign: { clusterTerminated: true },
    });
    terminate.addRetry({ errors: [sfn.Errors.TASKS_FAILED], maxAttempts: 3, interval: Duration.seconds(10), backoffRate: 2 });
    onError(terminate, 'TerminateCluster');
    runStep.next(terminate);
    acquire.next(create);
    return terminate;
  }

  /** The crawl (when there is a crawler), then the lock's release and success. */
  private crawlAndRelease(onError: OnError, failurePath: sfn.IChainable): sfn.IChainable {
    const succeeded = sfn.Succeed.jsonata(this.scope, 'RunSucceeded', {
      outputs: { start: '{% $start %}', end: '{% $end %}', clusterId: '{% $clusterId %}' },
    });
    const release = this.releaseLock('ReleaseLock');
    // The lock already expired and another run took it: this run's work is done all the same.
    release.addCatch(succeeded, { errors: CONDITION_FAILED });
    onError(release, 'ReleaseLock');
    release.next(succeeded);
    return this.o.crawlerName === undefined ? release : this.crawl(this.o.crawlerName, release, onError, failurePath);
  }

  private task(id: string, stateJson: Record<string, unknown>): sfn.CustomState {
    return new sfn.CustomState(this.scope, id, { stateJson: { Type: 'Task', ...stateJson } });
  }

  /** Start the crawler (waiting out a crawl already running) and poll it until it is READY again. */
  private crawl(crawlerName: string, next: sfn.IChainable, onError: OnError, failurePath: sfn.IChainable): sfn.IChainable {
    const s = this.scope;
    const pollSeconds = CRAWLER_POLL.toSeconds();
    const maxPolls = Math.ceil(this.o.crawlerTimeout.toSeconds() / pollSeconds);
    const startCrawler = this.task('StartCrawler', {
      Resource: taskArn('aws-sdk:glue:startCrawler'),
      Arguments: { Name: crawlerName },
      TimeoutSeconds: LOCK_TIMEOUT.toSeconds(),
      Assign: { crawlPolls: 0 },
    });
    // A scheduled or manual crawl may be running: wait for it, within the crawler timeout.
    startCrawler.addRetry({ errors: ['Glue.CrawlerRunningException'], maxAttempts: maxPolls, interval: CRAWLER_POLL, backoffRate: 1 });
    startCrawler.addRetry({ errors: [sfn.Errors.TASKS_FAILED], maxAttempts: 3, interval: Duration.seconds(5), backoffRate: 2 });
    onError(startCrawler, 'StartCrawler');
    const wait = sfn.Wait.jsonata(s, 'WaitForCrawler', { time: sfn.WaitTime.duration(CRAWLER_POLL) });
    const getCrawler = this.task('GetCrawler', {
      Resource: taskArn('aws-sdk:glue:getCrawler'),
      Arguments: { Name: crawlerName },
      TimeoutSeconds: LOCK_TIMEOUT.toSeconds(),
      Assign: {
        crawlerState: '{% $states.result.Crawler.State %}',
        lastCrawl: '{% $states.result.Crawler.LastCrawl %}',
        crawlPolls: '{% $crawlPolls + 1 %}',
      },
    });
    getCrawler.addRetry({ errors: [sfn.Errors.TASKS_FAILED], maxAttempts: 3, interval: Duration.seconds(5), backoffRate: 2 });
    onError(getCrawler, 'GetCrawler');
    const done = sfn.Choice.jsonata(s, 'CrawlFinished')
      .when(sfn.Condition.jsonata("{% $crawlerState = 'READY' and $lastCrawl.Status = 'SUCCEEDED' %}"), next)
      .when(sfn.Condition.jsonata("{% $crawlerState = 'READY' %}"), failurePath, {
        assign: {
          failedState: 'Crawl',
          error: 'CrawlFailed',
          cause: `{% 'crawler ${crawlerName} ended ' & $lastCrawl.Status & ': ' & $lastCrawl.ErrorMessage %}`,
        },
      })
      .when(sfn.Condition.jsonata(`{% $crawlPolls >= ${maxPolls} %}`), failurePath, {
        assign: {
          failedState: 'Crawl',
          error: 'CrawlTimeout',
          cause: `{% 'crawler ${crawlerName} still ' & $crawlerState & ' after ${this.o.crawlerTimeout.toMinutes()} minutes' %}`,
        },
      })
      .otherwise(wait);
    return startCrawler.next(wait).next(getCrawler).next(done);
  }

  /** Deletes the lock only if this run holds it; a lock held by another run is not retried. */
  private releaseLock(id: string): sfn.CustomState {
    const release = this.task(id, {
      Resource: taskArn('dynamodb:deleteItem'),
      Arguments: {
        TableName: this.o.tableName,
        Key: { lockId: { S: LOCK_ID } },
        ConditionExpression: 'holder = :me',
        ExpressionAttributeValues: { ':me': { S: '{% $states.context.Execution.Id %}' } },
      },
      TimeoutSeconds: LOCK_TIMEOUT.toSeconds(),
    });
    release.addRetry({ errors: CONDITION_FAILED, maxAttempts: 0 });
    release.addRetry({ errors: [sfn.Errors.TASKS_FAILED], maxAttempts: 3, interval: Duration.seconds(5), backoffRate: 2 });
    return release;
  }
}
