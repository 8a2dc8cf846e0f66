/**
 * The test files that run inside another (test/lake.test.ts imports its `*.lake.ts` parts):
 * a part that is not imported would never run, and nothing else would say so.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const TEST = __dirname;

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const file = path.join(dir, e.name);
    return e.isDirectory() ? (e.name === '__snapshots__' ? [] : filesUnder(file)) : [file];
  });
}

/** The local modules a test file imports (`import './x'`, `import { y } from '../x'`), as absolute paths without extension. */
function localImports(file: string): string[] {
  const source = fs.readFileSync(file, 'utf8');
  return [...source.matchAll(/^import\s+(?:[^'"]+\s+from\s+)?'(\.{1,2}\/[^']+)';$/gm)].map((m) => path.resolve(path.dirname(file), m[1]));
}

test('every *.lake.ts part is imported by test/lake.test.ts, once', () => {
  const parts = filesUnder(TEST).filter((f) => f.endsWith('.lake.ts')).map((f) => f.replace(/\.ts$/, '')).sort();
  const imported = localImports(path.join(TEST, 'lake.test.ts')).filter((f) => f.endsWith('.lake'));
  expect(parts.length).toBeGreaterThan(0);
  expect([...imported].sort()).toEqual(parts);
});

test('no other test file imports a part, which would run its tests twice', () => {
  const importers = filesUnder(TEST)
    .filter((f) => f.endsWith('.ts') && !f.endsWith(`${path.sep}lake.test.ts`))
    .filter((f) => localImports(f).some((i) => i.endsWith('.lake')));
  expect(importers).toEqual([]);
});
