/**
 * Runs the app's TypeScript for the CDK CLI (cdk.json: `node --require ./bin/register.js bin/app.ts`).
 * Each .ts file is compiled to CommonJS by esbuild when it is first required, with an inline
 * source map, so stack traces name the TypeScript lines. It only strips types: `npm run typecheck`
 * type-checks the tree.
 *
 * It replaces `--require tsx/cjs`, which also scans every JavaScript file it loads for ES module
 * syntax, aws-cdk-lib's included: about 1 s of CPU a synth for this app (docs/performance.md).
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const { compilerOptions } = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'tsconfig.json'), 'utf8'));

process.setSourceMapsEnabled(true);
require.extensions['.ts'] = (module, filename) => {
  const { code } = esbuild.transformSync(fs.readFileSync(filename, 'utf8'), {
    loader: 'ts',
    format: 'cjs',
    platform: 'node',
    target: compilerOptions.target.toLowerCase(),
    tsconfigRaw: { compilerOptions },
    sourcefile: filename,
    sourcemap: 'inline',
  });
  module._compile(code, filename);
};
