/**
 * The layers DESIGN.md draws, checked on the sources: nothing under src/ imports bench/, test/,
 * scripts/ or examples/ (the library ships without them); measurement never prints (src/measure,
 * src/strategies, src/workloads, src/gpu write nothing to the console or stdout); reporters never
 * time (src/report reads no clock). No GPU needed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('..', import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Every module specifier a file imports or re-exports, resolved against the repository root. */
function imports(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(/^(?:import|export)[^'"]*from\s+'([^']+)'/gm)]
    .map((m) => m[1] ?? '')
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => relative(ROOT, join(ROOT, file, '..', spec)));
}

describe('layers', () => {
  it('nothing under src/ imports bench/, test/, scripts/ or examples/', () => {
    const files = sources('src');
    expect(files.length).toBeGreaterThan(40);
    const upward = files.flatMap((f) =>
      imports(f)
        .filter((target) => /^(bench|test|scripts|examples)\//.test(target))
        .map((target) => `${f} → ${target}`),
    );
    expect(upward).toEqual([]);
  });

  it('measurement never prints', () => {
    const printing = ['src/measure', 'src/strategies', 'src/workloads', 'src/gpu']
      .flatMap(sources)
      .filter((f) => /\bconsole\.|process\.stdout/.test(readFileSync(join(ROOT, f), 'utf8')));
    expect(printing).toEqual([]);
  });

  it('reporters never time', () => {
    const timing = sources('src/report').filter(
      (f) =>
        /performance\.now|process\.hrtime|\bnowNs\b/.test(readFileSync(join(ROOT, f), 'utf8')) ||
        imports(f).includes('src/measure/clock.ts'),
    );
    expect(timing).toEqual([]);
  });
});
