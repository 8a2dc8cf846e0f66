import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { PipelineMonitoring, PipelineMonitoringProps } from '../../lib/constructs/pipeline-monitoring';
import { testStack } from '../helpers';

function fn(stack: Stack, id: string): lambda.IFunction {
  return lambda.Function.fromFunctionName(stack, id, `${id.toLowerCase()}-fn`);
}

const WORKFLOW_ARN = 'arn:aws:states:us-east-1:111111111111:stateMachine:lake-batch';

function everything(stack: Stack): PipelineMonitoringProps {
  return {
    alarmTopic: new sns.Topic(stack, 'Topic'),
    stream: kinesis.Stream.fromStreamArn(stack, 'Stream', 'arn:aws:kinesis:us-east-1:111111111111:stream/lake'),
    deliveryStream: firehose.DeliveryStream.fromDeliveryStreamName(stack, 'Delivery', 'lake-delivery'),
    transformFunction: fn(stack, 'Transform'),
    crawlerNames: ['raw-crawler', 'curated-crawler'],
    workgroupName: 'lake',
    batchWorkflow: sfn.StateMachine.fromStateMachineArn(stack, 'Workflow', WORKFLOW_ARN),
    clusterId: 'j-ABC123',
    endpoint: { endpointName: 'fraud', variantName: 'AllTraffic' },
    speedLayerFunction: fn(stack, 'Speed'),
    deadLetterQueue: sqs.Queue.fromQueueArn(stack, 'Dlq', 'arn:aws:sqs:us-east-1:111111111111:dlq'),
    viewTable: dynamodb.Table.fromTableName(stack, 'View', 'view'),
  };
}

function dashboardBody(template: Template): string {
  const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  expect(dashboards).toHaveLength(1);
  return JSON.stringify(dashboards[0].Properties.DashboardBody);
}

