/**
 * Firehose transform for payment events: a thin adapter around `transformRecords`.
 * Logs why records failed and emits counts as metrics. Nothing from a record reaches
 * the log: the reasons are categories, record ids are Firehose's own, and the names of
 * dropped fields are counted, not logged (a producer could key a field by card number).
 *
 * Environment: POWERTOOLS_SERVICE_NAME and POWERTOOLS_METRICS_NAMESPACE, which Powertools
 * reads. The construct sets a service name per delivery stream: it is the `service`
 * dimension of every metric, so each stream's alarm counts only its own failed records.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { FirehoseTransformationEvent, FirehoseTransformationResult } from 'aws-lambda';
import { transformRecords } from './transform';

const logger = new Logger();
const metrics = new Metrics();

/** Failures logged one by one per batch; the rest only count. */
const MAX_LOGGED_FAILURES = 20;

export async function handler(event: FirehoseTransformationEvent): Promise<FirehoseTransformationResult> {
  const outcome = transformRecords(event);
  metrics.addMetric('RecordsOk', MetricUnit.Count, outcome.ok);
  metrics.addMetric('RecordsFailed', MetricUnit.Count, outcome.failed);
  metrics.addMetric('RecordsOverflowed', MetricUnit.Count, outcome.overflowed);
  let dropped = 0;
  for (const n of outcome.droppedFields.values()) dropped += n;
  metrics.addMetric('UnknownFieldsDropped', MetricUnit.Count, dropped);
  metrics.publishStoredMetrics();

  if (outcome.failed > 0) {
    logger.warn('records failed; Firehose writes them under the error prefix', {
      invocationId: event.invocationId,
      failed: outcome.failed,
      overflowed: outcome.overflowed,
      failures: outcome.failures.slice(0, MAX_LOGGED_FAILURES),
    });
  }
  if (outcome.droppedFields.size > 0) {
    logger.info('unknown fields dropped', { invocationId: event.invocationId, fieldsDropped: dropped, distinctFields: outcome.droppedFields.size });
  }
  return outcome.response;
}
