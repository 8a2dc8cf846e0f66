/**
 * The deployed baseline: the synthesized templates of a released version, one
 * file per profile and stack, that the replacement guard compares the working
 * tree against. Asset hashes and keys are normalized like the snapshot tests,
 * so a code change alone never reads as an infrastructure change.
 */

/** A template with asset hashes and bundling-dependent S3 keys replaced by placeholders. */
export function normalizeAssets<T>(template: T): T {
  return JSON.parse(
    JSON.stringify(template)
      .replace(/[0-9a-f]{64}(\.zip|\.json|\.tar\.gz)?/g, 'ASSET_HASH$1')
      .replace(/"S3Key":"[^"]*"/g, '"S3Key":"ASSET_KEY"'),
  );
}

/** Where a profile's baseline lives, relative to the repository root. */
export const BASELINE_DIR = 'test/baseline';

/** The prefix the baseline is synthesized with; stack names in it are `<prefix>-<layer>`. */
export const BASELINE_PREFIX = 'lake';
