/** Small helpers shared by the operator CLIs. */

/** A positive number of seconds from a flag's value, or an Error naming the flag. */
export function positiveSeconds(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} must be a positive number of seconds, got "${value}".`);
  return n;
}

/** Resolves after `ms`; the scripts take it as a parameter so tests can fake time. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
