import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { clearAcknowledgements, readAcknowledgements, readBaseline, writeBaseline } from '../../scripts/lib/baseline';

const roots: string[] = [];
function tempRoot(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'baseline-'));
  fs.mkdirSync(path.join(root, 'test', 'baseline'), { recursive: true });
  roots.push(root);
  return root;
}
afterAll(() => roots.forEach((root) => fs.rmSync(root, { recursive: true, force: true })));

describe('the baseline files', () => {
  test('round-trip per profile, one file per stack, and a rewrite drops stacks that are gone', () => {
    const root = tempRoot();
    writeBaseline('sandbox', { 'lake-storage': { Resources: {} }, 'lake-batch': { Resources: {} } }, root);
    writeBaseline('sandbox', { 'lake-storage': { Resources: { Raw: { Type: 'AWS::S3::Bucket' } } } }, root);
    expect(readBaseline('sandbox', root)).toEqual({ 'lake-storage': { Resources: { Raw: { Type: 'AWS::S3::Bucket' } } } });
    expect(readBaseline('production', root)).toEqual({});
  });

  test('clearing the acknowledgements empties the file and says how many there were', () => {
    const root = tempRoot();
    const ack = { profile: 'sandbox', stack: 'lake-storage', logicalId: 'Raw', reason: 'Moved to a new bucket after a copy' };
    fs.writeFileSync(path.join(root, 'test', 'baseline', 'acknowledged-replacements.json'), JSON.stringify({ acknowledgements: [ack] }));
    expect(readAcknowledgements(root)).toEqual([ack]);
    expect(clearAcknowledgements(root)).toBe(1);
    expect(readAcknowledgements(root)).toEqual([]);
  });

  test('the committed acknowledgements are valid', () => {
    expect(() => readAcknowledgements()).not.toThrow();
  });
});
