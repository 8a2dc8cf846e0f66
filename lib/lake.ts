/**
 * Wires the lake's stacks from a parsed config. bin/app.ts calls this; the
 * compliance tests call it too, so that they check exactly what `cdk synth` builds.
 */
import { App, Tags } from 'aws-cdk-lib';
import { addPacks } from './compliance';
import { LakeConfig } from './config';
import { CatalogStack } from './stacks/catalog-stack';
import { IngestionStack } from './stacks/ingestion-stack';
import { MonitoringStack } from './stacks/monitoring-stack';
import { BatchStack } from './stacks/batch-stack';
import { NetworkStack } from './stacks/network-stack';
import { ServingStack } from './stacks/serving-stack';
import { StorageStack } from './stacks/storage-stack';

export interface LakeStacks {
  readonly storage: StorageStack;
  readonly catalog: CatalogStack;
  readonly ingestion?: IngestionStack;
  readonly network?: NetworkStack;
  readonly batch?: BatchStack;
  /** With `layers.serving`. */
  readonly serving?: ServingStack;
  readonly monitoring: MonitoringStack;
}

// Cross-stack references are strong (cdk.json): weak ones plan replacements (aws/aws-cdk#38829); see docs/changing-a-deployed-lake.md.
export function buildLake(app: App, config: LakeConfig): LakeStacks {
  const name = (layer: string) => `${config.prefix}-${layer}`;
  const common = (layer: string) => ({
    stackName: name(layer),
    description: `Lambda-architecture data lake (${config.profile}): ${layer}`,
  });

  const storage = new StorageStack(app, 'Storage', {
    ...common('storage'),
    prefix: config.prefix,
    storage: config.storage,
    alarmEmail: config.alarmEmail,
    terminationProtection: config.terminationProtection,
    logRetention: config.logRetention,
  });

  const catalog = new CatalogStack(app, 'Catalog', {
    ...common('catalog'),
    prefix: config.prefix,
    databaseName: config.databaseName,
    lake: storage.lake,
    alarmTopic: storage.alarms.topic,
    catalog: config.catalog,
    removalPolicy: config.storage.removalPolicy,
    logRetention: config.logRetention,
    logsKey: storage.logsKey,
  });

  const tls = config.batch.inTransitEncryption;
  const transformInVpc = config.layers.ingestion && config.ingestion.transformInVpc;
  const network =
    config.layers.batch || (config.layers.serving && config.profile === 'production') || transformInVpc
      ? new NetworkStack(app, 'Network', {
          ...common('network'),
          network: config.network,
          lake: storage.lake,
          logRetention: config.logRetention,
          removalPolicy: config.storage.removalPolicy,
          logsKey: storage.logsKey,
          // The user's certificate archive is read through the S3 gateway endpoint.
          readOnlyBucketNames: tls.certificates === 'provided' ? [tls.s3Uri.split('/')[2]] : [],
        })
      : undefined;

  const ingestion = config.layers.ingestion
    ? new IngestionStack(app, 'Ingestion', {
      ...common('ingestion'),
      ingestion: config.ingestion,
      logRetention: config.logRetention,
      rawBucket: storage.lake.rawBucket,
      lakeKey: storage.lake.key,
      alarmTopic: storage.alarms.topic,
      logsKey: storage.logsKey,
      vpc: transformInVpc ? network?.network.vpc : undefined,
    })
    : undefined;

  const batch =
    config.layers.batch && network
      ? new BatchStack(app, 'Batch', {
          ...common('batch'),
          prefix: config.prefix,
          batch: config.batch,
          lake: storage.lake,
          network: network.network,
          databaseName: config.databaseName,
          curatedCrawlerName: catalog.catalog.curated.crawler.ref,
          logRetention: config.logRetention,
          removalPolicy: config.storage.removalPolicy,
          logsKey: storage.logsKey,
          assetsKeyArn: config.assetsKeyArn,
        })
      : undefined;

  // parseConfig refuses serving without ingestion; the check narrows the type.
  const serving = config.layers.serving && ingestion
    ? new ServingStack(app, 'Serving', {
      ...common('serving'),
      settings: config.serving,
      stream: ingestion.stream.stream,
      alarmTopic: storage.alarms.topic,
      removalPolicy: config.storage.removalPolicy,
      logRetention: config.logRetention,
      // Instance endpoints run in the network stack's isolated subnets; serverless ones cannot join a VPC.
      vpc: config.serving.endpoint.compute === 'instance' ? network?.network.vpc : undefined,
      terminationProtection: config.terminationProtection,
      logsKey: storage.logsKey,
      assetsKeyArn: config.assetsKeyArn,
    })
    : undefined;

  const monitoring = new MonitoringStack(app, 'Monitoring', {
    ...common('monitoring'),
    alarmTopic: storage.alarms.topic,
    catalog,
    ingestion,
    batch,
    serving,
  });

  const stacks: LakeStacks = { storage, catalog, ingestion, network, batch, serving, monitoring };

  Tags.of(app).add('project', config.prefix);
  Tags.of(app).add('profile', config.profile);
  addPacks(app, config.profile);
  return stacks;
}
