import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { curationStepArgs } from '../lib/batch-step';
import { ROOT } from './helpers';

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

  test('a scheduled run reaches the job as the days before the scheduled time', () => {
    expect(jobDates(curationStepArgs(WHERE, { asOf: '2026-11-22T02:00:00Z', lookbackDays: 2 }))).toEqual(['2026-11-20', '2026-11-21']);
  });
});
