import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { stackName, stackOutput } from './stack-outputs';

/** Options shared by the endpoint scripts. */
export const ENDPOINT_OPTIONS = {
  prefix: { type: 'string', default: 'lake' },
  endpoint: { type: 'string' },
  help: { type: 'boolean', default: false },
} as const;

/** The endpoint named on the command line, or the serving stack's EndpointName output. */
export async function endpointName(values: { prefix: string; endpoint?: string }): Promise<string> {
  return values.endpoint ?? stackOutput(new CloudFormationClient({}), stackName(values.prefix, 'serving'), 'EndpointName');
}

/** Runs a script's main, printing only the message of an error and exiting 1. */
export function runScript(main: () => Promise<void>): void {
  main().catch((err) => {
    console.error((err as Error).message);
    process.exit(1);
  });
}
