/**
 * Reads a construct file's public API with the TypeScript compiler API: the
 * `<Name>Props` interface (with inherited properties), the other types the file
 * exports, the construct's public readonly members and its public methods, each
 * with its TSDoc. `npm run docs` renders this into docs/constructs/<name>.md.
 *
 * The program is built with `noResolve`: a construct file is one file, so its
 * own declarations are all in it, and skipping aws-cdk-lib's 2,000-odd
 * declaration files keeps the docs drift test at about a second. A props
 * interface that extends an interface from another file is the one thing that
 * needs resolution; such files are read again with a resolving program.
 */
import * as path from 'node:path';
import * as ts from 'typescript';

/** A property of an interface or a member of a class. */
export interface PropertyDoc {
  readonly name: string;
  /** The type as written in the source, on one line. */
  readonly type: string;
  readonly optional: boolean;
  /** The `@default` text as written (`- text` for prose), if any. */
  readonly defaultValue?: string;
  readonly description: string;
  readonly isStatic?: boolean;
}

export interface MethodDoc {
  /** `name(param: type, …)`, parameters as written. */
  readonly signature: string;
  readonly returns: string;
  readonly description: string;
  readonly defaultValue?: string;
  readonly isStatic: boolean;
}

/** An exported declaration other than the construct and its props interface. */
export interface ExportDoc {
  readonly name: string;
  readonly kind: 'interface' | 'class' | 'function' | 'const';
  readonly description: string;
  /** Interface properties or class members. */
  readonly properties: PropertyDoc[];
  /** Class methods, or the function itself. */
  readonly methods: MethodDoc[];
  /** Type of a const. */
  readonly type?: string;
  /** Names of exported declarations this one mentions in its types. */
  readonly mentions: string[];
}

export interface ConstructApi {
  /** Path relative to the project root, with `/`. */
  readonly file: string;
  /** File name without `.ts`, e.g. `data-lake-storage`. */
  readonly name: string;
  readonly className: string;
  /** The class's TSDoc. */
  readonly summary: string;
  readonly propsInterface: string;
  readonly props: PropertyDoc[];
  /** Exported types the props mention, directly or through each other. */
  readonly propTypes: ExportDoc[];
  readonly members: PropertyDoc[];
  readonly methods: MethodDoc[];
  /** Every other export. */
  readonly otherExports: ExportDoc[];
}

const BASE_OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.CommonJS,
  moduleResolution: ts.ModuleResolutionKind.Node10,
  // ES2022 only, as in tsconfig.json: the default for the target adds the DOM declarations.
  lib: ['lib.es2022.d.ts'],
  strict: true,
  skipLibCheck: true,
  noEmit: true,
  types: [],
};

/** Reads the API of each construct file (absolute paths); `root` makes `file` relative. */
export function readConstructApis(files: readonly string[], root: string): ConstructApi[] {
  const fast = ts.createProgram([...files], { ...BASE_OPTIONS, noResolve: true });
  return files.map((file) => {
    const api = readFromProgram(fast, file, root);
    if (api !== 'needs-resolution') return api;
    const full = ts.createProgram([file], BASE_OPTIONS);
    const resolved = readFromProgram(full, file, root);
    if (resolved === 'needs-resolution') throw new Error(`${file}: cannot resolve the interfaces its props extend`);
    return resolved;
  });
}

function readFromProgram(program: ts.Program, file: string, root: string): ConstructApi | 'needs-resolution' {
  const source = program.getSourceFile(file);
  if (!source) throw new Error(`${file}: not in the program`);
  const checker = program.getTypeChecker();
  const rel = path.relative(root, file).split(path.sep).join('/');

  const constructClass = source.statements.find(
    (s): s is ts.ClassDeclaration => ts.isClassDeclaration(s) && isExported(s) && extendsConstruct(s),
  );
  if (!constructClass?.name) throw new Error(`${rel}: exports no class that extends Construct`);
  const className = constructClass.name.text;
  const propsName = `${className}Props`;
  const propsDecl = source.statements.find(
    (s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === propsName,
  );
  if (!propsDecl) throw new Error(`${rel}: declares no interface ${propsName}`);
  if (!isExported(propsDecl)) throw new Error(`${rel}: ${propsName} is not exported`);
  if (!basesResolve(propsDecl, checker, source)) return 'needs-resolution';

  const props = interfaceProperties(propsDecl, checker);
  const exportsByName = new Map<string, ExportDoc>();
  for (const statement of source.statements) {
    if (statement === constructClass || statement === propsDecl || !isExported(statement)) continue;
    for (const doc of exportDocs(statement, checker)) exportsByName.set(doc.name, doc);
  }

  // The props' own types first, then what those mention, and so on.
  const reached = new Set<string>();
  const queue = props.flatMap((p) => mentionedNames(p.type, exportsByName));
  while (queue.length > 0) {
    const next = queue.shift()!;
    const doc = exportsByName.get(next);
    if (!doc || reached.has(next)) continue;
    reached.add(next);
    queue.push(...doc.mentions);
  }
  const inOrder = [...exportsByName.values()];

  return {
    file: rel,
    name: path.basename(file, '.ts'),
    className,
    summary: ts.displayPartsToString(checker.getSymbolAtLocation(constructClass.name)?.getDocumentationComment(checker)).trim(),
    propsInterface: propsName,
    props,
    propTypes: inOrder.filter((d) => reached.has(d.name)),
    members: classMembers(constructClass, checker),
    methods: classMethods(constructClass, checker),
    otherExports: inOrder.filter((d) => !reached.has(d.name)),
  };
}

function isExported(node: ts.Node): boolean {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
}

function hasModifier(node: ts.Node, kind: ts.SyntaxKind): boolean {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === kind);
}

