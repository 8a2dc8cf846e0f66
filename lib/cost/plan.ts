/**
 * Capacity plan for a traffic level: shards, Firehose headroom, Lambda
 * concurrency and raw-zone growth. Pure; `npm run plan` prints it.
 */
import { shardsForThroughput } from '../constructs/ingestion-stream';

/** Kinesis per-shard limits (seed facts): 1 MB/s or 1,000 records/s in, 2 MB/s out shared by standard consumers. */
export const SHARD_WRITE_KB_PER_SEC = 1000;
export const SHARD_WRITE_RECORDS_PER_SEC = 1000;
export const SHARD_READ_KB_PER_SEC = 2000;

/**
 * Firehose Direct PUT quota per delivery stream in us-east-1, us-west-2 and
 * eu-west-1 (Firehose API reference, PutRecord): 5 MB/s, 2,000 requests/s,
 * 5,000 records/s. With a Kinesis stream as the source this quota does not
 * apply; Firehose reads as one standard consumer of the stream.
 */
export const FIREHOSE_DIRECT_PUT = { mbPerSec: 5, requestsPerSec: 2000, recordsPerSec: 5000 } as const;

export interface PlanInput {
  readonly eventsPerSecond: number;
  /** Average event size, KB. */
  readonly avgEventKb: number;
  /** Standard consumers sharing each shard's 2 MB/s of reads. @default 2 (Firehose and the speed layer) */
  readonly consumers?: number;
  /** Enhanced fan-out consumers; each gets its own 2 MB/s per shard. @default 0 */
  readonly efoConsumers?: number;
  /** Speed-layer event-source parallelization factor. @default 1 */
  readonly parallelizationFactor?: number;
  /** Transform Lambda duration per invocation, ms. @default 200 */
  readonly transformMsPerInvocation?: number;
  /** Records per transform invocation (Firehose processor buffer ÷ record size). @default from a 1 MB buffer */
  readonly transformBufferMb?: number;
  /** GZIP output over input. @default 0.2 */
  readonly gzipRatio?: number;
}

export interface CapacityPlan {
  readonly writeKbPerSec: number;
  readonly readKbPerSec: number;
  /** Shards each limit needs, before rounding up. */
  readonly byWriteBytes: number;
  readonly byWriteRecords: number;
  readonly byReadBytes: number;
  readonly shards: number;
  readonly bindingLimit: 'write bytes' | 'write records' | 'read bytes';
  /** Share of the stream's shared read capacity Firehose and the other standard consumers use. */
  readonly readUtilization: number;
  /** Share of the Direct PUT quota the same traffic would use if producers wrote to Firehose directly. */
  readonly directPutUtilization: number;
  readonly speedLayerConcurrency: number;
  readonly transformConcurrency: number;
  readonly rawGbPerDay: number;
  readonly notes: string[];
}


export function planCapacity(input: PlanInput): CapacityPlan {
  const { eventsPerSecond: eps, avgEventKb: kb } = input;
  if (!(eps > 0)) throw new Error(`planCapacity: eventsPerSecond must be > 0, got ${eps}`);
  if (!(kb > 0)) throw new Error(`planCapacity: avgEventKb must be > 0, got ${kb}`);
  if (kb > 1000) throw new Error(`planCapacity: avgEventKb must be ≤ 1000 (the Firehose record limit is 1,000 KiB), got ${kb}`);
  const consumers = input.consumers ?? 2;
  const efo = input.efoConsumers ?? 0;
  const pf = input.parallelizationFactor ?? 1;
  const writeKbPerSec = eps * kb;
  const readKbPerSec = writeKbPerSec * consumers;
  const byWriteBytes = writeKbPerSec / SHARD_WRITE_KB_PER_SEC;
  const byWriteRecords = eps / SHARD_WRITE_RECORDS_PER_SEC;
  const byReadBytes = readKbPerSec / SHARD_READ_KB_PER_SEC;
  // The ingestion layer's own sizing, so the plan and the deployed stream agree.
  const shards = shardsForThroughput({ writeKBps: writeKbPerSec, recordsPerSecond: eps, standardConsumers: consumers, enhancedFanOutConsumers: efo });
  const top = Math.max(byWriteBytes, byWriteRecords, byReadBytes);
  const bindingLimit = top === byReadBytes ? 'read bytes' : top === byWriteBytes ? 'write bytes' : 'write records';

  const bufferMb = input.transformBufferMb ?? 1;
  const ms = input.transformMsPerInvocation ?? 200;
  // Little's law: concurrency = invocations/s × duration. Firehose invokes once per buffer of records.
  const transformInvocationsPerSec = Math.max(1 / 60, writeKbPerSec / 1024 / bufferMb);
  const transformConcurrency = Math.max(1, Math.ceil(transformInvocationsPerSec * (ms / 1000)));

  const directPutUtilization = Math.max(writeKbPerSec / 1024 / FIREHOSE_DIRECT_PUT.mbPerSec, eps / FIREHOSE_DIRECT_PUT.recordsPerSec);
  const notes = [
    `Shards = max(${writeKbPerSec} KB/s ÷ 1000, ${eps} records/s ÷ 1000, ${readKbPerSec} KB/s read by ${consumers} standard consumer(s) ÷ 2000) = ${top.toFixed(3)} → ${shards}.`,
    `Firehose reads the stream as a standard consumer, so the Direct PUT quota (${FIREHOSE_DIRECT_PUT.mbPerSec} MB/s, ${FIREHOSE_DIRECT_PUT.requestsPerSec} requests/s, ${FIREHOSE_DIRECT_PUT.recordsPerSec} records/s per delivery stream in us-east-1) does not apply; its throughput is bounded by the stream's shared reads (the quota is from the PutRecord API reference; that it does not bind a Kinesis-sourced stream was not verified here).`,
    `Speed layer: one concurrent invocation per shard × parallelization factor ${pf}.`,
    `Transform: ${transformInvocationsPerSec.toFixed(3)} invocations/s (one per ${bufferMb} MB or 60 s) × ${ms} ms.`,
  ];
  if (efo > 0) notes.push(`${efo} enhanced fan-out consumer(s) read 2 MB/s per shard each and do not share the standard consumers' reads.`);
  return {
    writeKbPerSec,
    readKbPerSec,
    byWriteBytes,
    byWriteRecords,
    byReadBytes,
    shards,
    bindingLimit,
    readUtilization: readKbPerSec / (shards * SHARD_READ_KB_PER_SEC),
    directPutUtilization,
    speedLayerConcurrency: shards * pf,
    transformConcurrency,
    rawGbPerDay: (writeKbPerSec * 86_400 * (input.gzipRatio ?? 0.2)) / (1024 * 1024),
    notes,
  };
}
