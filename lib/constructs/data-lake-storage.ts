import { Annotations, ArnFormat, Aws, CfnResource, Duration, Names, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface DataLakeStorageProps {
  /**
   * What happens to the buckets and the key when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Empty the buckets on stack deletion, so that DESTROY leaves nothing behind.
   * Only allowed with RemovalPolicy.DESTROY.
   * @default false
   */
  readonly autoDeleteObjects?: boolean;
  /**
   * Keep object versions on every bucket, the access-logs bucket included (noncurrent
   * versions expire after `noncurrentVersionExpireAfterDays`).
   * @default true
   */
  readonly versioned?: boolean;
  /**
   * Days after creation when raw objects move to Standard-IA. S3 requires at least 30.
   * @default 30
   */
  readonly rawInfrequentAccessAfterDays?: number;
  /**
   * Days after creation when raw objects move to Glacier Flexible Retrieval.
   * S3 requires at least 30 days in Standard-IA first.
   * @default 90
   */
  readonly rawGlacierAfterDays?: number;
  /**
   * Days after creation when curated objects move to Intelligent-Tiering (0 or more).
   * @default 0
   */
  readonly curatedIntelligentTieringAfterDays?: number;
  /**
   * Days after which Athena query results are deleted (1 or more).
   * @default 7
   */
  readonly queryResultsExpireAfterDays?: number;
  /**
   * Days after which noncurrent object versions are deleted (1 or more).
   * @default 30
   */
  readonly noncurrentVersionExpireAfterDays?: number;
  /**
   * Days after which server access logs are deleted (1 or more).
   * @default 90
   */
  readonly accessLogsExpireAfterDays?: number;
  /**
   * Alias for the lake key, e.g. `alias/lake-data`.
   * @default - no alias
   */
  readonly keyAlias?: string;
  /**
   * Retention of the log group of the function that empties the buckets (with autoDeleteObjects).
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly autoDeleteLogRetention?: logs.RetentionDays;
  /**
   * Customer-managed key for that log group. Its policy gets a statement that lets CloudWatch
   * Logs use it for exactly that group (a key defined in this app only).
   * @default - CloudWatch Logs' own encryption
   */
  readonly logEncryptionKey?: kms.IKey;
}

/** S3 lifecycle minimums (S3 User Guide, "Constraints and considerations for transitions"). */
const MIN_DAYS_BEFORE_STANDARD_IA = 30;
const MIN_DAYS_IN_STANDARD_IA = 30;

/** The props with their defaults, validated. */
interface Settings {
  readonly removalPolicy: RemovalPolicy;
  readonly autoDeleteObjects: boolean;
  readonly versioned: boolean;
  readonly iaDays: number;
  readonly glacierDays: number;
  readonly tieringDays: number;
  readonly resultsDays: number;
  readonly noncurrentDays: number;
  readonly logsDays: number;
}

/**
 * The lake's S3 zones and their key.
 *
 * - raw: every event as delivered, the immutable source of truth. Standard → Standard-IA → Glacier by age.
 * - curated: Parquet batch views. Intelligent-Tiering.
 * - queryResults: Athena results. Expire.
 * - accessLogs: S3 server access logs of the other three. SSE-S3, because S3 log delivery
 *   cannot write to SSE-KMS buckets. Versioned like the others, so a deleted or overwritten
 *   log stays recoverable until its noncurrent version expires. Its bucket policy lets the S3
 *   logging service write each zone's logs under that zone's prefix, so it needs no ACL and
 *   no feature flag.
 *
 * Every bucket blocks public access, enforces TLS and bucket-owner ownership, and
 * aborts incomplete multipart uploads after one day.
 */
export class DataLakeStorage extends Construct {
  /** Customer-managed key, with rotation, for the raw, curated and query-results buckets. */
  public readonly key: kms.Key;
  public readonly rawBucket: s3.Bucket;
  public readonly curatedBucket: s3.Bucket;
  public readonly queryResultsBucket: s3.Bucket;
  /** Target for server access logs. SSE-S3. */
  public readonly accessLogsBucket: s3.Bucket;
  /** Log group of the stack's auto-delete-objects function, with autoDeleteObjects. */
  public readonly autoDeleteLogGroup?: logs.LogGroup;

  private readonly settings: Settings;

  constructor(scope: Construct, id: string, props: DataLakeStorageProps = {}) {
    super(scope, id);
    this.settings = resolveSettings(props);
    const { iaDays, glacierDays, tieringDays, resultsDays } = this.settings;

    this.key = this.createKey(props.keyAlias);
    this.accessLogsBucket = this.createAccessLogsBucket();
    this.rawBucket = this.createZone('Raw', 'raw/', {
      id: 'AgeToColderStorage',
      transitions: [
        { storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(iaDays) },
        { storageClass: s3.StorageClass.GLACIER, transitionAfter: Duration.days(glacierDays) },
      ],
    });
    this.curatedBucket = this.createZone('Curated', 'curated/', {
      id: 'IntelligentTiering',
      transitions: [{ storageClass: s3.StorageClass.INTELLIGENT_TIERING, transitionAfter: Duration.days(tieringDays) }],
    });
    this.queryResultsBucket = this.createZone('QueryResults', 'query-results/', {
      id: 'ExpireResults',
      expiration: Duration.days(resultsDays),
    });
    this.acknowledgeNoReplication();
    if (this.settings.autoDeleteObjects) {
      this.autoDeleteLogGroup = this.giveAutoDeleteALogGroup(
        props.autoDeleteLogRetention ?? logs.RetentionDays.ONE_MONTH, props.logEncryptionKey);
    }
  }

  private createKey(alias: string | undefined): kms.Key {
    return new kms.Key(this, 'Key', {
      description: 'Data lake: raw, curated and query-results zones',
      enableKeyRotation: true,
      alias,
      removalPolicy: this.settings.removalPolicy,
      pendingWindow: Duration.days(7),
    });
  }

  /** What every bucket has: no public access, TLS 1.2 only, no ACLs, the removal settings. */
  private commonBucketProps(): s3.BucketProps {
    return {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: this.settings.removalPolicy,
      autoDeleteObjects: this.settings.autoDeleteObjects,
      versioned: this.settings.versioned,
    };
  }

  /** Aborting stale multipart uploads, and expiring noncurrent versions when versioned, then `own`. */
  private lifecycleRules(own: s3.LifecycleRule): s3.LifecycleRule[] {
    const { versioned, noncurrentDays } = this.settings;
    return [
      { id: 'AbortIncompleteMultipartUploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ...(versioned ? [{ id: 'ExpireNoncurrentVersions', noncurrentVersionExpiration: Duration.days(noncurrentDays) }] : []),
      own,
    ];
  }

  private createAccessLogsBucket(): s3.Bucket {
    const bucket = new s3.Bucket(this, 'AccessLogs', {
      ...this.commonBucketProps(),
      encryption: s3.BucketEncryption.S3_MANAGED,
      lifecycleRules: this.lifecycleRules({ id: 'ExpireLogs', expiration: Duration.days(this.settings.logsDays) }),
    });
    acknowledge(bucket, 'S3DefaultEncryptionKMS',
      'S3 server access log delivery writes only to a target bucket with SSE-S3 default encryption ' +
        '(https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html); the logs hold request ' +
        'metadata, not object data, and the bucket blocks public access and enforces TLS.');
    return bucket;
  }

  /** A zone bucket, encrypted with the lake key, that logs to the access-logs bucket under `logPrefix`. */
  private createZone(id: string, logPrefix: string, rule: s3.LifecycleRule): s3.Bucket {
    const bucket = new s3.Bucket(this, id, {
      ...this.commonBucketProps(),
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      lifecycleRules: this.lifecycleRules(rule),
    });
    this.logAccessTo(bucket, logPrefix);
    return bucket;
  }

  /**
   * Server access logging of `source` to the access-logs bucket under `prefix`. With
   * bucket-owner-enforced ownership ACLs are off, so the log delivery group cannot be granted
   * by ACL; the target's bucket policy grants the logging service principal s3:PutObject,
   * for this source bucket and account only
   * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html#grant-log-delivery-permissions-general,
   * https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketLogging.html). The L2's
   * `serverAccessLogsBucket` does this only with the feature flag
   * `@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy`, and without it sets the
   * LogDeliveryWrite ACL, which this ownership setting forbids; so the logging
   * configuration is set here, on the bucket's L1, and works with or without the flag.
   */
  private logAccessTo(source: s3.Bucket, prefix: string): void {
    (source.node.defaultChild as s3.CfnBucket).loggingConfiguration = {
      destinationBucketName: this.accessLogsBucket.bucketName,
      logFilePrefix: prefix,
    };
    this.accessLogsBucket.addToResourcePolicy(new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal('logging.s3.amazonaws.com')],
      actions: ['s3:PutObject'],
      resources: [this.accessLogsBucket.arnForObjects(`${prefix}*`)],
      conditions: {
        ArnLike: { 'aws:SourceArn': source.bucketArn },
        StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
      },
    }));
  }

  private acknowledgeNoReplication(): void {
    const replication: Array<[s3.Bucket, string]> = [
      [this.rawBucket, 'The raw zone is the source of truth. Replication needs a destination bucket and key in a second Region, ' +
        'which a single-Region deployment cannot create and which doubles where card data lives; versioning, RETAIN and ' +
        'S3\'s own redundancy across Availability Zones protect it here. Add a replication rule when a recovery Region is chosen.'],
      [this.curatedBucket, 'Curated views are rebuilt from the raw zone by the batch job, so a second copy in another Region adds ' +
        'cost and card-data scope without adding recoverability.'],
      [this.queryResultsBucket, 'Athena query results are transient (they expire) and re-created by re-running the query.'],
      [this.accessLogsBucket, 'Access logs of this deployment; a copy in another Region would need its own SSE-S3 target bucket ' +
        'there. They are versioned and expire on a schedule.'],
    ];
    for (const [bucket, reason] of replication) acknowledge(bucket, 'S3BucketReplicationEnabled', reason);
  }

  /**
   * autoDeleteObjects adds a stack-wide custom-resource function (CDK's own provider) that
   * empties the buckets. Without this it logs to an implicit /aws/lambda/<name> group that
   * has no retention and outlives the stack. Its Ref makes the function wait for the group
   * on create and go first on delete.
   */
  private giveAutoDeleteALogGroup(retention: logs.RetentionDays, encryptionKey?: kms.IKey): logs.LogGroup | undefined {
    const removalPolicy = this.settings.removalPolicy;
    const provider = Stack.of(this).node.tryFindChild('Custom::S3AutoDeleteObjectsCustomResourceProvider');
    const handler = provider?.node.tryFindChild('Handler');
    if (!provider || !CfnResource.isCfnResource(handler)) return undefined;
    const existing = provider.node.tryFindChild('LogGroup');
    if (existing instanceof logs.LogGroup) return existing;
    // Named from the stack and provider path, so a key policy can name exactly this group.
    const logGroupName = `/aws/lambda/${Names.uniqueResourceName(provider, { maxLength: 200, separator: '-' })}`;
    const group = new logs.LogGroup(provider, 'LogGroup', { logGroupName, retention, removalPolicy, encryptionKey });
    if (encryptionKey) admitLogGroups(this, encryptionKey, logGroupName);
    handler.addPropertyOverride('LoggingConfig', { LogGroup: group.logGroupName });
    return group;
  }

  /** Read raw objects (optionally under one key prefix) and decrypt them. */
  public grantRawRead(grantee: iam.IGrantable, prefix = '*'): iam.Grant {
    return this.rawBucket.grantRead(grantee, prefix);
  }

  /** Write raw objects (optionally under one key prefix) and encrypt them. */
  public grantRawWrite(grantee: iam.IGrantable, prefix = '*'): iam.Grant {
    return this.rawBucket.grantPut(grantee, prefix);
  }

  /** Read curated objects (optionally under one key prefix). */
  public grantCuratedRead(grantee: iam.IGrantable, prefix = '*'): iam.Grant {
    return this.curatedBucket.grantRead(grantee, prefix);
  }

  /** Read, write and delete curated objects: Spark overwrites the partitions it rebuilds. */
  public grantCuratedReadWrite(grantee: iam.IGrantable, prefix = '*'): iam.Grant {
    this.curatedBucket.grantDelete(grantee, prefix);
    return this.curatedBucket.grantReadWrite(grantee, prefix);
  }

  /** Read and write Athena query results. */
  public grantQueryResultsReadWrite(grantee: iam.IGrantable, prefix = '*'): iam.Grant {
    return this.queryResultsBucket.grantReadWrite(grantee, prefix);
  }

  /** Encrypt and decrypt with the lake key, for services that write with SSE-KMS themselves. */
  public grantKeyEncryptDecrypt(grantee: iam.IGrantable): iam.Grant {
    return this.key.grantEncryptDecrypt(grantee);
  }
}

