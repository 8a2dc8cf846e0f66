/**
 * The ```ts example of every construct page compiles strictly, in memory, as the
 * user's file lib/<construct>-example.ts next to lib/constructs/, with cdk init's
 * compiler options plus no unused locals or parameters.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';
import { extractExample, pageFiles, ROOT } from '../../scripts/lib/construct-docs';
import { examplePath } from '../../scripts/lib/copy-check';

const INIT_TSCONFIG = path.join(ROOT, 'node_modules', 'aws-cdk', 'lib', 'init-templates', 'app', 'typescript', 'tsconfig.json');
const CDK_ROOT_INDEX = path.join(ROOT, 'node_modules', 'aws-cdk-lib', 'index.d.ts');

const examples = new Map(pageFiles().map((page) => {
  const name = path.basename(page, '.md');
  return [path.join(ROOT, examplePath(name)), { name, source: extractExample(fs.readFileSync(page, 'utf8'), `docs/constructs/${name}.md`) }];
}));

/** An example with a type error, compiled in the same program: the check must report it with its place. */
const BROKEN = path.join(ROOT, 'lib', 'broken-example.ts');
const sources = new Map([...[...examples].map(([file, e]) => [file, e.source] as const), [BROKEN, "import { Duration } from 'aws-cdk-lib';\nexport const d: string = Duration.minutes(1);\n"]]);

function compilerOptions(): ts.CompilerOptions {
  const config = ts.readConfigFile(INIT_TSCONFIG, ts.sys.readFile).config;
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, ROOT);
  return { ...options, noUnusedLocals: true, noUnusedParameters: true, noEmit: true };
}

/**
 * The examples are files in memory. aws-cdk-lib's root index re-exports its 300-odd
 * modules; this host serves it with only the core exports and the namespaces the
 * examples and construct files name, so the program reads what they use and the
 * test stays at a few seconds. A name missing from the slimmed index fails to
 * compile, so it can hide no error.
 */
function host(options: ts.CompilerOptions, roots: string): ts.CompilerHost {
  const base = ts.createCompilerHost(options);
  const rootIndex = () => fs.readFileSync(CDK_ROOT_INDEX, 'utf8').split('\n')
    .filter((line) => !/^export \* as (\w+) from/.test(line) || roots.includes(/^export \* as (\w+)/.exec(line)![1]))
    .join('\n');
  return {
    ...base,
    fileExists: (f) => sources.has(f) || base.fileExists(f),
    readFile: (f) => sources.get(f) ?? base.readFile(f),
    getSourceFile: (f, languageVersion, onError, shouldCreate) => {
      if (sources.has(f)) return ts.createSourceFile(f, sources.get(f)!, languageVersion, true);
      if (f === CDK_ROOT_INDEX) return ts.createSourceFile(f, rootIndex(), languageVersion, true);
      return base.getSourceFile(f, languageVersion, onError, shouldCreate);
    },
  };
}

const options = compilerOptions();
const constructSources = fs.readdirSync(path.join(ROOT, 'lib', 'constructs')).map((f) => fs.readFileSync(path.join(ROOT, 'lib', 'constructs', f), 'utf8'));
const program = ts.createProgram([...sources.keys()], options, host(options, [...[...examples.values()].map((e) => e.source), ...constructSources].join('\n')));

function errors(file: string): string[] {
  return ts.getPreEmitDiagnostics(program, program.getSourceFile(file)).map((d) => {
    const where = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
    const at = where ? `(${where.line + 1},${where.character + 1})` : '';
    return `${path.relative(ROOT, d.file?.fileName ?? file)}${at}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
  });
}

/** The copy check instantiates the one exported Construct class; the example must have exactly one and import its construct. */
function shapeProblems(file: string, name: string): string[] {
  const source = program.getSourceFile(file)!;
  const problems: string[] = [];
  const classes = source.statements.filter((s): s is ts.ClassDeclaration =>
    ts.isClassDeclaration(s) && (ts.getModifiers(s) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword));
  if (classes.length !== 1) problems.push(`exports ${classes.length} classes, not 1`);
  if (!classes.every((c) => c.heritageClauses?.some((h) => h.types.some((t) => t.expression.getText() === 'Construct')))) {
    problems.push('its class must extend Construct');
  }
  const imports = source.statements.filter(ts.isImportDeclaration).map((i) => (i.moduleSpecifier as ts.StringLiteral).text);
  if (!imports.includes(`./constructs/${name}`)) problems.push(`does not import ./constructs/${name}`);
  return problems;
}

describe('construct page examples', () => {
  test('there is an example per page', () => {
    expect(examples.size).toBe(pageFiles().length);
    expect(examples.size).toBeGreaterThan(0);
  });

  test.each([...examples.entries()].map(([file, e]) => [e.name, file] as const))('the %s example compiles strictly', (_name, file) => {
    expect(errors(file)).toEqual([]);
  });

  test.each([...examples.entries()].map(([file, e]) => [e.name, file] as const))(
    'the %s example exports one Construct class that uses its construct',
    (name, file) => {
      expect(shapeProblems(file, name)).toEqual([]);
    },
  );

  test('a type error in an example is reported with its place', () => {
    expect(errors(BROKEN)).toEqual([expect.stringMatching(/^lib\/broken-example\.ts\(2,14\): Type 'Duration' is not assignable to type 'string'/)]);
  });
});
