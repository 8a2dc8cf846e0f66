/**
 * One customer's fraud risk from both views: the real-time view (DynamoDB, seconds
 * old) next to the batch views (Athena over the curated zone, as of the last Spark run).
 *
 *   npm run lookup -- --customer cust-00042 [--prefix lake] [--days 30]
 */
import { parseArgs } from 'node:util';
import { AthenaClient } from '@aws-sdk/client-athena';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { runQuery } from './lib/athena-query';
import { runScript } from './lib/serving-endpoint';
import { stackName, stackOutputs } from './lib/stack-outputs';

const CUSTOMER_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/; // the event schema's id rule

export interface RealtimeRisk {
  readonly latest?: { event_id: string; event_time: string; score: number; risk: string; model_version: string };
  readonly recent: Array<{ event_id: string; event_time: string; amount: number; score: number; risk: string }>;
}

/** The customer's `latest` item and newest scored events, from one Query on the partition. */
export async function realtimeRisk(client: DynamoDBClient, tableName: string, customerId: string, limit = 20): Promise<RealtimeRisk> {
  const { Items = [] } = await client.send(new QueryCommand({
    TableName: tableName,
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': { S: `customer#${customerId}` } },
    ScanIndexForward: false, // "latest" sorts after every "event#…" key
    Limit: limit + 1,
  }));
  const str = (item: (typeof Items)[number], k: string) => item[k]?.S ?? '';
  const num = (item: (typeof Items)[number], k: string) => Number(item[k]?.N ?? 'NaN');
  const latestItem = Items.find((i) => str(i, 'sk') === 'latest');
  return {
    latest: latestItem && {
      event_id: str(latestItem, 'event_id'),
      event_time: str(latestItem, 'event_time'),
      score: num(latestItem, 'score'),
      risk: str(latestItem, 'risk'),
      model_version: str(latestItem, 'model_version'),
    },
    recent: Items.filter((i) => str(i, 'sk').startsWith('event#'))
      .map((i) => ({ event_id: str(i, 'event_id'), event_time: str(i, 'event_time'), amount: num(i, 'amount'), score: num(i, 'score'), risk: str(i, 'risk') }))
      .sort((a, b) => (a.event_time < b.event_time ? 1 : -1))
      .slice(0, limit),
  };
}

/** Filters on the event_date partition, so Athena reads only the window. */
export const HISTORY_SQL = `SELECT event_date AS day, count(*) AS events,
  CAST(sum(amount) AS varchar) AS total_amount, count_if(is_fraud) AS fraud_events
FROM curated_payments
WHERE customer_id = ? AND event_date >= CAST(date_add('day', -CAST(? AS integer), current_date) AS varchar)
GROUP BY 1 ORDER BY 1 DESC`;

export const MERCHANTS_SQL = `SELECT m.merchant_id, m.merchant_category, sum(m.event_count) AS events,
  CAST(round(sum(m.fraud_count) * 1.0 / nullif(sum(m.event_count), 0), 4) AS varchar) AS fraud_rate
FROM curated_merchant_daily m
WHERE m.merchant_id IN (SELECT DISTINCT merchant_id FROM curated_payments WHERE customer_id = ?)
  AND m.event_date >= CAST(date_add('day', -CAST(? AS integer), current_date) AS varchar)
GROUP BY 1, 2 ORDER BY 4 DESC LIMIT 10`;

export interface Lookup {
  readonly realtime: RealtimeRisk;
  readonly history: Array<Record<string, string>>;
  readonly merchants: Array<Record<string, string>>;
}

