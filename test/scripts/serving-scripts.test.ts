import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { DescribeEndpointCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import { waitForInService } from '../../scripts/endpoint-status';
import { formatPredictions, parseEventsFile, scoreEvents } from '../../scripts/invoke-endpoint';
import { sqlString } from '../../scripts/lib/athena-query';
import { formatLookup, HISTORY_SQL, lookup, MERCHANTS_SQL } from '../../scripts/lookup';
import { endpointResponse, events } from '../lambda/speed-layer/fixtures';

const runtime = mockClient(SageMakerRuntimeClient);
const sagemaker = mockClient(SageMakerClient);
const cfn = mockClient(CloudFormationClient);
const dynamodb = mockClient(DynamoDBClient);
const athena = mockClient(AthenaClient);
beforeEach(() => [runtime, sagemaker, cfn, dynamodb, athena].forEach((m) => m.reset()));

const noWait = { sleep: async () => undefined };

describe('invoke-endpoint', () => {
  test('scores all events with one JSON Lines InvokeEndpoint call', async () => {
    runtime.on(InvokeEndpointCommand).callsFake((input) => ({ Body: Buffer.from(endpointResponse(Buffer.from(input.Body).toString())) }));
    const evs = events(3);
    const result = await scoreEvents(new SageMakerRuntimeClient({}), 'ep', evs);
    expect(result.predictions.map((p) => p.event_id)).toEqual(evs.map((e) => e.event_id));
    expect(runtime.commandCalls(InvokeEndpointCommand)).toHaveLength(1);
    expect(runtime.commandCalls(InvokeEndpointCommand)[0].args[0].input).toMatchObject({ EndpointName: 'ep', ContentType: 'application/jsonlines' });
    expect(formatPredictions(evs, result.predictions).split('\n')).toHaveLength(4);
  });

  test('reads events from JSON Lines or a JSON array and names a bad one', () => {
    const evs = events(2);
    expect(parseEventsFile(evs.map((e) => JSON.stringify(e)).join('\n'))).toEqual(evs);
    expect(parseEventsFile(JSON.stringify(evs))).toEqual(evs);
    expect(() => parseEventsFile(JSON.stringify([{ ...evs[0], amount: -1 }]))).toThrow(/^invoke-endpoint: event 0 is invalid: schema: amount must be/);
  });
});

describe('endpoint-status', () => {
  const options = (log: string[]) => {
    let t = 0;
    return { intervalMs: 10_000, timeoutMs: 60_000, log: (l: string) => log.push(l), sleep: async (ms: number) => { t += ms; }, now: () => t };
  };

  test('waits through Creating to InService, printing each change', async () => {
    sagemaker.on(DescribeEndpointCommand)
      .resolvesOnce({ EndpointStatus: 'Creating' })
      .resolvesOnce({ EndpointStatus: 'Creating' })
      .resolves({ EndpointStatus: 'InService' });
    const log: string[] = [];
    await expect(waitForInService(new SageMakerClient({}), 'ep', options(log))).resolves.toBe('InService');
    expect(log).toEqual(['ep: Creating after 0 s', 'ep: InService after 20 s']);
  });

  test('fails with the FailureReason', async () => {
    sagemaker.on(DescribeEndpointCommand).resolves({ EndpointStatus: 'Failed', FailureReason: 'Image pull failed' });
    await expect(waitForInService(new SageMakerClient({}), 'ep', options([]))).rejects.toThrow('Endpoint ep is Failed: Image pull failed');
  });

  test('gives up after the timeout', async () => {
    sagemaker.on(DescribeEndpointCommand).resolves({ EndpointStatus: 'Creating' });
    await expect(waitForInService(new SageMakerClient({}), 'ep', options([]))).rejects.toThrow('Endpoint ep is still Creating after 60 s');
  });
});

describe('athena execution parameters', () => {
  test('quote string values as SQL literals', () => {
    expect(sqlString("o'brien")).toBe("'o''brien'");
  });
});

describe('lookup', () => {
  function outputs(name: string, values: Record<string, string>) {
    cfn.on(DescribeStacksCommand, { StackName: name }).resolves({
      Stacks: [{ StackName: name, CreationTime: new Date(), StackStatus: 'CREATE_COMPLETE', Outputs: Object.entries(values).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })) }],
    });
  }
  const clients = () => ({ cfn: new CloudFormationClient({}), dynamodb: new DynamoDBClient({}), athena: new AthenaClient({}) });

  test("shows the real-time latest risk and recent scores next to the customer's batch history", async () => {
    outputs('lake-serving', { ViewTableName: 'view' });
    outputs('lake-catalog', { WorkgroupName: 'wg', DatabaseName: 'lake_lake' });
    const item = (sk: string, id: string, time: string) => ({
      pk: { S: 'customer#cust-1' }, sk: { S: sk }, event_id: { S: id }, event_time: { S: time }, amount: { N: '12.5' },
      score: { N: '0.91' }, risk: { S: 'high' }, model_version: { S: '1.0.0' },
    });
    dynamodb.on(QueryCommand).resolves({ Items: [item('latest', 'e2', '2026-01-02T00:00:00.000Z'), item('event#e2', 'e2', '2026-01-02T00:00:00.000Z'), item('event#e1', 'e1', '2026-01-01T00:00:00.000Z')] });
    athena.on(StartQueryExecutionCommand).callsFake((input) => ({ QueryExecutionId: input.QueryString === HISTORY_SQL ? 'h' : 'm' }));
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
    const columns = (names: string[]) => ({ ColumnInfo: names.map((n) => ({ Name: n, Label: n, Type: 'varchar' })) });
    athena.on(GetQueryResultsCommand, { QueryExecutionId: 'h' }).resolves({ ResultSet: { ResultSetMetadata: columns(['day', 'events', 'total_amount', 'fraud_events']), Rows: [
      { Data: ['day', 'events', 'total_amount', 'fraud_events'].map((v) => ({ VarCharValue: v })) },
      { Data: ['2026-01-01', '3', '40.00', '0'].map((v) => ({ VarCharValue: v })) },
    ] } });
    athena.on(GetQueryResultsCommand, { QueryExecutionId: 'm' }).resolves({ ResultSet: { ResultSetMetadata: columns(['merchant_id', 'merchant_category', 'events', 'fraud_rate']), Rows: [
      { Data: ['merchant_id', 'merchant_category', 'events', 'fraud_rate'].map((v) => ({ VarCharValue: v })) },
      { Data: ['merch-0001', '7995', '120', '0.0500'].map((v) => ({ VarCharValue: v })) },
    ] } });

    const result = await lookup(clients(), 'lake', 'cust-1', 30, { pollMs: 1, timeoutMs: 10, ...noWait });
    expect(result.realtime.latest).toEqual({ event_id: 'e2', event_time: '2026-01-02T00:00:00.000Z', score: 0.91, risk: 'high', model_version: '1.0.0' });
    expect(result.realtime.recent.map((r) => r.event_id)).toEqual(['e2', 'e1']);
    expect(result.history).toEqual([{ day: '2026-01-01', events: '3', total_amount: '40.00', fraud_events: '0' }]);
    expect(dynamodb.commandCalls(QueryCommand)[0].args[0].input).toMatchObject({
      TableName: 'view', KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: 'customer#cust-1' } }, ScanIndexForward: false,
    });
    const starts = athena.commandCalls(StartQueryExecutionCommand).map((c) => c.args[0].input);
    expect(starts.map((s) => s.QueryString).sort()).toEqual([HISTORY_SQL, MERCHANTS_SQL].sort());
    expect(starts.every((s) => s.WorkGroup === 'wg' && s.ExecutionParameters?.join() === "'cust-1','30'")).toBe(true);
    expect(formatLookup('cust-1', result)).toContain('latest: high (0.9100) for e2');
  });

  test('rejects a customer id outside the schema before calling AWS', async () => {
    await expect(lookup(clients(), 'lake', "x' OR 1=1", 30, { pollMs: 1, timeoutMs: 10, ...noWait }))
      .rejects.toThrow(`lookup: --customer must be 1–64 letters, digits, ".", "_", ":" or "-", got "x' OR 1=1"`);
    expect(cfn.calls()).toHaveLength(0);
  });
});
