/**
 * Loaded by bench/test-time.ts with `--setupFilesAfterEnv`: appends each test file's CPU and
 * wall time (from its setup to its last test: loading its modules and running its tests) to
 * $TEST_TIMES_FILE, one JSON line a file.
 */
const fs = require('node:fs');
const { performance } = require('node:perf_hooks');

const cpu = process.cpuUsage();
const wall = performance.now();
afterAll(() => {
  const { user, system } = process.cpuUsage(cpu);
  const line = { file: expect.getState().testPath, cpuMs: (user + system) / 1000, wallMs: performance.now() - wall };
  fs.appendFileSync(process.env.TEST_TIMES_FILE, `${JSON.stringify(line)}\n`);
});
