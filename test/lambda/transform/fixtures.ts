import type { FirehoseTransformationEvent, FirehoseTransformationEventRecord } from 'aws-lambda';

export const ARRIVAL = Date.UTC(2026, 10, 22, 3, 4, 5, 678);

/** A normalized event, as the schema emits it. */
export const normalizedEvent = {
  event_id: 'evt-1',
  event_time: '2026-11-22T01:02:03.000Z',
  customer_id: 'cust-00001',
  merchant_id: 'merch-0001',
  merchant_category: '5411',
  amount: 12.5,
  currency: 'USD',
  country: 'US',
  channel: 'POS',
  is_fraud: false,
};

/** The same event as a producer might send it: offset time, numeric MCC, string amount, lower-case codes. */
export const validEvent = {
  event_id: 'evt-1',
  event_time: '2026-11-21T23:02:03-02:00',
  customer_id: 'cust-00001',
  merchant_id: 'merch-0001',
  merchant_category: 5411,
  amount: '12.50',
  currency: 'usd',
  country: 'us',
  channel: 'pos',
  is_fraud: false,
};

export const b64 = (data: string | Uint8Array): string => Buffer.from(data).toString('base64');

/** A record as Firehose sends it from a Kinesis source (data-transformation docs). */
export function kinesisRecord(recordId: string, data: string, arrival = ARRIVAL): FirehoseTransformationEventRecord {
  return {
    recordId,
    approximateArrivalTimestamp: arrival + 5000,
    data,
    kinesisRecordMetadata: {
      shardId: 'shardId-000000000000',
      partitionKey: 'cust-00001',
      approximateArrivalTimestamp: arrival,
      sequenceNumber: '49546986683135544286507457936321625675700192471156785154',
      subsequenceNumber: '',
    },
  };
}

/** A record as Firehose sends it from a direct PUT: no Kinesis metadata. */
export function directPutRecord(recordId: string, data: string, arrival = ARRIVAL): FirehoseTransformationEventRecord {
  return { recordId, approximateArrivalTimestamp: arrival, data };
}

export function firehoseEvent(records: FirehoseTransformationEventRecord[]): FirehoseTransformationEvent {
  return {
    invocationId: 'invocationIdExample',
    deliveryStreamArn: 'arn:aws:firehose:us-east-1:123456789012:deliverystream/lake-raw',
    sourceKinesisStreamArn: 'arn:aws:kinesis:us-east-1:123456789012:stream/lake-events',
    region: 'us-east-1',
    records,
  };
}
