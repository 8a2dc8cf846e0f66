/**
 * Custom resource: on Create and Update, generates a self-signed certificate for the
 * Region's private DNS domain (see certificates.ts) and writes the zip EMR reads to S3
 * with SSE-KMS; on Delete, deletes the object. The private key exists only in this
 * invocation's memory and in that object: it is never logged, never in the response to
 * CloudFormation, never in the template. Answers CloudFormation itself (no provider
 * framework), so the stack never waits an hour on a crashed handler.
 *
 * Resource properties: Bucket, Key, KmsKeyArn, ValidityDays, Rotation (any value; change it
 * to issue a new certificate).
 */
import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Logger } from '@aws-lambda-powertools/logger';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { emrCertificateFiles, privateDnsDomain, selfSignedCertificate, zip } from './certificates';

const s3 = new S3Client({});
const logger = new Logger({ serviceName: 'emr-tls-certificates' });

interface Properties {
  readonly Bucket: string;
  readonly Key: string;
  readonly KmsKeyArn: string;
  readonly ValidityDays: string;
}

export interface Outcome {
  readonly status: 'SUCCESS' | 'FAILED';
  readonly physicalResourceId: string;
  readonly reason?: string;
  /** Returned to CloudFormation (Fn::GetAtt): the archive's URI and the certificate's expiry, nothing secret. */
  readonly data?: { readonly S3Uri: string; readonly NotAfter: string; readonly Fingerprint: string };
}

/** What the handler needs from S3 (the SDK below; a fake in tests). */
export interface ArchiveStore {
  put(bucket: string, key: string, body: Buffer, kmsKeyArn: string): Promise<void>;
  delete(bucket: string, key: string): Promise<void>;
}

export const sdkStore: ArchiveStore = {
  async put(Bucket, Key, Body, SSEKMSKeyId) {
    await s3.send(new PutObjectCommand({ Bucket, Key, Body, ServerSideEncryption: 'aws:kms', SSEKMSKeyId, ContentType: 'application/zip' }));
  },
  async delete(Bucket, Key) {
    await s3.send(new DeleteObjectCommand({ Bucket, Key }));
  },
};

export async function handleEvent(event: CloudFormationCustomResourceEvent, region: string, store: ArchiveStore, now = new Date()): Promise<Outcome> {
  const p = event.ResourceProperties as unknown as Properties;
  const uri = `s3://${p.Bucket}/${p.Key}`;
  try {
    if (event.RequestType === 'Delete') {
      // Only the object this resource wrote: a physical id of another archive is left alone.
      if (event.PhysicalResourceId === uri) await store.delete(p.Bucket, p.Key);
      return { status: 'SUCCESS', physicalResourceId: event.PhysicalResourceId };
    }
    const certificate = selfSignedCertificate(privateDnsDomain(region), now, Number(p.ValidityDays));
    await store.put(p.Bucket, p.Key, zip(emrCertificateFiles(certificate)), p.KmsKeyArn);
    return {
      status: 'SUCCESS',
      physicalResourceId: uri,
      data: { S3Uri: uri, NotAfter: certificate.notAfter.toISOString(), Fingerprint: certificate.fingerprint },
    };
  } catch (err) {
    const physicalResourceId = event.RequestType === 'Create' ? `failed-${event.RequestId}` : event.PhysicalResourceId;
    return { status: 'FAILED', physicalResourceId, reason: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
  }
}

export async function handler(event: CloudFormationCustomResourceEvent, context: Context): Promise<void> {
  const outcome = await handleEvent(event, process.env.AWS_REGION ?? '', sdkStore);
  logger.info('certificate archive', { requestType: event.RequestType, status: outcome.status, reason: outcome.reason, ...outcome.data });
  const body = JSON.stringify({
    Status: outcome.status,
    Reason: outcome.reason ?? `See CloudWatch log stream ${context.logStreamName}`,
    PhysicalResourceId: outcome.physicalResourceId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    Data: outcome.data,
  });
  const response = await fetch(event.ResponseURL, { method: 'PUT', body, headers: { 'content-type': '' } });
  if (!response.ok) throw new Error(`CloudFormation response failed: HTTP ${response.status}`);
}
