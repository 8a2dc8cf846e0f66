import { DefaultStackSynthesizer, RemovalPolicy, Stack, StackProps, Aws } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { NetworkSettings } from '../config';
import { DataLakeStorage } from '../constructs/data-lake-storage';
import { LakeNetwork } from '../constructs/lake-network';

export interface NetworkStackProps extends StackProps {
  readonly network: NetworkSettings;
  /** The buckets the VPC may reach through the S3 gateway endpoint. */
  readonly lake: DataLakeStorage;
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  /** Encrypts the flow-log group and the default-security-group function's log group. */
  readonly logsKey: kms.IKey;
  /** More buckets the VPC may read objects from, e.g. that of the user's EMR certificate archive. */
  readonly readOnlyBucketNames?: string[];
}

/** The private network for EMR (and, in production, the serving layer). */
export class NetworkStack extends Stack {
  public readonly network: LakeNetwork;

  constructor(scope: Construct, id: string, props: NetworkStackProps) {
    super(scope, id, props);
    const qualifier = (this.synthesizer as DefaultStackSynthesizer).bootstrapQualifier ?? DefaultStackSynthesizer.DEFAULT_QUALIFIER;
    this.network = new LakeNetwork(this, 'Network', {
      maxAzs: props.network.maxAzs,
      natGateways: props.network.natGateways,
      sessionManagerEndpoints: props.network.sessionManagerEndpoints,
      lakeBuckets: [props.lake.rawBucket, props.lake.curatedBucket, props.lake.accessLogsBucket],
      // Job scripts are CDK file assets in the bootstrap bucket.
      readOnlyBucketNames: [`cdk-${qualifier}-assets-${Aws.ACCOUNT_ID}-${Aws.REGION}`, ...(props.readOnlyBucketNames ?? [])],
      flowLogRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
      logEncryptionKey: props.logsKey,
    });
  }
}
