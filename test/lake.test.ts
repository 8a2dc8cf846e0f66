/**
 * Every test that builds the whole lake, in one Jest test file.
 *
 * Jest gives each test file its own module registry, so an app built in one file cannot be
 * shared with another, and these tests build the same few configurations (each profile, the
 * baseline's synth) again and again: 13 files built 53 apps, 26 of them different. In one file,
 * `lake()` and `lakeTemplates()` (test/helpers.ts) build each configuration once, and
 * aws-cdk-lib is loaded and warmed up once: 48 s of CPU became 17 s (docs/performance.md).
 *
 * Each part is a `*.lake.ts` file next to what it tests, read as a test file of its own; run one
 * with `npx jest test/lake.test.ts -t '<its describe name>'`. Snapshots are in
 * test/__snapshots__/lake.test.ts.snap. test/test-layout.test.ts checks that every part is
 * imported here. A part must not change the stacks `lake()` returns: the next part sees them.
 */
import './stacks/storage-stack.lake';
import './stacks/catalog-stack.lake';
import './stacks/ingestion-stack.lake';
import './stacks/network-stack.lake';
import './stacks/batch-stack.lake';
import './stacks/serving-stack.lake';
import './stacks/monitoring-stack.lake';
import './hardening.lake';
import './references.lake';
import './retention.lake';
import './assets-key.lake';
import './batch-step.lake';
import './review/replacement-guard.lake';
