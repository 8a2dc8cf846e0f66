/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Transpile only; `npm run typecheck` type-checks the whole tree once.
  transform: { '^.+\\.ts$': ['ts-jest', { isolatedModules: true, diagnostics: false }] },
  cacheDirectory: '<rootDir>/.jest-cache',
  testTimeout: 60000,
};
