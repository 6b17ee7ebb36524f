/**
 * The register counts of scripts/vk-stats and scripts/kernel-registers.ts: the layer's lines read
 * back, a count turned into workgroups a multiprocessor holds (as the H100 measured it:
 * 48 registers → 5 of 256 lanes, the probe's 640; 57 and 64 → 4, its 512), and the layer built
 * and loaded under the tool on this machine's adapter. Lavapipe does not offer the statistics
 * extension: there the tool must still make every pipeline and say that nothing was reported.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseStatsLine, registerCount, residentWorkgroups } from '../src/gpu/registers.js';

// The layer is built here: a C compiler, and Vulkan's headers installed or apt to fetch them
// (scripts/vk-stats/build.sh downloads Debian's libvulkan-dev).
const canBuild =
  spawnSync(
    'sh',
    ['-c', 'command -v cc && { [ -f /usr/include/vulkan/vk_layer.h ] || command -v apt-get; }'],
    {
      encoding: 'utf8',
    },
  ).status === 0;

describe('register counts', () => {
  it('reads the layer’s line of an executable', () => {
    const e = parseStatsLine(
      'entry=dawn_entry_point\texecutable=CS\tsubgroup=32\tRegister Count=48\tShared Memory Size=6672',
    );
    expect(e.entry).toBe('dawn_entry_point');
    expect(e.stats['Shared Memory Size']).toBe('6672');
    expect(registerCount(e)).toBe(48);
    expect(registerCount(parseStatsLine('entry=main\tBinary Size=1408'))).toBeUndefined();
    expect(registerCount(parseStatsLine('entry=main\tRegister Count=lots'))).toBeUndefined();
    expect(registerCount(undefined)).toBeUndefined();
  });

  it('gives the workgroups an NVIDIA multiprocessor holds, in steps of 8 registers', () => {
    expect(residentWorkgroups(48, 256)).toBe(5);
    expect(residentWorkgroups(49, 256)).toBe(4);
    expect(residentWorkgroups(57, 256)).toBe(4);
    expect(residentWorkgroups(64, 256)).toBe(4);
    expect(residentWorkgroups(65, 256)).toBe(3);
    expect(residentWorkgroups(40, 256)).toBe(6);
    // 2 048 lanes at most, however few registers
    expect(residentWorkgroups(16, 256)).toBe(8);
    expect(residentWorkgroups(32, 64)).toBe(32);
  });

  it.skipIf(!canBuild)(
    'builds the layer, which the loader inserts and which leaves every pipeline to the driver',
    () => {
      const build = spawnSync('bash', ['scripts/vk-stats/build.sh'], { encoding: 'utf8' });
      expect(build.status, build.stderr).toBe(0);
      const run = spawnSync('npx', ['tsx', 'scripts/kernel-registers.ts', 'tiny'], {
        encoding: 'utf8',
        env: { ...process.env, VK_LOADER_DEBUG: 'layer' },
        timeout: 120_000,
      });
      expect(run.stderr).toMatch(
        /Insert(ed)? (instance|device) layer "VK_LAYER_LAUNCHBENCH_stats"/,
      );
      // The megakernel was made and probed through the layer, reported or not.
      expect(run.stdout).toMatch(/^tiny: megakernel .*; the probe fit \d+/m);
      if (run.status === 0) {
        expect(run.stdout).toMatch(/\d+ registers a lane → \d+ workgroups of 256/);
      } else {
        expect(run.status).toBe(1);
        expect(run.stderr).toContain('the driver reported no register count');
      }
    },
    150_000,
  );
});
