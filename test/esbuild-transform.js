/**
 * Jest transform: TypeScript to CommonJS with esbuild, file by file. It only strips
 * types; `npm run typecheck` (tsc) type-checks the whole tree once. It replaces ts-jest,
 * which loads the TypeScript compiler in every Jest process (docs/performance.md).
 *
 * Unlike ts-jest, it does not hoist `jest.mock()` above the imports, so a file that
 * calls it is refused with a message instead of running with the mock silently too late.
 */
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const tsconfig = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'tsconfig.json'), 'utf8'));
const self = fs.readFileSync(__filename, 'utf8');

module.exports = {
  process(source, filename) {
    if (/^\s*jest\.mock\(/m.test(source)) {
      throw new Error(
        `${filename}: jest.mock() is not hoisted by test/esbuild-transform.js; ` +
          'call jest.doMock() before the module is first required, or require it lazily',
      );
    }
    const { code, map } = esbuild.transformSync(source, {
      loader: 'ts',
      format: 'cjs',
      platform: 'node',
      target: tsconfig.compilerOptions.target.toLowerCase(),
      tsconfigRaw: { compilerOptions: tsconfig.compilerOptions },
      sourcefile: filename,
      sourcemap: 'external',
      sourcesContent: false,
    });
    return { code, map };
  },
  getCacheKey(source, filename, { configString }) {
    return crypto.createHash('sha256').update(`${esbuild.version}\0${self}\0${configString}\0${filename}\0${source}`).digest('hex');
  },
};
