/**
 * test/esbuild-transform.js, Jest's TypeScript transform.
 */
import * as path from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const transform = require('./esbuild-transform.js') as {
  process(source: string, filename: string): { code: string; map: string };
  getCacheKey(source: string, filename: string, options: { configString: string }): string;
};
const file = path.join(__dirname, 'example.ts');

test('strips types and compiles imports to CommonJS, with a source map', () => {
  const { code, map } = transform.process("import { x } from './x';\nconst y: number = x;\nexport default y;\n", file);
  expect(code).toContain('require("./x")');
  expect(code).not.toContain(': number');
  expect(JSON.parse(map).sources).toEqual([file]);
});

test('refuses jest.mock(), which it does not hoist above the imports', () => {
  expect(() => transform.process("import { a } from './a';\njest.mock('./a');\n", file)).toThrow(
    `${file}: jest.mock() is not hoisted by test/esbuild-transform.js; call jest.doMock() before the module is first required, or require it lazily`,
  );
});

test('accepts jest.doMock() and a mention of jest.mock in a comment', () => {
  expect(() => transform.process("// unlike jest.mock('./a')\njest.doMock('./a', () => ({}));\n", file)).not.toThrow();
});

test('keys its cache on the source, the file and the Jest config', () => {
  const key = (source: string, filename = file, configString = '{}') => transform.getCacheKey(source, filename, { configString });
  const keys = new Set([key('a'), key('b'), key('a', path.join(__dirname, 'other.ts')), key('a', file, '{"x":1}')]);
  expect([keys.size, key('a') === key('a')]).toEqual([4, true]);
});
