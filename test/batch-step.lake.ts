// Part of test/lake.test.ts, which runs every test that builds the whole lake in one Jest module registry.
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { curationStepArgs } from '../lib/batch-step';
import { ROOT } from './helpers';
import { lake } from './lake-apps';
import { simulate, workflowDefinition } from './workflow';

const WHERE = {
  jobScriptUri: 's3://assets/job.py',
  jobLibraryUri: 's3://assets/lib.zip',
  rawUri: 's3://raw/raw/payments',
  curatedUri: 's3://curated/curated',
};

/** What the job's own argument parser makes of the arguments after the script URI. */
function jobDates(args: string[]): string[] {
  const jobArgs = args.slice(args.indexOf(WHERE.jobScriptUri) + 1);
  const program = 'import json, sys; import curate_payments as c; print(json.dumps(c.parse_args(sys.argv[1:]).dates))';
  const out = execFileSync('python3', ['-c', program, ...jobArgs], { cwd: path.join(ROOT, 'spark'), encoding: 'utf8' });
  return JSON.parse(out);
}

describe('the curation step', () => {
  test('runs spark-submit in cluster mode with the job library on the Python path', () => {
    expect(curationStepArgs(WHERE, { start: '2026-11-01', end: '2026-11-02' }).slice(0, 6)).toEqual([
      'spark-submit', '--deploy-mode', 'cluster', '--py-files', 's3://assets/lib.zip', 's3://assets/job.py',
    ]);
  });

  test('a date range reaches the job as those dates', () => {
    expect(jobDates(curationStepArgs(WHERE, { start: '2026-11-01', end: '2026-11-03' }))).toEqual(['2026-11-01', '2026-11-02', '2026-11-03']);
  });

  test('a scheduled run rebuilds the same days the job itself computes for --as-of and --lookback-days', async () => {
    const definition = workflowDefinition(Template.fromStack(lake().batch!));
    for (const [asOf, lookbackDays] of [['2026-11-22T02:00:00Z', 2], ['2026-03-01T00:00:00Z', 3], ['2028-03-01T23:59:59Z', 1]] as const) {
      const program = 'import json, sys; import payments_logic as l; print(json.dumps(l.dates_for_run(sys.argv[1], int(sys.argv[2]))))';
      const expected: string[] = JSON.parse(execFileSync('python3', ['-c', program, asOf, String(lookbackDays)], { cwd: path.join(ROOT, 'spark'), encoding: 'utf8' }));
      // The dates are set before the lock; stop the run there.
      const run = await simulate(definition, { asOf, lookbackDays }, { AcquireLock: { error: 'Stop', cause: 'enough' } });
      expect([asOf, run.variables.start, run.variables.end]).toEqual([asOf, expected[0], expected.at(-1)]);
    }
  });
});