function isPublic(node: ts.Node): boolean {
  return !hasModifier(node, ts.SyntaxKind.PrivateKeyword) && !hasModifier(node, ts.SyntaxKind.ProtectedKeyword)
    && !(ts.isClassElement(node) && node.name !== undefined && ts.isPrivateIdentifier(node.name));
}

function extendsConstruct(node: ts.ClassDeclaration): boolean {
  return (node.heritageClauses ?? []).some(
    (h) => h.token === ts.SyntaxKind.ExtendsKeyword && h.types.some((t) => t.expression.getText() === 'Construct'),
  );
}

/** Whether every interface the declaration extends, transitively, is declared in `source`. */
function basesResolve(decl: ts.InterfaceDeclaration, checker: ts.TypeChecker, source: ts.SourceFile): boolean {
  for (const clause of decl.heritageClauses ?? []) {
    for (const base of clause.types) {
      const symbol = checker.getSymbolAtLocation(base.expression);
      const target = symbol && symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
      const baseDecl = target?.declarations?.find(ts.isInterfaceDeclaration);
      if (!baseDecl) return false;
      if (baseDecl.getSourceFile() === source && !basesResolve(baseDecl, checker, source)) return false;
    }
  }
  return true;
}

/** The interface's properties and methods, inherited ones included, in the checker's order. */
function interfaceProperties(decl: ts.InterfaceDeclaration, checker: ts.TypeChecker): PropertyDoc[] {
  const type = checker.getTypeAtLocation(decl.name);
  return checker.getPropertiesOfType(type).map((symbol) => {
    const member = symbol.declarations?.[0];
    let typeText = 'unknown';
    let optional = (symbol.flags & ts.SymbolFlags.Optional) !== 0;
    if (member && ts.isPropertySignature(member)) {
      typeText = member.type ? oneLine(member.type.getText()) : checker.typeToString(checker.getTypeOfSymbol(symbol));
      optional = member.questionToken !== undefined;
    }
    const method = member && ts.isMethodSignature(member);
    if (method) typeText = member.type ? oneLine(member.type.getText()) : 'void';
    return {
      // A method shows its parameters in the name column and its return type as the type.
      name: method ? `${symbol.name}(${member.parameters.map((p) => oneLine(p.getText())).join(', ')})` : symbol.name,
      type: typeText,
      optional,
      defaultValue: defaultTag(symbol, checker),
      description: docText(symbol, checker),
    };
  });
}

function classMembers(decl: ts.ClassDeclaration, checker: ts.TypeChecker): PropertyDoc[] {
  const docs: PropertyDoc[] = [];
  for (const member of decl.members) {
    if (ts.isPropertyDeclaration(member) && isPublic(member) && hasModifier(member, ts.SyntaxKind.ReadonlyKeyword)) {
      docs.push(propertyDoc(member, checker));
    }
    if (ts.isConstructorDeclaration(member)) {
      for (const param of member.parameters) {
        if (hasModifier(param, ts.SyntaxKind.PublicKeyword) && hasModifier(param, ts.SyntaxKind.ReadonlyKeyword)) {
          docs.push(propertyDoc(param, checker));
        }
      }
    }
  }
  return docs;
}

function propertyDoc(member: ts.PropertyDeclaration | ts.ParameterDeclaration, checker: ts.TypeChecker): PropertyDoc {
  const symbol = checker.getSymbolAtLocation(member.name);
  const written = member.type ? oneLine(member.type.getText()) : checker.typeToString(checker.getTypeAtLocation(member.name));
  const optional = member.questionToken !== undefined;
  return {
    name: member.name.getText(),
    type: optional ? `${written} | undefined` : written,
    optional,
    defaultValue: symbol ? defaultTag(symbol, checker) : undefined,
    description: symbol ? docText(symbol, checker) : '',
    isStatic: hasModifier(member, ts.SyntaxKind.StaticKeyword),
  };
}

