import { CfnOutput, Duration, Size, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { DATASET } from '../../lambda/shared/payment-event';
import { IngestionSettings } from '../config';
import { IngestionStream, StreamCapacity } from '../constructs/ingestion-stream';
import { LakeDeliveryStream } from '../constructs/lake-delivery-stream';

export interface IngestionStackProps extends StackProps {
  readonly ingestion: IngestionSettings;
  readonly logRetention: logs.RetentionDays;
  readonly rawBucket: s3.IBucket;
  readonly lakeKey: kms.IKey;
  readonly alarmTopic: sns.ITopic;
  /** Encrypts the transform's and Firehose's log groups. */
  readonly logsKey: kms.IKey;
  /** VPC for the transform function (isolated subnets). */
  readonly vpc?: ec2.IVpc;
}

/** The Kinesis stream producers write to, and Firehose from it to the raw zone. */
export class IngestionStack extends Stack {
  public readonly stream: IngestionStream;
  public readonly delivery: LakeDeliveryStream;

  constructor(scope: Construct, id: string, props: IngestionStackProps) {
    super(scope, id, props);
    const s = props.ingestion;
    this.stream = new IngestionStream(this, 'Stream', {
      capacity: s.streamMode === 'on-demand' ? StreamCapacity.onDemand() : StreamCapacity.shards(s.shardCount),
      retention: Duration.hours(s.retentionHours),
      alarmTopic: props.alarmTopic,
      removalPolicy: s.removalPolicy,
    });
    this.delivery = new LakeDeliveryStream(this, 'Delivery', {
      source: this.stream.stream,
      bucket: props.rawBucket,
      encryptionKey: props.lakeKey,
      alarmTopic: props.alarmTopic,
      bufferingInterval: Duration.seconds(s.bufferingIntervalSeconds),
      bufferingSize: Size.mebibytes(s.bufferingSizeMiB),
      backupSourceRecords: s.backupSourceRecords,
      logRetention: props.logRetention,
      removalPolicy: s.removalPolicy,
      logEncryptionKey: props.logsKey,
      vpc: props.vpc,
      dataset: DATASET,
    });

    new CfnOutput(this, 'StreamName', { value: this.stream.stream.streamName });
    new CfnOutput(this, 'DeliveryStreamName', { value: this.delivery.deliveryStream.deliveryStreamName });
    new CfnOutput(this, 'TransformFunctionName', { value: this.delivery.transformFunction.functionName });
  }
}
