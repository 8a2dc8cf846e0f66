import * as fs from 'node:fs';
import * as path from 'node:path';
import { Annotations, ArnFormat, AssetHashType, Aws, Duration, Names, RemovalPolicy, Size, SizeRoundingBehavior, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

/** Firehose buffering limits (Firehose API reference, BufferingHints). */
const MIN_BUFFER_SECONDS = 60;
const MAX_BUFFER_SECONDS = 900;
const MIN_BUFFER_MIB = 1;
const MAX_BUFFER_MIB = 128;
/** Dynamic partitioning needs at least 64 MiB of buffer. */
const MIN_PARTITIONED_BUFFER_MIB = 64;

/** The id under which the Firehose L2 adds its CIDR mapping to the stack ('/' becomes '--'). */
const FIREHOSE_CIDR_MAPPING_ID = '@aws-cdk--aws-kinesisfirehose.CidrBlocks';

/** A Glue table name, which the crawler derives from the dataset's folder. */
const DATASET_PATTERN = /^[a-z0-9_]{1,100}$/;

export interface LakeDeliveryStreamProps {
  /** The Kinesis stream to read. */
  readonly source: kinesis.IStream;
  /** The raw-zone bucket. */
  readonly bucket: s3.IBucket;
  /** Topic that every alarm notifies. Required: an alarm without an action goes unseen. */
  readonly alarmTopic: sns.ITopic;
  /**
   * Key that encrypts every object Firehose writes.
   * @default - the bucket's own key (`bucket.encryptionKey`); one of the two is required
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * How long Firehose buffers before writing: 60–900 seconds.
   * @default Duration.seconds(300)
   */
  readonly bufferingInterval?: Duration;
  /**
   * How much Firehose buffers before writing: 64–128 MiB (dynamic partitioning needs ≥ 64).
   * @default Size.mebibytes(128)
   */
  readonly bufferingSize?: Size;
  /**
   * Compression of the JSON lines. Not allowed with `parquetTable` (Parquet compresses inside the file).
   * @default Compression.GZIP
   */
  readonly compression?: firehose.Compression;
  /**
   * Convert records to Parquet (SNAPPY) with this Glue table's schema.
   * @default - newline-delimited JSON
   */
  readonly parquetTable?: glue.S3Table;
  /**
   * Also write every untransformed source record, as received, under `backup/` (GZIP).
   * @default false
   */
  readonly backupSourceRecords?: boolean;
  /**
   * Alarm when the oldest record in Firehose is this old. At least `bufferingInterval`.
   * @default bufferingInterval + 10 minutes
   */
  readonly dataFreshnessThreshold?: Duration;
  /**
   * Retention of the transform's and Firehose's log groups.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the log groups when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Customer-managed key for both log groups. Its policy gets a statement that lets CloudWatch
   * Logs use it for exactly these two log groups (a key defined in this app only).
   * @default - CloudWatch Logs' own encryption
   */
  readonly logEncryptionKey?: kms.IKey;
  /**
   * VPC for the transform function. It calls no AWS API (Lambda ships its logs), so its
   * security group allows no outbound traffic and the subnets need no endpoints.
   * @default - not in a VPC
   */
  readonly vpc?: ec2.IVpc;
  /**
   * Subnets in `vpc`.
   * @default - the VPC's isolated subnets, else its private ones
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * The transform handler's entry file (it exports `handler`), bundled with esbuild.
   * Relative paths are resolved from the working directory.
   * @default - ../../lambda/transform/index.ts, relative to this file
   */
  readonly transformEntry?: string;
  /**
   * The dataset: records land under `raw/<dataset>/`, and the crawler names the table after it.
   * 1–100 lower-case letters, digits and underscores.
   * @default 'payments'
   */
  readonly dataset?: string;
}

/** Alarms on the delivery stream, each notifying the alarm topic. */
export interface LakeDeliveryStreamAlarms {
  /** The oldest record waiting in Firehose is older than `dataFreshnessThreshold`. */
  readonly dataFreshness: cloudwatch.Alarm;
  /** A delivery to S3 failed (Firehose retries, then writes under `errors/`). */
  readonly deliveryFailed: cloudwatch.Alarm;
  /** An invocation of the transform failed. */
  readonly processingFailed: cloudwatch.Alarm;
  /** The transform sent records to `errors/processing-failed/`. */
  readonly recordsFailed: cloudwatch.Alarm;
}

/**
 * Firehose from a Kinesis stream to the raw zone, through the payment-event transform.
 *
 * - records: `raw/<dataset>/event_date=YYYY-MM-DD/` (the event's own UTC date, from the
 *   transform's partition key), GZIP JSON lines or Parquet;
 * - failures with their original bytes: `errors/<error-output-type>/yyyy/MM/dd/`;
 * - optional copy of every source record: `backup/yyyy/MM/dd/HH/`.
 *
 * The transform function is built here from lambda/transform (esbuild, Node.js 24,
 * arm64), because the record layout, the partition key and the failed-records alarm
 * all depend on it. Its metrics carry a `service` dimension named after this instance, so
 * each delivery stream's failed-records alarm counts only its own records. Firehose's role
 * may write only under those three prefixes, use only the given key through S3, read only
 * the source stream, and invoke only the transform.
 */
export class LakeDeliveryStream extends Construct {
  public readonly deliveryStream: firehose.DeliveryStream;
  public readonly transformFunction: lambda.Function;
  public readonly transformLogGroup: logs.LogGroup;
  /** The transform's security group (no inbound, no outbound), with `vpc`. */
  public readonly transformSecurityGroup?: ec2.SecurityGroup;
  /** Firehose's error log (transform and delivery failures). */
  public readonly deliveryLogGroup: logs.LogGroup;
  /** The role Firehose assumes. */
  public readonly role: iam.Role;
  /** The role's scoped S3, KMS, Lambda and logs permissions (stream read is in its default policy). */
  public readonly policy: iam.Policy;
  public readonly alarms: LakeDeliveryStreamAlarms;
  public readonly dataset: string;
  public readonly dataPrefix: string;
  public readonly errorPrefix = 'errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/';
  public readonly backupPrefix = 'backup/';
  /** Namespace of the transform's metrics. */
  public readonly metricsNamespace = 'DataLake';
  /**
   * The transform's Powertools service name, from the stack name and construct path: the
   * `service` dimension of its metrics, so that two delivery streams never share one.
   */
  public readonly metricsServiceName: string;

  private readonly settings: Settings;

  constructor(scope: Construct, id: string, props: LakeDeliveryStreamProps) {
    super(scope, id);
    this.settings = resolveSettings(props);
    this.dataset = this.settings.dataset;
    this.dataPrefix = `raw/${this.dataset}/event_date=!{partitionKeyFromLambda:event_date}/`;
    this.metricsServiceName = Names.uniqueResourceName(this, { maxLength: 200, separator: '-' });

    [this.transformLogGroup, this.deliveryLogGroup] = this.createLogGroups(props.logEncryptionKey);
    const transformRole = this.createTransformRole();
    this.transformSecurityGroup = props.vpc ? this.createTransformSecurityGroup(props.vpc) : undefined;
    this.transformFunction = this.createTransform(transformRole, props.vpc, props.vpcSubnets);

    // Firehose gets an immutable view of its role, so the L2's broad grants
    // (whole bucket, lambda:* qualifiers) are not added; the scoped ones follow.
    this.role = new iam.Role(this, 'Role', { assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com') });
    this.policy = this.scopedPolicy(props);
    this.deliveryStream = this.createDeliveryStream(props);
    this.acknowledgeFindings(props, transformRole);
    this.alarms = this.createAlarms(new actions.SnsAction(props.alarmTopic));
  }

  /** A metric the transform emits: `RecordsOk`, `RecordsFailed`, `RecordsOverflowed` or `UnknownFieldsDropped`. */
  public metric(metricName: string, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: this.metricsNamespace,
      metricName,
      dimensionsMap: { service: this.metricsServiceName },
      statistic: 'Sum',
      period: Duration.minutes(5),
      ...props,
    });
  }

  /** Records the transform rejected (they land under `errors/processing-failed/`). @default sum over 5 minutes */
  public metricRecordsFailed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('RecordsFailed', props);
  }

  /** The transform's and Firehose's log groups, named from the stack and construct path so a key policy can name exactly them. */
  private createLogGroups(encryptionKey: kms.IKey | undefined): [logs.LogGroup, logs.LogGroup] {
    const base = Names.uniqueResourceName(this, { maxLength: 200, separator: '-' });
    const names = { TransformLogs: `/aws/lambda/${base}-Transform`, DeliveryLogs: `/aws/kinesisfirehose/${base}` };
    const { logRetention: retention, removalPolicy } = this.settings;
    const group = (id: keyof typeof names) => new logs.LogGroup(this, id, { logGroupName: names[id], retention, removalPolicy, encryptionKey });
    const groups: [logs.LogGroup, logs.LogGroup] = [group('TransformLogs'), group('DeliveryLogs')];
    if (encryptionKey) admitLogGroups(this, encryptionKey, Object.values(names));
    return groups;
  }

  /** The transform's own role: it may write only to its own log group. */
  private createTransformRole(): iam.Role {
    const role = new iam.Role(this, 'TransformRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [this.transformLogGroup.logGroupArn],
    }));
    return role;
  }

  private createTransformSecurityGroup(vpc: ec2.IVpc): ec2.SecurityGroup {
    return new ec2.SecurityGroup(this, 'TransformSecurityGroup', {
      vpc,
      description: 'Firehose transform: no inbound, no outbound (it calls no AWS API)',
      allowAllOutbound: false,
    });
  }

  private createTransform(role: iam.Role, vpc: ec2.IVpc | undefined, vpcSubnets: ec2.SubnetSelection | undefined): lambda.Function {
    return new lambda.Function(this, 'Transform', {
      code: bundledHandler('LakeDeliveryStream: transformEntry', this.settings.transformEntry, { minify: true, sourcemap: false }),
      handler: 'index.handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 512,
      // Firehose allows a transform up to 5 minutes; a 3 MB batch takes well under a second.
      timeout: Duration.minutes(1),
      role,
      logGroup: this.transformLogGroup,
      vpc,
      vpcSubnets: vpc ? vpcSubnets ?? { subnets: vpc.isolatedSubnets.length > 0 ? vpc.isolatedSubnets : vpc.privateSubnets } : undefined,
      securityGroups: this.transformSecurityGroup ? [this.transformSecurityGroup] : undefined,
      environment: { POWERTOOLS_SERVICE_NAME: this.metricsServiceName, POWERTOOLS_METRICS_NAMESPACE: this.metricsNamespace },
    });
  }

  private createDeliveryStream(props: LakeDeliveryStreamProps): firehose.DeliveryStream {
    const { bufferingInterval, bufferingSize, key, backup } = this.settings;
    const firehoseRole = this.role.withoutPolicyUpdates();
    const logging = new firehose.EnableLogging(this.deliveryLogGroup);
    const stream = new firehose.DeliveryStream(this, 'DeliveryStream', {
      source: new firehose.KinesisStreamSource(props.source),
      role: firehoseRole,
      destination: new firehose.S3Bucket(props.bucket, {
        role: firehoseRole,
        dataOutputPrefix: this.dataPrefix,
        errorOutputPrefix: this.errorPrefix,
        bufferingInterval,
        bufferingSize,
        compression: props.parquetTable ? undefined : props.compression ?? firehose.Compression.GZIP,
        encryptionKey: key,
        loggingConfig: logging,
        dynamicPartitioning: { enabled: true },
        processors: [new firehose.LambdaFunctionProcessor(this.transformFunction)],
        dataFormatConversion: props.parquetTable ? {
          schemaConfiguration: firehose.SchemaConfiguration.fromCfnTable(props.parquetTable.node.defaultChild as glue.CfnTable),
          inputFormat: firehose.InputFormat.OPENX_JSON,
          outputFormat: new firehose.ParquetOutputFormat({ compression: firehose.ParquetCompression.SNAPPY }),
        } : undefined,
        s3Backup: backup ? {
          bucket: props.bucket,
          mode: firehose.BackupMode.ALL,
          dataOutputPrefix: this.backupPrefix,
          compression: firehose.Compression.GZIP,
          encryptionKey: key,
          loggingConfig: logging,
        } : undefined,
      }),
    });
    // Firehose checks its permissions when the stream is created.
    stream.node.addDependency(this.policy, this.role);
    // The destination adds its log streams with the LogStream default, RETAIN: give them the group's policy.
    for (const logStream of this.deliveryLogGroup.node.children.filter((c): c is logs.LogStream => c instanceof logs.LogStream)) {
      logStream.applyRemovalPolicy(this.settings.removalPolicy);
    }
    // The L2 always adds a region → Firehose CIDR mapping for `connections` (Redshift and
    // HTTP destinations). An S3 destination never uses it, and CloudFormation validation
    // rejects an unreferenced mapping (W7001).
    Stack.of(this).node.tryRemoveChild(FIREHOSE_CIDR_MAPPING_ID);
    return stream;
  }

  private createAlarms(action: cloudwatch.IAlarmAction): LakeDeliveryStreamAlarms {
    const period = Duration.minutes(5);
    const freshness = this.settings.freshness.toSeconds();
    const failure = (id: string, metric: cloudwatch.IMetric, description: string) => this.alarm(id, action, {
      metric,
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 1,
      alarmDescription: description,
    });
    return {
      dataFreshness: this.alarm('DataFreshnessAlarm', action, {
        metric: this.deliveryStream.metric('DeliveryToS3.DataFreshness', { statistic: 'Maximum', period }),
        threshold: freshness,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        alarmDescription: `Records wait in Firehose ${freshness} s or more; Firehose keeps them for 24 h only.`,
      }),
      deliveryFailed: failure('DeliveryFailedAlarm',
        this.deliveryStream.metric('DeliveryToS3.Success', { statistic: 'Minimum', period }),
        'A delivery to S3 failed; check the delivery log group and errors/.'),
      processingFailed: failure('ProcessingFailedAlarm',
        this.deliveryStream.metric('ExecuteProcessing.Success', { statistic: 'Minimum', period }),
        'A transform invocation failed; Firehose retries, then writes the batch under errors/processing-failed/.'),
      recordsFailed: this.alarm('RecordsFailedAlarm', action, {
        metric: this.metricRecordsFailed({ period }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        alarmDescription: 'The transform rejected records; they are under errors/processing-failed/ with their original bytes.',
      }),
    };
  }

  /** The prefixes Firehose writes under: the dataset, errors, and the backup when on. */
  private writePrefixes(): string[] {
    return [`raw/${this.dataset}/`, 'errors/', ...(this.settings.backup ? [this.backupPrefix] : [])];
  }

  /** Everything Firehose needs, and nothing more. */
  private scopedPolicy(props: LakeDeliveryStreamProps): iam.Policy {
    const bucketArn = props.bucket.bucketArn;
    const key = this.settings.key;
    const prefixes = this.writePrefixes();
    const statements = [
      new iam.PolicyStatement({
        sid: 'Bucket',
        actions: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
        resources: [bucketArn],
      }),
      new iam.PolicyStatement({
        sid: 'WritePrefixes',
        actions: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'],
        resources: prefixes.map((p) => `${bucketArn}/${p}*`),
      }),
      new iam.PolicyStatement({
        sid: 'LakeKeyThroughS3',
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: [key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${Stack.of(this).region}.amazonaws.com` } },
      }),
      new iam.PolicyStatement({
        sid: 'InvokeTransform',
        actions: ['lambda:InvokeFunction', 'lambda:GetFunctionConfiguration'],
        resources: [this.transformFunction.functionArn],
      }),
      new iam.PolicyStatement({
        sid: 'DeliveryLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.deliveryLogGroup.logGroupArn],
      }),
    ];
    if (props.parquetTable) {
      const table = props.parquetTable;
      statements.push(new iam.PolicyStatement({
        sid: 'ParquetSchema',
        actions: ['glue:GetTable', 'glue:GetTableVersion', 'glue:GetTableVersions'],
        resources: [table.database.catalog.catalogArn, table.database.databaseArn, table.tableArn],
      }));
    }
    const policy = new iam.Policy(this, 'Policy', { roles: [this.role], statements });
    // Stream read and the stream key's kms:Decrypt, from the Kinesis L2.
    props.source.grantRead(this.role);
    return policy;
  }

  private alarm(id: string, action: cloudwatch.IAlarmAction, props: cloudwatch.AlarmProps): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, { treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING, ...props });
    alarm.addAlarmAction(action);
    return alarm;
  }

  /** The findings this construct causes by design, each with why it stands. */
  private acknowledgeFindings(props: LakeDeliveryStreamProps, transformRole: iam.Role): void {
    acknowledge(this.deliveryStream, 'AwsSolutions-KDF1',
      'Firehose rejects server-side encryption on a delivery stream whose source is a Kinesis stream; the source stream is ' +
        'KMS-encrypted and the S3 output uses the given key.');
    const prefixes = this.writePrefixes();
    acknowledgeResources(this.policy, (resource) => {
      const prefix = prefixes.find((p) => resource.endsWith(`/${p}*`));
      return prefix && `Firehose names the objects under ${prefix} itself (partition, date, random suffix), so its write access ` +
        'must cover every key under that prefix and no other.';
    });
    for (const principal of [transformRole, this.role, this.policy]) {
      compliance(principal, 'IAMNoInlinePolicy',
        'The policy belongs to this one role and names only its resources; as the role\'s own policy it is created and deleted ' +
          'with it and cannot be attached elsewhere, which a customer-managed policy could be ' +
          '(https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html).');
    }
    const fn = this.transformFunction;
    if (!props.vpc) {
      compliance(fn, 'LambdaInsideVPC',
        'Not given a VPC. The transform calls no AWS API and opens no connection (Firehose invokes it, Lambda ships its logs), ' +
          'so a VPC would add no network path to remove; pass vpc to place it in one anyway.', ['PCI.DSS.321', 'NIST.800.53.R5', 'HIPAA.Security']);
    }
    compliance(fn, 'LambdaConcurrency',
      'Firehose bounds the invocations (one at a time per shard for a Kinesis source). Reserving concurrency would fail the ' +
        'first deploy in accounts whose quota leaves less than 100 unreserved ' +
        '(https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html).', ['NIST.800.53.R5', 'HIPAA.Security']);
    compliance(fn, 'LambdaDLQ',
      'Firehose invokes the transform synchronously, where a function dead-letter queue never applies; records that fail or ' +
        'whose invocation fails land under errors/ with their original bytes.', ['NIST.800.53.R5', 'HIPAA.Security']);
  }
}

/** The props with their defaults, validated. */
interface Settings {
  readonly bufferingInterval: Duration;
  readonly bufferingSize: Size;
  readonly key: kms.IKey;
  readonly backup: boolean;
  readonly freshness: Duration;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  readonly transformEntry: string;
  readonly dataset: string;
}

function resolveSettings(props: LakeDeliveryStreamProps): Settings {
  const interval = props.bufferingInterval ?? Duration.seconds(300);
  const size = props.bufferingSize ?? Size.mebibytes(MAX_BUFFER_MIB);
  const key = props.encryptionKey ?? props.bucket.encryptionKey;
  const freshness = props.dataFreshnessThreshold ?? interval.plus(Duration.minutes(10));
  const transformEntry = path.resolve(props.transformEntry ?? path.join(__dirname, '..', '..', 'lambda', 'transform', 'index.ts'));
  const dataset = props.dataset ?? 'payments';

  const seconds = interval.toSeconds({ integral: false });
  if (!(seconds >= MIN_BUFFER_SECONDS && seconds <= MAX_BUFFER_SECONDS)) {
    throw new Error(`LakeDeliveryStream: bufferingInterval must be ${MIN_BUFFER_SECONDS}–${MAX_BUFFER_SECONDS} seconds, got ${seconds}`);
  }
  const mib = size.toMebibytes({ rounding: SizeRoundingBehavior.NONE });
  if (!(mib >= MIN_BUFFER_MIB && mib <= MAX_BUFFER_MIB)) {
    throw new Error(`LakeDeliveryStream: bufferingSize must be ${MIN_BUFFER_MIB}–${MAX_BUFFER_MIB} MiB, got ${mib}`);
  }
  if (mib < MIN_PARTITIONED_BUFFER_MIB) {
    throw new Error(`LakeDeliveryStream: bufferingSize must be at least ${MIN_PARTITIONED_BUFFER_MIB} MiB with dynamic partitioning, got ${mib}`);
  }
  if (!key) {
    throw new Error('LakeDeliveryStream: encryptionKey is required when the bucket has no encryptionKey, got undefined');
  }
  if (props.parquetTable && props.compression) {
    throw new Error(`LakeDeliveryStream: compression must be unset with parquetTable (Parquet uses SNAPPY inside the file), got ${props.compression.value}`);
  }
  if (props.vpcSubnets && !props.vpc) {
    throw new Error('LakeDeliveryStream: vpcSubnets needs vpc, got vpcSubnets without vpc');
  }
  if (freshness.toSeconds() < seconds) {
    throw new Error(`LakeDeliveryStream: dataFreshnessThreshold must be at least bufferingInterval (${seconds} s), got ${freshness.toSeconds()} s`);
  }
  if (!/\.[cm]?[jt]s$/.test(transformEntry) || !fs.statSync(transformEntry, { throwIfNoEntry: false })?.isFile()) {
    throw new Error(`LakeDeliveryStream: transformEntry must be an existing .ts or .js file, got ${transformEntry}`);
  }
  if (!DATASET_PATTERN.test(dataset)) {
    throw new Error(`LakeDeliveryStream: dataset must be 1–100 lower-case letters, digits and underscores (a Glue table name), got ${dataset}`);
  }
  return {
    bufferingInterval: interval,
    bufferingSize: size,
    key,
    backup: props.backupSourceRecords ?? false,
    freshness,
    logRetention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    transformEntry,
    dataset,
  };
}

/** The compliance packs (cdk-nag ids prefix each rule with the pack). */
const PACKS = ['PCI.DSS.321', 'NIST.800.53.R5', 'HIPAA.Security'];

function acknowledge(scope: Construct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/** Acknowledges `rule` for each pack that has it. */
function compliance(scope: Construct, rule: string, reason: string, packs = PACKS): void {
  for (const pack of packs) acknowledge(scope, `${pack}-${rule}`, reason);
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
