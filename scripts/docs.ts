/**
 * Construct pages: regenerates the props and exposes tables of every page in
 * docs/constructs/ from the construct files' TSDoc, and creates a page from the
 * template for a construct that has none; and the construct catalogue in README.md,
 * when README.md has the catalogue markers.
 *
 *   npm run docs              write the pages
 *   npm run docs -- --check   write nothing; exit 1 naming each stale or missing page
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { checkPages, checkReadme, PAGES_DIR, README, ROOT } from './lib/construct-docs';

const HELP = `Usage: npm run docs [-- --check]

Regenerates the blocks between <!-- generated:…:start --> and <!-- generated:…:end -->
in docs/constructs/<construct>.md from lib/constructs/<construct>.ts, keeping every
hand-written line, and creates missing pages from the template. Fills README.md's
construct catalogue (<!-- generated:catalogue:start --> … end) from the constructs'
TSDoc and their pages' copy recipes; a README without those markers is left alone.
--check  change nothing; exit 1 and name each page that is stale or missing,
         each page without a construct file, and a stale README catalogue.`;

function main(): number {
  const { values } = parseArgs({ options: { check: { type: 'boolean', default: false }, help: { type: 'boolean', default: false } } });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const { pages, orphans } = checkPages();
  const rel = (p: string) => path.relative(ROOT, p);
  const stale = pages.filter((p) => p.difference !== undefined);
  const readme = checkReadme(pages);
  const catalogue = readme.expected === undefined ? 'README.md has no catalogue block' : 'the README catalogue';
  for (const orphan of orphans) console.error(`${rel(orphan)}: no construct file lib/constructs/${path.basename(orphan, '.md')}.ts`);
  if (values.check) {
    for (const p of stale) console.error(`${rel(p.page)} is stale (${p.difference}); run npm run docs`);
    if (readme.difference) console.error(`README.md's catalogue is stale (${readme.difference}); run npm run docs`);
    if (stale.length === 0 && orphans.length === 0 && !readme.difference) {
      console.log(`${pages.length} construct pages are current; ${catalogue}${readme.expected === undefined ? '' : ' is current'}.`);
    }
    return stale.length > 0 || orphans.length > 0 || readme.difference ? 1 : 0;
  }
  fs.mkdirSync(PAGES_DIR, { recursive: true });
  for (const p of stale) {
    fs.writeFileSync(p.page, p.expected);
    console.log(`${p.committed === undefined ? 'created' : 'updated'} ${rel(p.page)}`);
  }
  if (readme.expected !== undefined && readme.difference) {
    fs.writeFileSync(README, readme.expected);
    console.log('updated the catalogue in README.md');
  }
  console.log(`${pages.length} construct pages, ${stale.length} written; ${readme.expected === undefined ? catalogue : `${catalogue} is current`}.`);
  return orphans.length > 0 ? 1 : 0;
}

process.exitCode = main();
