import * as path from 'node:path';
import { CfnOutput, Duration, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import * as iam from 'aws-cdk-lib/aws-iam';
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
import { LakeNetwork } from '../constructs/lake-network';

export interface BatchStackProps extends StackProps {
  readonly prefix: string;
  readonly batch: BatchSettings;
  readonly lake: DataLakeStorage;
  readonly network: LakeNetwork;
  readonly databaseName: string;
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
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
  /** The Glue database the cluster uses as metastore. */
  public readonly databaseName: string;

  constructor(scope: Construct, id: string, props: BatchStackProps) {
    super(scope, id, props);
    const b = props.batch;
    this.databaseName = props.databaseName;
    const rawPrefix = `raw/${DATASET}/`;
    const curatedPrefix = 'curated/';

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
    });

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
    }

    new CfnOutput(this, 'ClusterId', { value: this.cluster.cluster.ref });
    new CfnOutput(this, 'JobScriptUri', { value: this.jobScript.s3ObjectUrl });
    new CfnOutput(this, 'JobLibraryUri', { value: this.jobLibrary.s3ObjectUrl });
    new CfnOutput(this, 'ClusterLogUri', { value: this.cluster.logUri });
    new CfnOutput(this, 'RawPaymentsUri', { value: rawUri });
    new CfnOutput(this, 'CuratedUri', { value: curatedUri });
  }
}
