/**
 * Builds the SageMaker model artifact, `model.tar.gz`, deterministically: the same
 * sources give the same bytes on every machine, so the S3 asset's hash (and the
 * endpoint) changes only when the model or its code does.
 *
 * The tar is POSIX ustar with sorted entries, mtime 0, uid/gid 0, owner names empty
 * and mode 0644. The gzip wrapper has mtime 0, no file name, and stores the tar in
 * uncompressed deflate blocks, so no zlib version can change the output. (The
 * artifact is a few KB; compression would save nothing that matters.)
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

export interface TarEntry {
  /** Path inside the archive, `/`-separated, at most 100 bytes. */
  readonly name: string;
  readonly content: Buffer;
}

const BLOCK = 512;

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

function header(name: string, size: number): Buffer {
  const h = Buffer.alloc(BLOCK);
  if (Buffer.byteLength(name) > 100) throw new Error(`tar: entry name longer than 100 bytes: ${name}`);
  h.write(name, 0, 'utf8');
  h.write(octal(0o644, 8), 100, 'ascii'); // mode
  h.write(octal(0, 8), 108, 'ascii'); // uid
  h.write(octal(0, 8), 116, 'ascii'); // gid
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(0, 12), 136, 'ascii'); // mtime
  h.write('        ', 148, 'ascii'); // checksum placeholder: eight spaces
  h.write('0', 156, 'ascii'); // regular file
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return h;
}

/** A ustar archive of the entries, sorted by name. */
export function tar(entries: readonly TarEntry[]): Buffer {
  const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const parts: Buffer[] = [];
  for (const { name, content } of sorted) {
    parts.push(header(name, content.length), content, Buffer.alloc((BLOCK - (content.length % BLOCK)) % BLOCK));
  }
  parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}

const MAX_STORED_BLOCK = 65_535;

/** gzip (RFC 1952) with stored deflate blocks (RFC 1951 §3.2.4), mtime 0 and no file name. */
export function gzipStored(data: Buffer): Buffer {
  const head = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]); // no flags, mtime 0, OS unknown
  const blocks: Buffer[] = [];
  for (let offset = 0; offset < data.length || offset === 0; offset += MAX_STORED_BLOCK) {
    const chunk = data.subarray(offset, offset + MAX_STORED_BLOCK);
    const last = offset + MAX_STORED_BLOCK >= data.length;
    const b = Buffer.alloc(5);
    b[0] = last ? 1 : 0;
    b.writeUInt16LE(chunk.length, 1);
    b.writeUInt16LE(~chunk.length & 0xffff, 3);
    blocks.push(b, chunk);
    if (last) break;
  }
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(zlib.crc32(data) >>> 0, 0);
  trailer.writeUInt32LE(data.length >>> 0, 4);
  return Buffer.concat([head, ...blocks, trailer]);
}

/** The model artifact's files: `model.json` and `code/inference.py` from a model directory. */
export function modelArtifactEntries(modelDir: string): TarEntry[] {
  return ['model.json', 'code/inference.py'].map((name) => ({
    name,
    content: fs.readFileSync(path.join(modelDir, ...name.split('/'))),
  }));
}

export function buildModelArtifact(modelDir: string): Buffer {
  return gzipStored(tar(modelArtifactEntries(modelDir)));
}

/**
 * Writes the artifact to a content-addressed file under the OS temp directory and
 * returns its path, for an `s3_assets.Asset`. Synth after synth reuses the file.
 */
export function writeModelArtifact(modelDir: string): string {
  const bytes = buildModelArtifact(modelDir);
  const hash = crypto.createHash('sha256').update(bytes).digest('hex').slice(0, 16);
  const dir = path.join(os.tmpdir(), `model-artifact-${hash}`);
  const file = path.join(dir, 'model.tar.gz');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dir, { recursive: true });
    const partial = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(partial, bytes);
    fs.renameSync(partial, file);
  }
  return file;
}
