/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Transpile only, with esbuild; `npm run typecheck` type-checks the whole tree once.
  transform: { '^.+\\.ts$': '<rootDir>/test/esbuild-transform.js' },
  cacheDirectory: '<rootDir>/.jest-cache',
  // Every core: Jest's default leaves one free, which on two cores means one test file at a time.
  maxWorkers: '100%',
  // Cold runs (CI) start the largest suites first, counting test/lake.test.ts with its parts.
  testSequencer: '<rootDir>/test/sequencer.js',
  testTimeout: 60000,
};
