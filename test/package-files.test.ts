/**
 * What `npm pack` ships (package.json `files`, `exports`, `bin`), checked with `npm pack
 * --dry-run` (offline): the sources, shaders, profiles and the lavapipe script, no published
 * results, tests or examples; the export and the command point at files in it.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './support/cli.ts';

describe('the packed package', () => {
  it('holds what the command and the library need, and no results or tests', () => {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const [pack] = JSON.parse(out) as { files: { path: string }[] }[];
    const files = (pack?.files ?? []).map((f) => f.path);
    for (const f of [
      'package.json',
      'README.md',
      'src/cli.ts',
      'src/index.ts',
      'shaders/decode/step.wgsl',
      'src/profiles.ts',
      'scripts/install-lavapipe.sh',
    ])
      expect(files, f).toContain(f);
    for (const prefix of ['results/', 'test/', 'examples/', '.ci/', '.gpu/'])
      expect(
        files.filter((f) => f.startsWith(prefix)),
        prefix,
      ).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      exports: Record<string, { default?: string } | string>;
      bin: Record<string, string>;
    };
    const main = manifest.exports['.'];
    const entry = typeof main === 'string' ? main : main?.default;
    expect(files).toContain((entry ?? '').replace(/^\.\//, ''));
    const bin = manifest.bin['launchbench'] ?? '';
    expect(files).toContain(bin);
    expect(readFileSync(join(REPO_ROOT, bin), 'utf8').startsWith('#!/usr/bin/env -S npx tsx')).toBe(
      true,
    );
  });
});
