/**
 * What the copy check (npm run copy-check) expects to fail today, per construct and
 * check, with the reason. The check fails when anything else fails, when a failure
 * here fails differently (its message lacks `match`), and when one of these passes:
 * remove the entry when you fix its cause, so that this map only ever shrinks.
 */
import type { ExpectedFailures } from '../lib/copy-check';

// Empty: every construct passes every check. Add an entry only with the reason and the
// message, when a check finds something that cannot be fixed at once.
export const EXPECTED_FAILURES: ExpectedFailures = {};
