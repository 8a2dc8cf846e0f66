import { CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { PipelineMonitoring } from '../constructs/pipeline-monitoring';
import type { BatchStack } from './batch-stack';
import type { CatalogStack } from './catalog-stack';
import type { IngestionStack } from './ingestion-stack';
import type { ServingStack } from './serving-stack';

export interface MonitoringStackProps extends StackProps {
  readonly alarmTopic: sns.ITopic;
  readonly catalog: CatalogStack;
  readonly ingestion?: IngestionStack;
  readonly batch?: BatchStack;
  readonly serving?: ServingStack;
}

/** One dashboard over whichever layers are deployed, and their state changes to the alarm topic. */
export class MonitoringStack extends Stack {
  public readonly monitoring: PipelineMonitoring;

  constructor(scope: Construct, id: string, props: MonitoringStackProps) {
    super(scope, id, props);
    const { catalog, workgroup } = props.catalog;
    const ingestion = props.ingestion;
    const serving = props.serving;

    this.monitoring = new PipelineMonitoring(this, 'Pipeline', {
      alarmTopic: props.alarmTopic,
      stream: ingestion?.stream.stream,
      deliveryStream: ingestion?.delivery.deliveryStream,
      transformFunction: ingestion?.delivery.transformFunction,
      crawlerNames: [catalog.raw.crawler.ref, catalog.curated.crawler.ref],
      workgroupName: workgroup.workGroupName,
      batchWorkflow: props.batch?.cluster.stateMachine,
      clusterId: props.batch?.cluster.cluster?.ref,
      endpoint: serving
        ? { endpointName: serving.endpoint.endpointName, variantName: serving.endpoint.variantName }
        : undefined,
      speedLayerFunction: serving?.speedLayer.function,
      deadLetterQueue: serving?.speedLayer.deadLetterQueue,
      viewTable: serving?.view.table,
    });

    new CfnOutput(this, 'DashboardName', { value: this.monitoring.dashboard.dashboardName });
  }
}
