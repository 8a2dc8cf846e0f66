import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

/** Kinesis per-shard limits (Kinesis Data Streams quotas). */
const SHARD_WRITE_KBPS = 1000;
const SHARD_WRITE_RECORDS_PER_SECOND = 1000;
/** Shared by all standard (polling) consumers of a shard. */
const SHARD_READ_KBPS = 2000;
/** Kinesis allows at most 20 enhanced fan-out consumers per stream. */
const MAX_EFO_CONSUMERS = 20;
/** Kinesis retention range: 24 hours to 365 days. */
const MIN_RETENTION_HOURS = 24;
const MAX_RETENTION_HOURS = 8760;

/** The peak load the stream must carry, for sizing a provisioned stream. */
export interface ExpectedThroughput {
  /** Peak write rate in KB/s (> 0). */
  readonly writeKBps: number;
  /** Peak write rate in records/s (> 0). */
  readonly recordsPerSecond: number;
  /**
   * Read rate of each standard consumer in KB/s (≥ 0).
   * @default writeKBps (each consumer reads everything)
   */
  readonly readKBps?: number;
  /**
   * Standard (polling) consumers. They share a shard's 2 MB/s of reads.
   * @default 1
   */
  readonly standardConsumers?: number;
  /**
   * Enhanced fan-out consumers (0–20). Each gets its own 2 MB/s per shard, so they
   * do not add shards; the count is only validated.
   * @default 0
   */
  readonly enhancedFanOutConsumers?: number;
}

/**
 * Shards needed for a throughput: ceil(max(write KB/s ÷ 1000, records/s ÷ 1000,
 * read KB/s × standard consumers ÷ 2000)), at least 1.
 */
export function shardsForThroughput(t: ExpectedThroughput): number {
  const readKBps = t.readKBps ?? t.writeKBps;
  const standardConsumers = t.standardConsumers ?? 1;
  const efoConsumers = t.enhancedFanOutConsumers ?? 0;
  requireNumber('writeKBps', t.writeKBps, 'a number > 0', (v) => v > 0);
  requireNumber('recordsPerSecond', t.recordsPerSecond, 'a number > 0', (v) => v > 0);
  requireNumber('readKBps', readKBps, 'a number ≥ 0', (v) => v >= 0);
  requireNumber('standardConsumers', standardConsumers, 'a whole number ≥ 0', (v) => Number.isInteger(v) && v >= 0);
  requireNumber('enhancedFanOutConsumers', efoConsumers, `a whole number 0–${MAX_EFO_CONSUMERS}`,
    (v) => Number.isInteger(v) && v >= 0 && v <= MAX_EFO_CONSUMERS);
  const shards = Math.max(
    t.writeKBps / SHARD_WRITE_KBPS,
    t.recordsPerSecond / SHARD_WRITE_RECORDS_PER_SECOND,
    (readKBps * standardConsumers) / SHARD_READ_KBPS,
  );
  return Math.max(1, Math.ceil(shards));
}

/** How the stream gets its capacity. */
export class StreamCapacity {
  /** On-demand: Kinesis scales the stream; billed per stream-hour and per GB. */
  public static onDemand(): StreamCapacity {
    return new StreamCapacity('on-demand', undefined);
  }

  /** A fixed number of provisioned shards (a whole number ≥ 1). */
  public static shards(count: number): StreamCapacity {
    requireNumber('shardCount', count, 'a whole number ≥ 1', (v) => Number.isInteger(v) && v >= 1);
    return new StreamCapacity('provisioned', count);
  }

  /** Provisioned shards sized from the expected peak throughput (see `shardsForThroughput`). */
  public static forThroughput(throughput: ExpectedThroughput): StreamCapacity {
    return new StreamCapacity('provisioned', shardsForThroughput(throughput));
  }

  private constructor(
    public readonly mode: 'on-demand' | 'provisioned',
    /** Shard count when provisioned. */
    public readonly shardCount: number | undefined,
  ) {}
}

