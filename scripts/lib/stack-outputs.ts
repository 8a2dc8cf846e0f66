import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';

/** The stack name for a layer, as lib/lake.ts names it. */
export function stackName(prefix: string, layer: string): string {
  return `${prefix}-${layer}`;
}

/** The CLI selects stacks by construct id (`Batch`), not by stack name (`lake-batch`). */
function constructId(name: string): string {
  const layer = name.slice(name.lastIndexOf('-') + 1);
  return layer.charAt(0).toUpperCase() + layer.slice(1);
}

/**
 * Reads a deployed stack's outputs as a key → value map. Fails with a message
 * that says which stack is missing and how to deploy it.
 */
export async function stackOutputs(cfn: CloudFormationClient, name: string): Promise<Record<string, string>> {
  let stacks;
  try {
    ({ Stacks: stacks } = await cfn.send(new DescribeStacksCommand({ StackName: name })));
  } catch (err) {
    if ((err as Error).name === 'ValidationError' || /does not exist/.test((err as Error).message)) {
      throw new Error(
        `Stack ${name} is not deployed. Deploy it with: npx cdk deploy ${constructId(name)} (with the same -c prefix=… and -c profile=… as the rest of the lake)`,
      );
    }
    throw err;
  }
  const outputs: Record<string, string> = {};
  for (const o of stacks?.[0]?.Outputs ?? []) {
    if (o.OutputKey && o.OutputValue !== undefined) outputs[o.OutputKey] = o.OutputValue;
  }
  return outputs;
}

/** One named output, or a clear error naming the stack and the output. */
export async function stackOutput(cfn: CloudFormationClient, name: string, key: string): Promise<string> {
  const outputs = await stackOutputs(cfn, name);
  const value = outputs[key];
  if (value === undefined) {
    throw new Error(`Stack ${name} has no output ${key} (it has: ${Object.keys(outputs).join(', ') || 'none'})`);
  }
  return value;
}
