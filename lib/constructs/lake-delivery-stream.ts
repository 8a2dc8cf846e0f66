import * as fs from 'node:fs';
import * as path from 'node:path';
import { AssetHashType, Duration, RemovalPolicy, Size, SizeRoundingBehavior, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
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
import { DATASET } from '../../lambda/shared/payment-event';

/** Firehose buffering limits (Firehose API reference, BufferingHints). */
const MIN_BUFFER_SECONDS = 60;
const MAX_BUFFER_SECONDS = 900;
const MIN_BUFFER_MIB = 1;
const MAX_BUFFER_MIB = 128;
/** Dynamic partitioning needs at least 64 MiB of buffer. */
const MIN_PARTITIONED_BUFFER_MIB = 64;

/** The id under which the Firehose L2 adds its CIDR mapping to the stack ('/' becomes '--'). */
const FIREHOSE_CIDR_MAPPING_ID = '@aws-cdk--aws-kinesisfirehose.CidrBlocks';

/** Where the transform's metrics go; the failed-records alarm reads them. */
const METRICS_NAMESPACE = 'DataLake';
const SERVICE_NAME = 'lake-transform';

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
   * The transform handler's entry file (it exports `handler`), bundled with esbuild.
   * Relative paths are resolved from the working directory.
   * @default - ../../lambda/transform/index.ts, relative to this file
   */
  readonly transformEntry?: string;
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
 * - records: `raw/payments/event_date=YYYY-MM-DD/` (the event's own UTC date, from the
 *   transform's partition key), GZIP JSON lines or Parquet;
 * - failures with their original bytes: `errors/<error-output-type>/yyyy/MM/dd/`;
 * - optional copy of every source record: `backup/yyyy/MM/dd/HH/`.
 *
 * The transform function is built here from lambda/transform (esbuild, Node.js 24,
 * arm64), because the record layout, the partition key and the failed-records alarm
 * all depend on it. Firehose's role may write only under those three prefixes, use
 * only the given key through S3, read only the source stream, and invoke only the
 * transform.
 */
export class LakeDeliveryStream extends Construct {
  public readonly deliveryStream: firehose.DeliveryStream;
  public readonly transformFunction: lambda.Function;
  public readonly transformLogGroup: logs.LogGroup;
  /** Firehose's error log (transform and delivery failures). */
  public readonly deliveryLogGroup: logs.LogGroup;
  /** The role Firehose assumes. */
  public readonly role: iam.Role;
  /** The role's scoped S3, KMS, Lambda and logs permissions (stream read is in its default policy). */
  public readonly policy: iam.Policy;
  public readonly alarms: LakeDeliveryStreamAlarms;
  public readonly dataPrefix = `raw/${DATASET}/event_date=!{partitionKeyFromLambda:event_date}/`;
  public readonly errorPrefix = 'errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/';
  public readonly backupPrefix = 'backup/';

  constructor(scope: Construct, id: string, props: LakeDeliveryStreamProps) {
    super(scope, id);
    const interval = props.bufferingInterval ?? Duration.seconds(300);
    const size = props.bufferingSize ?? Size.mebibytes(MAX_BUFFER_MIB);
    const key = props.encryptionKey ?? props.bucket.encryptionKey;
    const backup = props.backupSourceRecords ?? false;
    const freshness = props.dataFreshnessThreshold ?? interval.plus(Duration.minutes(10));
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const transformEntry = path.resolve(props.transformEntry ?? path.join(__dirname, '..', '..', 'lambda', 'transform', 'index.ts'));

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
    if (freshness.toSeconds() < seconds) {
      throw new Error(`LakeDeliveryStream: dataFreshnessThreshold must be at least bufferingInterval (${seconds} s), got ${freshness.toSeconds()} s`);
    }
    if (!/\.[cm]?[jt]s$/.test(transformEntry) || !fs.statSync(transformEntry, { throwIfNoEntry: false })?.isFile()) {
      throw new Error(`LakeDeliveryStream: transformEntry must be an existing .ts or .js file, got ${transformEntry}`);
    }

    this.transformLogGroup = new logs.LogGroup(this, 'TransformLogs', { retention: logRetention, removalPolicy });
    this.deliveryLogGroup = new logs.LogGroup(this, 'DeliveryLogs', { retention: logRetention, removalPolicy });

    const transformRole = new iam.Role(this, 'TransformRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    transformRole.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [this.transformLogGroup.logGroupArn],
    }));
    this.transformFunction = new lambda.Function(this, 'Transform', {
      code: bundledHandler('LakeDeliveryStream: transformEntry', transformEntry, { minify: true, sourcemap: false }),
      handler: 'index.handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 512,
      // Firehose allows a transform up to 5 minutes; a 3 MB batch takes well under a second.
      timeout: Duration.minutes(1),
      role: transformRole,
      logGroup: this.transformLogGroup,
      environment: { POWERTOOLS_SERVICE_NAME: SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE },
    });

    // Firehose gets an immutable view of its role, so the L2's broad grants
    // (whole bucket, lambda:* qualifiers) are not added; the scoped ones follow.
    this.role = new iam.Role(this, 'Role', { assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com') });
    const firehoseRole = this.role.withoutPolicyUpdates();
    this.policy = this.scopedPolicy(props, key, backup);

    const logging = new firehose.EnableLogging(this.deliveryLogGroup);
    this.deliveryStream = new firehose.DeliveryStream(this, 'DeliveryStream', {
      source: new firehose.KinesisStreamSource(props.source),
      role: firehoseRole,
      destination: new firehose.S3Bucket(props.bucket, {
        role: firehoseRole,
        dataOutputPrefix: this.dataPrefix,
        errorOutputPrefix: this.errorPrefix,
        bufferingInterval: interval,
        bufferingSize: size,
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
    this.deliveryStream.node.addDependency(this.policy, this.role);
    // The L2 always adds a region → Firehose CIDR mapping for `connections` (Redshift and
    // HTTP destinations). An S3 destination never uses it, and CloudFormation validation
    // rejects an unreferenced mapping (W7001).
    Stack.of(this).node.tryRemoveChild(FIREHOSE_CIDR_MAPPING_ID);

    const action = new actions.SnsAction(props.alarmTopic);
    const period = Duration.minutes(5);
    const failure = (id: string, metric: cloudwatch.IMetric, description: string) => this.alarm(id, action, {
      metric,
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 1,
      alarmDescription: description,
    });
    this.alarms = {
      dataFreshness: this.alarm('DataFreshnessAlarm', action, {
        metric: this.deliveryStream.metric('DeliveryToS3.DataFreshness', { statistic: 'Maximum', period }),
        threshold: freshness.toSeconds(),
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        alarmDescription: `Records wait in Firehose ${freshness.toSeconds()} s or more; Firehose keeps them for 24 h only.`,
      }),
      deliveryFailed: failure('DeliveryFailedAlarm',
        this.deliveryStream.metric('DeliveryToS3.Success', { statistic: 'Minimum', period }),
        'A delivery to S3 failed; check the delivery log group and errors/.'),
      processingFailed: failure('ProcessingFailedAlarm',
        this.deliveryStream.metric('ExecuteProcessing.Success', { statistic: 'Minimum', period }),
        'A transform invocation failed; Firehose retries, then writes the batch under errors/processing-failed/.'),
      recordsFailed: this.alarm('RecordsFailedAlarm', action, {
        metric: new cloudwatch.Metric({
          namespace: METRICS_NAMESPACE,
          metricName: 'RecordsFailed',
          dimensionsMap: { service: SERVICE_NAME },
          statistic: 'Sum',
          period,
        }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        alarmDescription: 'The transform rejected records; they are under errors/processing-failed/ with their original bytes.',
      }),
    };
  }

  /** Everything Firehose needs, and nothing more. */
  private scopedPolicy(props: LakeDeliveryStreamProps, key: kms.IKey, backup: boolean): iam.Policy {
    const bucketArn = props.bucket.bucketArn;
    const prefixes = [`raw/${DATASET}/`, 'errors/', ...(backup ? [this.backupPrefix] : [])];
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
