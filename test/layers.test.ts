/**
 * The floors of docs/design.md (Architecture), checked on the sources: every import of src/, types
 * included, goes to its own floor or one below, never up; no file imports itself through others
 * (no circle); nothing under src/ imports bench/, test/, scripts/ or examples/ (the library ships
 * without them); measurement never prints (src/measure, src/strategies, src/workloads, src/gpu,
 * src/stats write nothing to the console or stdout); reporters never time (src/report reads no
 * clock); no function of src/ is longer than a screen (80 lines, closures counted in the function
 * that holds them). No GPU needed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('..', import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/**
 * Every module a file imports or re-exports (types too, dynamic imports too), resolved against
 * the repository root.
 */
function imports(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [
    ...text.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+'([^']+)'/gms),
    ...text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g),
  ]
    .map((m) => m[1] ?? '')
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => relative(ROOT, join(ROOT, file, '..', spec)));
}

/**
 * The floors, lowest first: a file may import its own floor and the ones below. The pure
 * statistics and the result model (no GPU) at the bottom; the GPU; workloads, then the strategies
 * that launch their programs; the measuring harness and the case sets; the run; the reports
 * (which read run folders); the commands and the library; the entry points.
 */
const FLOORS: readonly [RegExp, string][] = [
  [/^src\/(errors|options|stderr-filter)\.ts$|^src\/stats\//, 'statistics and the result model'],
  [/^src\/gpu\//, 'GPU'],
  [/^src\/workloads\//, 'workloads'],
  [/^src\/strategies\//, 'strategies'],
  [/^src\/measure\/|^src\/(profiles|scenarios)\.ts$/, 'harness'],
  [/^src\/run\.ts$/, 'run'],
  [/^src\/report\//, 'reports'],
  [/^src\/commands\/|^src\/browser\/|^src\/library\.ts$/, 'commands'],
  [/^src\/(index|cli)\.ts$/, 'entry points'],
];
const floor = (file: string): number => FLOORS.findIndex(([pattern]) => pattern.test(file));

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

  it('every file of src/ has a floor, and imports only its own or lower ones', () => {
    const files = sources('src');
    expect(files.filter((f) => floor(f) < 0)).toEqual([]);
    const up = files.flatMap((f) =>
      imports(f)
        .filter((target) => target.startsWith('src/') && floor(target) > floor(f))
        .map(
          (target) => `${f} (${FLOORS[floor(f)]?.[1]}) → ${target} (${FLOORS[floor(target)]?.[1]})`,
        ),
    );
    expect(up).toEqual([]);
  });

  it('no circle: no file imports itself through others', () => {
    const graph = new Map(sources('src').map((f) => [f, imports(f)]));
    const circles: string[] = [];
    const done = new Set<string>();
    const path: string[] = [];
    const visit = (file: string): void => {
      const at = path.indexOf(file);
      if (at >= 0) {
        circles.push([...path.slice(at), file].join(' → '));
        return;
      }
      if (done.has(file) || !graph.has(file)) return;
      path.push(file);
      for (const target of graph.get(file) ?? []) visit(target);
      path.pop();
      done.add(file);
    };
    for (const file of graph.keys()) visit(file);
    expect(circles).toEqual([]);
  });

  it('measurement never prints', () => {
    const printing = ['src/measure', 'src/strategies', 'src/workloads', 'src/gpu', 'src/stats']
      .flatMap(sources)
      .filter((f) => /\bconsole\.|process\.stdout/.test(readFileSync(join(ROOT, f), 'utf8')));
    expect(printing).toEqual([]);
  });

  it('reporters never time', () => {
    const timing = sources('src/report').filter(
      (f) =>
        /performance\.now|process\.hrtime|\bnowNs\b/.test(readFileSync(join(ROOT, f), 'utf8')) ||
        imports(f).includes('src/stats/clock.ts'),
    );
    expect(timing).toEqual([]);
  });

  it('no function of src/ is longer than 80 lines', () => {
    const long = sources('src').flatMap((file) => longFunctions(file, 80));
    expect(long).toEqual([]);
  });
});

/** `file:line name (N lines)` for each function, method or closure of `file` longer than `max` lines. */
function longFunctions(file: string, max: number): string[] {
  const source = ts.createSourceFile(
    file,
    readFileSync(join(ROOT, file), 'utf8'),
    ts.ScriptTarget.Latest,
    true,
  );
  const line = (pos: number): number => source.getLineAndCharacterOfPosition(pos).line + 1;
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const lines = line(node.getEnd()) - line(node.getStart()) + 1;
      const named = node.name ?? (node.parent as { name?: ts.Node }).name;
      if (lines > max)
        found.push(
          `${file}:${line(node.getStart())} ${named?.getText() ?? '(closure)'} (${lines} lines)`,
        );
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}
