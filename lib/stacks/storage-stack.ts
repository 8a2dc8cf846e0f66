import { CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
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
 * The lake's buckets and key, and the alarm topic. Every other layer takes
 * references from here.
 */
export class StorageStack extends Stack {
  public readonly lake: DataLakeStorage;
  public readonly alarms: AlarmTopic;

  constructor(scope: Construct, id: string, props: StorageStackProps) {
    super(scope, id, props);
    const s = props.storage;
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
    });
    this.alarms = new AlarmTopic(this, 'Alarms', { email: props.alarmEmail, removalPolicy: s.removalPolicy });

    new CfnOutput(this, 'RawBucketName', { value: this.lake.rawBucket.bucketName });
    new CfnOutput(this, 'CuratedBucketName', { value: this.lake.curatedBucket.bucketName });
    new CfnOutput(this, 'QueryResultsBucketName', { value: this.lake.queryResultsBucket.bucketName });
    new CfnOutput(this, 'AccessLogsBucketName', { value: this.lake.accessLogsBucket.bucketName });
    new CfnOutput(this, 'LakeKeyArn', { value: this.lake.key.keyArn });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarms.topic.topicArn });
  }
}
