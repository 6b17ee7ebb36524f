import { defineConfig } from 'vitest/config';

// Each live Dawn device busy-polls about one CPU core and CI machines have two: the GPU tests run
// in one forked worker, one file at a time, each file sharing one device destroyed in afterAll.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
