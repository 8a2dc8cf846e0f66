/**
 * Profiles and context parsing, in one place.
 *
 * Every `-c key=value` the app accepts is listed in CONTEXT_KEYS. Anything
 * else that is not a CDK-owned key fails synth with a message that names it.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { BatchLifecycle } from './constructs/batch-cluster';
import type { InferenceEndpointProps } from './constructs/inference-endpoint';

export type ProfileName = 'sandbox' | 'production';
export const PROFILES: readonly ProfileName[] = ['sandbox', 'production'];

/** Thrown for a bad context value. bin/app.ts prints only its message. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface LayerSwitches {
  /** Kinesis stream, Firehose and the transform Lambda. */
  readonly ingestion: boolean;
  /** VPC, EMR cluster and the Spark curation job. */
  readonly batch: boolean;
  /** SageMaker endpoint, speed-layer consumer and the real-time view. */
  readonly serving: boolean;
}

export interface StorageSettings {
  readonly removalPolicy: RemovalPolicy;
  readonly autoDeleteObjects: boolean;
  readonly versioned: boolean;
  readonly rawInfrequentAccessAfterDays: number;
  readonly rawGlacierAfterDays: number;
  readonly queryResultsExpireAfterDays: number;
  readonly noncurrentVersionExpireAfterDays: number;
}

/** How the serving stack sizes its endpoint: the matching `InferenceEndpoint` props, plus capture. */
export type EndpointSettings = Required<Pick<InferenceEndpointProps, 'compute'>> &
  Pick<
    InferenceEndpointProps,
    'memorySizeInMb' | 'maxConcurrency' | 'instanceType' | 'instanceCount' | 'maxInstanceCount' | 'targetInvocationsPerInstance'
  > & {
    /** Share of requests captured to S3 (instance endpoints only); undefined turns capture off. */
    readonly dataCaptureSamplingPercentage?: number;
  };

export interface ServingSettings {
  readonly endpoint: EndpointSettings;
  /** Enhanced fan-out: 2 MB/s per shard for the speed layer alone, billed per consumer-shard-hour even when idle. */
  readonly enhancedFanOut: boolean;
  readonly batchSize: number;
  readonly parallelizationFactor: number;
  readonly retryAttempts: number;
  readonly maxRecordAgeHours: number;
  /** Days captured endpoint requests are kept (with capture on). */
  readonly dataCaptureRetentionDays: number;
  /** Days before real-time view items expire (TTL). */
  readonly viewTtlDays: number;
  readonly pointInTimeRecovery: boolean;
  readonly deletionProtection: boolean;
}

export interface CatalogSettings {
  /** Glue cron for the raw crawler; undefined = on demand only. */
  readonly rawCrawlerSchedule?: string;
  /** Glue cron for the curated crawler; undefined = on demand only. */
  readonly curatedCrawlerSchedule?: string;
  /** Account-wide Glue Data Catalog encryption with the lake key. */
  readonly encryptDataCatalog: boolean;
  /** Athena per-query data-scanned cutoff, bytes (≥ 10 MB). */
  readonly bytesScannedCutoffPerQuery: number;
  /** Alarm when the workgroup scans more than this many bytes in `dataScannedAlarmPeriod`. */
  readonly dataScannedAlarmBytes: number;
  readonly dataScannedAlarmPeriod: Duration;
  /** Delete the workgroup with its saved queries and history on stack deletion. */
  readonly recursiveDeleteOption: boolean;
}

export interface IngestionSettings {
  /** Kinesis capacity: on-demand, or provisioned with `shardCount` shards. */
  readonly streamMode: 'on-demand' | 'provisioned';
  /** Shards when provisioned. */
  readonly shardCount: number;
  /** Stream retention in hours (24–8760). */
  readonly retentionHours: number;
  /** Firehose buffering before each S3 write, in seconds (60–900). */
  readonly bufferingIntervalSeconds: number;
  /** Firehose buffering before each S3 write, in MiB (64–128 with dynamic partitioning). */
  readonly bufferingSizeMiB: number;
  /** Copy every untransformed source record under `backup/`. */
  readonly backupSourceRecords: boolean;
  /** For the stream, its key and the log groups. */
  readonly removalPolicy: RemovalPolicy;
  /** Run the transform in the network stack's isolated subnets (no outbound route; it calls no AWS API). */
  readonly transformInVpc: boolean;
}

