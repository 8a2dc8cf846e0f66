/**
 * Whether the opt-in deploy test can run: AWS credentials and a region from
 * the SDK's default provider chain, resolved with a short timeout so that a
 * machine without credentials (or without an instance-metadata endpoint)
 * skips quickly.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';

export type Availability = { readonly ok: true; readonly region: string } | { readonly ok: false; readonly reason: string };

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not resolve within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Resolves the given providers (by default, the SDK's default chain) into a yes, or a no with the reason. */
export async function awsAvailability(
  providers: { readonly credentials: () => Promise<unknown>; readonly region: () => Promise<string> } = new CloudFormationClient({}).config,
  timeoutMs = 5000,
): Promise<Availability> {
  try {
    await withTimeout(providers.credentials(), timeoutMs, 'AWS credentials');
  } catch (err) {
    return { ok: false, reason: `no AWS credentials (${(err as Error).message.split('\n')[0]})` };
  }
  try {
    const region = await withTimeout(providers.region(), timeoutMs, 'AWS region');
    if (!region) return { ok: false, reason: 'no AWS region configured' };
    return { ok: true, region };
  } catch (err) {
    return { ok: false, reason: `no AWS region (${(err as Error).message.split('\n')[0]})` };
  }
}
