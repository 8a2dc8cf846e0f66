/**
 * Construct pages: regenerates the props and exposes tables of every page in
 * docs/constructs/ from the construct files' TSDoc, and creates a page from the
 * template for a construct that has none.
 *
 *   npm run docs              write the pages
 *   npm run docs -- --check   write nothing; exit 1 naming each stale or missing page
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { checkPages, PAGES_DIR, ROOT } from './lib/construct-docs';

const HELP = `Usage: npm run docs [-- --check]

Regenerates the blocks between <!-- generated:…:start --> and <!-- generated:…:end -->
in docs/constructs/<construct>.md from lib/constructs/<construct>.ts, keeping every
hand-written line, and creates missing pages from the template.
--check  change nothing; exit 1 and name each page that is stale or missing,
         and each page without a construct file.`;

function main(): number {
  const { values } = parseArgs({ options: { check: { type: 'boolean', default: false }, help: { type: 'boolean', default: false } } });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const { pages, orphans } = checkPages();
  const rel = (p: string) => path.relative(ROOT, p);
  const stale = pages.filter((p) => p.difference !== undefined);
  for (const orphan of orphans) console.error(`${rel(orphan)}: no construct file lib/constructs/${path.basename(orphan, '.md')}.ts`);
  if (values.check) {
    for (const p of stale) console.error(`${rel(p.page)} is stale (${p.difference}); run npm run docs`);
    if (stale.length === 0 && orphans.length === 0) console.log(`${pages.length} construct pages are current.`);
    return stale.length > 0 || orphans.length > 0 ? 1 : 0;
  }
  fs.mkdirSync(PAGES_DIR, { recursive: true });
  for (const p of stale) {
    fs.writeFileSync(p.page, p.expected);
    console.log(`${p.committed === undefined ? 'created' : 'updated'} ${rel(p.page)}`);
  }
  console.log(`${pages.length} construct pages, ${stale.length} written.`);
  return orphans.length > 0 ? 1 : 0;
}

process.exitCode = main();
