/**
 * docs/constructs/<construct>.md is current: its generated blocks are what
 * `npm run docs` makes from the construct file today, every construct file has a
 * page and every page a construct file.
 */
import * as path from 'node:path';
import { checkPages, checkReadme, ROOT } from '../../scripts/lib/construct-docs';

const { pages, orphans } = checkPages();
const readme = checkReadme(pages);
const rel = (p: string) => path.relative(ROOT, p);

describe('construct pages', () => {
  test('every construct file has a page', () => {
    expect(pages.filter((p) => p.committed === undefined).map((p) => rel(p.page))).toEqual([]);
  });

  test('every page has a construct file', () => {
    expect(orphans.map(rel)).toEqual([]);
  });

  test.each(pages.filter((p) => p.committed !== undefined).map((p) => [rel(p.page), p.difference] as const))(
    '%s is what npm run docs generates',
    (page, difference) => {
      // Names the page and its first differing line; `npm run docs` rewrites it.
      expect(difference === undefined ? undefined : `${page} ${difference}`).toBeUndefined();
    },
  );

  test("README.md's construct catalogue is what npm run docs generates (a README without the block is left alone)", () => {
    expect(readme.difference === undefined ? undefined : `README.md ${readme.difference}`).toBeUndefined();
  });
});
