import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

/** A saved query shown in the workgroup and runnable by name (`npm run query -- --named <name>`). */
export interface NamedQuery {
  /** 1–128 characters; unique within the workgroup. */
  readonly name: string;
  readonly description: string;
  readonly sql: string;
}

export interface QueryWorkgroupProps {
  /** Workgroup name: 1–128 letters, digits, `.`, `_` or `-`. */
  readonly workGroupName: string;
  /** Bucket for query results. */
  readonly resultsBucket: s3.IBucket;
  /**
   * Key prefix for query results; ends with `/`.
   * @default 'athena/'
   */
  readonly resultsPrefix?: string;
  /** Key that encrypts query results (SSE_KMS). */
  readonly key: kms.IKey;
  /**
   * Per-query data-scanned cutoff in bytes: Athena cancels a query that scans more.
   * Athena's minimum is 10 MB (10,000,000 bytes).
   * @default 1,000,000,000 (1 GB)
   */
  readonly bytesScannedCutoffPerQuery?: number;
  /**
   * Workgroup-level control: alarm when the workgroup scans more than this many bytes
   * within `dataScannedAlarmPeriod` (AWS/Athena ProcessedBytes, Sum).
   * @default 10,000,000,000 (10 GB)
   */
  readonly dataScannedAlarmBytes?: number;
  /**
   * Period over which `dataScannedAlarmBytes` is summed: whole minutes, 1 minute to 1 day.
   * @default Duration.hours(1)
   */
  readonly dataScannedAlarmPeriod?: Duration;
  /**
   * Topic the data-scanned alarm notifies. Required: an alarm without an action is noise, and
   * CloudWatch can publish only to a topic whose key policy lets it.
   */
  readonly alarmTopic: sns.ITopic;
  /**
   * Delete the workgroup together with its saved queries and query history when the stack
   * is deleted. Without it, deleting a workgroup that has named queries fails.
   * @default false
   */
  readonly recursiveDeleteOption?: boolean;
  /**
   * What happens to the workgroup (and its query history) when the stack is deleted. Named
   * queries are always deleted with the stack: they are defined here.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Glue database the named queries run against. Required when `namedQueries` is not empty.
   * @default - none
   */
  readonly databaseName?: string;
  /**
   * Saved queries to create in the workgroup.
   * @default []
   */
  readonly namedQueries?: NamedQuery[];
}

/** Athena's latest engine, set explicitly so an automatic upgrade never changes query semantics unannounced. */
export const ATHENA_ENGINE_VERSION = 'Athena engine version 3';
/** Athena rejects a smaller per-query cutoff (WorkGroupConfiguration.BytesScannedCutoffPerQuery). */
export const MIN_BYTES_SCANNED_CUTOFF = 10_000_000;

