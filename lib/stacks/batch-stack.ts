import * as path from 'node:path';
import { CfnOutput, Duration, RemovalPolicy, Stack, StackProps, Validations } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import { Construct } from 'constructs';
import { DATASET } from '../../lambda/shared/payment-event';
import { grantAssetsKeyDecrypt } from '../assets-key';
import { curationStepArgs, CURATION_STEP_NAME } from '../batch-step';
import { BatchSettings } from '../config';
import { BatchCluster } from '../constructs/batch-cluster';
import { DataLakeStorage } from '../constructs/data-lake-storage';
import { EmrTlsCertificates } from '../constructs/emr-tls-certificates';
import { LakeNetwork } from '../constructs/lake-network';

export interface BatchStackProps extends StackProps {
  readonly prefix: string;
  readonly batch: BatchSettings;
  readonly lake: DataLakeStorage;
  readonly network: LakeNetwork;
  readonly databaseName: string;
  /** The curated-zone crawler each run starts after its step. */
  readonly curatedCrawlerName: string;
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  /** Encrypts the stack's log groups. */
  readonly logsKey: kms.IKey;
  /** KMS key of the CDK assets bucket, when reading the job's assets needs a grant on it. */
  readonly assetsKeyArn?: string;
}

const SPARK_DIR = path.join(__dirname, '..', '..', 'spark');

/**
 * The batch layer: the EMR cluster spec, the workflow that runs the Spark curation job for a
 * date range (a cluster per run by default), and in production its daily schedule.
 */
export class BatchStack extends Stack {
  public readonly cluster: BatchCluster;
  public readonly jobScript: s3assets.Asset;
  /** Zip of spark/, passed to spark-submit with --py-files so the job can import payments_logic. */
  public readonly jobLibrary: s3assets.Asset;
  public readonly schedule?: scheduler.Schedule;
  /** The deploy-time certificate archive, when in-transit encryption uses a generated one. */
  public readonly certificates?: EmrTlsCertificates;
  /** The Glue database the cluster uses as metastore. */
  public readonly databaseName: string;

