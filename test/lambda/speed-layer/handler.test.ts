import { BatchWriteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, KinesisStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { endpointResponse, events, kinesisRecord } from './fixtures';

process.env.ENDPOINT_NAME = 'fraud-endpoint';
process.env.TABLE_NAME = 'view';
process.env.DEAD_LETTER_QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/111111111111/dlq';
process.env.MAX_PAYLOAD_BYTES = '4000000';
process.env.TTL_SECONDS = '86400';
process.env.MAX_WRITE_ATTEMPTS = '3';
process.env.BASE_BACKOFF_MS = '1';
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.POWERTOOLS_METRICS_NAMESPACE = 'Test';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { handler } = require('../../../lambda/speed-layer/index') as typeof import('../../../lambda/speed-layer/index');

const sagemaker = mockClient(SageMakerRuntimeClient);
const dynamodb = mockClient(DynamoDBClient);
const sqs = mockClient(SQSClient);
const context = { functionName: 'speed-layer', awsRequestId: 'req-1' } as Context;

function batch(payloads: Parameters<typeof kinesisRecord>[0][]): KinesisStreamEvent {
  return { Records: payloads.map((p, i) => kinesisRecord(p, i)) };
}

function scoreEverything() {
  sagemaker.on(InvokeEndpointCommand).callsFake((input) => ({
    Body: Buffer.from(endpointResponse(Buffer.from(input.Body).toString('utf8'))),
  }));
}

beforeEach(() => {
  sagemaker.reset();
  dynamodb.reset();
  sqs.reset();
  dynamodb.on(BatchWriteItemCommand).resolves({ UnprocessedItems: {} });
  sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
});

test('scores a whole batch with one InvokeEndpoint and writes score and latest items with BatchWriteItem', async () => {
  scoreEverything();
  const evs = events(30);
  const result = await handler(batch(evs), context);
  expect(result).toEqual({ batchItemFailures: [] });
  expect(sagemaker.commandCalls(InvokeEndpointCommand)).toHaveLength(1);
  const input = sagemaker.commandCalls(InvokeEndpointCommand)[0].args[0].input;
  expect(input).toMatchObject({ EndpointName: 'fraud-endpoint', ContentType: 'application/jsonlines', Accept: 'application/json' });
  const writes = dynamodb.commandCalls(BatchWriteItemCommand).map((c) => c.args[0].input.RequestItems!.view);
  expect(writes.every((w) => w.length <= 25)).toBe(true);
  const keys = writes.flat().map((w) => `${w.PutRequest!.Item!.pk.S}|${w.PutRequest!.Item!.sk.S}`);
  const customers = new Set(evs.map((e) => e.customer_id));
  expect(keys).toHaveLength(evs.length + customers.size);
  expect(keys).toEqual(expect.arrayContaining(evs.map((e) => `customer#${e.customer_id}|event#${e.event_id}`)));
  expect(keys).toEqual(expect.arrayContaining([...customers].map((c) => `customer#${c}|latest`)));
});

test('endpoint throttling reports the batch as item failures so Lambda retries it', async () => {
  sagemaker.on(InvokeEndpointCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
  const event = batch(events(5));
  const result = await handler(event, context);
  expect(result.batchItemFailures).toEqual(event.Records.map((r) => ({ itemIdentifier: r.kinesis.sequenceNumber })));
  expect(dynamodb.commandCalls(BatchWriteItemCommand)).toHaveLength(0);
  expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(0);

  // The retry succeeds once the endpoint has capacity again.
  sagemaker.reset();
  scoreEverything();
  expect(await handler(event, context)).toEqual({ batchItemFailures: [] });
});

test('a poison record goes to the dead-letter queue with its payload and reason, and is acknowledged', async () => {
  scoreEverything();
  const [good] = events(1);
  const result = await handler(batch([good, 'not json at all']), context);
  expect(result).toEqual({ batchItemFailures: [] });
  const entries = sqs.commandCalls(SendMessageBatchCommand)[0].args[0].input.Entries!;
  expect(entries).toHaveLength(1);
  const letter = JSON.parse(entries[0].MessageBody!);
  expect(Buffer.from(letter.data, 'base64').toString()).toBe('not json at all');
  expect(letter).toMatchObject({ kind: 'poison-record', sequenceNumber: '49000000001', truncated: false, dataBytes: 15 });
  expect(letter.reason).toBe('invalid_json');
  expect(sqs.commandCalls(SendMessageBatchCommand)[0].args[0].input.QueueUrl).toBe(process.env.DEAD_LETTER_QUEUE_URL);
});

test('unprocessed items are retried until written', async () => {
  scoreEverything();
  let first = true;
  dynamodb.on(BatchWriteItemCommand).callsFake((input) => {
    const requests = input.RequestItems.view;
    if (first) {
      first = false;
      return { UnprocessedItems: { view: requests.slice(1) } };
    }
    return { UnprocessedItems: {} };
  });
  const evs = events(3);
  expect(await handler(batch(evs), context)).toEqual({ batchItemFailures: [] });
  const calls = dynamodb.commandCalls(BatchWriteItemCommand).map((c) => c.args[0].input.RequestItems!.view.length);
  expect(calls[1]).toBe(calls[0] - 1);
});

test('items still unprocessed after the bound fail their records', async () => {
  scoreEverything();
  dynamodb.on(BatchWriteItemCommand).callsFake((input) => ({ UnprocessedItems: { view: input.RequestItems.view } }));
  const event = batch(events(2));
  const result = await handler(event, context);
  expect(result.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(event.Records.map((r) => r.kinesis.sequenceNumber).sort());
  expect(dynamodb.commandCalls(BatchWriteItemCommand)).toHaveLength(3);
});