export async function lookup(
  clients: { cfn: CloudFormationClient; dynamodb: DynamoDBClient; athena: AthenaClient },
  prefix: string,
  customerId: string,
  days: number,
  poll: { readonly pollMs: number; readonly timeoutMs: number; readonly sleep?: (ms: number) => Promise<void> },
): Promise<Lookup> {
  if (!CUSTOMER_PATTERN.test(customerId)) {
    throw new Error(`lookup: --customer must be 1–64 letters, digits, ".", "_", ":" or "-", got "${customerId}"`);
  }
  if (!Number.isInteger(days) || days < 1) throw new Error(`lookup: --days must be a whole number ≥ 1, got ${days}`);
  const serving = await stackOutputs(clients.cfn, stackName(prefix, 'serving'));
  const catalog = await stackOutputs(clients.cfn, stackName(prefix, 'catalog'));
  for (const [stack, outputs, key] of [['serving', serving, 'ViewTableName'], ['catalog', catalog, 'WorkgroupName'], ['catalog', catalog, 'DatabaseName']] as const) {
    if (!outputs[key]) throw new Error(`Stack ${stackName(prefix, stack)} has no output ${key}`);
  }
  const query = async (sql: string) => {
    const outcome = await runQuery({
      athena: clients.athena, workGroup: catalog.WorkgroupName, database: catalog.DatabaseName,
      sql, parameters: [customerId, String(days)], maxRows: 100, ...poll,
    });
    return outcome.rows.map((row) => Object.fromEntries(outcome.columns.map((c, i) => [c, row[i] ?? ''])));
  };
  const [realtime, history, merchants] = await Promise.all([
    realtimeRisk(clients.dynamodb, serving.ViewTableName, customerId),
    query(HISTORY_SQL),
    query(MERCHANTS_SQL),
  ]);
  return { realtime, history, merchants };
}

export function formatLookup(customerId: string, l: Lookup): string {
  const lines = [`customer ${customerId}`, '', 'real-time view (DynamoDB)'];
  lines.push(l.realtime.latest
    ? `  latest: ${l.realtime.latest.risk} (${l.realtime.latest.score.toFixed(4)}) for ${l.realtime.latest.event_id} at ${l.realtime.latest.event_time}, model ${l.realtime.latest.model_version}`
    : '  no scored events (none yet, or expired)');
  for (const r of l.realtime.recent) lines.push(`  ${r.event_time}  ${r.event_id.padEnd(22)} ${String(r.amount).padStart(10)}  ${r.score.toFixed(4)} ${r.risk}`);
  lines.push('', 'batch view: daily history (Athena, curated_payments)');
  if (l.history.length === 0) lines.push('  no curated events in the period');
  for (const h of l.history) lines.push(`  ${h.day}  ${h.events.padStart(5)} events  ${h.total_amount.padStart(12)}  ${h.fraud_events} fraud`);
  lines.push('', "batch view: the customer's merchants (Athena, curated_merchant_daily)");
  if (l.merchants.length === 0) lines.push('  no merchant history in the period');
  for (const m of l.merchants) lines.push(`  ${m.merchant_id.padEnd(12)} mcc ${m.merchant_category}  ${m.events.padStart(6)} events  fraud rate ${m.fraud_rate}`);
  return lines.join('\n');
}

const HELP = `Usage: npm run lookup -- --customer ID [options]

Shows one customer's real-time risk (DynamoDB) next to their batch-view history (Athena).

  --customer ID   customer id, e.g. cust-00042 (required)
  --prefix P      stack prefix (default lake)
  --days N        batch history window in days (default 30)
  --help          show this help`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      customer: { type: 'string' },
      prefix: { type: 'string', default: 'lake' },
      days: { type: 'string', default: '30' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help || !values.customer) {
    console.log(HELP);
    if (!values.help) process.exit(1);
    return;
  }
  const result = await lookup(
    { cfn: new CloudFormationClient({}), dynamodb: new DynamoDBClient({}), athena: new AthenaClient({}) },
    values.prefix, values.customer, Number(values.days),
    { pollMs: 1000, timeoutMs: 120_000 },
  );
  console.log(formatLookup(values.customer, result));
}

if (require.main === module) runScript(main);
