import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { KinesisClient, PutRecordsCommand, PutRecordsCommandInput, ProvisionedThroughputExceededException } from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import { mulberry32, takeEvents } from '../../scripts/lib/generator';
import {
  backoffDelay, MAX_BATCH_BYTES, MAX_RECORD_BYTES, ProducerRecord, RecordTooLargeError, sendRecords, toBatches,
} from '../../scripts/lib/producer';
import { main, parseOptions, toRecord } from '../../scripts/send-events';

const kinesis = mockClient(KinesisClient);
const cfn = mockClient(CloudFormationClient);
beforeEach(() => {
  kinesis.reset();
  cfn.reset();
});

const noSleep = jest.fn(async () => undefined);
const decode = (data: Uint8Array | undefined) => JSON.parse(new TextDecoder().decode(data));
const calls = () => kinesis.commandCalls(PutRecordsCommand).map((c) => c.args[0].input as PutRecordsCommandInput);
const record = (bytes: number, key = 'k'): ProducerRecord => ({ data: new Uint8Array(bytes), partitionKey: key });

/** Kinesis that fails each entry with probability `share`, and records which ids it accepted. */
function flakyKinesis(share: number, seed = 1) {
  const rand = mulberry32(seed);
  const accepted: string[] = [];
  kinesis.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput) => {
    const results = (input.Records ?? []).map((r) => {
      if (rand() < share) return { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded for shard' };
      accepted.push(decode(r.Data).event_id);
      return { SequenceNumber: '1', ShardId: 'shardId-000000000000' };
    });
    return { FailedRecordCount: results.filter((r) => r.ErrorCode).length, Records: results };
  });
  return accepted;
}

describe('toBatches', () => {
  test('cuts at 500 records', () => {
    const batches = toBatches(Array.from({ length: 1001 }, () => record(10)));
    expect(batches.map((b) => b.length)).toEqual([500, 500, 1]);
  });

  test('cuts at 5 MiB of data plus partition keys, keeping order', () => {
    const records = Array.from({ length: 6 }, (_, i) => record(1024 * 1024 - 1, `k${i}`));
    const batches = toBatches(records);
    expect(batches.map((b) => b.length)).toEqual([4, 2]);
    expect(batches.flat()).toEqual(records);
    for (const b of batches) expect(b.reduce((n, r) => n + r.data.length + r.partitionKey.length, 0)).toBeLessThanOrEqual(MAX_BATCH_BYTES);
  });

  test('fills a batch to exactly 5 MiB', () => {
    expect(toBatches(Array.from({ length: 6 }, () => record(1024 * 1024 / 2 - 1))).map((b) => b.length)).toEqual([6]);
    expect(toBatches(Array.from({ length: 11 }, () => record(1024 * 1024 / 2 - 1))).map((b) => b.length)).toEqual([10, 1]);
  });
});

describe('backoffDelay', () => {
  test('is full jitter under an exponential, capped ceiling', () => {
    expect([0, 1, 2, 3].map((a) => backoffDelay(a, {}, () => 0.999999))).toEqual([99, 199, 399, 799]);
    expect(backoffDelay(20, { maxDelayMs: 5000 }, () => 0.5)).toBe(2500);
    expect(backoffDelay(3, {}, () => 0)).toBe(0);
  });
});

