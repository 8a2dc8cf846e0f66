import { CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { StorageSettings } from '../config';
import { DataLakeStorage } from '../constructs/data-lake-storage';

export interface StorageStackProps extends StackProps {
  readonly prefix: string;
  readonly storage: StorageSettings;
}

/** The lake's buckets and key. Every other layer takes references from here. */
export class StorageStack extends Stack {
  public readonly lake: DataLakeStorage;

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
    });

    new CfnOutput(this, 'RawBucketName', { value: this.lake.rawBucket.bucketName });
    new CfnOutput(this, 'CuratedBucketName', { value: this.lake.curatedBucket.bucketName });
    new CfnOutput(this, 'QueryResultsBucketName', { value: this.lake.queryResultsBucket.bucketName });
    new CfnOutput(this, 'AccessLogsBucketName', { value: this.lake.accessLogsBucket.bucketName });
    new CfnOutput(this, 'LakeKeyArn', { value: this.lake.key.keyArn });
  }
}
