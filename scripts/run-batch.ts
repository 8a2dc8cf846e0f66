/**
 * Runs the Spark curation job on the batch cluster for a date range.
 *
 *   npm run run-batch -- --start 2026-11-01 --end 2026-11-02
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { EMRClient } from '@aws-sdk/client-emr';
import { parseRunBatchArgs, runBatch, USAGE, UsageError } from './lib/batch-run';
import { sleep } from './lib/cli-args';

async function main(): Promise<number> {
  let options;
  try {
    options = parseRunBatchArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`${err.message}\n\n${USAGE}`);
    return 64;
  }
  if (!options) {
    console.log(USAGE);
    return 0;
  }
  return runBatch(options, {
    cfn: new CloudFormationClient({}),
    emr: new EMRClient({}),
    log: (line) => console.log(line),
    sleep,
    now: () => Date.now(),
  });
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(err.message);
    process.exit(1);
  },
);
