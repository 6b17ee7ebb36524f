/**
 * The GPU's shader clock while it was busy, from `nvidia-smi --query-gpu=timestamp,clocks.sm,
 * clocks.mem,utilization.gpu,power.draw,clocks_event_reasons.active --format=csv -lms 200` logs
 * (scripts/clock-batch.sh writes them as smi-<run>.csv): per file, the samples, those with
 * utilisation above 0, and the SM clock's p10/p50/p90 over them (MHz), the memory clock's range
 * and every throttle-reason mask seen. The tables of docs/findings.md, "Chromium's slow clock is
 * the GPU's" and "The clock fix on a GPU".
 *   npx tsx scripts/smi-clocks.ts FILE...
 */
import { readFileSync } from 'node:fs';
import { quantileSorted } from '../src/stats/stats.ts';

const files = process.argv.slice(2);
if (files.length === 0 || files.includes('--help')) {
  console.error('usage: npx tsx scripts/smi-clocks.ts smi-RUN.csv...');
  process.exit(files.length === 0 ? 2 : 0);
}
const mhz = (field: string | undefined): number => Number.parseFloat(field ?? '');
for (const file of files) {
  const rows = readFileSync(file, 'utf8')
    .split('\n')
    .slice(1)
    .map((line) => line.split(',').map((f) => f.trim()))
    .filter((f) => f.length >= 4 && Number.isFinite(mhz(f[1])));
  const busy = rows.filter((f) => mhz(f[3]) > 0);
  const sm = busy.map((f) => mhz(f[1])).sort((a, b) => a - b);
  const mem = rows.map((f) => mhz(f[2]));
  const reasons = [...new Set(busy.map((f) => f[5] ?? '?'))].join(' ');
  const q = (p: number) => (sm.length === 0 ? 'n/a' : quantileSorted(sm, p).toFixed(0));
  console.log(
    `${file}: ${rows.length} samples, ${busy.length} busy; SM MHz while busy p10/p50/p90 ` +
      `${q(0.1)}, ${q(0.5)}, ${q(0.9)}; memory ${Math.min(...mem)}–${Math.max(...mem)} MHz; ` +
      `reasons while busy: ${reasons || 'none'}`,
  );
}
