/**
 * Starts a batch run for a date range and follows it state by state.
 *
 *   npm run run-batch -- --start 2026-11-01 --end 2026-11-02
 *   npm run run-batch -- --follow <execution ARN>
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { EMRClient } from '@aws-sdk/client-emr';
import { SFNClient } from '@aws-sdk/client-sfn';
import { EXIT, parseRunBatchArgs, runBatch, USAGE, UsageError } from './lib/batch-run';
import { sleep } from './lib/cli-args';

async function main(): Promise<number> {
  let options;
  try {
    options = parseRunBatchArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`${err.message}\n\n${USAGE}`);
    return EXIT.usage;
  }
  if (!options) {
    console.log(USAGE);
    return EXIT.ok;
  }
  // Ctrl-C stops following; the run itself goes on in Step Functions.
  const interrupted = new AbortController();
  process.once('SIGINT', () => interrupted.abort());
  return runBatch(options, {
    cfn: new CloudFormationClient({}),
    sfn: new SFNClient({}),
    emr: new EMRClient({}),
    log: (line) => console.log(line),
    sleep: (ms) => Promise.race([sleep(ms), new Promise<void>((resolve) => interrupted.signal.addEventListener('abort', () => resolve(), { once: true }))]),
    now: () => Date.now(),
    signal: interrupted.signal,
  });
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(err.message);
    process.exit(EXIT.failed);
  },
);
