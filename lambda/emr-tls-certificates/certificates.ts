/**
 * The pure part of the EMR in-transit certificate custom resource: a self-signed
 * certificate for the Region's private DNS domain, and the zip EMR's PEM provider reads.
 *
 * EMR expects privateKey.pem, certificateChain.pem and, for a certificate no Java default
 * CA signed, trustedCertificates.pem, named exactly so
 * (https://docs.aws.amazon.com/emr/latest/ManagementGuide/emr-encryption-enable.html).
 * The certificate is a wildcard for the domain the cluster's private DNS names end in:
 * `ec2.internal` in us-east-1, `<region>.compute.internal` elsewhere.
 */
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import forge from 'node-forge';

export interface GeneratedCertificate {
  readonly privateKeyPem: string;
  readonly certificatePem: string;
  /** SHA-256 of the certificate (DER), hex: safe to log. */
  readonly fingerprint: string;
  readonly notAfter: Date;
}

/** The private DNS domain of EC2 instances in a Region. */
export function privateDnsDomain(region: string): string {
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) throw new Error(`region must look like us-east-1, got ${region}`);
  return region === 'us-east-1' ? 'ec2.internal' : `${region}.compute.internal`;
}

/** A new RSA-2048 key and a self-signed SHA-256 certificate for `*.<domain>`, valid from `now` for `validityDays`. */
export function selfSignedCertificate(domain: string, now: Date, validityDays: number): GeneratedCertificate {
  if (!Number.isInteger(validityDays) || validityDays < 1 || validityDays > 3650) {
    throw new Error(`validityDays must be a whole number 1–3650, got ${validityDays}`);
  }
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const key = forge.pki.privateKeyFromPem(privateKeyPem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  // A positive serial: 16 random bytes with the high bit cleared.
  const serial = randomBytes(16);
  serial[0] &= 0x7f;
  cert.serialNumber = serial.toString('hex');
  cert.validity.notBefore = new Date(now.getTime() - 5 * 60_000); // tolerate clock skew between nodes
  cert.validity.notAfter = new Date(now.getTime() + validityDays * 86_400_000);
  const subject = [{ name: 'commonName', value: `*.${domain}` }, { name: 'organizationName', value: 'EMR in-transit encryption' }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
    { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
    { name: 'subjectAltName', altNames: [{ type: 2, value: `*.${domain}` }, { type: 2, value: domain }] },
  ]);
  cert.sign(key, forge.md.sha256.create());
  const certificatePem = forge.pki.certificateToPem(cert);
  const der = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), 'binary');
  return { privateKeyPem, certificatePem, fingerprint: createHash('sha256').update(der).digest('hex'), notAfter: cert.validity.notAfter };
}

/** The files EMR's PEM provider reads; a self-signed certificate is its own chain and its own trust anchor. */
export function emrCertificateFiles(certificate: GeneratedCertificate): Array<{ name: string; content: Buffer }> {
  return [
    { name: 'privateKey.pem', content: Buffer.from(certificate.privateKeyPem) },
    { name: 'certificateChain.pem', content: Buffer.from(certificate.certificatePem) },
    { name: 'trustedCertificates.pem', content: Buffer.from(certificate.certificatePem) },
  ];
}

/**
 * A zip of the files, stored without compression (the PKWARE APPNOTE format: a local header
 * and the data per file, then the central directory and its end record). Timestamps are
 * fixed (1980-01-01) so the same files give the same bytes.
 */
export function zip(files: ReadonlyArray<{ name: string; content: Buffer }>): Buffer {
  const DOS_TIME = 0;
  const DOS_DATE = (0 << 9) | (1 << 5) | 1;
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const file of files) {
    const name = Buffer.from(file.name, 'utf8');
    const crc = crc32(file.content);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(file.content.length, 18);
    local.writeUInt32LE(file.content.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4); // version made by
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(0, 10);
    central.writeUInt16LE(DOS_TIME, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(file.content.length, 20);
    central.writeUInt32LE(file.content.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, file.content);
    centrals.push(central, name);
    offset += local.length + name.length + file.content.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}
