/**
 * The GPU's shader clock while it was busy, from the logs scripts/smi-sample.sh writes (nvidia-smi
 * CSV; clock-batch.sh keeps them as smi-<run>.csv, repro-pair.sh as nvidia-smi.csv): per file, the
 * samples, those with utilisation above 0, the SM clock's p10/p50/p90 over those (MHz), the memory
 * clock's range over all samples and the throttle-reason masks seen while busy. Columns are found
 * by their header. The tables of docs/findings.md, "Chromium's slow clock is the GPU's" and "The
 * clock fix on an H100".
 *   npx tsx scripts/smi-clocks.ts FILE...       (exits 1 when a file could not be read)
 */
import { existsSync, readFileSync } from 'node:fs';
import { quantileSorted } from '../src/stats/stats.ts';

const files = process.argv.slice(2);
if (files.length === 0 || files.includes('--help')) {
  console.error('usage: npx tsx scripts/smi-clocks.ts FILE...   (nvidia-smi CSV logs)');
  process.exit(files.length === 0 ? 2 : 0);
}
const number = (field: string | undefined): number => Number.parseFloat(field ?? '');
let failed = 0;
for (const file of files) {
  const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n') : [];
  const header = (lines[0] ?? '').split(',').map((h) => h.trim());
  const column = (name: string): number => header.findIndex((h) => h.startsWith(name));
  const [sm, mem, util, reason] = [
    column('clocks.current.sm'),
    column('clocks.current.memory'),
    column('utilization.gpu'),
    column('clocks_event_reasons.active'),
  ];
  if (sm < 0 || util < 0) {
    console.error(
      `smi-clocks.ts: ${file}: no nvidia-smi log with SM clock and utilisation columns`,
    );
    failed++;
    continue;
  }
  const rows = lines
    .slice(1)
    .map((line) => line.split(',').map((f) => f.trim()))
    .filter((f) => Number.isFinite(number(f[sm])));
  const busy = rows.filter((f) => number(f[util]) > 0);
  const clocks = busy.map((f) => number(f[sm])).sort((a, b) => a - b);
  const memory = rows.map((f) => number(f[mem])).filter(Number.isFinite);
  const reasons = reason < 0 ? 'not logged' : [...new Set(busy.map((f) => f[reason]))].join(' ');
  const q = (p: number): string =>
    clocks.length === 0 ? 'n/a' : quantileSorted(clocks, p).toFixed(0);
  const memoryRange =
    memory.length === 0 ? 'n/a' : `${Math.min(...memory)}–${Math.max(...memory)} MHz`;
  console.log(
    `${file}: ${rows.length} samples, ${busy.length} busy; SM MHz while busy p10/p50/p90 ` +
      `${q(0.1)}, ${q(0.5)}, ${q(0.9)}; memory ${memoryRange}; ` +
      `reasons while busy: ${reasons || 'none'}`,
  );
}
process.exit(failed === 0 ? 0 : 1);
