/**
 * launchbench as a library: examples/library-user is a project of its own whose package.json
 * depends on launchbench (`file:../..`) and whose main.ts imports it by its package name, through
 * package.json `exports`. As `npm install` would, the test links the package into the example's
 * node_modules (a symlink, no registry), runs `npm start`'s command there, and expects each
 * strategy it measures verified and on the sample floor.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './support/cli.ts';

const EXAMPLE = join(REPO_ROOT, 'examples', 'library-user');
const IN_CI = process.env['CI'] !== undefined;

describe('library example', () => {
  it('imports launchbench through its exports and measures verified cases', (t) => {
    const manifest = JSON.parse(readFileSync(join(EXAMPLE, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    expect(manifest.dependencies['launchbench']).toBe('file:../..');
    const link = join(EXAMPLE, 'node_modules', 'launchbench');
    if (!existsSync(link)) {
      mkdirSync(join(EXAMPLE, 'node_modules'), { recursive: true });
      symlinkSync(join('..', '..', '..'), link, 'dir');
    }
    const run = spawnSync(join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), ['main.ts'], {
      cwd: EXAMPLE,
      encoding: 'utf8',
      timeout: 120_000,
    });
    if (run.status === 3 && !IN_CI) t.skip('no WebGPU adapter');
    expect(run.status, run.stderr).toBe(0);
    const lines = run.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l['strategy'])).toEqual(['dispatch-each', 'prerecorded']);
    for (const l of lines) {
      expect(l['status']).toBe('ok');
      expect(l['verified']).toBe(true);
      expect(l['wallSamples']).toBeGreaterThanOrEqual(10);
      expect(l['wallUsPerKernel']).toBeGreaterThan(0);
    }
  });
});
