import { X509Certificate, createPrivateKey } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { emrCertificateFiles, privateDnsDomain, selfSignedCertificate, zip } from '../../../lambda/emr-tls-certificates/certificates';
import { ArchiveStore, handleEvent } from '../../../lambda/emr-tls-certificates/index';

const NOW = new Date(Date.UTC(2026, 10, 30, 12, 0, 0));

describe('privateDnsDomain', () => {
  test.each([
    ['us-east-1', 'ec2.internal'],
    ['eu-west-1', 'eu-west-1.compute.internal'],
    ['ap-southeast-2', 'ap-southeast-2.compute.internal'],
  ])('%s → %s', (region, domain) => expect(privateDnsDomain(region)).toBe(domain));

  test('rejects a value that is not a region', () => {
    expect(() => privateDnsDomain('')).toThrow('region must look like us-east-1, got ');
  });
});

describe('selfSignedCertificate', () => {
  const generated = selfSignedCertificate('eu-west-1.compute.internal', NOW, 730);
  const cert = new X509Certificate(generated.certificatePem);

  test('is a wildcard for the domain, in the subject and the alternative names', () => {
    expect(cert.subject).toContain('CN=*.eu-west-1.compute.internal');
    expect(cert.subjectAltName).toBe('DNS:*.eu-west-1.compute.internal, DNS:eu-west-1.compute.internal');
    expect(cert.checkHost('ip-10-40-1-2.eu-west-1.compute.internal')).toBe('*.eu-west-1.compute.internal');
  });

  test('is self-signed with the private key it comes with, RSA 2048', () => {
    const key = createPrivateKey(generated.privateKeyPem);
    expect(key.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(cert.checkPrivateKey(key)).toBe(true);
    expect(cert.verify(cert.publicKey)).toBe(true);
  });

  test('is valid from a few minutes before now for the validity', () => {
    expect(new Date(cert.validFrom).getTime()).toBe(NOW.getTime() - 5 * 60_000);
    expect(new Date(cert.validTo).getTime()).toBe(NOW.getTime() + 730 * 86_400_000);
    expect(generated.notAfter.toISOString()).toBe('2028-11-29T12:00:00.000Z');
  });

  test('reports the SHA-256 fingerprint of the certificate', () => {
    expect(generated.fingerprint).toBe(cert.fingerprint256.replace(/:/g, '').toLowerCase());
  });

  test('makes a new key every time', () => {
    expect(selfSignedCertificate('ec2.internal', NOW, 1).privateKeyPem).not.toBe(generated.privateKeyPem);
  });

  test('rejects a validity outside 1–3650 days', () => {
    expect(() => selfSignedCertificate('ec2.internal', NOW, 0)).toThrow('validityDays must be a whole number 1–3650, got 0');
  });
});

describe('zip', () => {
  test('holds the three files EMR reads, byte for byte, readable by unzip', () => {
    const generated = selfSignedCertificate('ec2.internal', NOW, 30);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emr-tls-'));
    const archive = path.join(dir, 'certificates.zip');
    fs.writeFileSync(archive, zip(emrCertificateFiles(generated)));
    const python = `import zipfile,sys\nz=zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\nprint("\\n".join(z.namelist()))\nsys.stdout.write(z.read("privateKey.pem").decode())`;
    const out = execFileSync('python3', ['-c', python, archive], { encoding: 'utf8' });
    const [names, key] = [out.split('\n').slice(0, 3), out.split('\n').slice(3).join('\n')];
    expect(names).toEqual(['privateKey.pem', 'certificateChain.pem', 'trustedCertificates.pem']);
    expect(key).toBe(generated.privateKeyPem);
  });

  test('gives the same bytes for the same files', () => {
    const files = [{ name: 'a.pem', content: Buffer.from('x') }];
    expect(zip(files).equals(zip(files))).toBe(true);
  });
});

describe('handleEvent', () => {
  const event = (RequestType: 'Create' | 'Update' | 'Delete', PhysicalResourceId?: string) => ({
    RequestType,
    RequestId: 'req-1',
    PhysicalResourceId,
    ResourceProperties: { ServiceToken: 'x', Bucket: 'lake-curated', Key: 'emr-tls/certificates.zip', KmsKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/k', ValidityDays: '730' },
  }) as unknown as CloudFormationCustomResourceEvent;

  const store = () => {
    const puts: Array<{ bucket: string; key: string; body: Buffer; kms: string }> = [];
    const deletes: string[] = [];
    const s: ArchiveStore = {
      put: async (bucket, key, body, kms) => { puts.push({ bucket, key, body, kms }); },
      delete: async (bucket, key) => { deletes.push(`${bucket}/${key}`); },
    };
    return { s, puts, deletes };
  };

  test('on Create writes the archive with SSE-KMS and returns its URI, never the key', async () => {
    const { s, puts } = store();
    const outcome = await handleEvent(event('Create'), 'eu-west-1', s, NOW);
    expect(outcome).toEqual({
      status: 'SUCCESS',
      physicalResourceId: 's3://lake-curated/emr-tls/certificates.zip',
      data: { S3Uri: 's3://lake-curated/emr-tls/certificates.zip', NotAfter: '2028-11-29T12:00:00.000Z', Fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
    expect(puts.map((p) => [p.bucket, p.key, p.kms])).toEqual([['lake-curated', 'emr-tls/certificates.zip', 'arn:aws:kms:eu-west-1:111122223333:key/k']]);
    expect(JSON.stringify(outcome)).not.toMatch(/PRIVATE KEY/);
    expect(puts[0].body.toString('latin1')).toContain('-----BEGIN PRIVATE KEY-----');
  });

  test('on Delete deletes the archive it wrote', async () => {
    const { s, deletes } = store();
    await handleEvent(event('Delete', 's3://lake-curated/emr-tls/certificates.zip'), 'eu-west-1', s, NOW);
    expect(deletes).toEqual(['lake-curated/emr-tls/certificates.zip']);
  });

  test('on Delete after a failed Create deletes nothing', async () => {
    const { s, deletes } = store();
    expect((await handleEvent(event('Delete', 'failed-req-0'), 'eu-west-1', s, NOW)).status).toBe('SUCCESS');
    expect(deletes).toEqual([]);
  });

  test('a failed put fails the resource with the error', async () => {
    const s: ArchiveStore = { put: async () => { throw Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }); }, delete: async () => undefined };
    expect(await handleEvent(event('Create'), 'eu-west-1', s, NOW)).toEqual({ status: 'FAILED', physicalResourceId: 'failed-req-1', reason: 'AccessDenied: Access Denied' });
  });
});