export interface NetworkSettings {
  /** Availability zones for subnets and interface endpoints (each endpoint is billed per AZ-hour). */
  readonly maxAzs: number;
  /** NAT gateways; 0 keeps the VPC off the internet. */
  readonly natGateways: number;
  /** The ssm, ssmmessages and ec2messages endpoints, for a Session Manager shell on EMR nodes. */
  readonly sessionManagerEndpoints: boolean;
}

export interface TaskInstanceType {
  readonly instanceType: string;
  readonly weightedCapacity: number;
}

export const BATCH_LIFECYCLES: readonly BatchLifecycle[] = ['transient', 'persistent'];

export interface BatchSettings {
  /** `transient`: a cluster per run; `persistent`: one long-running cluster, for interactive work. */
  readonly lifecycle: BatchLifecycle;
  /**
   * A cluster terminates after this many idle seconds (60–604800): for a transient cluster the
   * backstop if its run dies, for a persistent one its lifetime without work.
   */
  readonly idleTimeoutSeconds: number;
  /** A run's execution timeout and lock lifetime. */
  readonly runTimeoutMinutes: number;
  /** How long the Spark step may take, including a new cluster's start. */
  readonly stepTimeoutMinutes: number;
  readonly primaryInstanceTypes: readonly string[];
  readonly coreInstanceTypes: readonly string[];
  /** On-demand core nodes (HDFS). */
  readonly coreCapacity: number;
  /** Spot-only task fleet: at least 3 types, with weights. */
  readonly taskInstanceTypes: readonly TaskInstanceType[];
  /** Spot task units at launch (≥ 1: EMR needs a fleet target above 0). */
  readonly taskSpotCapacity: number;
  /** Most Spot task units managed scaling may add. */
  readonly maxTaskSpotCapacity: number;
  /** EMR termination protection on the persistent cluster (a transient one is terminated by its run). */
  readonly terminationProtected: boolean;
  /**
   * EMR in-transit encryption: off, a self-signed certificate archive made at deploy time,
   * or the user's own archive (context key `emrCertificatesS3Uri`).
   */
  readonly inTransitEncryption: { readonly certificates: 'none' } | { readonly certificates: 'generated' } | { readonly certificates: 'provided'; readonly s3Uri: string };
  /** Daily scheduled run (EventBridge Scheduler starts the workflow), or off. */
  readonly schedule?: {
    /** Hour of day, UTC. */
    readonly hourUtc: number;
    /** Days before the run's date to rebuild (late events land in earlier partitions). */
    readonly lookbackDays: number;
  };
}

export interface LakeConfig {
  readonly profile: ProfileName;
  /** Prefix for stack names and the few physical names that need one. */
  readonly prefix: string;
  readonly layers: LayerSwitches;
  /** Glue database for the raw and curated tables: the prefix with `_` for `-`, plus `_lake`. */
  readonly databaseName: string;
  /** Email address subscribed to the alarm topic, if any. */
  readonly alarmEmail?: string;
  /** KMS key of the CDK assets bucket, when the roles that read assets need an IAM grant to decrypt them. */
  readonly assetsKeyArn?: string;
  /** Retention for every log group the app creates. */
  readonly logRetention: RetentionDays;
  /** Termination protection on the stateful stacks. */
  readonly terminationProtection: boolean;
  readonly storage: StorageSettings;
  readonly serving: ServingSettings;
  readonly catalog: CatalogSettings;
  readonly ingestion: IngestionSettings;
  readonly network: NetworkSettings;
  readonly batch: BatchSettings;
}

interface ContextKey {
  readonly description: string;
  readonly allowed: string;
  readonly default: string;
}

