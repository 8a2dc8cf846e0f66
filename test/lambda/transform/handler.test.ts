import { b64, firehoseEvent, kinesisRecord, validEvent } from './fixtures';

// As the construct sets them; Powertools reads them when the module loads.
process.env.POWERTOOLS_SERVICE_NAME = 'lake-ingestion-Delivery-0123ABCD';
process.env.POWERTOOLS_METRICS_NAMESPACE = 'DataLake';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { handler } = require('../../../lambda/transform/index') as typeof import('../../../lambda/transform/index');

describe('transform handler', () => {
  let lines: string[];

  beforeEach(() => {
    lines = [];
    // Powertools writes JSON lines: logs to stdout/stderr, EMF metrics through console.log.
    const capture = (chunk: string | Uint8Array) => {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      return true;
    };
    jest.spyOn(process.stdout, 'write').mockImplementation(capture);
    jest.spyOn(process.stderr, 'write').mockImplementation(capture);
    jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => { capture(args.map(String).join(' ')); });
  });

  afterEach(() => jest.restoreAllMocks());

  const json = () => lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));

  test('answers a documented Kinesis-sourced Firehose event in the documented result shape', async () => {
    const good = b64(JSON.stringify({ ...validEvent, extra: 1 }));
    const result = await handler(firehoseEvent([kinesisRecord('49546986683135544286507457936321625675700192471156785154', good), kinesisRecord('r2', 'bad!')]));
    expect(result.records.map((r) => [r.recordId, r.result])).toEqual([
      ['49546986683135544286507457936321625675700192471156785154', 'Ok'],
      ['r2', 'ProcessingFailed'],
    ]);
    expect(result.records[1].data).toBe('bad!');
  });

  test('emits ok, failed, overflow and dropped-field counts as metrics', async () => {
    await handler(firehoseEvent([kinesisRecord('r1', b64(JSON.stringify({ ...validEvent, extra: 1 }))), kinesisRecord('r2', 'bad!')]));
    const emf = json().find((o) => o._aws?.CloudWatchMetrics);
    expect(emf).toEqual(expect.objectContaining({ RecordsOk: 1, RecordsFailed: 1, RecordsOverflowed: 0, UnknownFieldsDropped: 1 }));
    expect(emf._aws.CloudWatchMetrics[0].Namespace).toBe('DataLake');
  });

  test("the metrics' service dimension is the one the construct passes in the environment", async () => {
    await handler(firehoseEvent([kinesisRecord('r1', 'bad!')]));
    const emf = json().find((o) => o._aws?.CloudWatchMetrics);
    expect(emf._aws.CloudWatchMetrics[0].Dimensions).toEqual([['service']]);
    expect(emf.service).toBe('lake-ingestion-Delivery-0123ABCD');
  });

  test('logs failure reasons and dropped field names, never the record data', async () => {
    const bad = b64(JSON.stringify({ ...validEvent, amount: -1, secret: 'do-not-log' }));
    await handler(firehoseEvent([kinesisRecord('r1', bad)]));
    const warning = json().find((o) => o.level === 'WARN');
    expect(warning).toEqual(expect.objectContaining({
      failed: 1,
      failures: [{ recordId: 'r1', reason: 'schema: amount must be a positive decimal ≤ 1000000 with at most 2 decimal places' }],
    }));
    expect(lines.join('\n')).not.toMatch(/do-not-log/);
    expect(lines.join('\n')).not.toContain(bad);
  });

  test('counts dropped fields without logging their names', async () => {
    await handler(firehoseEvent([kinesisRecord('r1', b64(JSON.stringify({ ...validEvent, '4111111111111111': 'x', note: 1 })))]));
    expect(json().find((o) => o.message === 'unknown fields dropped')).toEqual(expect.objectContaining({ fieldsDropped: 2, distinctFields: 2 }));
    expect(lines.join('\n')).not.toMatch(/4111111111111111|note/);
  });
});
