/**
 * `launchbench list`: the strategies, workloads, scenarios and profiles, and which
 * workload/strategy combinations do not apply. Needs no GPU.
 */
import { PROFILES } from '../profiles.ts';
import { SCENARIOS } from '../scenarios.ts';
import { formatTable } from '../report/console.ts';
import { notApplicable } from '../run.ts';
import { STRATEGIES } from '../strategies/index.ts';
import { WORKLOADS } from '../workloads/index.ts';

export function listCommand(): number {
  const out: string[] = ['strategies'];
  out.push(
    formatTable(
      ['id', 'program', 'what the host does', 'CUDA analogue'],
      STRATEGIES.map((s) => [s.id, s.program, s.description, s.cudaAnalogue]),
    ),
  );
  out.push('', 'workloads');
  out.push(
    formatTable(
      ['id', 'what it computes'],
      WORKLOADS.map((w) => [w.id, w.description]),
    ),
  );
  out.push('', 'scenarios');
  out.push(
    formatTable(
      ['name', 'what it reproduces'],
      Object.values(SCENARIOS).map((sc) => [sc.name, sc.description]),
    ),
  );
  out.push('', 'profiles');
  out.push(
    formatTable(
      ['name', 'cases'],
      Object.values(PROFILES).map((p) => [p.name, p.description]),
    ),
  );
  const na: string[][] = [];
  const probe = {
    elements: 1024,
    kernels: 16,
    intensity: 0,
    workgroupSize: 64,
    persistentWorkgroups: 64,
  };
  for (const w of WORKLOADS)
    for (const s of STRATEGIES) {
      const reason = notApplicable(w, s, probe, {});
      if (reason !== undefined) na.push([w.id, s.id, reason]);
    }
  out.push('', 'combinations that do not apply');
  out.push(
    na.length === 0
      ? '(none: every strategy runs every workload)'
      : formatTable(['workload', 'strategy', 'why'], na),
  );
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}
