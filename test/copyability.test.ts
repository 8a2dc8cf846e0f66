/**
 * Each construct is one file a user can copy into another CDK app. It may
 * import only aws-cdk-lib, constructs, node built-ins and its own lambda/ folder.
 */
import * as fs from 'node:fs';
import { builtinModules } from 'node:module';
import * as path from 'node:path';
import { ROOT } from './helpers';

const CONSTRUCTS_DIR = path.join(ROOT, 'lib', 'constructs');
const constructFiles = fs.readdirSync(CONSTRUCTS_DIR).filter((f) => f.endsWith('.ts'));

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
    expect(importsOf(source).filter((s) => !isAllowed(s))).toEqual([]);
  });

  test('the checker rejects app config, other constructs and third-party packages', () => {
    expect(['../config', './other-construct', 'cdk-nag', '../stacks/x'].filter(isAllowed)).toEqual([]);
    expect(['aws-cdk-lib/aws-s3', 'constructs', 'node:path', 'path', '../../lambda/shared/x'].every(isAllowed)).toBe(true);
  });
});