describe('sendRecords', () => {
  const events = takeEvents(2000, { seed: 3 });
  const records = events.map(toRecord);

  test('with 30% of entries failing at random, every record is accepted exactly once in the end', async () => {
    const accepted = flakyKinesis(0.3);
    const stats = await sendRecords(records, { client: new KinesisClient({}), streamName: 's', sleep: noSleep });
    expect(stats.failed).toBe(0);
    expect(stats.sent).toBe(2000);
    expect([...accepted].sort()).toEqual(events.map((e) => e.event_id).sort());
    // Only failed entries are resent: total entries sent = records + retries.
    const entriesSent = calls().reduce((n, c) => n + (c.Records?.length ?? 0), 0);
    expect(entriesSent).toBe(2000 + stats.retried);
    expect(stats.retried).toBeGreaterThan(0);
  });

  test('partitions by customer_id and sends batches of at most 500', async () => {
    flakyKinesis(0);
    await sendRecords(records, { client: new KinesisClient({}), streamName: 'lake-stream', sleep: noSleep });
    for (const call of calls()) {
      expect(call.StreamName).toBe('lake-stream');
      expect(call.Records!.length).toBeLessThanOrEqual(500);
      for (const r of call.Records!) expect(r.PartitionKey).toBe(decode(r.Data).customer_id);
    }
    expect(calls()).toHaveLength(4);
  });

  test('retries a whole call throttled with ProvisionedThroughputExceededException', async () => {
    const throttle = new ProvisionedThroughputExceededException({ message: 'Rate exceeded', $metadata: {} });
    kinesis.on(PutRecordsCommand)
      .rejectsOnce(throttle)
      .rejectsOnce(throttle)
      .callsFake((input: PutRecordsCommandInput) => ({ Records: (input.Records ?? []).map(() => ({ SequenceNumber: '1', ShardId: 's' })) }));
    const sleep = jest.fn(async () => undefined);
    const stats = await sendRecords(records.slice(0, 10), { client: new KinesisClient({}), streamName: 's', sleep, random: () => 0.5 });
    expect(stats).toEqual(expect.objectContaining({ sent: 10, failed: 0, throttledCalls: 2, retried: 20 }));
    expect(sleep.mock.calls).toEqual([[50], [100]]);
  });

  test('gives up after the attempt bound and reports the lost records', async () => {
    kinesis.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput) => ({
      FailedRecordCount: input.Records!.length,
      Records: input.Records!.map(() => ({ ErrorCode: 'InternalFailure', ErrorMessage: 'x' })),
    }));
    const stats = await sendRecords(records.slice(0, 3), { client: new KinesisClient({}), streamName: 's', sleep: noSleep, retry: { maxAttempts: 4 } });
    expect(stats).toEqual(expect.objectContaining({ sent: 0, failed: 3, retried: 9, failures: { InternalFailure: 3 } }));
    expect(calls()).toHaveLength(4);
  });

  test('retries an entry with no result rather than counting it sent', async () => {
    kinesis.on(PutRecordsCommand)
      .resolvesOnce({ Records: [{ SequenceNumber: '1', ShardId: 's' }] })
      .resolves({ Records: [{ SequenceNumber: '2', ShardId: 's' }] });
    const stats = await sendRecords(records.slice(0, 2), { client: new KinesisClient({}), streamName: 's', sleep: noSleep });
    expect(stats).toEqual(expect.objectContaining({ sent: 2, failed: 0, retried: 1 }));
    expect(decode(calls()[1].Records![0].Data).event_id).toBe(events[1].event_id);
  });

  test('rejects a record over 1 MiB before sending anything', async () => {
    const big = record(MAX_RECORD_BYTES, 'k');
    await expect(sendRecords([records[0], big], { client: new KinesisClient({}), streamName: 's', sleep: noSleep })).rejects.toThrow(
      new RecordTooLargeError(1, MAX_RECORD_BYTES + 1),
    );
    expect(new RecordTooLargeError(1, MAX_RECORD_BYTES + 1).message).toBe(
      'record 1 is 1048577 bytes (data + partition key), over the Kinesis limit of 1048576 bytes; nothing was sent',
    );
    expect(calls()).toHaveLength(0);
  });

  test('a non-retryable error stops the run', async () => {
    kinesis.on(PutRecordsCommand).rejects(Object.assign(new Error('Stream lake not found'), { name: 'ResourceNotFoundException' }));
    await expect(sendRecords(records.slice(0, 1), { client: new KinesisClient({}), streamName: 's', sleep: noSleep })).rejects.toThrow('Stream lake not found');
  });

  test('paces batches to the rate', async () => {
    flakyKinesis(0);
    let clock = 0;
    const sleep = jest.fn(async (ms: number) => { clock += ms; });
    await sendRecords(records.slice(0, 1500), { client: new KinesisClient({}), streamName: 's', rate: 250, sleep, now: () => clock });
    expect(sleep.mock.calls).toEqual([[2000], [2000]]);
  });
});