/** The app's own context keys. The README's configuration table mirrors this. */
export const CONTEXT_KEYS: Record<string, ContextKey> = {
  profile: { description: 'Deployment profile', allowed: 'sandbox | production', default: 'sandbox' },
  prefix: {
    description: 'Prefix for stack names and physical names',
    allowed: 'lower-case letter, then 1–19 lower-case letters, digits or single hyphens; no trailing hyphen',
    default: 'lake',
  },
  ingestion: { description: 'Deploy the ingestion layer', allowed: 'true | false', default: 'true' },
  batch: { description: 'Deploy the batch layer (VPC + EMR)', allowed: 'true | false', default: 'true' },
  batchLifecycle: {
    description: 'Batch cluster lifecycle: a cluster per run, or one long-running cluster for interactive work',
    allowed: 'transient | persistent',
    default: 'transient',
  },
  sessionManager: {
    description: 'Session Manager endpoints (ssm, ssmmessages, ec2messages) in the VPC, for a shell on EMR nodes; each is billed per AZ-hour',
    allowed: 'true | false',
    default: 'false',
  },
  serving: { description: 'Deploy the serving layer (SageMaker + speed layer)', allowed: 'true | false', default: 'true' },
  alarmEmail: { description: 'Email subscribed to the alarm topic', allowed: 'an email address', default: '(none)' },
  emrCertificatesS3Uri: {
    description: 'Your own PEM certificate archive for EMR in-transit encryption (privateKey.pem, certificateChain.pem, trustedCertificates.pem)',
    allowed: 's3://<bucket>/<key>.zip',
    default: '(production: a self-signed archive made at deploy time; sandbox: in-transit encryption off)',
  },
  assetsKeyArn: {
    description: 'KMS key of the CDK assets bucket (cdk bootstrap --bootstrap-kms-key-id); grants kms:Decrypt through S3 to the roles that read assets',
    allowed: 'a KMS key ARN, arn:<partition>:kms:<region>:<account>:key/<key id>',
    default: '(none)',
  },
};

/**
 * Keys set by the CDK itself (feature flags, CLI and toolkit settings). They
 * are not ours to validate.
 */
function isCdkOwnedKey(key: string): boolean {
  return (
    key.startsWith('@aws-cdk') ||
    key.startsWith('aws:') ||
    key.startsWith('aws-cdk:') ||
    key.startsWith('cdk-') ||
    key === 'cli-telemetry' ||
    key === 'acknowledged-issue-numbers'
  );
}

const PREFIX_PATTERN = /^[a-z](?:[a-z0-9]|-(?=[a-z0-9])){1,19}$/;
const EMAIL_PATTERN = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
/** An S3 object URI of a zip: a valid bucket name (3–63 lower-case letters, digits, dots, hyphens) and a key. */
const CERTIFICATES_URI_PATTERN = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/\S+\.zip$/;
/** A key ARN; IAM matches kms:Decrypt against the key ARN, so an alias ARN would grant nothing. */
const KEY_ARN_PATTERN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/(mrk-)?[0-9a-f-]{32,36}$/;

function parseBoolean(key: string, value: unknown, fallback = true): boolean {
  if (value === undefined) return fallback;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new ConfigError(`Context key "${key}" must be one of: true, false. Got "${String(value)}".`);
}

