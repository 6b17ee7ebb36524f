/**
 * The anatomy of a launch as a reader sees it (src/measure/anatomy.ts measures it): anatomy.csv's
 * rows, and anatomy.md, a table per chain whose parts add up against the strategy's own time. Pure:
 * reads nothing but what it is given, and no clock.
 */
import type { Anatomy, AnatomyChain } from '../measure/anatomy.ts';
import { formatTable } from './console.ts';

/** One row of anatomy.csv: a part, or a chain's `sum of parts`, `whole` and `rest`. */
export type AnatomyCsvRow = {
  chain: AnatomyChain;
  part: string;
  callsPerKernel: number;
  usPerCall: number | null;
  usPerCallMin: number | null;
  usPerCallMax: number | null;
  usPerKernel: number;
};

/** The rows of anatomy.csv: each chain's parts, then its sum, the strategy's whole and the rest. */
export function anatomyRows(a: Anatomy): AnatomyCsvRow[] {
  const rows: AnatomyCsvRow[] = [];
  for (const chain of ['submit-each', 'dispatch-each', 'extra'] as const) {
    const parts = a.parts.filter((p) => p.chain === chain);
    for (const p of parts)
      rows.push({
        ...p,
        usPerKernel: p.chain === 'extra' ? p.usPerCall : p.usPerCall * p.callsPerKernel,
      });
    const whole = a.wholes.find((w) => w.chain === chain);
    if (whole === undefined) continue;
    const sum = parts.reduce((s, p) => s + p.usPerCall * p.callsPerKernel, 0);
    const line = (part: string, usPerKernel: number, range?: [number, number]): AnatomyCsvRow => ({
      chain,
      part,
      callsPerKernel: 1,
      usPerCall: null,
      usPerCallMin: range?.[0] ?? null,
      usPerCallMax: range?.[1] ?? null,
      usPerKernel,
    });
    rows.push(line('sum of parts', sum));
    rows.push(
      line('whole (the strategy, no laps)', whole.usPerKernel, [
        whole.usPerKernelMin,
        whole.usPerKernelMax,
      ]),
    );
    rows.push(line('rest (whole − sum of parts)', whole.usPerKernel - sum));
  }
  return rows;
}

const fmt = (us: number | null): string =>
  us === null
    ? '-'
    : Math.abs(us) >= 100
      ? us.toFixed(0)
      : Math.abs(us) >= 10
        ? us.toFixed(1)
        : us.toFixed(2);

/** The table of one chain's rows, as text; the extras, each timed alone, per call only. */
function chainTable(rows: readonly AnatomyCsvRow[], kernels: number): string {
  const extras = rows.every((r) => r.chain === 'extra');
  const header = ['part', 'calls per kernel', 'µs per call (rounds: min–max)', 'µs per kernel'];
  return formatTable(
    extras ? [header[0] ?? '', header[2] ?? ''] : header,
    rows.map((r) =>
      extras
        ? [r.part, perCallText(r)]
        : [
            r.part,
            r.callsPerKernel === 1 ? '1' : `1/${kernels}`,
            perCallText(r),
            fmt(r.usPerKernel),
          ],
    ),
  );
}

/** A row's time per call with the rounds' range, or the range alone (a chain's whole). */
function perCallText(r: AnatomyCsvRow): string {
  if (r.usPerCall !== null)
    return `${fmt(r.usPerCall)} (${fmt(r.usPerCallMin)}–${fmt(r.usPerCallMax)})`;
  return r.usPerCallMin === null ? '-' : `(${fmt(r.usPerCallMin)}–${fmt(r.usPerCallMax)})`;
}

/** What the parts add up to against the whole, for one chain: one sentence from its rows. */
function addsUp(chain: string, rows: readonly AnatomyCsvRow[]): string | undefined {
  const sum = rows.find((r) => r.part === 'sum of parts')?.usPerKernel;
  const whole = rows.find((r) => r.part.startsWith('whole'))?.usPerKernel;
  if (sum === undefined || whole === undefined || !(whole > 0)) return undefined;
  const percent = Math.round((100 * sum) / whole);
  const within = Math.abs(percent - 100) <= 15;
  return `\`${chain}\`: the parts add up to ${fmt(sum)} µs per kernel, ${percent}% of the strategy's own ${fmt(whole)} µs (${within ? 'within' : 'not within'} 15%). The rest is what the strategy's loop costs beyond its calls (or, where negative, what the laps' clock reads and bookkeeping add to the calls).`;
}

/** The console text: a table per chain and the extras. */
export function anatomyText(a: Anatomy): string {
  const rows = anatomyRows(a);
  return (['submit-each', 'dispatch-each', 'extra'] as const)
    .map(
      (chain) =>
        `${chain === 'extra' ? 'extras' : chain}\n${chainTable(
          rows.filter((r) => r.chain === chain),
          a.kernels,
        )}`,
    )
    .join('\n\n');
}

/** anatomy.md: what was measured, a table per chain with its sentence, and the extras. */
export function anatomyMarkdown(a: Anatomy, where: string): string {
  const rows = anatomyRows(a);
  const out = [
    '# Anatomy of a launch',
    '',
    `${where}. Workload \`map\`, 64 elements, K = ${a.kernels} kernels; ${a.rounds} rounds of ${a.samplesPerRound} samples of each chain; each part is one call timed with the host clock around it (one clock read, ${a.clockNs.toFixed(0)} ns, taken off), its median over a round's samples, then over the rounds (their lowest and highest in brackets).`,
    '',
  ];
  for (const chain of ['submit-each', 'dispatch-each'] as const) {
    const own = rows.filter((r) => r.chain === chain);
    out.push(`## \`${chain}\``, '', '```', chainTable(own, a.kernels), '```', '');
    const sentence = addsUp(chain, own);
    if (sentence !== undefined) out.push(sentence, '');
  }
  out.push(
    '## Calls a launch may add',
    '',
    '```',
    chainTable(
      rows.filter((r) => r.chain === 'extra'),
      a.kernels,
    ),
    '```',
    '',
  );
  return `${out.join('\n')}`;
}