const WORKGROUP_NAME = /^[a-zA-Z0-9._-]{1,128}$/;
const PREFIX = /^(?:[A-Za-z0-9!_.*'()-]+\/)+$/;
const MAX_QUERY_CHARS = 262_144;

/**
 * An Athena workgroup for the lake, with both of Athena's cost controls.
 *
 * - Enforced configuration: clients cannot change the result location, the encryption or the cutoff.
 * - Results under `s3://<bucket>/<resultsPrefix>`, SSE_KMS with the given key.
 * - Per-query control: `bytesScannedCutoffPerQuery`.
 * - Workgroup-level control: an alarm on the data the workgroup scans per period, with an SNS action.
 * - CloudWatch metrics on, engine version pinned to the latest.
 */
export class QueryWorkgroup extends Construct {
  public readonly workGroup: athena.CfnWorkGroup;
  public readonly workGroupName: string;
  public readonly workGroupArn: string;
  /** `s3://<bucket>/<resultsPrefix>` */
  public readonly outputLocation: string;
  public readonly dataScannedAlarm: cloudwatch.Alarm;
  public readonly namedQueries: athena.CfnNamedQuery[];

  private readonly resultsBucket: s3.IBucket;
  private readonly resultsPrefix: string;
  private readonly key: kms.IKey;

  constructor(scope: Construct, id: string, props: QueryWorkgroupProps) {
    super(scope, id);

    const resultsPrefix = props.resultsPrefix ?? 'athena/';
    const cutoff = props.bytesScannedCutoffPerQuery ?? 1_000_000_000;
    const alarmBytes = props.dataScannedAlarmBytes ?? 10_000_000_000;
    const alarmPeriod = props.dataScannedAlarmPeriod ?? Duration.hours(1);
    const namedQueries = props.namedQueries ?? [];
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    if (!WORKGROUP_NAME.test(props.workGroupName)) {
      throw new Error(`QueryWorkgroup: workGroupName must be 1–128 letters, digits, ".", "_" or "-", got "${props.workGroupName}"`);
    }
    if (!PREFIX.test(resultsPrefix)) {
      throw new Error(`QueryWorkgroup: resultsPrefix must be one or more folder names each ending with "/", got "${resultsPrefix}"`);
    }
    if (!Number.isInteger(cutoff) || cutoff < MIN_BYTES_SCANNED_CUTOFF) {
      throw new Error(
        `QueryWorkgroup: bytesScannedCutoffPerQuery must be a whole number of bytes ≥ ${MIN_BYTES_SCANNED_CUTOFF} (10 MB, the Athena minimum), got ${cutoff}`,
      );
    }
    if (!Number.isInteger(alarmBytes) || alarmBytes < 1) {
      throw new Error(`QueryWorkgroup: dataScannedAlarmBytes must be a whole number of bytes ≥ 1, got ${alarmBytes}`);
    }
    const periodSeconds = alarmPeriod.toSeconds();
    // CloudWatch: period a multiple of 60 s; period × evaluation periods (1 here) at most one day.
    if (periodSeconds % 60 !== 0 || periodSeconds < 60 || periodSeconds > 86_400) {
      throw new Error(`QueryWorkgroup: dataScannedAlarmPeriod must be whole minutes from 1 minute to 1 day, got ${periodSeconds} seconds`);
    }
    const database = props.databaseName;
    if (namedQueries.length > 0 && database === undefined) {
      throw new Error('QueryWorkgroup: databaseName must be set when namedQueries is not empty, got undefined');
    }
    const seen = new Set<string>();
    for (const q of namedQueries) {
      if (q.name.length < 1 || q.name.length > 128 || seen.has(q.name)) {
        throw new Error(`QueryWorkgroup: namedQueries names must be unique and 1–128 characters, got "${q.name}"`);
      }
      seen.add(q.name);
      if (q.sql.trim().length === 0 || q.sql.length > MAX_QUERY_CHARS) {
        throw new Error(`QueryWorkgroup: namedQueries sql must be 1–${MAX_QUERY_CHARS} characters, got ${q.sql.length} for "${q.name}"`);
      }
    }

    this.resultsBucket = props.resultsBucket;
    this.resultsPrefix = resultsPrefix;
    this.key = props.key;
    this.outputLocation = `s3://${props.resultsBucket.bucketName}/${resultsPrefix}`;

    this.workGroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: props.workGroupName,
      description: 'Data lake queries, with per-query and per-workgroup data-scanned limits',
      state: 'ENABLED',
      recursiveDeleteOption: props.recursiveDeleteOption ?? false,
      workGroupConfiguration: {
        engineVersion: { selectedEngineVersion: ATHENA_ENGINE_VERSION },
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: cutoff,
        requesterPaysEnabled: false,
        resultConfiguration: {
          outputLocation: this.outputLocation,
          encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKey: props.key.keyArn },
        },
      },
    });
    this.workGroup.applyRemovalPolicy(removalPolicy);
    this.workGroupName = this.workGroup.ref;
    this.workGroupArn = Stack.of(this).formatArn({ service: 'athena', resource: 'workgroup', resourceName: this.workGroupName });

    this.dataScannedAlarm = this.metricDataScanned({ period: alarmPeriod }).createAlarm(this, 'DataScannedAlarm', {
      alarmDescription: `Workgroup ${props.workGroupName} scanned more than ${alarmBytes} bytes in ${periodSeconds / 60} minutes`,
      threshold: alarmBytes,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      // No queries, no data points: that is the cheapest state, not a problem.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.dataScannedAlarm.addAlarmAction(new cloudwatchActions.SnsAction(props.alarmTopic));

    this.namedQueries =
      database === undefined
        ? []
        : namedQueries.map(
            // Always deleted: a changed query replaces its resource, and a retained old copy
            // would leave two saved queries with the same name.
            (q, i) =>
              new athena.CfnNamedQuery(this, `NamedQuery${i}`, {
                name: q.name,
                description: q.description,
                database,
                queryString: q.sql,
                workGroup: this.workGroup.ref,
              }),
          );
  }

  /** Bytes the workgroup's queries scanned (AWS/Athena ProcessedBytes), summed per period. */
  public metricDataScanned(props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/Athena',
      metricName: 'ProcessedBytes',
      dimensionsMap: { WorkGroup: this.workGroupName },
      statistic: cloudwatch.Stats.SUM,
      ...props,
    });
  }

  /**
   * Run queries in this workgroup and read their results: Athena query and named-query
   * actions on the workgroup, read/write on the results prefix, and use of the results key.
   *
   * Queries also need read access to what they query, which this does not grant:
   * Glue read on the tables (`LakeCatalog.grantRead`) and S3 read on the zones
   * (`DataLakeStorage.grantRawRead`/`grantCuratedRead`).
   */
  public grantQuery(grantee: iam.IGrantable): iam.Grant {
    const grant = iam.Grant.addToPrincipal({
      grantee,
      actions: [
        'athena:StartQueryExecution',
        'athena:GetQueryExecution',
        'athena:GetQueryResults',
        'athena:StopQueryExecution',
        'athena:GetWorkGroup',
        'athena:ListNamedQueries',
        'athena:GetNamedQuery',
        'athena:BatchGetNamedQuery',
      ],
      resourceArns: [this.workGroupArn],
    });
    this.resultsBucket.grantReadWrite(grantee, `${this.resultsPrefix}*`);
    this.key.grantEncryptDecrypt(grantee);
    return grant;
  }
}
