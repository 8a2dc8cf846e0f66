/**
 * Waits for the serving endpoint to be InService, printing progress; fails with
 * SageMaker's FailureReason if it fails.
 *
 *   npm run endpoint-status -- [--prefix lake] [--endpoint NAME] [--timeout-minutes 30] [--interval-seconds 15]
 */
import { parseArgs } from 'node:util';
import { DescribeEndpointCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { sleep } from './lib/cli-args';
import { ENDPOINT_OPTIONS, endpointName, runScript } from './lib/serving-endpoint';

export interface WaitOptions {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly log: (line: string) => void;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
}

/** Polls DescribeEndpoint until InService (returns it) or Failed / timeout (throws). */
export async function waitForInService(client: SageMakerClient, endpointName: string, options: WaitOptions): Promise<string> {
  const started = options.now();
  let last = '';
  for (;;) {
    const d = await client.send(new DescribeEndpointCommand({ EndpointName: endpointName }));
    const status = d.EndpointStatus ?? 'Unknown';
    const elapsed = Math.round((options.now() - started) / 1000);
    if (status !== last) options.log(`${endpointName}: ${status} after ${elapsed} s`);
    last = status;
    if (status === 'InService') return status;
    if (status === 'Failed' || status === 'OutOfService' || status === 'RollingBack') {
      throw new Error(`Endpoint ${endpointName} is ${status}: ${d.FailureReason ?? 'no FailureReason given'}`);
    }
    if (options.now() - started >= options.timeoutMs) {
      throw new Error(`Endpoint ${endpointName} is still ${status} after ${elapsed} s`);
    }
    await options.sleep(options.intervalMs);
  }
}

const HELP = `Usage: npm run endpoint-status -- [options]

Waits until the serving endpoint is InService, printing each status change.

  --prefix P              stack prefix (default lake); the endpoint is read from <prefix>-serving
  --endpoint NAME         endpoint name (skips the stack lookup)
  --timeout-minutes N     give up after N minutes (default 30)
  --interval-seconds N    poll every N seconds (default 15)
  --help                  show this help`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      ...ENDPOINT_OPTIONS,
      'timeout-minutes': { type: 'string', default: '30' },
      'interval-seconds': { type: 'string', default: '15' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const name = await endpointName(values);
  await waitForInService(new SageMakerClient({}), name, {
    intervalMs: Number(values['interval-seconds']) * 1000,
    timeoutMs: Number(values['timeout-minutes']) * 60_000,
    log: (line) => console.log(line),
    sleep,
    now: () => Date.now(),
  });
}

if (require.main === module) runScript(main);
