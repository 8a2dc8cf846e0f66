import type { KinesisStreamRecord } from 'aws-lambda';
import { normalizePaymentEvent, type PaymentEvent } from '../../../lambda/shared/payment-event';
import { takeEvents } from '../../../scripts/lib/generator';

/** Normalized generator events, as the speed layer decodes them. */
export function events(count: number, seed = 11): PaymentEvent[] {
  return takeEvents(count, { seed, fraudRate: 0.2 }).map((raw) => {
    const parsed = normalizePaymentEvent(raw);
    if (!parsed.ok) throw new Error(parsed.reason);
    return parsed.event;
  });
}

/** A Kinesis record of the given bytes (an event object is JSON-encoded). */
export function kinesisRecord(payload: PaymentEvent | string | Buffer, index: number): KinesisStreamRecord {
  const bytes = Buffer.isBuffer(payload) ? payload : Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload));
  const sequenceNumber = String(49_000_000_000 + index);
  return {
    eventID: `shardId-000000000000:${sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    eventSource: 'aws:kinesis',
    eventSourceARN: 'arn:aws:kinesis:eu-west-1:111111111111:stream/lake',
    eventVersion: '1.0',
    invokeIdentityArn: 'arn:aws:iam::111111111111:role/speed-layer',
    awsRegion: 'eu-west-1',
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: `pk-${index}`,
      sequenceNumber,
      data: bytes.toString('base64'),
      approximateArrivalTimestamp: 1_767_225_600 + index,
    },
  };
}

/** What the endpoint returns for a JSON Lines body: a deterministic score per event. */
export function endpointResponse(body: string): string {
  const lines = body.split('\n').filter(Boolean).map((l) => JSON.parse(l) as PaymentEvent);
  return JSON.stringify({
    model_version: '1.0.0',
    predictions: lines.map((e) => {
      const score = (e.amount % 100) / 100;
      return { event_id: e.event_id, score, risk: score >= 0.7 ? 'high' : score >= 0.3 ? 'medium' : 'low' };
    }),
  });
}
