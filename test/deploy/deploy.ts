/**
 * Opt-in deploy test (`npm run test:deploy`), never part of `npm test`:
 * deploys the sandbox app under a unique prefix with @aws-cdk/toolkit-lib,
 * runs the smoke test against it, and destroys every stack, always.
 *
 * Skips with exit code 0 when no AWS credentials or region are available.
 * Needs a bootstrapped account (`npx cdk bootstrap`).
 */
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { CdkAppMultiContext, StackSelectionStrategy, Toolkit } from '@aws-cdk/toolkit-lib';
import { smokeTest } from '../../scripts/smoke-test';
import { awsAvailability } from './credentials';

const ROOT = path.resolve(__dirname, '..', '..');

async function main(): Promise<number> {
  const availability = await awsAvailability();
  if (!availability.ok) {
    console.log(`SKIPPED test:deploy: ${availability.reason}. Set AWS credentials and a region (e.g. AWS_PROFILE and AWS_REGION) to run it.`);
    return 0;
  }
  const prefix = `smoke-${randomBytes(3).toString('hex')}`;
  const events = Number(process.env.SMOKE_EVENTS ?? 200);
  console.log(`test:deploy: deploying the sandbox app as ${prefix}-* in ${availability.region}`);

  const toolkit = new Toolkit();
  const cx = await toolkit.fromCdkApp('node --require tsx/cjs bin/app.ts', {
    workingDirectory: ROOT,
    outdir: path.join(ROOT, `cdk.${prefix}.out`),
    contextStore: new CdkAppMultiContext(ROOT, { profile: 'sandbox', prefix }),
  });
  const stacks = { strategy: StackSelectionStrategy.ALL_STACKS };
  let code = 1;
  try {
    await toolkit.deploy(cx, { stacks });
    code = await smokeTest({ prefix, events });
  } catch (err) {
    console.error(`test:deploy failed: ${(err as Error).message}`);
    code = 1;
  } finally {
    try {
      await toolkit.destroy(cx, { stacks });
      console.log(`test:deploy: destroyed ${prefix}-*`);
    } catch (err) {
      console.error(`test:deploy: DESTROY FAILED for ${prefix}-*; delete the stacks by hand: ${(err as Error).message}`);
      code = 1;
    }
  }
  return code;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(err);
    process.exit(1);
  },
);