function profileSettings(
  profile: ProfileName,
  lifecycle: BatchLifecycle,
  sessionManagerEndpoints: boolean,
): Omit<LakeConfig, 'profile' | 'prefix' | 'layers' | 'databaseName' | 'alarmEmail' | 'assetsKeyArn'> {
  const production = profile === 'production';
  const transient = lifecycle === 'transient';
  return {
    // PCI DSS 3.2.1 requirement 10.7: keep audit trail history for at least a year.
    logRetention: production ? RetentionDays.ONE_YEAR : RetentionDays.ONE_WEEK,
    terminationProtection: production,
    storage: {
      removalPolicy: production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      autoDeleteObjects: !production,
      versioned: production,
      rawInfrequentAccessAfterDays: 30,
      rawGlacierAfterDays: production ? 180 : 90,
      queryResultsExpireAfterDays: production ? 30 : 7,
      noncurrentVersionExpireAfterDays: production ? 90 : 30,
    },
    serving: {
      // Sandbox: serverless, so an idle endpoint costs nothing. Production: two ml.m5.large
      // instances (SageMaker spreads them over AZs) scaling to four on load, with data capture.
      endpoint: production
        ? { compute: 'instance', instanceType: 'ml.m5.large', instanceCount: 2, maxInstanceCount: 4, targetInvocationsPerInstance: 300, dataCaptureSamplingPercentage: 20 }
        : { compute: 'serverless', memorySizeInMb: 2048, maxConcurrency: 5 },
      enhancedFanOut: production,
      batchSize: 500,
      parallelizationFactor: production ? 2 : 1,
      retryAttempts: production ? 10 : 3,
      maxRecordAgeHours: production ? 6 : 1,
      dataCaptureRetentionDays: 90,
      viewTtlDays: production ? 90 : 7,
      pointInTimeRecovery: production,
      deletionProtection: production,
    },
    catalog: {
      // Sandbox: crawl on demand, so an idle lake costs nothing. Production: register the new
      // day's raw partition shortly after midnight UTC. The curated zone needs no schedule in
      // either profile: only a batch run writes it, and every run crawls it before it ends.
      rawCrawlerSchedule: production ? 'cron(30 0 * * ? *)' : undefined,
      curatedCrawlerSchedule: undefined,
      encryptDataCatalog: false,
      bytesScannedCutoffPerQuery: production ? 100_000_000_000 : 1_000_000_000,
      dataScannedAlarmBytes: production ? 1_000_000_000_000 : 10_000_000_000,
      dataScannedAlarmPeriod: Duration.hours(1),
      recursiveDeleteOption: !production,
    },
    ingestion: {
      // Idle cost in us-east-1: one provisioned shard is $0.015/h ($0.36/day); an
      // on-demand stream is $0.04/h ($0.96/day) before data. Production scales on demand.
      streamMode: production ? 'on-demand' : 'provisioned',
      shardCount: 1,
      retentionHours: production ? 168 : 24,
      bufferingIntervalSeconds: production ? 300 : 60,
      bufferingSizeMiB: production ? 128 : 64,
      backupSourceRecords: production,
      removalPolicy: production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      // Free (no endpoints needed); the sandbox keeps out, so destroy never waits on Lambda's network interfaces.
      transformInVpc: production,
    },
    network: {
      maxAzs: production ? 2 : 1,
      natGateways: 0,
      sessionManagerEndpoints,
    },
    // Transient: auto-termination after 15 idle minutes only ends a cluster whose run died.
    // Persistent: the sandbox cluster ends after an idle hour; production's daily run keeps it up.
    batch: production
      ? {
          lifecycle,
          idleTimeoutSeconds: transient ? 900 : 2 * 86_400,
          runTimeoutMinutes: 300,
          stepTimeoutMinutes: 180,
          primaryInstanceTypes: ['m7g.2xlarge', 'm6g.2xlarge'],
          coreInstanceTypes: ['m7g.2xlarge', 'm6g.2xlarge'],
          coreCapacity: 2,
          taskInstanceTypes: [
            { instanceType: 'm7g.2xlarge', weightedCapacity: 2 },
            { instanceType: 'm6g.2xlarge', weightedCapacity: 2 },
            { instanceType: 'r7g.2xlarge', weightedCapacity: 2 },
            { instanceType: 'm7g.4xlarge', weightedCapacity: 4 },
          ],
          taskSpotCapacity: 2,
          maxTaskSpotCapacity: 16,
          terminationProtected: !transient,
          inTransitEncryption: { certificates: 'generated' },
          schedule: { hourUtc: 2, lookbackDays: 2 },
        }
      : {
          lifecycle,
          idleTimeoutSeconds: transient ? 900 : 3_600,
          runTimeoutMinutes: 240,
          stepTimeoutMinutes: 120,
          primaryInstanceTypes: ['m7g.xlarge', 'm6g.xlarge'],
          coreInstanceTypes: ['m7g.xlarge', 'm6g.xlarge'],
          coreCapacity: 1,
          taskInstanceTypes: [
            { instanceType: 'm7g.xlarge', weightedCapacity: 1 },
            { instanceType: 'm6g.xlarge', weightedCapacity: 1 },
            { instanceType: 'r7g.xlarge', weightedCapacity: 1 },
          ],
          taskSpotCapacity: 1,
          maxTaskSpotCapacity: 2,
          terminationProtected: false,
          inTransitEncryption: { certificates: 'none' },
        },
  };
}

