/**
 * bin/register.js, the TypeScript hook in cdk.json's app command: it compiles what the app
 * requires and keeps stack traces on the TypeScript lines.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT } from './helpers';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'register-'));
  fs.writeFileSync(path.join(dir, 'data.json'), '{ "answer": 42 }\n');
  fs.writeFileSync(
    path.join(dir, 'value.ts'),
    "import data from './data.json';\n\nexport enum Kind { A = 'a' }\nexport const value: number = data.answer;\n",
  );
  fs.writeFileSync(
    path.join(dir, 'main.ts'),
    [
      "import * as path from 'node:path';",
      "import { Kind, value } from './value';",
      '',
      'interface Shape { readonly kind: Kind }',
      'const shape: Shape = { kind: Kind.A };',
      "if (process.argv[2] === 'throw') {",
      '  throw new Error(`failed at ${shape.kind}`);',
      '}',
      'console.log(`${path.basename(__filename)} ${shape.kind} ${value}`);',
      '',
    ].join('\n'),
  );
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const run = (...args: string[]) =>
  spawnSync(process.execPath, ['--require', path.join(ROOT, 'bin', 'register.js'), path.join(dir, 'main.ts'), ...args], { encoding: 'utf8' });

test('cdk.json runs the app through bin/register.js', () => {
  const { app } = JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8'));
  expect(app).toBe('node --require ./bin/register.js bin/app.ts');
});

test('compiles TypeScript that imports TypeScript, JSON and node built-ins', () => {
  const result = run();
  expect([result.status, result.stdout.trim()]).toEqual([0, 'main.ts a 42']);
});

test('reports errors at the TypeScript line and column', () => {
  const result = run('throw');
  expect(result.status).toBe(1);
  expect(result.stderr).toContain(`at Object.<anonymous> (${path.join(dir, 'main.ts')}:7:9)`);
});