export interface IngestionStreamProps {
  /** Topic that every alarm notifies. Required: an alarm without an action goes unseen. */
  readonly alarmTopic: sns.ITopic;
  /**
   * Capacity: on-demand, a shard count, or sized from expected throughput.
   * @default StreamCapacity.shards(1) (the cheapest when idle)
   */
  readonly capacity?: StreamCapacity;
  /**
   * How long records stay readable: 24–8760 hours. Beyond 24 h costs extra.
   * @default Duration.hours(24)
   */
  readonly retention?: Duration;
  /**
   * Key for server-side encryption.
   * @default - a new customer-managed key with rotation
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Iterator-age alarm threshold as a fraction of retention (0 < f < 1). A consumer this
   * far behind loses records once it falls behind by the whole retention.
   * @default 0.5
   */
  readonly iteratorAgeAlarmFraction?: number;
  /**
   * What happens to the stream and a created key when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** Alarms on the stream, each notifying the alarm topic. */
export interface IngestionStreamAlarms {
  /** The oldest unread record is older than `iteratorAgeAlarmFraction` of retention. */
  readonly iteratorAge: cloudwatch.Alarm;
  /** Writes throttled for 15 minutes in a row. */
  readonly writeThrottled: cloudwatch.Alarm;
  /** Reads throttled for 15 minutes in a row. */
  readonly readThrottled: cloudwatch.Alarm;
  /** PutRecords entries failed internally for 15 minutes in a row. */
  readonly putRecordsFailed: cloudwatch.Alarm;
}

/**
 * A KMS-encrypted Kinesis data stream sized for its load, with alarms.
 *
 * Grants come from the L2: `ingestion.stream.grantWrite(producer)`.
 */
export class IngestionStream extends Construct {
  public readonly stream: kinesis.Stream;
  /** The stream's key: the one passed in, or the one created. */
  public readonly key: kms.IKey;
  public readonly capacity: StreamCapacity;
  public readonly retention: Duration;
  public readonly alarms: IngestionStreamAlarms;

  constructor(scope: Construct, id: string, props: IngestionStreamProps) {
    super(scope, id);
    this.capacity = props.capacity ?? StreamCapacity.shards(1);
    this.retention = props.retention ?? Duration.hours(24);
    const fraction = props.iteratorAgeAlarmFraction ?? 0.5;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    const hours = this.retention.toHours({ integral: false });
    if (!(Number.isInteger(hours) && hours >= MIN_RETENTION_HOURS && hours <= MAX_RETENTION_HOURS)) {
      throw new Error(`IngestionStream: retention must be ${MIN_RETENTION_HOURS}–${MAX_RETENTION_HOURS} whole hours, got ${hours}`);
    }
    if (!(fraction > 0 && fraction < 1)) {
      throw new Error(`IngestionStream: iteratorAgeAlarmFraction must be between 0 and 1 (exclusive), got ${fraction}`);
    }

    this.key = props.encryptionKey ?? new kms.Key(this, 'Key', {
      description: 'Ingestion stream',
      enableKeyRotation: true,
      removalPolicy,
      pendingWindow: Duration.days(7),
    });

    const onDemand = this.capacity.mode === 'on-demand';
    this.stream = new kinesis.Stream(this, 'Stream', {
      streamMode: onDemand ? kinesis.StreamMode.ON_DEMAND : kinesis.StreamMode.PROVISIONED,
      shardCount: this.capacity.shardCount,
      retentionPeriod: this.retention,
      encryption: kinesis.StreamEncryption.KMS,
      encryptionKey: this.key,
      removalPolicy,
    });
    Validations.of(this.stream).acknowledge({
      id: 'AwsSolutions-KDS3',
      reason: 'The stream uses a customer-managed key with rotation instead of aws/kinesis, as the lake requires for key ' +
        'policy control and audit.',
    });

    const action = new actions.SnsAction(props.alarmTopic);
    const period = Duration.minutes(5);
    const sustained = (id: string, metric: cloudwatch.Metric, description: string) =>
      this.alarm(id, action, {
        metric,
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        alarmDescription: description,
      });
    this.alarms = {
      iteratorAge: this.alarm('IteratorAgeAlarm', action, {
        metric: this.stream.metricGetRecordsIteratorAgeMilliseconds({ statistic: 'Maximum', period }),
        threshold: this.retention.toMilliseconds() * fraction,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        alarmDescription: `A consumer is ${fraction * 100}% of the retention (${hours} h) behind; records expire unread at 100%.`,
      }),
      writeThrottled: sustained('WriteThrottledAlarm',
        this.stream.metricWriteProvisionedThroughputExceeded({ statistic: 'Sum', period }),
        'Writes throttled for 15 minutes: add shards or use on-demand.'),
      readThrottled: sustained('ReadThrottledAlarm',
        this.stream.metricReadProvisionedThroughputExceeded({ statistic: 'Sum', period }),
        'Reads throttled for 15 minutes: add shards or move consumers to enhanced fan-out.'),
      putRecordsFailed: sustained('PutRecordsFailedAlarm',
        this.stream.metricPutRecordsFailedRecords({ statistic: 'Sum', period }),
        'PutRecords entries failed internally for 15 minutes; producers retry them, check for loss.'),
    };
  }

  private alarm(id: string, action: cloudwatch.IAlarmAction, props: cloudwatch.AlarmProps): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, { treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING, ...props });
    alarm.addAlarmAction(action);
    return alarm;
  }
}

function requireNumber(prop: string, value: number, rule: string, ok: (v: number) => boolean): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || !ok(value)) {
    throw new Error(`IngestionStream: ${prop} must be ${rule}, got ${value}`);
  }
}
