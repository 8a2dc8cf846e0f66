/**
 * The three constructs that bundle a handler (LakeDeliveryStream, SpeedLayer, BatchCluster)
 * bundle it in this process with esbuild's JS API: the same options as before, an asset
 * hash that follows every file the handler imports, and a prop for the entry file.
 * The Docker fallback, for a project without esbuild, is in handler-bundling-docker.test.ts.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CfnElement, Stack } from 'aws-cdk-lib';
import { BUNDLING_CASES, bundleOf, codeAsset, writeProject } from './bundling-cases';
import { ROOT, testStack } from '../helpers';

describe.each(BUNDLING_CASES)('$construct', (c) => {
  const defaultBundle = () => bundleOf(c.build(testStack({ bundling: true })));

  test(`bundles ${c.defaultEntry} by default`, () => {
    const byDefault = defaultBundle();
    const explicit = bundleOf(c.build(testStack({ bundling: true }), path.join(ROOT, c.defaultEntry)));
    expect(byDefault.hash).toBe(explicit.hash);
    expect(byDefault.files['index.js']).toContain(c.marker);
  });

  test(`bundles with the same options as before: ${c.minified ? 'minified' : 'not minified'}, ${c.sourceMap ? 'with' : 'without'} a source map`, () => {
    const { files } = defaultBundle();
    expect(Object.keys(files).sort()).toEqual(c.sourceMap ? ['index.js', 'index.js.map'] : ['index.js']);
    // Minified output is a few very long lines; readable output averages a few dozen characters a line.
    const averageLine = files['index.js'].length / files['index.js'].split('\n').length;
    expect(averageLine > 500).toBe(c.minified);
    expect(files['index.js'].includes('//# sourceMappingURL=index.js.map')).toBe(c.sourceMap);
  });

  test('leaves the AWS SDK v3 to the Lambda runtime', () => {
    const code = defaultBundle().files['index.js'];
    for (const client of c.sdkClients) expect(code).toContain(`require("${client}")`);
    expect(code).not.toMatch(/@smithy\/[a-z-]+\/dist-cjs/);
  });

  describe('with a handler entry of its own', () => {
    let project: string;
    beforeEach(() => {
      project = fs.mkdtempSync(path.join(os.tmpdir(), 'handler-entry-'));
      writeProject(project, 'first value');
    });
    afterEach(() => fs.rmSync(project, { recursive: true, force: true }));

    test('bundles that entry and the files it imports', () => {
      const code = bundleOf(c.build(testStack({ bundling: true }), path.join(project, 'handlers', 'one', 'index.ts'))).files['index.js'];
      expect(code).toContain('first value');
    });

    test('changes the asset hash when a shared file it imports changes, and only then', () => {
      const entry = path.join(project, 'handlers', 'one', 'index.ts');
      const before = bundleOf(c.build(testStack({ bundling: true }), entry)).hash;
      const again = bundleOf(c.build(testStack({ bundling: true }), entry)).hash;
      writeProject(project, 'second value');
      const after = bundleOf(c.build(testStack({ bundling: true }), entry)).hash;
      expect([again === before, after === before]).toEqual([true, false]);
    });

    test('resolves a relative entry from the working directory', () => {
      const cwd = process.cwd();
      try {
        process.chdir(project);
        const code = bundleOf(c.build(testStack({ bundling: true }), path.join('handlers', 'one', 'index.ts'))).files['index.js'];
        expect(code).toContain('first value');
      } finally {
        process.chdir(cwd);
      }
    });

  });

  test('keeps the function\'s logical id, so a deployed function is updated, not replaced', () => {
    const fn = c.build(testStack());
    expect(Stack.of(fn).getLogicalId(fn.node.defaultChild as CfnElement)).toBe(c.logicalId);
  });

  test(`rejects a ${c.entryProp} that is not an existing .ts or .js file`, () => {
    for (const entry of [path.join(ROOT, 'lambda', 'missing', 'index.ts'), path.join(ROOT, 'package.json')]) {
      expect(() => c.build(testStack(), entry)).toThrow(new Error(`${c.construct}: ${c.entryProp} must be an existing .ts or .js file, got ${entry}`));
    }
  });

  test(`rejects a ${c.entryProp} with no package.json above it`, () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'no-project-'));
    try {
      const entry = path.join(outside, 'index.ts');
      fs.writeFileSync(entry, 'export const handler = async () => 1;\n');
      expect(() => c.build(testStack({ bundling: true }), entry)).toThrow(
        new Error(`${c.construct}: ${c.entryProp} must be in a folder with a package.json above it, got ${entry}`),
      );
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  test('does not bundle when bundling is off for the stack (unit tests)', () => {
    expect(codeAsset(c.build(testStack())).assetPath).toBe(ROOT);
  });
});
