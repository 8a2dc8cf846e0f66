/**
 * Jest's test order, for a run with no timing cache (CI always starts cold): Jest's default
 * puts the largest test files first, so that no long file starts last and leaves the other
 * workers idle. It counts test/lake.test.ts as its own few lines; this sequencer adds the
 * size of the `*.lake.ts` parts it imports, so the suite that builds the whole lake starts
 * first. With timings from an earlier run, Jest's order is unchanged.
 */
const fs = require('node:fs');
const path = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;

const PART_IMPORT = /^import '(\.{1,2}\/[^']+\.lake)';$/gm;

/** The file's size plus the size of every `*.lake.ts` part it imports. */
function sizeWithParts(file) {
  const source = fs.readFileSync(file, 'utf8');
  let size = Buffer.byteLength(source);
  for (const [, part] of source.matchAll(PART_IMPORT)) size += fs.statSync(path.resolve(path.dirname(file), `${part}.ts`)).size;
  return size;
}

class LakeFirstSequencer extends Sequencer {
  sort(tests) {
    const sorted = super.sort(tests);
    if (sorted.some((test) => test.duration != null)) return sorted;
    const sizes = new Map(sorted.map((test) => [test.path, sizeWithParts(test.path)]));
    return [...sorted].sort((a, b) => sizes.get(b.path) - sizes.get(a.path));
  }
}

module.exports = LakeFirstSequencer;
