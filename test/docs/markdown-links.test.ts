/**
 * The README and the pages under docs/ stay usable as the code moves: every relative
 * link resolves to a file and, with a #fragment, to a heading of that file (GitHub's
 * anchor rules); every `npm run <script>` they mention is a script of package.json; the
 * configuration tables list every context key the app accepts; and the README stays a
 * short page with the block `npm run docs` fills with the construct catalogue.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CONTEXT_KEYS } from '../../lib/config';

const ROOT = path.resolve(__dirname, '..', '..');
const README = path.join(ROOT, 'README.md');

function markdownFiles(): string[] {
  const docs = path.join(ROOT, 'docs');
  const walk = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith('.md') ? [path.join(dir, e.name)] : []);
  return [README, ...walk(docs)].sort();
}

/** The text outside fenced code blocks, line by line (code lines become empty, so line numbers hold). */
function proseLines(text: string): string[] {
  let fenced = false;
  return text.split('\n').map((line) => {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      return '';
    }
    return fenced ? '' : line;
  });
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  const text = heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1') // a link keeps its text
    .replace(/<[^>]+>/g, ''); // inline HTML
  return text.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

/** Every anchor of a markdown file, with GitHub's -1, -2 suffixes for repeated headings. */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const line of proseLines(text)) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = slug(m[1]);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

interface Link {
  readonly file: string;
  readonly line: number;
  readonly target: string;
}

/** Relative links outside code: `[text](target)`, ignoring URLs with a scheme. */
function relativeLinks(file: string, text: string): Link[] {
  const links: Link[] = [];
  proseLines(text).forEach((raw, i) => {
    const line = raw.replace(/`[^`]*`/g, '``'); // inline code is not a link
    for (const m of line.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const target = m[1];
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
      links.push({ file, line: i + 1, target });
    }
  });
  return links;
}

/** What is wrong with a link, or undefined when it resolves. */
function brokenReason(link: Link): string | undefined {
  const [pathPart, fragment] = link.target.split('#', 2) as [string, string | undefined];
  const resolved = pathPart === '' ? link.file : path.resolve(path.dirname(link.file), decodeURIComponent(pathPart));
  if (!resolved.startsWith(ROOT)) return 'points outside the repository';
  if (!fs.existsSync(resolved)) return 'no such file or folder';
  if (pathPart.endsWith('/') && !fs.statSync(resolved).isDirectory()) return 'not a folder';
  if (fragment === undefined) return undefined;
  if (!resolved.endsWith('.md')) return 'a #fragment on a file that is not markdown';
  return anchors(fs.readFileSync(resolved, 'utf8')).has(fragment) ? undefined : `no heading with the anchor #${fragment}`;
}

const files = markdownFiles();
const texts = new Map(files.map((f) => [f, fs.readFileSync(f, 'utf8')] as const));
const rel = (f: string) => path.relative(ROOT, f);

describe('anchors follow GitHub rules', () => {
  test('code, punctuation and dashes', () => {
    expect(slug('Reading `npm run review`')).toBe('reading-npm-run-review');
    expect(slug('The `BatchCluster` construct')).toBe('the-batchcluster-construct');
    expect(slug('The trade-off: an export in use cannot change or go away')).toBe('the-trade-off-an-export-in-use-cannot-change-or-go-away');
    expect(slug('`DataLakeStorage` — `lib/constructs/data-lake-storage.ts`')).toBe('datalakestorage--libconstructsdata-lake-storagets');
  });

  test('a repeated heading gets a numbered anchor, and fenced code has no headings', () => {
    expect([...anchors('## Cost\n\n```\n# not a heading\n```\n\n### Cost\n')]).toEqual(['cost', 'cost-1']);
  });

  test('links in code and absolute URLs are not checked', () => {
    const text = 'See [a](a.md#x), `[b](b.md)` and [c](https://example.com).\n```\n[d](d.md)\n```\n';
    expect(relativeLinks('/f.md', text).map((l) => l.target)).toEqual(['a.md#x']);
  });
});

describe('README and docs', () => {
  test.each(files.map((f) => [rel(f)]))('%s: every relative link resolves', (name) => {
    const file = path.join(ROOT, name);
    const broken = relativeLinks(file, texts.get(file)!)
      .map((l) => ({ l, reason: brokenReason(l) }))
      .filter((b) => b.reason !== undefined)
      .map(({ l, reason }) => `${name}:${l.line} ${l.target}: ${reason}`);
    expect(broken).toEqual([]);
  });

  test('every npm script they mention exists', () => {
    const scripts = Object.keys(JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts);
    const missing = files.flatMap((f) =>
      [...texts.get(f)!.matchAll(/npm run ([a-z][a-z0-9:-]*)/g)]
        .map((m) => m[1])
        .filter((s) => !scripts.includes(s))
        .map((s) => `${rel(f)}: npm run ${s}`));
    expect([...new Set(missing)]).toEqual([]);
  });

  test.each([['README.md'], ['docs/configuration.md']])('%s lists every context key in its configuration table', (name) => {
    const keys = [...texts.get(path.join(ROOT, name))!.matchAll(/^\| `([A-Za-z0-9]+)` \|/gm)].map((m) => m[1]);
    expect(Object.keys(CONTEXT_KEYS).filter((k) => !keys.includes(k))).toEqual([]);
    expect(keys.filter((k) => !(k in CONTEXT_KEYS))).toEqual([]);
  });

  test('the README stays a short page: at most 300 lines', () => {
    expect(texts.get(README)!.split('\n').length).toBeLessThanOrEqual(300);
  });

  test('the README has the construct catalogue block under its Constructs heading', () => {
    const text = texts.get(README)!;
    const heading = text.indexOf('\n## Constructs\n');
    const start = text.indexOf('<!-- generated:catalogue:start -->');
    const end = text.indexOf('<!-- generated:catalogue:end -->');
    const next = text.indexOf('\n## ', heading + 1);
    expect(heading).toBeGreaterThan(0);
    expect(start).toBeGreaterThan(heading);
    expect(end).toBeGreaterThan(start);
    expect(end).toBeLessThan(next);
  });
});
