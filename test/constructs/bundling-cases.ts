/**
 * The constructs that bundle a Lambda handler, each built with its fewest props, for the
 * bundling tests (handler-bundling.test.ts, handler-bundling-docker.test.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as sns from 'aws-cdk-lib/aws-sns';
import { BatchCluster } from '../../lib/constructs/batch-cluster';
import { EmrTlsCertificates } from '../../lib/constructs/emr-tls-certificates';
import { LakeDeliveryStream } from '../../lib/constructs/lake-delivery-stream';
import { SpeedLayer } from '../../lib/constructs/speed-layer';

export interface BundlingCase {
  readonly construct: string;
  readonly entryProp: string;
  /** Relative to the project root. */
  readonly defaultEntry: string;
  /** Text the default handler's bundle contains. */
  readonly marker: string;
  /** SDK clients the default handler uses, left to the runtime. */
  readonly sdkClients: string[];
  /** The bundling options before in-process bundling (NodejsFunction), kept as they were. */
  readonly minified: boolean;
  readonly sourceMap: boolean;
  /** The function's logical id, as in the app's stack snapshots (the construct has the app's id here). */
  readonly logicalId: string;
  /** Builds the construct in the stack, with `entry` as its handler entry, and returns the function. */
  build(stack: Stack, entry?: string): lambda.Function;
}

export const BUNDLING_CASES: BundlingCase[] = [
  {
    construct: 'LakeDeliveryStream',
    entryProp: 'transformEntry',
    defaultEntry: 'lambda/transform/index.ts',
    marker: 'RecordsFailed',
    sdkClients: [],
    minified: true,
    sourceMap: false,
    logicalId: 'DeliveryTransform11D5218C',
    build: (stack, entry) => {
      const key = new kms.Key(stack, 'Key');
      return new LakeDeliveryStream(stack, 'Delivery', {
        source: new kinesis.Stream(stack, 'Stream'),
        bucket: new s3.Bucket(stack, 'Bucket', { encryptionKey: key }),
        alarmTopic: new sns.Topic(stack, 'Topic'),
        transformEntry: entry,
      }).transformFunction;
    },
  },
  {
    construct: 'SpeedLayer',
    entryProp: 'handlerEntry',
    defaultEntry: 'lambda/speed-layer/index.ts',
    marker: 'MAX_WRITE_ATTEMPTS',
    sdkClients: ['@aws-sdk/client-dynamodb', '@aws-sdk/client-sagemaker-runtime', '@aws-sdk/client-sqs'],
    minified: true,
    sourceMap: true,
    logicalId: 'SpeedLayerFunctionC4C6B79A',
    build: (stack, entry) => {
      const grant = (grantee: iam.IGrantable) => iam.Grant.addToPrincipal({ grantee, actions: ['none:None'], resourceArns: ['*'] });
      return new SpeedLayer(stack, 'SpeedLayer', {
        stream: new kinesis.Stream(stack, 'Stream'),
        endpoint: { endpointName: 'endpoint', grantInvoke: grant },
        view: { table: { tableName: 'view' }, grantWriteScores: grant },
        alarmTopic: new sns.Topic(stack, 'Topic'),
        handlerEntry: entry,
      }).function;
    },
  },
  {
    construct: 'BatchCluster',
    entryProp: 'securityGroupCleanupEntry',
    defaultEntry: 'lambda/emr-security-group-cleanup/index.ts',
    marker: 'DescribeSecurityGroupRulesCommand',
    sdkClients: ['@aws-sdk/client-ec2'],
    minified: false,
    sourceMap: false,
    logicalId: 'ClusterSecurityGroupCleanupFunction8A9B9FAF',
    build: (stack, entry) => {
      const vpc = new ec2.Vpc(stack, 'Vpc', {
        maxAzs: 1,
        natGateways: 0,
        subnetConfiguration: [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
      });
      const bucket = new s3.Bucket(stack, 'Bucket');
      return new BatchCluster(stack, 'Cluster', {
        vpc,
        key: new kms.Key(stack, 'Key'),
        rawBucket: bucket,
        curatedBucket: bucket,
        logBucket: bucket,
        databaseName: 'lake',
        step: { name: 'step', args: ({ start, end }) => ['echo', start, end] },
        securityGroupCleanupEntry: entry,
      }).securityGroupCleanupFunction;
    },
  },
  {
    construct: 'EmrTlsCertificates',
    entryProp: 'handlerEntry',
    defaultEntry: 'lambda/emr-tls-certificates/index.ts',
    marker: 'certificateChain.pem',
    sdkClients: ['@aws-sdk/client-s3'],
    minified: true,
    sourceMap: false,
    logicalId: 'TlsCertificatesFunction2FE991B9',
    build: (stack, entry) => {
      const key = new kms.Key(stack, 'Key');
      return new EmrTlsCertificates(stack, 'TlsCertificates', {
        bucket: new s3.Bucket(stack, 'Bucket', { encryptionKey: key }),
        encryptionKey: key,
        handlerEntry: entry,
      }).function;
    },
  },
];

/** The function's code asset. */
export function codeAsset(fn: lambda.Function): s3assets.Asset {
  return fn.node.findChild('Code') as s3assets.Asset;
}

/** The function's bundle: its asset hash and its files by name. */
export function bundleOf(fn: lambda.Function): { hash: string; files: Record<string, string> } {
  const asset = codeAsset(fn);
  const dir = path.resolve((Stack.of(fn).node.root as App).outdir, asset.assetPath);
  const files = Object.fromEntries(fs.readdirSync(dir).map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')]));
  return { hash: asset.assetHash, files };
}

/**
 * A small project: handlers/one/index.ts returns the value exported by
 * handlers/shared/value.ts, which is (re)written with `value`.
 */
export function writeProject(dir: string, value: string): void {
  fs.mkdirSync(path.join(dir, 'handlers', 'one'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'handlers', 'shared'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), '{ "name": "handler-entry-test", "private": true }\n');
  fs.writeFileSync(path.join(dir, 'handlers', 'shared', 'value.ts'), `export const VALUE = ${JSON.stringify(value)};\n`);
  fs.writeFileSync(
    path.join(dir, 'handlers', 'one', 'index.ts'),
    "import { VALUE } from '../shared/value';\n\nexport const handler = async (): Promise<string> => VALUE;\n",
  );
}
