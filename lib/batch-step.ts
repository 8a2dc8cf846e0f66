/**
 * The EMR step that runs the Spark curation job, shared by the scheduled run
 * (lib/stacks/batch-stack.ts) and scripts/run-batch.ts so both submit the same command.
 */
export interface CurationStepLocations {
  /** s3:// URI of spark/curate_payments.py. */
  readonly jobScriptUri: string;
  /** s3:// URI of the zip of spark/ (for --py-files). */
  readonly jobLibraryUri: string;
  /** s3://<raw bucket>/raw/payments */
  readonly rawUri: string;
  /** s3://<curated bucket>/curated */
  readonly curatedUri: string;
}

/** A fixed date range, or the `lookbackDays` days before `asOf` (scheduled runs). */
export type CurationDates =
  | { readonly start: string; readonly end: string }
  | { readonly asOf: string; readonly lookbackDays: number };

/** command-runner.jar arguments: spark-submit in cluster mode. */
export function curationStepArgs(where: CurationStepLocations, dates: CurationDates): string[] {
  const range = 'start' in dates
    ? ['--start-date', dates.start, '--end-date', dates.end]
    : ['--as-of', dates.asOf, '--lookback-days', String(dates.lookbackDays)];
  return [
    'spark-submit',
    '--deploy-mode', 'cluster',
    '--py-files', where.jobLibraryUri,
    where.jobScriptUri,
    '--raw-uri', where.rawUri,
    '--curated-uri', where.curatedUri,
    ...range,
  ];
}
