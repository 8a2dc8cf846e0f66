/**
 * Each construct is one file a user can copy into another CDK app. It may
 * import only aws-cdk-lib, constructs, node built-ins and its own lambda/ folder.
 *
 * One deliberate exception: a construct that bundles a handler may load esbuild with
 * `require('esbuild')` inside a `try`, at bundling time, never with a top-level import.
 * With esbuild installed it bundles in the synth process (no process per function);
 * without it the construct falls back to Docker (docs/performance.md). A top-level
 * import would make a copied file fail to load in a project without esbuild.
 */
import * as fs from 'node:fs';
import { builtinModules } from 'node:module';
import * as path from 'node:path';
import { ROOT } from './helpers';

const CONSTRUCTS_DIR = path.join(ROOT, 'lib', 'constructs');
const constructFiles = fs.readdirSync(CONSTRUCTS_DIR).filter((f) => f.endsWith('.ts'));

/** Packages a construct may only load lazily, inside a `try`, with a fallback when missing. */
const LAZY_OPTIONAL = ['esbuild'];

function lazilyRequired(source: string, specifier: string): boolean {
  const requireCall = new RegExp(`\\btry\\s*\\{[^}]*\\brequire\\(\\s*'${specifier}'\\s*\\)`);
  const imported = new RegExp(`\\b(from|import)\\s*\\(?\\s*['"]${specifier}['"]`);
  return LAZY_OPTIONAL.includes(specifier) && requireCall.test(source) && !imported.test(source) && source.includes("'MODULE_NOT_FOUND'");
}

function importsOf(source: string): string[] {
  const specifiers: string[] = [];
  const patterns = [/\bfrom\s+['"]([^'"]+)['"]/g, /\bimport\s+['"]([^'"]+)['"]/g, /\brequire\(\s*['"]([^'"]+)['"]\s*\)/g, /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g];
  for (const re of patterns) for (const m of source.matchAll(re)) specifiers.push(m[1]);
  return specifiers;
}

function isAllowed(specifier: string): boolean {
  if (specifier === 'aws-cdk-lib' || specifier.startsWith('aws-cdk-lib/')) return true;
  if (specifier === 'constructs') return true;
  if (specifier.startsWith('node:') || builtinModules.includes(specifier)) return true;
  // Relative imports may reach only into lambda/, never into other lib/ files.
  if (specifier.startsWith('.')) {
    const resolved = path.resolve(CONSTRUCTS_DIR, specifier);
    return resolved.startsWith(path.join(ROOT, 'lambda') + path.sep);
  }
  return false;
}

describe('construct files are copyable', () => {
  test('there are construct files to check', () => {
    expect(constructFiles.length).toBeGreaterThan(0);
  });

  test.each(constructFiles)('%s imports only aws-cdk-lib, constructs, node built-ins and lambda/', (file) => {
    const source = fs.readFileSync(path.join(CONSTRUCTS_DIR, file), 'utf8');
    expect(importsOf(source).filter((s) => !isAllowed(s) && !lazilyRequired(source, s))).toEqual([]);
  });

  test('the checker rejects app config, other constructs and third-party packages', () => {
    expect(['../config', './other-construct', 'cdk-nag', '../stacks/x'].filter(isAllowed)).toEqual([]);
    expect(['aws-cdk-lib/aws-s3', 'constructs', 'node:path', 'path', '../../lambda/shared/x'].every(isAllowed)).toBe(true);
  });

  test('esbuild passes only as a require inside a try that handles MODULE_NOT_FOUND', () => {
    const lazy = "try {\n  esbuild = require('esbuild');\n} catch (err) {\n  if (err.code !== 'MODULE_NOT_FOUND') throw err;\n}";
    expect(lazilyRequired(lazy, 'esbuild')).toBe(true);
    expect(lazilyRequired("const esbuild = require('esbuild');\nif (e.code === 'MODULE_NOT_FOUND') {}", 'esbuild')).toBe(false);
    expect(lazilyRequired(`import * as esbuild from 'esbuild';\n${lazy}`, 'esbuild')).toBe(false);
    expect(lazilyRequired("try {\n  esbuild = require('esbuild');\n} catch {}", 'esbuild')).toBe(false);
    expect(lazilyRequired(lazy.replace(/esbuild/g, 'cdk-nag'), 'cdk-nag')).toBe(false);
  });

  test('the constructs that bundle a handler load esbuild lazily', () => {
    const lazy = constructFiles.filter((f) => lazilyRequired(fs.readFileSync(path.join(CONSTRUCTS_DIR, f), 'utf8'), 'esbuild'));
    expect(lazy.sort()).toEqual(['batch-cluster.ts', 'emr-tls-certificates.ts', 'lake-delivery-stream.ts', 'speed-layer.ts']);
  });

  /** A helper that several construct files carry, each its own copy so that each file copies alone. */
  const SHARED_HELPERS: Record<string, string[]> = {
    bundledHandler: ['lake-delivery-stream.ts', 'speed-layer.ts', 'batch-cluster.ts', 'emr-tls-certificates.ts'],
    admitLogGroups: [
      'lake-catalog.ts', 'lake-delivery-stream.ts', 'lake-network.ts', 'batch-cluster.ts', 'data-lake-storage.ts',
      'emr-tls-certificates.ts', 'inference-endpoint.ts', 'speed-layer.ts',
    ],
    acknowledgeResources: ['lake-catalog.ts', 'lake-delivery-stream.ts', 'batch-cluster.ts'],
    flattenReference: ['lake-catalog.ts', 'lake-delivery-stream.ts', 'batch-cluster.ts'],
  };

  test.each(Object.entries(SHARED_HELPERS))('the constructs that carry %s carry the same one, doc comment included, and no other file has one', (name, files) => {
    const helper = (file: string) => {
      const source = fs.readFileSync(path.join(CONSTRUCTS_DIR, file), 'utf8');
      const at = source.indexOf(`\nfunction ${name}(`);
      if (at < 0) return undefined;
      const start = source.lastIndexOf('/**', at);
      return source.slice(start, source.indexOf('\n}\n', start) + 3);
    };
    const [first, ...others] = files.map(helper);
    expect(first).toMatch(new RegExp(`^\\/\\*\\*[\\s\\S]*\\nfunction ${name}\\([\\s\\S]*\\n}\\n$`));
    for (const copy of others) expect(copy).toBe(first);
    expect(constructFiles.filter((f) => helper(f) !== undefined).sort()).toEqual([...files].sort());
  });
});
