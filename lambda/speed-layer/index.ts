/**
 * Speed-layer consumer: scores each Kinesis batch with the SageMaker endpoint and
 * writes the real-time view. The logic is in ./scoring; this file wires the AWS
 * clients, Powertools and the environment.
 *
 * Environment: ENDPOINT_NAME, TABLE_NAME, DEAD_LETTER_QUEUE_URL, MAX_PAYLOAD_BYTES,
 * TTL_SECONDS, MAX_WRITE_ATTEMPTS, BASE_BACKOFF_MS, POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import { type AttributeValue, BatchWriteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, KinesisStreamEvent, KinesisStreamRecord, KinesisStreamBatchResponse } from 'aws-lambda';
import { type DeadLetter, processBatch, type ScoringOptions, type ScoringPorts, type ViewItem } from './scoring';

const logger = new Logger();
const metrics = new Metrics();
const sagemaker = new SageMakerRuntimeClient({});
const dynamodb = new DynamoDBClient({});
const sqs = new SQSClient({});

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`speed-layer: environment variable ${name} is not set`);
  return value;
}

export function marshal(item: ViewItem): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const [k, v] of Object.entries(item)) out[k] = typeof v === 'number' ? { N: String(v) } : { S: String(v) };
  return out;
}

export function unmarshal(item: Record<string, AttributeValue>): ViewItem {
  const out: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(item)) out[k] = v.N !== undefined ? Number(v.N) : (v.S ?? '');
  return out as unknown as ViewItem;
}

/** The AWS side of the ports. */
export function awsPorts(config: { endpointName: string; tableName: string; queueUrl: string }): ScoringPorts {
  return {
    async invokeEndpoint(body) {
      const response = await sagemaker.send(new InvokeEndpointCommand({
        EndpointName: config.endpointName,
        ContentType: 'application/jsonlines',
        Accept: 'application/json',
        Body: Buffer.from(body),
      }));
      return Buffer.from(response.Body ?? new Uint8Array()).toString('utf8');
    },
    async batchWrite(items) {
      const response = await dynamodb.send(new BatchWriteItemCommand({
        RequestItems: { [config.tableName]: items.map((item) => ({ PutRequest: { Item: marshal(item) } })) },
      }));
      return (response.UnprocessedItems?.[config.tableName] ?? []).flatMap((r) => (r.PutRequest?.Item ? [unmarshal(r.PutRequest.Item)] : []));
    },
    async sendDeadLetters(letters: readonly DeadLetter[]) {
      const response = await sqs.send(new SendMessageBatchCommand({
        QueueUrl: config.queueUrl,
        Entries: letters.map((letter, i) => ({ Id: String(i), MessageBody: JSON.stringify(letter) })),
      }));
      return (response.Failed ?? []).map((f) => Number(f.Id));
    },
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    now: () => Date.now(),
    random: Math.random,
  };
}

export function optionsFromEnv(): ScoringOptions {
  return {
    maxPayloadBytes: Number(env('MAX_PAYLOAD_BYTES')),
    ttlSeconds: Number(env('TTL_SECONDS')),
    maxWriteAttempts: Number(process.env.MAX_WRITE_ATTEMPTS ?? '4'),
    baseBackoffMs: Number(process.env.BASE_BACKOFF_MS ?? '100'),
  };
}

export const handler = async (event: KinesisStreamEvent, context: Context): Promise<KinesisStreamBatchResponse> => {
  logger.addContext(context);
  const ports = awsPorts({ endpointName: env('ENDPOINT_NAME'), tableName: env('TABLE_NAME'), queueUrl: env('DEAD_LETTER_QUEUE_URL') });
  const outcome = await processBatch(event.Records, ports, optionsFromEnv());

  metrics.addMetric('scored', MetricUnit.Count, outcome.scored);
  metrics.addMetric('high_risk', MetricUnit.Count, outcome.highRisk);
  metrics.addMetric('dead_lettered', MetricUnit.Count, outcome.deadLettered.size);
  metrics.addMetric('failed', MetricUnit.Count, outcome.failures.size);
  metrics.addMetric('latency', MetricUnit.Milliseconds, outcome.latencyMs);
  metrics.publishStoredMetrics();
  logger.info('batch processed', {
    records: event.Records.length,
    written: outcome.written.size,
    deadLettered: outcome.deadLettered.size,
    failed: outcome.failures.size,
    calls: outcome.calls,
  });
  for (const [sequenceNumber, reason] of outcome.failures) logger.warn('record will be retried', { sequenceNumber, reason });

  // Powertools builds the partial-batch response from the outcome: failed records throw.
  const processor = new BatchProcessor(EventType.KinesisDataStreams);
  return processPartialResponse(event, async (record: KinesisStreamRecord) => {
    const reason = outcome.failures.get(record.kinesis.sequenceNumber);
    if (reason !== undefined) throw new Error(reason);
  }, processor, { context, throwOnFullBatchFailure: false });
};
