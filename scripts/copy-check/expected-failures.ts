/**
 * What the copy check (npm run copy-check) expects to fail today, per construct and
 * check, with the reason. The check fails when anything else fails, when a failure
 * here fails differently (its message lacks `match`), and when one of these passes:
 * remove the entry when you fix its cause, so that this map only ever shrinks.
 */
import type { ExpectedFailures } from '../lib/copy-check';

export const EXPECTED_FAILURES: ExpectedFailures = {
  LakeNetwork: {
    'two-regions': {
      // ec2.Vpc asks the stack for its AZs; with an explicit env that is a context lookup.
      reason: 'in a stack with an explicit env the VPC needs an availability-zone lookup (credentials or cdk.context.json)',
      match: 'needs context lookups (credentials or cdk.context.json): availability-zones',
    },
  },
};
