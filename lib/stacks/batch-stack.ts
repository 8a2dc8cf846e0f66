import * as path from 'node:path';
import { CfnOutput, Duration, RemovalPolicy, Stack, StackProps, Validations } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import { Construct } from 'constructs';
import { DATASET } from '../../lambda/shared/payment-event';
import { grantAssetsKeyDecrypt } from '../assets-key';
import { curationStepArgs } from '../batch-step';
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
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  /** Encrypts the log groups of the stack's functions. */
  readonly logsKey: kms.IKey;
  /** KMS key of the CDK assets bucket, when reading the job's assets needs a grant on it. */
  readonly assetsKeyArn?: string;
}

const SPARK_DIR = path.join(__dirname, '..', '..', 'spark');

/**
 * The EMR cluster and the Spark curation job. The cluster starts on deploy and
 * terminates itself after the idle timeout (see the README for starting a new one).
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
      clusterName: `${props.prefix}-batch`,
      vpc: props.network.vpc,
      key: props.lake.key,
      rawBucket: props.lake.rawBucket,
      rawPrefix,
      curatedBucket: props.lake.curatedBucket,
      curatedPrefix,
      logBucket: props.lake.accessLogsBucket,
      databaseName: props.databaseName,
      idleTimeout: Duration.seconds(b.idleTimeoutSeconds),
      primaryInstanceTypes: [...b.primaryInstanceTypes],
      coreInstanceTypes: [...b.coreInstanceTypes],
      coreCapacity: b.coreCapacity,
      taskInstanceTypes: [...b.taskInstanceTypes],
      taskSpotCapacity: b.taskSpotCapacity,
      maxTaskSpotCapacity: b.maxTaskSpotCapacity,
      terminationProtected: b.terminationProtected,
      costAllocationTags: { project: props.prefix, layer: 'batch' },
      // No alarmTopic: the monitoring stack sends cluster state changes and failed steps to the topic.
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
      logEncryptionKey: props.logsKey,
      inTransitCertificatesS3Uri: certificatesUri,
    });
    if (this.certificates) {
      this.certificates.grantRead(this.cluster.instanceRole);
      // EMR downloads the archive when the cluster starts.
      this.cluster.cluster.node.addDependency(this.certificates);
    } else if (tls.certificates === 'provided') {
      const [, bucket, key] = /^s3:\/\/([^/]+)\/(.+)$/.exec(tls.s3Uri)!;
      this.cluster.grantReadObject(s3.Bucket.fromBucketName(this, 'CertificatesBucket', bucket), key);
    } else {
      Validations.of(this.cluster.cluster).acknowledge({
        id: 'AwsSolutions-EMR5',
        reason: 'Sandbox only: synthetic data, node-to-node traffic inside one isolated subnet with no internet route, and ' +
          'S3, Glue and KMS calls over TLS. Production encrypts in transit (a deploy-time certificate, or emrCertificatesS3Uri).',
      });
    }

    this.jobScript = new s3assets.Asset(this, 'JobScript', { path: path.join(SPARK_DIR, 'curate_payments.py') });
    this.jobLibrary = new s3assets.Asset(this, 'JobLibrary', { path: SPARK_DIR, exclude: ['__pycache__', '*.pyc'] });
    for (const asset of [this.jobScript, this.jobLibrary]) this.cluster.grantReadObject(asset.bucket, asset.s3ObjectKey);
    if (props.assetsKeyArn) grantAssetsKeyDecrypt(this.cluster.instanceRole, props.assetsKeyArn);

    const rawUri = `s3://${props.lake.rawBucket.bucketName}/${rawPrefix.replace(/\/$/, '')}`;
    const curatedUri = `s3://${props.lake.curatedBucket.bucketName}/${curatedPrefix.replace(/\/$/, '')}`;

    const locations = { jobScriptUri: this.jobScript.s3ObjectUrl, jobLibraryUri: this.jobLibrary.s3ObjectUrl, rawUri, curatedUri };
    if (b.schedule) {
      this.schedule = new scheduler.Schedule(this, 'DailyRun', {
        description: 'Daily curation of the previous days of raw payments',
        schedule: scheduler.ScheduleExpression.cron({ minute: '0', hour: String(b.schedule.hourUtc) }),
        target: new targets.Universal({
          service: 'emr',
          action: 'addJobFlowSteps',
          // A terminated cluster rejects the call; retrying all day would not help.
          retryAttempts: 2,
          maxEventAge: Duration.hours(1),
          input: scheduler.ScheduleTargetInput.fromObject({
            JobFlowId: this.cluster.cluster.ref,
            Steps: [
              {
                Name: 'curate-payments (scheduled)',
                ActionOnFailure: 'CONTINUE',
                HadoopJarStep: {
                  Jar: 'command-runner.jar',
                  Args: curationStepArgs(locations, {
                    asOf: scheduler.ContextAttribute.scheduledTime,
                    lookbackDays: b.schedule.lookbackDays,
                  }),
                },
              },
            ],
          }),
          policyStatements: [
            new iam.PolicyStatement({
              actions: ['elasticmapreduce:AddJobFlowSteps'],
              resources: [this.formatArn({ service: 'elasticmapreduce', resource: 'cluster', resourceName: this.cluster.cluster.ref })],
            }),
          ],
        }),
      });
      // The scheduler target's role, which aws-cdk-lib creates with its own policy.
      const role = this.node.children.find((c) => c.node.id.startsWith('SchedulerRoleForTarget'));
      for (const pack of ['PCI.DSS.321', 'NIST.800.53.R5', 'HIPAA.Security']) {
        if (!role) break;
        Validations.of(role).acknowledge({
          id: `${pack}-IAMNoInlinePolicy`,
          reason: 'The schedule\'s own role policy (aws-cdk-lib writes it), allowing only AddJobFlowSteps on this cluster; it is ' +
            'deleted with the role and cannot be attached elsewhere ' +
            '(https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html).',
        });
      }
    }

    new CfnOutput(this, 'ClusterId', { value: this.cluster.cluster.ref });
    new CfnOutput(this, 'JobScriptUri', { value: this.jobScript.s3ObjectUrl });
    new CfnOutput(this, 'JobLibraryUri', { value: this.jobLibrary.s3ObjectUrl });
    new CfnOutput(this, 'ClusterLogUri', { value: this.cluster.logUri });
    new CfnOutput(this, 'RawPaymentsUri', { value: rawUri });
    new CfnOutput(this, 'CuratedUri', { value: curatedUri });
  }
}
