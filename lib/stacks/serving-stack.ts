import * as path from 'node:path';
import { CfnOutput, Duration, RemovalPolicy, Stack, StackProps, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { grantAssetsKeyDecrypt } from '../assets-key';
import { ServingSettings } from '../config';
import { InferenceEndpoint } from '../constructs/inference-endpoint';
import { RealtimeView } from '../constructs/realtime-view';
import { SpeedLayer } from '../constructs/speed-layer';
import { writeModelArtifact } from '../model-artifact';

/** InvokeEndpoint body limits: 4 MB serverless, 6 MB real-time instance endpoints. */
const MAX_PAYLOAD_BYTES = { serverless: 4_000_000, instance: 6_000_000 } as const;

export interface ServingStackProps extends StackProps {
  readonly settings: ServingSettings;
  /** The ingestion stream (with its key, if encrypted). */
  readonly stream: kinesis.IStream;
  readonly alarmTopic: sns.ITopic;
  /** VPC for an instance endpoint's container. */
  readonly vpc?: ec2.IVpc;
  readonly removalPolicy: RemovalPolicy;
  readonly logRetention: RetentionDays;
  /** Encrypts the speed layer's log group. */
  readonly logsKey: kms.IKey;
  /** Directory with model.json and code/inference.py. @default <repo>/model */
  readonly modelDir?: string;
  /** KMS key of the CDK assets bucket, when reading the model artifact needs a grant on it. */
  readonly assetsKeyArn?: string;
}

/**
 * The speed and serving layer: the fraud model on a SageMaker endpoint, the
 * speed-layer consumer of the stream, and the real-time view it writes.
 */
export class ServingStack extends Stack {
  /** Key prefix of data capture in the capture bucket. */
  public static readonly CAPTURE_PREFIX = 'fraud-endpoint';
  public readonly settings: ServingSettings;
  /** Data capture bucket and key, when capture is on. */
  public readonly captureBucket?: s3.Bucket;
  public readonly captureKey?: kms.Key;
  public readonly modelArtifact: s3assets.Asset;
  public readonly endpoint: InferenceEndpoint;
  public readonly view: RealtimeView;
  public readonly speedLayer: SpeedLayer;

  constructor(scope: Construct, id: string, props: ServingStackProps) {
    super(scope, id, props);
    const s = props.settings;
    const e = s.endpoint;
    this.settings = s;

    // The tarball is built deterministically at synth, then shipped as a file asset.
    this.modelArtifact = new s3assets.Asset(this, 'ModelArtifact', {
      path: writeModelArtifact(props.modelDir ?? path.join(__dirname, '..', '..', 'model')),
    });
    if (e.dataCaptureSamplingPercentage !== undefined) {
      // Captured requests get their own bucket (KMS, TLS only, access-logged), kept here so
      // that the role's PutObject grant and the log target do not reach into other stacks.
      // Versioned, with noncurrent versions expiring, so a deleted or overwritten object stays
      // recoverable for a while; the lifecycle still bounds how long captured payments live.
      const noncurrent: s3.LifecycleRule = { id: 'ExpireNoncurrentVersions', noncurrentVersionExpiration: Duration.days(7) };
      const captureLogs = new s3.Bucket(this, 'CaptureAccessLogs', {
        encryption: s3.BucketEncryption.S3_MANAGED,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        enforceSSL: true,
        minimumTLSVersion: 1.2,
        objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        versioned: true,
        lifecycleRules: [{ id: 'ExpireLogs', expiration: Duration.days(90) }, noncurrent],
        removalPolicy: props.removalPolicy,
      });
      this.captureKey = new kms.Key(this, 'CaptureKey', {
        description: 'SageMaker data capture and endpoint storage volume',
        enableKeyRotation: true,
        removalPolicy: props.removalPolicy,
        pendingWindow: Duration.days(7),
      });
      this.captureBucket = new s3.Bucket(this, 'CaptureBucket', {
        encryption: s3.BucketEncryption.KMS,
        encryptionKey: this.captureKey,
        bucketKeyEnabled: true,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        enforceSSL: true,
        minimumTLSVersion: 1.2,
        objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        serverAccessLogsBucket: captureLogs,
        serverAccessLogsPrefix: 'capture/',
        versioned: true,
        lifecycleRules: [{ id: 'ExpireCaptures', expiration: Duration.days(s.dataCaptureRetentionDays) }, noncurrent],
        removalPolicy: props.removalPolicy,
      });
      this.acknowledgeCaptureBuckets(this.captureBucket, captureLogs);
    }

    const { dataCaptureSamplingPercentage, ...sizing } = e;
    this.endpoint = new InferenceEndpoint(this, 'Endpoint', {
      modelData: { bucket: this.modelArtifact.bucket, objectKey: this.modelArtifact.s3ObjectKey },
      alarmTopic: props.alarmTopic,
      ...sizing,
      vpc: props.vpc,
      encryptionKey: this.captureKey,
      dataCapture: this.captureBucket
        ? { bucket: this.captureBucket, prefix: ServingStack.CAPTURE_PREFIX, samplingPercentage: dataCaptureSamplingPercentage }
        : undefined,
      logRetention: props.logRetention,
      logEncryptionKey: props.logsKey,
      removalPolicy: props.removalPolicy,
    });

    if (props.assetsKeyArn) grantAssetsKeyDecrypt(this.endpoint.role, props.assetsKeyArn);

    this.view = new RealtimeView(this, 'View', {
      pointInTimeRecovery: s.pointInTimeRecovery,
      deletionProtection: s.deletionProtection,
      removalPolicy: props.removalPolicy,
    });

    this.speedLayer = new SpeedLayer(this, 'SpeedLayer', {
      stream: props.stream,
      endpoint: this.endpoint,
      view: this.view,
      alarmTopic: props.alarmTopic,
      maxPayloadBytes: MAX_PAYLOAD_BYTES[e.compute],
      enhancedFanOut: s.enhancedFanOut,
      batchSize: s.batchSize,
      parallelizationFactor: s.parallelizationFactor,
      retryAttempts: s.retryAttempts,
      maxRecordAge: Duration.hours(s.maxRecordAgeHours),
      viewTtl: Duration.days(s.viewTtlDays),
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
      logEncryptionKey: props.logsKey,
    });
    if (!s.pointInTimeRecovery) {
      Validations.of(this.view.table).acknowledge({
        id: 'AwsSolutions-DDB3',
        reason: 'Sandbox only: the real-time view is disposable and rebuilt from the stream and the raw zone; production turns PITR on',
      });
    }

    new CfnOutput(this, 'EndpointName', { value: this.endpoint.endpointName });
    new CfnOutput(this, 'ViewTableName', { value: this.view.table.tableName });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.speedLayer.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'SpeedLayerFunctionName', { value: this.speedLayer.function.functionName });
  }

  /** The capture buckets' findings that stand, each with why. */
  private acknowledgeCaptureBuckets(capture: s3.Bucket, logs: s3.Bucket): void {
    const acknowledge = (bucket: s3.Bucket, rule: string, reason: string) => {
      for (const pack of ['PCI.DSS.321', 'NIST.800.53.R5', 'HIPAA.Security']) {
        Validations.of(bucket).acknowledge({ id: `${pack}-${rule}`, reason });
      }
    };
    acknowledge(capture, 'S3BucketReplicationEnabled',
      'Captured requests are a sample kept for model monitoring and expire; a copy in a second Region would double where ' +
        'card data lives for data that is not a record of truth (the raw zone is).');
    acknowledge(logs, 'S3BucketReplicationEnabled',
      'Access logs of the capture bucket; a copy in another Region would need its own SSE-S3 target bucket there. They are ' +
        'versioned and expire on a schedule.');
    acknowledge(logs, 'S3DefaultEncryptionKMS',
      'S3 server access log delivery writes only to a target bucket with SSE-S3 default encryption ' +
        '(https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html); the logs hold request ' +
        'metadata, not captured payloads.');
  }
}
