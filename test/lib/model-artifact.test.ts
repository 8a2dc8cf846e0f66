import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { buildModelArtifact, gzipStored, tar, writeModelArtifact } from '../../lib/model-artifact';
import { ROOT } from '../helpers';

const MODEL_DIR = path.join(ROOT, 'model');

describe('model artifact', () => {
  test('two builds are byte-identical', () => {
    expect(buildModelArtifact(MODEL_DIR).equals(buildModelArtifact(MODEL_DIR))).toBe(true);
  });

  test('lists exactly model.json and code/inference.py, owned by root, mode 0644, mtime 0', () => {
    const file = writeModelArtifact(MODEL_DIR);
    const listing = execFileSync('tar', ['--numeric-owner', '--full-time', '-tvzf', file], { encoding: 'utf8' }).trim().split('\n');
    expect(listing.map((l) => l.split(/\s+/).pop())).toEqual(['code/inference.py', 'model.json']);
    for (const line of listing) expect(line).toMatch(/^-rw-r--r-- 0\/0 +\d+ 1970-01-01 00:00:00 /);
  });

  test('unpacks to the source files unchanged', () => {
    const tarBytes = zlib.gunzipSync(buildModelArtifact(MODEL_DIR));
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'artifact-'));
    try {
      execFileSync('tar', ['-xf', '-', '-C', out], { input: tarBytes });
      for (const name of ['model.json', 'code/inference.py']) {
        expect(fs.readFileSync(path.join(out, name)).equals(fs.readFileSync(path.join(MODEL_DIR, name)))).toBe(true);
      }
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  test('the gzip header has mtime 0 and no file name', () => {
    const gz = buildModelArtifact(MODEL_DIR);
    expect([...gz.subarray(0, 4)]).toEqual([0x1f, 0x8b, 8, 0]);
    expect(gz.readUInt32LE(4)).toBe(0);
  });

  test('entries are sorted whatever the input order', () => {
    const a = { name: 'b.txt', content: Buffer.from('b') };
    const b = { name: 'a.txt', content: Buffer.from('a') };
    expect(tar([a, b]).equals(tar([b, a]))).toBe(true);
  });

  test('stored gzip round-trips empty, small and multi-block data', () => {
    for (const size of [0, 1, 65_535, 65_536, 200_000]) {
      const data = Buffer.alloc(size, 7);
      expect(zlib.gunzipSync(gzipStored(data)).equals(data)).toBe(true);
    }
  });

  test('a name over 100 bytes is rejected', () => {
    expect(() => tar([{ name: 'x'.repeat(101), content: Buffer.alloc(0) }])).toThrow(
      `tar: entry name longer than 100 bytes: ${'x'.repeat(101)}`,
    );
  });
});