describe('send-events CLI', () => {
  const stderr = () => {
    const out: string[] = [];
    return { out, write: (s: string) => out.push(s) };
  };

  test('parses options', () => {
    expect(parseOptions(['--count', '10', '--seed', '7', '--prefix', 'demo', '--stream', 'x'])).toEqual({ count: 10, rate: undefined, seed: 7, prefix: 'demo', stream: 'x' });
    expect(parseOptions(['--rate', '20', '--duration', '30'])).toEqual(expect.objectContaining({ count: 600, rate: 20 }));
    expect(parseOptions([])).toEqual({ count: 1000, rate: undefined, seed: 42, prefix: 'lake', stream: undefined });
  });

  test.each([
    [['--count', '0'], '--count must be a whole number > 0, got "0"'],
    [['--rate', 'fast'], '--rate must be a number > 0, got "fast"'],
    [['--duration', '5'], '--duration needs --rate'],
    [['--rate', '1', '--duration', '5', '--count', '3'], 'give --count or --duration, not both'],
  ])('rejects %p', (argv, message) => {
    expect(() => parseOptions(argv)).toThrow(message);
  });

  test('reads the stream name from the stack outputs and exits 0 when all is sent', async () => {
    cfn.on(DescribeStacksCommand, { StackName: 'demo-ingestion' }).resolves({
      Stacks: [{ StackName: 'demo-ingestion', CreationTime: new Date(), StackStatus: 'CREATE_COMPLETE', Outputs: [{ OutputKey: 'StreamName', OutputValue: 'demo-stream' }] }],
    });
    flakyKinesis(0.3);
    const err = stderr();
    const code = await main(['--count', '50', '--prefix', 'demo'], { kinesis: new KinesisClient({}), cfn: new CloudFormationClient({}), stderr: err, sleep: noSleep });
    expect(code).toBe(0);
    expect(calls()[0].StreamName).toBe('demo-stream');
    expect(err.out.join('')).toMatch(/^demo-stream: sent 50, retried \d+ \(0 throttled calls\), failed 0\n$/);
  });

  test('exits 1 and names the loss when retries are exhausted', async () => {
    kinesis.on(PutRecordsCommand).rejects(new ProvisionedThroughputExceededException({ message: 'Rate exceeded', $metadata: {} }));
    const err = stderr();
    const code = await main(['--count', '5', '--stream', 's'], { kinesis: new KinesisClient({}), cfn: new CloudFormationClient({}), stderr: err, sleep: noSleep });
    expect(code).toBe(1);
    expect(err.out.join('')).toContain('failed 5 — LOST: ProvisionedThroughputExceededException × 5');
  });

  test('draws a progress bar on a terminal', async () => {
    flakyKinesis(0);
    const err = { ...stderr(), isTTY: true };
    await main(['--count', '3', '--stream', 's'], { kinesis: new KinesisClient({}), cfn: new CloudFormationClient({}), stderr: err, sleep: noSleep });
    expect(err.out).toContain(`\r[${'#'.repeat(30)}] 3/3 sent 3, retried 0, failed 0`);
  });

  test('exits 2 on bad options', async () => {
    const err = stderr();
    expect(await main(['--bogus'], { kinesis: new KinesisClient({}), cfn: new CloudFormationClient({}), stderr: err })).toBe(2);
    expect(err.out.join('')).toMatch(/^send-events: Unknown option '--bogus'/);
  });
});