/** The compliance packs that report `rule` on a bucket: each needs its own acknowledgement. */
const COMPLIANCE_PACKS = ['PCI.DSS.321', 'NIST.800.53.R5', 'HIPAA.Security'];

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

function acknowledge(bucket: s3.Bucket, rule: string, reason: string): void {
  for (const pack of COMPLIANCE_PACKS) Validations.of(bucket).acknowledge({ id: `${pack}-${rule}`, reason });
}

function resolveSettings(props: DataLakeStorageProps): Settings {
  const settings: Settings = {
    removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    autoDeleteObjects: props.autoDeleteObjects ?? false,
    versioned: props.versioned ?? true,
    iaDays: props.rawInfrequentAccessAfterDays ?? 30,
    glacierDays: props.rawGlacierAfterDays ?? 90,
    tieringDays: props.curatedIntelligentTieringAfterDays ?? 0,
    resultsDays: props.queryResultsExpireAfterDays ?? 7,
    noncurrentDays: props.noncurrentVersionExpireAfterDays ?? 30,
    logsDays: props.accessLogsExpireAfterDays ?? 90,
  };
  const { iaDays } = settings;
  if (settings.autoDeleteObjects && settings.removalPolicy !== RemovalPolicy.DESTROY) {
    throw new Error(`DataLakeStorage: autoDeleteObjects needs removalPolicy DESTROY, got ${settings.removalPolicy}`);
  }
  requireWholeDays('rawInfrequentAccessAfterDays', iaDays, MIN_DAYS_BEFORE_STANDARD_IA);
  requireWholeDays('rawGlacierAfterDays', settings.glacierDays, iaDays + MIN_DAYS_IN_STANDARD_IA,
    `${iaDays + MIN_DAYS_IN_STANDARD_IA} (rawInfrequentAccessAfterDays + ${MIN_DAYS_IN_STANDARD_IA} days in Standard-IA)`);
  requireWholeDays('curatedIntelligentTieringAfterDays', settings.tieringDays, 0);
  requireWholeDays('queryResultsExpireAfterDays', settings.resultsDays, 1);
  requireWholeDays('noncurrentVersionExpireAfterDays', settings.noncurrentDays, 1);
  requireWholeDays('accessLogsExpireAfterDays', settings.logsDays, 1);
  return settings;
}

function requireWholeDays(prop: string, value: number, min: number, minText = String(min)): void {
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`DataLakeStorage: ${prop} must be a whole number of days ≥ ${minText}, got ${value}`);
  }
}