describe('PipelineMonitoring', () => {
  test('covers every layer it is given, in pipeline order', () => {
    const stack = testStack();
    const m = new PipelineMonitoring(stack, 'Monitoring', everything(stack));
    expect(m.sections).toEqual([
      'Ingestion stream',
      'Delivery to the raw zone',
      'Transform Lambda',
      'Crawlers',
      'Athena',
      'Batch runs',
      'Batch cluster',
      'Inference endpoint',
      'Speed layer',
      'Real-time view',
    ]);
  });

  test('shows only the sections for what is deployed', () => {
    const stack = testStack();
    const m = new PipelineMonitoring(stack, 'Monitoring', {
      alarmTopic: new sns.Topic(stack, 'Topic'),
      workgroupName: 'lake',
    });
    expect(m.sections).toEqual(['Athena']);
    const body = dashboardBody(Template.fromStack(stack));
    expect(body).toContain('AWS/Athena');
    expect(body).not.toContain('AWS/Kinesis');
  });

  test('graphs the metrics each layer is judged by', () => {
    const stack = testStack();
    new PipelineMonitoring(stack, 'Monitoring', everything(stack));
    const body = dashboardBody(Template.fromStack(stack));
    for (const metric of [
      'IncomingBytes',
      'GetRecords.IteratorAgeMilliseconds',
      'WriteProvisionedThroughputExceeded',
      'ProcessedBytes',
      'YARNMemoryAvailablePercentage',
      'IsIdle',
      'ModelLatency',
      'Invocation5XXErrors',
      'ApproximateNumberOfMessagesVisible',
      'ReadThrottleEvents',
      'WriteThrottleEvents',
      'IteratorAge',
      'MatchedEvents',
      'DeliveryToS3.DataFreshness',
      'ExecuteProcessing.Success',
      'ExecutionsStarted',
      'ExecutionsSucceeded',
      'ExecutionsFailed',
      'ExecutionsTimedOut',
      'ExecutionsAborted',
      'ExecutionTime',
    ]) {
      expect([metric, body.includes(`\\"${metric}\\"`)]).toEqual([metric, true]);
    }
    expect(body).toContain('j-ABC123');
    expect(body).toContain('AllTraffic');
  });

  test('sends crawler failures and successes to the topic', () => {
    const stack = testStack();
    new PipelineMonitoring(stack, 'Monitoring', everything(stack));
    const template = Template.fromStack(stack);
    for (const state of ['Failed', 'Succeeded']) {
      template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: {
          source: ['aws.glue'],
          'detail-type': ['Glue Crawler State Change'],
          detail: { crawlerName: ['raw-crawler', 'curated-crawler'], state: [state] },
        },
        Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('^Topic') } })],
      });
    }
  });

  test('sends every EMR cluster state change to the topic', () => {
    const stack = testStack();
    new PipelineMonitoring(stack, 'Monitoring', everything(stack));
    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.emr'], 'detail-type': ['EMR Cluster State Change'], detail: { clusterId: ['j-ABC123'] } },
      Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('^Topic') } })],
    });
  });

  test('sends failed and cancelled EMR steps to the topic', () => {
    const stack = testStack();
    new PipelineMonitoring(stack, 'Monitoring', everything(stack));
    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.emr'],
        'detail-type': ['EMR Step Status Change'],
        detail: { clusterId: ['j-ABC123'], state: ['FAILED', 'CANCELLED'] },
      },
      Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('^Topic') } })],
    });
  });

  test('alarms on failed batch runs and real-time view throttling with the topic as action, and on nothing it only graphs', () => {
    const stack = testStack();
    const m = new PipelineMonitoring(stack, 'Monitoring', everything(stack));
    const alarms = Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(2);
    expect(m.alarms).toHaveLength(2);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^Topic/) }]);
    const view = alarms.find((a) => /real-time view/.test(a.Properties.AlarmDescription))!;
    expect(view.Properties).toEqual(
      expect.objectContaining({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 3, DatapointsToAlarm: 2 }),
    );
  });

  test('alarms as soon as a batch run fails or times out', () => {
    const stack = testStack();
    new PipelineMonitoring(stack, 'Monitoring', everything(stack));
    const alarm = Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm')).find((a) => /batch run/.test(a.Properties.AlarmDescription))!;
    expect(alarm.Properties).toEqual(expect.objectContaining({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 1, TreatMissingData: 'notBreaching' }));
    const metrics = alarm.Properties.Metrics;
    expect(metrics.find((q: any) => q.Expression).Expression).toBe('FILL(failed, 0) + FILL(timedOut, 0)');
    expect(metrics.filter((q: any) => q.MetricStat).map((q: any) => [q.Id, q.MetricStat.Metric.MetricName, q.MetricStat.Metric.Dimensions])).toEqual([
      ['failed', 'ExecutionsFailed', [{ Name: 'StateMachineArn', Value: WORKFLOW_ARN }]],
      ['timedOut', 'ExecutionsTimedOut', [{ Name: 'StateMachineArn', Value: WORKFLOW_ARN }]],
    ]);
  });

  test('sends batch runs that failed, timed out or were stopped to the topic, with their error and cause', () => {
    const stack = testStack();
    new PipelineMonitoring(stack, 'Monitoring', everything(stack));
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: { stateMachineArn: [WORKFLOW_ARN], status: ['FAILED', 'TIMED_OUT', 'ABORTED'] },
      },
      Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('^Topic') }, InputTransformer: Match.objectLike({ InputPathsMap: Match.objectLike({ 'detail-error': '$.detail.error', 'detail-cause': '$.detail.cause' }) }) })],
    });
  });

  test('uses 5-minute graphs by default', () => {
    const stack = testStack();
    new PipelineMonitoring(stack, 'Monitoring', { alarmTopic: new sns.Topic(stack, 'Topic'), workgroupName: 'lake' });
    expect(dashboardBody(Template.fromStack(stack))).toContain('\\"period\\":300');
  });

  describe('validation', () => {
    test('nothing to monitor', () => {
      const stack = testStack();
      expect(() => new PipelineMonitoring(stack, 'M', { alarmTopic: new sns.Topic(stack, 'Topic') })).toThrow(
        'PipelineMonitoring: give at least one resource to monitor',
      );
    });

    test('an empty crawler list', () => {
      const stack = testStack();
      expect(
        () => new PipelineMonitoring(stack, 'M', { alarmTopic: new sns.Topic(stack, 'Topic'), crawlerNames: [] }),
      ).toThrow('PipelineMonitoring: crawlerNames must not be empty; leave it out instead');
    });

    test('a period that is not whole minutes', () => {
      const stack = testStack();
      expect(
        () =>
          new PipelineMonitoring(stack, 'M', {
            alarmTopic: new sns.Topic(stack, 'Topic'),
            workgroupName: 'lake',
            period: Duration.seconds(90),
          }),
      ).toThrow('PipelineMonitoring: period must be a whole number of minutes ≥ 1, got 90 s');
    });
  });
});
