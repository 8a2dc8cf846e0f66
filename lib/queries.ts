/**
 * The lake's saved Athena queries, against the tables the crawlers create.
 *
 * Column names come from the contracts: RAW_RECORD_FIELDS for raw_payments (newline-delimited
 * JSON, so `event_time` and `ingested_at` are ISO-8601 strings and `amount` a double), the
 * typed curated views written by Spark, and the `event_date` partition (a `YYYY-MM-DD` string)
 * on every table. test/queries.test.ts checks each query against these lists.
 */
import { PAYMENT_EVENT_FIELDS, RAW_RECORD_FIELDS } from '../lambda/shared/payment-event';
import type { NamedQuery } from './constructs/query-workgroup';

/** Partition column of every table (from the `event_date=YYYY-MM-DD/` folders). */
export const PARTITION_COLUMN = 'event_date';

/** Each table's columns, partition included. */
export const LAKE_TABLES: Record<string, readonly string[]> = {
  raw_payments: [...RAW_RECORD_FIELDS, PARTITION_COLUMN],
  // Deduplicated events, typed: amount decimal(18,2), event_time timestamp.
  curated_payments: [...PAYMENT_EVENT_FIELDS, PARTITION_COLUMN],
  curated_merchant_daily: [
    'merchant_id',
    'merchant_category',
    'event_count',
    'total_amount',
    'fraud_count',
    'fraud_rate',
    PARTITION_COLUMN,
  ],
};

/** How far back the queries look: a partition filter, so they scan only recent days. */
export const LOOKBACK_DAYS = 30;

const recent = `event_date >= date_format(CURRENT_DATE - INTERVAL '${LOOKBACK_DAYS}' DAY, '%Y-%m-%d')`;

export const NAMED_QUERIES: NamedQuery[] = [
  {
    name: 'daily_volume_and_amount',
    description: `Events and amount per day and currency, last ${LOOKBACK_DAYS} days (raw zone)`,
    sql: `SELECT event_date,
       currency,
       count(*) AS events,
       count(DISTINCT event_id) AS distinct_events,
       round(sum(amount), 2) AS total_amount,
       round(avg(amount), 2) AS average_amount
FROM raw_payments
WHERE ${recent}
GROUP BY event_date, currency
ORDER BY event_date DESC, currency`,
  },
  {
    name: 'fraud_rate_by_merchant_category',
    description: `Labelled fraud rate per merchant category, last ${LOOKBACK_DAYS} days (raw zone)`,
    sql: `SELECT merchant_category,
       count(*) AS events,
       count_if(is_fraud) AS fraud_events,
       round(CAST(count_if(is_fraud) AS DOUBLE) / nullif(count_if(is_fraud IS NOT NULL), 0), 4) AS fraud_rate
FROM raw_payments
WHERE ${recent}
GROUP BY merchant_category
ORDER BY fraud_rate DESC NULLS LAST, events DESC`,
  },
  {
    name: 'curated_fraud_rate_by_merchant_category',
    description: `Fraud rate per merchant category from the daily merchant batch view, last ${LOOKBACK_DAYS} days`,
    sql: `SELECT merchant_category,
       sum(event_count) AS events,
       sum(fraud_count) AS fraud_events,
       round(CAST(sum(fraud_count) AS DOUBLE) / nullif(sum(event_count), 0), 4) AS fraud_rate
FROM curated_merchant_daily
WHERE ${recent}
GROUP BY merchant_category
ORDER BY fraud_rate DESC NULLS LAST, events DESC`,
  },
  {
    name: 'late_arriving_events',
    description: `Events that arrived on a later UTC day than they happened, per event day, last ${LOOKBACK_DAYS} days`,
    sql: `SELECT event_date,
       count(*) AS late_events,
       round(avg(date_diff('minute', from_iso8601_timestamp(event_time), from_iso8601_timestamp(ingested_at))) / 60.0, 1) AS average_delay_hours,
       max(date_diff('hour', from_iso8601_timestamp(event_time), from_iso8601_timestamp(ingested_at))) AS max_delay_hours
FROM raw_payments
WHERE ${recent}
  AND date(from_iso8601_timestamp(event_time)) < date(from_iso8601_timestamp(ingested_at))
GROUP BY event_date
ORDER BY event_date DESC`,
  },
  {
    name: 'raw_vs_curated_reconciliation',
    description: `Distinct events per day in the raw zone against rows in curated_payments, last ${LOOKBACK_DAYS} days`,
    sql: `WITH raw_counts AS (
  SELECT event_date, count(DISTINCT event_id) AS raw_events
  FROM raw_payments
  WHERE ${recent}
  GROUP BY event_date
), curated_counts AS (
  SELECT event_date, count(*) AS curated_events
  FROM curated_payments
  WHERE ${recent}
  GROUP BY event_date
)
SELECT coalesce(r.event_date, c.event_date) AS event_day,
       coalesce(r.raw_events, 0) AS raw_events,
       coalesce(c.curated_events, 0) AS curated_events,
       coalesce(r.raw_events, 0) - coalesce(c.curated_events, 0) AS missing_in_curated
FROM raw_counts AS r
FULL OUTER JOIN curated_counts AS c ON r.event_date = c.event_date
ORDER BY event_day DESC`,
  },
];
