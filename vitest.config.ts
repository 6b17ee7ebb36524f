import { defineConfig } from 'vitest/config';

/**
 * Each live Dawn device busy-polls about one CPU core and CI machines have two: the tests that
 * use the GPU run in one forked worker, one file at a time, each file sharing one device
 * destroyed in afterAll. The tests that never reach a GPU (statistics, reports and compare on
 * stored runs, option parsing, the layers) run in a second project beside them, in parallel.
 *
 * A file listed in CPU_ONLY must not open a device nor run a command that does (bench, info,
 * ab, the library). A GPU test listed here by mistake would not fail: it would run beside the
 * other GPU tests, two devices busy-polling two cores, slower. A new file is the GPU's until
 * it is listed. A headless Chromium on SwiftShader (test/runtime-chromium.test.ts) takes the CPU
 * as a Dawn device does: its tests stay in the GPU project, alone.
 */
const CPU_ONLY = [
  'at-run-state',
  'browser-hop',
  'charts-cost-per-kernel',
  'charts-dot-panels',
  'clock-hold',
  'compare-across',
  'compare-across-runtimes',
  'compare-calibration',
  'compare-drifting-machine',
  'compare-fail-on-slower',
  'compare-interleaved-ab',
  'compare-verdicts',
  'compare-visit-turns',
  'completion-nudged',
  'decode-programs',
  'decode-reference',
  'decode-report',
  'decode-sum-choice',
  'decode-variants',
  'fit-and-crossover',
  'interleaving-cancels-drift',
  'layers',
  'md-format',
  'moderated-variances',
  'options',
  'page-poster',
  'paired-ratio',
  'peak-bandwidth',
  'process-level',
  'processes-args',
  'progress-estimate',
  'report-compare-bad-input',
  'report-noise',
  'report-renders-from-csv',
  'report-rounds-and-drift',
  'robust-location',
  'serve-page',
  'state-statistics',
  'stats',
  'stderr-filter',
  'turns',
].map((name) => `test/${name}.test.ts`);

export default defineConfig({
  test: {
    pool: 'forks',
    // A loaded two-core CI machine runs the GPU files 2-3x slower than a quiet one (the longest
    // command-line runs took 46-51 s there): room for that, and the browsers' own 240 s bounds.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'gpu',
          include: ['test/**/*.test.ts'],
          exclude: CPU_ONLY,
          fileParallelism: false,
        },
      },
      { extends: true, test: { name: 'cpu', include: CPU_ONLY } },
    ],
  },
});