function classMethods(decl: ts.ClassDeclaration, checker: ts.TypeChecker): MethodDoc[] {
  return decl.members
    .filter((m): m is ts.MethodDeclaration => ts.isMethodDeclaration(m) && isPublic(m))
    .map((m) => methodDoc(m, m.name.getText(), checker));
}

function methodDoc(
  decl: ts.MethodDeclaration | ts.FunctionDeclaration,
  name: string,
  checker: ts.TypeChecker,
): MethodDoc {
  const symbol = decl.name ? checker.getSymbolAtLocation(decl.name) : undefined;
  const signature = checker.getSignatureFromDeclaration(decl);
  const returns = decl.type
    ? oneLine(decl.type.getText())
    : signature ? checker.typeToString(checker.getReturnTypeOfSignature(signature)) : 'void';
  return {
    signature: `${name}(${decl.parameters.map((p) => oneLine(p.getText())).join(', ')})`,
    returns,
    description: symbol ? docText(symbol, checker) : '',
    defaultValue: symbol ? defaultTag(symbol, checker) : undefined,
    isStatic: hasModifier(decl, ts.SyntaxKind.StaticKeyword),
  };
}

function exportDocs(statement: ts.Statement, checker: ts.TypeChecker): ExportDoc[] {
  const mentionsIn = (node: ts.Node) => identifiers(node);
  if (ts.isInterfaceDeclaration(statement)) {
    return [{
      name: statement.name.text,
      kind: 'interface',
      description: docText(checker.getSymbolAtLocation(statement.name), checker),
      properties: interfaceProperties(statement, checker),
      methods: [],
      mentions: statement.members.flatMap(mentionsIn),
    }];
  }
  if (ts.isClassDeclaration(statement) && statement.name) {
    return [{
      name: statement.name.text,
      kind: 'class',
      description: docText(checker.getSymbolAtLocation(statement.name), checker),
      properties: classMembers(statement, checker),
      methods: classMethods(statement, checker),
      mentions: statement.members.filter(isPublic).flatMap(mentionsIn),
    }];
  }
  if (ts.isFunctionDeclaration(statement) && statement.name) {
    return [{
      name: statement.name.text,
      kind: 'function',
      description: docText(checker.getSymbolAtLocation(statement.name), checker),
      properties: [],
      methods: [methodDoc(statement, statement.name.text, checker)],
      mentions: [...statement.parameters.flatMap(mentionsIn), ...(statement.type ? mentionsIn(statement.type) : [])],
    }];
  }
  if (ts.isVariableStatement(statement)) {
    return statement.declarationList.declarations.filter((d) => ts.isIdentifier(d.name)).map((d) => {
      const symbol = checker.getSymbolAtLocation(d.name);
      return {
        name: d.name.getText(),
        kind: 'const' as const,
        // TSDoc sits on the statement, which the symbol's documentation reads.
        description: symbol ? docText(symbol, checker) : '',
        properties: [],
        methods: [],
        type: d.type ? oneLine(d.type.getText()) : checker.typeToString(checker.getTypeAtLocation(d.name)),
        mentions: d.type ? mentionsIn(d.type) : [],
      };
    });
  }
  return [];
}

/** Identifiers used in a node's type annotations. */
function identifiers(node: ts.Node): string[] {
  const found: string[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isTypeReferenceNode(n) || ts.isExpressionWithTypeArguments(n)) {
      const name = ts.isTypeReferenceNode(n) ? n.typeName : n.expression;
      found.push(name.getText().split('.')[0]);
    }
    ts.forEachChild(n, visit);
  };
  visit(node);
  return found;
}

function mentionedNames(typeText: string, exportsByName: Map<string, ExportDoc>): string[] {
  return (typeText.match(/[A-Za-z_$][\w$]*/g) ?? []).filter((word) => exportsByName.has(word));
}

/** The TSDoc comment without its tags, as one paragraph. */
function docText(symbol: ts.Symbol | undefined, checker: ts.TypeChecker): string {
  if (!symbol) return '';
  return oneLine(ts.displayPartsToString(symbol.getDocumentationComment(checker)));
}

function defaultTag(symbol: ts.Symbol, checker: ts.TypeChecker): string | undefined {
  const tag = symbol.getJsDocTags(checker).find((t) => t.name === 'default');
  return tag ? oneLine(ts.displayPartsToString(tag.text)) : undefined;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