  constructor(scope: Construct, id: string, props: BatchStackProps) {
    super(scope, id, props);
    const b = props.batch;
    this.databaseName = props.databaseName;
    const rawPrefix = `raw/${DATASET}/`;
    const curatedPrefix = 'curated/';

    this.jobScript = new s3assets.Asset(this, 'JobScript', { path: path.join(SPARK_DIR, 'curate_payments.py') });
    this.jobLibrary = new s3assets.Asset(this, 'JobLibrary', { path: SPARK_DIR, exclude: ['__pycache__', '*.pyc'] });
    const rawUri = `s3://${props.lake.rawBucket.bucketName}/${rawPrefix.replace(/\/$/, '')}`;
    const curatedUri = `s3://${props.lake.curatedBucket.bucketName}/${curatedPrefix.replace(/\/$/, '')}`;
    const locations = { jobScriptUri: this.jobScript.s3ObjectUrl, jobLibraryUri: this.jobLibrary.s3ObjectUrl, rawUri, curatedUri };

    const tls = b.inTransitEncryption;
    if (tls.certificates === 'generated') {
      this.certificates = new EmrTlsCertificates(this, 'TlsCertificates', {
        bucket: props.lake.curatedBucket,
        encryptionKey: props.lake.key,
        logRetention: props.logRetention,
        removalPolicy: props.removalPolicy,
        logEncryptionKey: props.logsKey,
      });
    }
    const certificatesUri = tls.certificates === 'provided' ? tls.s3Uri : this.certificates?.s3Uri;

    this.cluster = new BatchCluster(this, 'Cluster', {
      lifecycle: b.lifecycle,
      clusterName: `${props.prefix}-batch`,
      vpc: props.network.vpc,
      key: props.lake.key,
      rawBucket: props.lake.rawBucket,
      rawPrefix,
      curatedBucket: props.lake.curatedBucket,
      curatedPrefix,
      logBucket: props.lake.accessLogsBucket,
      databaseName: props.databaseName,
      step: { name: CURATION_STEP_NAME, args: (dates) => curationStepArgs(locations, dates) },
      crawlerName: props.curatedCrawlerName,
      runTimeout: Duration.minutes(b.runTimeoutMinutes),
      stepTimeout: Duration.minutes(b.stepTimeoutMinutes),
      idleTimeout: Duration.seconds(b.idleTimeoutSeconds),
      primaryInstanceTypes: [...b.primaryInstanceTypes],
      coreInstanceTypes: [...b.coreInstanceTypes],
      coreCapacity: b.coreCapacity,
      taskInstanceTypes: [...b.taskInstanceTypes],
      taskSpotCapacity: b.taskSpotCapacity,
      maxTaskSpotCapacity: b.maxTaskSpotCapacity,
      terminationProtected: b.terminationProtected,
      costAllocationTags: { project: props.prefix, layer: 'batch' },
      // No alarmTopic: the monitoring stack sends failed runs to the topic.
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
      logEncryptionKey: props.logsKey,
      inTransitCertificatesS3Uri: certificatesUri,
    });
    for (const asset of [this.jobScript, this.jobLibrary]) this.cluster.grantReadObject(asset.bucket, asset.s3ObjectKey);
    if (props.assetsKeyArn) grantAssetsKeyDecrypt(this.cluster.instanceRole, props.assetsKeyArn);
    this.wireCertificates(tls);

    if (b.schedule) {
      // The workflow turns asOf and lookbackDays into the days to rebuild; a late event lands in
      // an earlier day's partition, so each run rebuilds the lookbackDays days before it.
      this.schedule = new scheduler.Schedule(this, 'DailyRun', {
        description: 'Daily batch run over the days before it',
        schedule: scheduler.ScheduleExpression.cron({ minute: '0', hour: String(b.schedule.hourUtc) }),
        target: new targets.StepFunctionsStartExecution(this.cluster.stateMachine, {
          input: scheduler.ScheduleTargetInput.fromObject({
            asOf: scheduler.ContextAttribute.scheduledTime,
            lookbackDays: b.schedule.lookbackDays,
          }),
          // StartExecution either starts the run or fails at once; a failed run alarms by itself.
          retryAttempts: 2,
          maxEventAge: Duration.hours(1),
        }),
      });
      // The scheduler target's role, which aws-cdk-lib creates with its own policy.
      const role = this.node.children.find((c) => c.node.id.startsWith('SchedulerRoleForTarget'));
      for (const pack of role ? ['PCI.DSS.321', 'NIST.800.53.R5', 'HIPAA.Security'] : []) {
        Validations.of(role!).acknowledge({
          id: `${pack}-IAMNoInlinePolicy`,
          reason: 'The schedule\'s own role policy (aws-cdk-lib writes it), allowing only StartExecution of this workflow; it is ' +
            'deleted with the role and cannot be attached elsewhere ' +
            '(https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html).',
        });
      }
    }

    this.outputs(rawUri, curatedUri);
  }

  /**
   * The cluster reads the certificate archive when it starts (every node downloads it), so the
   * archive exists before the workflow can start a run, or before the persistent cluster.
   */
  private wireCertificates(tls: BatchSettings['inTransitEncryption']): void {
    if (this.certificates) {
      this.certificates.grantRead(this.cluster.instanceRole);
      this.cluster.stateMachine.node.addDependency(this.certificates);
      this.cluster.cluster?.node.addDependency(this.certificates);
    } else if (tls.certificates === 'provided') {
      const [, bucket, key] = /^s3:\/\/([^/]+)\/(.+)$/.exec(tls.s3Uri)!;
      this.cluster.grantReadObject(s3.Bucket.fromBucketName(this, 'CertificatesBucket', bucket), key);
    }
  }

  private outputs(rawUri: string, curatedUri: string): void {
    new CfnOutput(this, 'StateMachineArn', { value: this.cluster.stateMachine.stateMachineArn });
    new CfnOutput(this, 'LockTableName', { value: this.cluster.lockTable.tableName });
    if (this.cluster.cluster) new CfnOutput(this, 'ClusterId', { value: this.cluster.cluster.ref });
    new CfnOutput(this, 'JobScriptUri', { value: this.jobScript.s3ObjectUrl });
    new CfnOutput(this, 'JobLibraryUri', { value: this.jobLibrary.s3ObjectUrl });
    new CfnOutput(this, 'ClusterLogUri', { value: this.cluster.logUri });
    new CfnOutput(this, 'RawPaymentsUri', { value: rawUri });
    new CfnOutput(this, 'CuratedUri', { value: curatedUri });
  }
}