/**
 * Parses and validates the app's context. `context` is everything the app
 * sees: cdk.json, `-c` flags and CDK's own keys.
 */
export function parseConfig(context: Record<string, unknown>): LakeConfig {
  const unknown = Object.keys(context).filter((k) => !isCdkOwnedKey(k) && !(k in CONTEXT_KEYS));
  if (unknown.length > 0) {
    throw new ConfigError(
      `Unknown context key "${unknown[0]}". Accepted keys: ${Object.keys(CONTEXT_KEYS).join(', ')}.`,
    );
  }

  const profile = context.profile ?? 'sandbox';
  if (typeof profile !== 'string' || !(PROFILES as readonly string[]).includes(profile)) {
    throw new ConfigError(
      `Context key "profile" must be one of: ${PROFILES.join(', ')}. Got "${String(profile)}".`,
    );
  }

  const prefix = context.prefix ?? 'lake';
  if (typeof prefix !== 'string' || !PREFIX_PATTERN.test(prefix)) {
    throw new ConfigError(
      `Context key "prefix" must be ${CONTEXT_KEYS.prefix.allowed} (2–20 characters). Got "${String(prefix)}".`,
    );
  }

  const alarmEmail = context.alarmEmail;
  if (alarmEmail !== undefined && (typeof alarmEmail !== 'string' || !EMAIL_PATTERN.test(alarmEmail))) {
    throw new ConfigError(`Context key "alarmEmail" must be an email address. Got "${String(alarmEmail)}".`);
  }

  const assetsKeyArn = context.assetsKeyArn;
  if (assetsKeyArn !== undefined && (typeof assetsKeyArn !== 'string' || !KEY_ARN_PATTERN.test(assetsKeyArn))) {
    throw new ConfigError(`Context key "assetsKeyArn" must be ${CONTEXT_KEYS.assetsKeyArn.allowed}. Got "${String(assetsKeyArn)}".`);
  }
  const lifecycle = context.batchLifecycle ?? 'transient';
  if (typeof lifecycle !== 'string' || !(BATCH_LIFECYCLES as readonly string[]).includes(lifecycle)) {
    throw new ConfigError(
      `Context key "batchLifecycle" must be one of: ${BATCH_LIFECYCLES.join(', ')}. Got "${String(lifecycle)}".`,
    );
  }
  const sessionManager = parseBoolean('sessionManager', context.sessionManager, false);

  const layers: LayerSwitches = {
    ingestion: parseBoolean('ingestion', context.ingestion),
    batch: parseBoolean('batch', context.batch),
    serving: parseBoolean('serving', context.serving),
  };
  if (layers.serving && !layers.ingestion) {
    throw new ConfigError(
      'Context key "serving" needs "ingestion": the speed layer reads the ingestion stream. Set ingestion=true or serving=false.',
    );
  }

  const certificates = context.emrCertificatesS3Uri;
  if (certificates !== undefined && (typeof certificates !== 'string' || !CERTIFICATES_URI_PATTERN.test(certificates))) {
    throw new ConfigError(`Context key "emrCertificatesS3Uri" must be ${CONTEXT_KEYS.emrCertificatesS3Uri.allowed}. Got "${String(certificates)}".`);
  }

  const settings = profileSettings(profile as ProfileName, lifecycle as BatchLifecycle, sessionManager);
  return {
    profile: profile as ProfileName,
    prefix,
    layers,
    databaseName: `${prefix.replace(/-/g, '_')}_lake`,
    alarmEmail: alarmEmail as string | undefined,
    assetsKeyArn: assetsKeyArn as string | undefined,
    ...settings,
    batch: certificates === undefined ? settings.batch : { ...settings.batch, inTransitEncryption: { certificates: 'provided', s3Uri: certificates } },
  };
}
