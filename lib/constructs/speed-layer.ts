import * as fs from 'node:fs';
import * as path from 'node:path';
import { Annotations, ArnFormat, AssetHashType, Aws, Duration, Names, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** What the speed layer needs of an endpoint (an InferenceEndpoint fits). */
export interface ScoringEndpoint {
  readonly endpointName: string;
  grantInvoke(grantee: iam.IGrantable): iam.Grant;
}

/** What the speed layer needs of the view table (a RealtimeView fits). */
export interface ScoreTable {
  readonly table: { readonly tableName: string };
  grantWriteScores(grantee: iam.IGrantable): iam.Grant;
}

export interface SpeedLayerProps {
  /** The stream of payment events. If it is KMS-encrypted, read access to its key is granted too. */
  readonly stream: kinesis.IStream;
  /** The endpoint that scores events. */
  readonly endpoint: ScoringEndpoint;
  /** The real-time view that receives scores. */
  readonly view: ScoreTable;
  /** Alarms notify this topic. */
  readonly alarmTopic: sns.ITopic;
  /**
   * Largest InvokeEndpoint body in bytes: at most 4 MB for serverless endpoints, 6 MB for instance endpoints.
   * @default 4_000_000
   */
  readonly maxPayloadBytes?: number;
  /**
   * Read through an enhanced fan-out consumer (its own 2 MB/s per shard) instead of sharing the
   * shard's 2 MB/s with Firehose and other standard consumers.
   * @default true
   */
  readonly enhancedFanOut?: boolean;
  /**
   * Records per invocation, 1–10,000.
   * @default 500
   */
  readonly batchSize?: number;
  /**
   * How long to gather records before invoking, 0–300 s.
   * @default Duration.seconds(1)
   */
  readonly maxBatchingWindow?: Duration;
  /**
   * Concurrent batches per shard, 1–10.
   * @default 1
   */
  readonly parallelizationFactor?: number;
  /**
   * Retries of a failing batch (after bisecting) before its metadata goes to the dead-letter queue, 0–10,000.
   * @default 5
   */
  readonly retryAttempts?: number;
  /**
   * Records older than this are not retried, 60 s–7 days.
   * @default Duration.hours(1)
   */
  readonly maxRecordAge?: Duration;
  /**
   * Where a new consumer starts reading.
   * @default lambda.StartingPosition.TRIM_HORIZON
   */
  readonly startingPosition?: lambda.StartingPosition;
  /**
   * Lifetime of view items (their TTL), 1 hour–365 days.
   * @default Duration.days(30)
   */
  readonly viewTtl?: Duration;
  /**
   * Retention of the function's log group.
   * @default logs.RetentionDays.ONE_WEEK
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Removal policy of the log group, the queue and its key.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Iterator age (max) at or above this raises the falling-behind alarm.
   * @default maxRecordAge / 2
   */
  readonly iteratorAgeAlarmThreshold?: Duration;
  /**
   * Customer-managed key for the function's log group. Its policy gets a statement that
   * lets CloudWatch Logs use it for exactly that log group (a key defined in this app only).
   * @default - CloudWatch Logs' own encryption
   */
  readonly logEncryptionKey?: kms.IKey;
  /**
   * The handler's entry file (it exports `handler`), bundled with esbuild.
   * Relative paths are resolved from the working directory.
   * @default - ../../lambda/speed-layer/index.ts, relative to this file
   */
  readonly handlerEntry?: string;
}

/** SQS keeps a message at most 14 days; the dead-letter queue keeps them that long. */
const DEAD_LETTER_RETENTION = Duration.days(14);

const MAX_SERVERLESS_OR_INSTANCE_PAYLOAD = 6_000_000;

/**
 * The speed layer: a Lambda consumer of the stream that scores each batch with the
 * endpoint and writes the real-time view.
 *
 * - Reads through an enhanced fan-out consumer by default.
 * - Event source mapping: reports batch item failures, bisects on error, bounded
 *   retries and record age; on failure, the batch's metadata goes to the dead-letter queue.
 * - The handler sends poison records' payloads, with the reason, to the same queue and
 *   acknowledges them, so only transient failures are retried. One queue holds both
 *   kinds of message (`kind: 'poison-record'` from the handler, Lambda's
 *   `requestContext`/`KinesisBatchInfo` records from the mapping): one place to look,
 *   one alarm.
 */
export class SpeedLayer extends Construct {
  public readonly function: lambda.Function;
  public readonly logGroup: logs.LogGroup;
  public readonly deadLetterQueue: sqs.Queue;
  public readonly deadLetterKey: kms.Key;
  public readonly consumer?: kinesis.StreamConsumer;
  public readonly eventSource: sources.KinesisEventSource | sources.KinesisConsumerEventSource;
  public readonly iteratorAgeAlarm: cloudwatch.Alarm;
  public readonly errorsAlarm: cloudwatch.Alarm;
  public readonly deadLetterAlarm: cloudwatch.Alarm;
  /** The oldest dead letter is half-way to expiry: re-drive it before SQS deletes it. */
  public readonly deadLetterAgeAlarm: cloudwatch.Alarm;
  /** Namespace of the handler's metrics (scored, high_risk, dead_lettered, failed, latency). */
  public readonly metricsNamespace = 'SpeedLayer';
  /**
   * The handler's Powertools service name, from the stack name and construct path: the
   * `service` dimension of its metrics, so that two speed layers never share one.
   */
  public readonly metricsServiceName: string;

  private readonly settings: Settings;

  constructor(scope: Construct, id: string, props: SpeedLayerProps) {
    super(scope, id);
    this.settings = resolveSettings(props);
    this.metricsServiceName = Names.uniqueResourceName(this, { maxLength: 200, separator: '-' });

    [this.deadLetterKey, this.deadLetterQueue] = this.createDeadLetterQueue();
    this.logGroup = this.createLogGroup(props.logRetention, props.logEncryptionKey);
    const role = this.createRole();
    this.function = this.createFunction(role, props);
    props.endpoint.grantInvoke(this.function);
    props.view.grantWriteScores(this.function);
    // The handler's SendMessageBatch uses the sqs:SendMessage grant (with the queue key) that
    // the on-failure destination of the event source gives the function's role.
    [this.consumer, this.eventSource] = this.createEventSource(props.stream, props.startingPosition);
    this.function.addEventSource(this.eventSource);
    [this.iteratorAgeAlarm, this.errorsAlarm, this.deadLetterAlarm, this.deadLetterAgeAlarm] =
      this.createAlarms(new cloudwatchActions.SnsAction(props.alarmTopic));
    this.acknowledgeFindings(role);
  }

  private createDeadLetterQueue(): [kms.Key, sqs.Queue] {
    const removalPolicy = this.settings.removalPolicy;
    const key = new kms.Key(this, 'DeadLetterKey', {
      description: 'Speed-layer dead-letter queue',
      enableKeyRotation: true,
      removalPolicy,
      pendingWindow: Duration.days(7),
    });
    const queue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: key,
      enforceSSL: true,
      retentionPeriod: DEAD_LETTER_RETENTION,
      // Only this speed layer writes here: no other queue may name it as its dead-letter queue.
      redriveAllowPolicy: { redrivePermission: sqs.RedrivePermission.DENY_ALL },
      removalPolicy,
    });
    return [key, queue];
  }

  /** Named from the stack and construct path, so a key policy can name exactly this group. */
  private createLogGroup(retention: logs.RetentionDays | undefined, encryptionKey: kms.IKey | undefined): logs.LogGroup {
    const logGroupName = `/aws/lambda/${Names.uniqueResourceName(this, { maxLength: 200, separator: '-' })}`;
    const group = new logs.LogGroup(this, 'Logs', {
      logGroupName,
      retention: retention ?? logs.RetentionDays.ONE_WEEK,
      encryptionKey,
      removalPolicy: this.settings.removalPolicy,
    });
    if (encryptionKey) admitLogGroups(this, encryptionKey, logGroupName);
    return group;
  }

  /** Its own role, so that it may write only to its own log group. */
  private createRole(): iam.Role {
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Speed-layer function',
    });
    this.logGroup.grantWrite(role);
    return role;
  }

  private createFunction(role: iam.Role, props: SpeedLayerProps): lambda.Function {
    const { handlerEntry, maxPayloadBytes, viewTtl } = this.settings;
    return new lambda.Function(this, 'Function', {
      role,
      code: bundledHandler('SpeedLayer: handlerEntry', handlerEntry, { minify: true, sourcemap: true }),
      handler: 'index.handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 512,
      timeout: Duration.minutes(1),
      logGroup: this.logGroup,
      description: 'Speed layer: scores stream batches with SageMaker and writes the real-time view',
      environment: {
        ENDPOINT_NAME: props.endpoint.endpointName,
        TABLE_NAME: props.view.table.tableName,
        DEAD_LETTER_QUEUE_URL: this.deadLetterQueue.queueUrl,
        MAX_PAYLOAD_BYTES: String(maxPayloadBytes),
        TTL_SECONDS: String(viewTtl.toSeconds()),
        MAX_WRITE_ATTEMPTS: '4',
        POWERTOOLS_SERVICE_NAME: this.metricsServiceName,
        POWERTOOLS_METRICS_NAMESPACE: this.metricsNamespace,
      },
    });
  }

  /**
   * The event source mapping: batch item failures, bisect on error, bounded retries and record
   * age, failed batches' metadata to the dead-letter queue; through an enhanced fan-out consumer
   * unless turned off.
   */
  private createEventSource(
    stream: kinesis.IStream, startingPosition: lambda.StartingPosition | undefined,
  ): [kinesis.StreamConsumer | undefined, sources.KinesisEventSource | sources.KinesisConsumerEventSource] {
    const s = this.settings;
    const mapping: sources.KinesisEventSourceProps = {
      startingPosition: startingPosition ?? lambda.StartingPosition.TRIM_HORIZON,
      batchSize: s.batchSize,
      maxBatchingWindow: s.maxBatchingWindow,
      parallelizationFactor: s.parallelizationFactor,
      retryAttempts: s.retryAttempts,
      maxRecordAge: s.maxRecordAge,
      bisectBatchOnError: true,
      reportBatchItemFailures: true,
      onFailure: new sources.SqsDlq(this.deadLetterQueue),
    };
    if (!s.enhancedFanOut) return [undefined, new sources.KinesisEventSource(stream, mapping)];
    const consumer = new kinesis.StreamConsumer(this, 'Consumer', {
      stream,
      streamConsumerName: Names.uniqueResourceName(this, { maxLength: 128 }),
    });
    // The consumer's read grant covers SubscribeToShard; the stream's covers its key.
    stream.encryptionKey?.grantDecrypt(this.function);
    return [consumer, new sources.KinesisConsumerEventSource(consumer, mapping)];
  }

  /** Iterator age, errors, dead letters waiting, and the oldest dead letter's age; each notifies on alarm and on OK. */
  private createAlarms(action: cloudwatch.IAlarmAction): [cloudwatch.Alarm, cloudwatch.Alarm, cloudwatch.Alarm, cloudwatch.Alarm] {
    const alarm = (alarmId: string, metric: cloudwatch.Metric, threshold: number, description: string) => {
      const a = metric.createAlarm(this, alarmId, {
        threshold,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      a.addAlarmAction(action);
      a.addOkAction(action);
      return a;
    };
    const behind = this.settings.iteratorAgeThreshold;
    const period = Duration.minutes(5);
    const expiresIn = DEAD_LETTER_RETENTION.toSeconds() / 2;
    return [
      alarm('IteratorAgeAlarm', this.function.metric('IteratorAge', { statistic: 'Maximum', period }), behind.toMilliseconds(),
        `The speed layer is ${behind.toHumanString()} or more behind the stream`),
      alarm('ErrorsAlarm', this.function.metricErrors({ period }), 1, 'The speed-layer function failed whole invocations'),
      alarm('DeadLetterAlarm', this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }), 1,
        'Poison records or failed batches are waiting in the speed-layer dead-letter queue'),
      alarm('DeadLetterAgeAlarm', this.deadLetterQueue.metricApproximateAgeOfOldestMessage({ period, statistic: 'Maximum' }), expiresIn,
        `The oldest dead letter is ${expiresIn / 86_400} days old; SQS deletes it at ${DEAD_LETTER_RETENTION.toDays()} days`),
    ];
  }

  /** The findings this construct causes by design, each with why it stands. */
  private acknowledgeFindings(role: iam.Role): void {
    const policy = role.node.findChild('DefaultPolicy');
    for (const action of ['kms:GenerateDataKey*', 'kms:ReEncrypt*']) {
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Action::${action}]`,
        reason: 'DynamoDB tables and SQS queues encrypted with a customer-managed key need these on the one key (the ' +
          'documented DynamoDB key-policy action set, and the Lambda on-failure destination grant)',
      });
    }
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is the dead-letter queue: it receives poison records and the event source mapping failures',
    });
    const compliance = (scope: Construct, rule: string, reason: string, packs: string[]) => {
      for (const pack of packs) Validations.of(scope).acknowledge({ id: `${pack}-${rule}`, reason });
    };
    const all = ['PCI.DSS.321', 'NIST.800.53.R5', 'HIPAA.Security'];
    compliance(role, 'IAMNoInlinePolicy',
      'The policy belongs to this one role and names only its log group, endpoint, table, queue and keys; as the role\'s own ' +
        'policy it is deleted with it and cannot be attached elsewhere ' +
        '(https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html).', all);
    compliance(this.function, 'LambdaInsideVPC',
      'The function has no inbound path and calls only AWS APIs over TLS with SigV4 (SageMaker Runtime, DynamoDB, SQS). In a VPC ' +
        'with no internet route it would need a SageMaker Runtime and an SQS interface endpoint (about $15 a month per AZ, on ' +
        'top of the DynamoDB gateway endpoint) for no change to what it can reach; see docs/security-and-compliance.md.', all);
    compliance(this.function, 'LambdaConcurrency',
      'The event source mapping bounds concurrency to shards × parallelizationFactor. Reserving concurrency would fail the ' +
        'first deploy in accounts whose quota leaves less than 100 unreserved ' +
        '(https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html).', ['NIST.800.53.R5', 'HIPAA.Security']);
    compliance(this.function, 'LambdaDLQ',
      'A stream event source invokes the function synchronously, where a function dead-letter queue never applies; the ' +
        'mapping\'s on-failure destination and the handler send failures to this construct\'s dead-letter queue.',
      ['NIST.800.53.R5', 'HIPAA.Security']);
  }

  /** A handler metric (`scored`, `high_risk`, `dead_lettered`, `failed`, `latency`). */
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

  public metricScored(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('scored', props);
  }

  public metricHighRisk(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('high_risk', props);
  }

  public metricDeadLettered(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('dead_lettered', props);
  }

  /** Milliseconds from stream arrival to written view, per batch. @default maximum over 5 minutes */
  public metricLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('latency', { statistic: 'Maximum', ...props });
  }
}

/** The props with their defaults, validated. */
interface Settings {
  readonly maxPayloadBytes: number;
  readonly enhancedFanOut: boolean;
  readonly batchSize: number;
  readonly maxBatchingWindow: Duration;
  readonly parallelizationFactor: number;
  readonly retryAttempts: number;
  readonly maxRecordAge: Duration;
  readonly viewTtl: Duration;
  readonly removalPolicy: RemovalPolicy;
  readonly iteratorAgeThreshold: Duration;
  readonly handlerEntry: string;
}

function resolveSettings(props: SpeedLayerProps): Settings {
  const maxRecordAge = props.maxRecordAge ?? Duration.hours(1);
  const settings: Settings = {
    maxPayloadBytes: props.maxPayloadBytes ?? 4_000_000,
    enhancedFanOut: props.enhancedFanOut ?? true,
    batchSize: props.batchSize ?? 500,
    maxBatchingWindow: props.maxBatchingWindow ?? Duration.seconds(1),
    parallelizationFactor: props.parallelizationFactor ?? 1,
    retryAttempts: props.retryAttempts ?? 5,
    maxRecordAge,
    viewTtl: props.viewTtl ?? Duration.days(30),
    removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    iteratorAgeThreshold: props.iteratorAgeAlarmThreshold ?? Duration.seconds(Math.floor(maxRecordAge.toSeconds() / 2)),
    handlerEntry: path.resolve(props.handlerEntry ?? path.join(__dirname, '..', '..', 'lambda', 'speed-layer', 'index.ts')),
  };
  const range = (name: string, value: number, min: number, max: number, unit = '') => {
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new Error(`SpeedLayer: ${name} must be a whole number ${min}–${max}${unit}, got ${value}`);
    }
  };
  range('maxPayloadBytes', settings.maxPayloadBytes, 1024, MAX_SERVERLESS_OR_INSTANCE_PAYLOAD);
  range('batchSize', settings.batchSize, 1, 10_000);
  range('maxBatchingWindow', settings.maxBatchingWindow.toSeconds(), 0, 300, ' seconds');
  range('parallelizationFactor', settings.parallelizationFactor, 1, 10);
  range('retryAttempts', settings.retryAttempts, 0, 10_000);
  range('maxRecordAge', maxRecordAge.toSeconds(), 60, 604_800, ' seconds');
  range('viewTtl', settings.viewTtl.toSeconds(), 3600, 365 * 86_400, ' seconds');
  const entry = settings.handlerEntry;
  if (!/\.[cm]?[jt]s$/.test(entry) || !fs.statSync(entry, { throwIfNoEntry: false })?.isFile()) {
    throw new Error(`SpeedLayer: handlerEntry must be an existing .ts or .js file, got ${entry}`);
  }
  return settings;
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
