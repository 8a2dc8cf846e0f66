/**
 * The EMR step that runs the Spark curation job, as the batch workflow adds it
 * (lib/stacks/batch-stack.ts). Tests and the smoke test build the expected step from it too.
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

/** The first and last event date to curate (YYYY-MM-DD, inclusive). */
export interface CurationDates {
  readonly start: string;
  readonly end: string;
}

/** EMR step name; the workflow appends the run's dates. */
export const CURATION_STEP_NAME = 'curate-payments';

/** command-runner.jar arguments: spark-submit in cluster mode. */
export function curationStepArgs(where: CurationStepLocations, dates: CurationDates): string[] {
  return [
    'spark-submit',
    '--deploy-mode', 'cluster',
    '--py-files', where.jobLibraryUri,
    where.jobScriptUri,
    '--raw-uri', where.rawUri,
    '--curated-uri', where.curatedUri,
    '--start-date', dates.start,
    '--end-date', dates.end,
  ];
}
