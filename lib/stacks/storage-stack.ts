import { CfnOutput, Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { StorageSettings } from '../config';
import { AlarmTopic } from '../constructs/alarm-topic';
import { DataLakeStorage } from '../constructs/data-lake-storage';

export interface StorageStackProps extends StackProps {
  readonly prefix: string;
  readonly storage: StorageSettings;
  /** Subscribed to the alarm topic. */
  readonly alarmEmail?: string;
  /** For the log group of the function that empties the buckets (sandbox). */
  readonly logRetention: RetentionDays;
}

/**
 * The lake's buckets and key, the alarm topic, and the key of every log group in the
 * app. Every other layer takes references from here.
 */
export class StorageStack extends Stack {
  public readonly lake: DataLakeStorage;
  public readonly alarms: AlarmTopic;
  /**
   * One key for every log group of every stack ($1 a month, not one per stack). Each
   * construct that creates log groups adds a statement admitting CloudWatch Logs for
   * exactly its own groups, named from literal stack and construct names, so the policy
   * refers to no other stack.
   */
  public readonly logsKey: kms.Key;

  constructor(scope: Construct, id: string, props: StorageStackProps) {
    super(scope, id, props);
    const s = props.storage;
    this.logsKey = new kms.Key(this, 'LogsKey', {
      description: 'Log groups of the lake',
      alias: `alias/${props.prefix}-logs`,
      enableKeyRotation: true,
      removalPolicy: s.removalPolicy,
      pendingWindow: Duration.days(7),
    });
    this.lake = new DataLakeStorage(this, 'Lake', {
      removalPolicy: s.removalPolicy,
      autoDeleteObjects: s.autoDeleteObjects,
      versioned: s.versioned,
      rawInfrequentAccessAfterDays: s.rawInfrequentAccessAfterDays,
      rawGlacierAfterDays: s.rawGlacierAfterDays,
      queryResultsExpireAfterDays: s.queryResultsExpireAfterDays,
      noncurrentVersionExpireAfterDays: s.noncurrentVersionExpireAfterDays,
      keyAlias: `alias/${props.prefix}-data`,
      autoDeleteLogRetention: props.logRetention,
      logEncryptionKey: this.logsKey,
    });
    this.alarms = new AlarmTopic(this, 'Alarms', { email: props.alarmEmail, removalPolicy: s.removalPolicy });

    new CfnOutput(this, 'RawBucketName', { value: this.lake.rawBucket.bucketName });
    new CfnOutput(this, 'CuratedBucketName', { value: this.lake.curatedBucket.bucketName });
    new CfnOutput(this, 'QueryResultsBucketName', { value: this.lake.queryResultsBucket.bucketName });
    new CfnOutput(this, 'AccessLogsBucketName', { value: this.lake.accessLogsBucket.bucketName });
    new CfnOutput(this, 'LakeKeyArn', { value: this.lake.key.keyArn });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarms.topic.topicArn });
    new CfnOutput(this, 'LogsKeyArn', { value: this.logsKey.keyArn });
  }
}
