/**
 * What a browser adds to a launch, from a run measured in a browser page and a run in Node on the
 * same GPU (`compare`): per case of `submit-wait` and `submit-each` at the same K > 1 in both,
 * B − A of each strategy's wall per kernel, split into what one submit adds and what one
 * completion adds. Per kernel, `submit-wait` pays encode + submit + a completion, `submit-each`
 * encode + submit + one K-th of a completion; so with Δw and Δe the two differences,
 * a submit adds (K·Δe − Δw) / (K − 1) and a completion Δw minus that. Both walls also hold the
 * GPU's busy time per kernel, so that figure is a submit plus the difference in GPU time: each
 * strategy's GPU busy per kernel is taken off its wall where both runs measured it, and between
 * two adapters (whose GPU time differs by more than any hop) no figure is given at all.
 */
import { median } from '../stats/stats.ts';
import { adapterName, inBrowser, type RunData, type SummaryRow } from './read-run.ts';

export interface HopFigures {
  /** Which of the two runs the browser's is. */
  browser: 'A' | 'B';
  /** Cases (groups with both strategies at the same K > 1 in both runs) it is taken over. */
  cases: number;
  /** Of those, the cases whose GPU busy time (all four walls') was taken off. */
  gpuSubtracted: number;
  /** Median over the cases of what one submit adds in the browser, µs, with the range. */
  submitUs: { median: number; min: number; max: number };
  /** The same for one completion (onSubmittedWorkDone or mapAsync seen by the host). */
  completionUs: { median: number; min: number; max: number };
  /**
   * Whether the browser hid its adapter (Chromium tells the vendor alone, Firefox nothing), so
   * that the two runs' adapters could only be taken to agree, not checked.
   */
  adapterHidden: boolean;
}

/** The hop, or why it is withheld (the two runs measured different adapters). */
export type BrowserHop = HopFigures | { browser: 'A' | 'B'; withheld: string };

/** The group of a summary row, strategy aside. */
const groupKey = (r: SummaryRow): string =>
  [r.workload, r.elements, r.kernels, r.intensity, r.workgroupSize].join('/');

/** One strategy's wall per kernel and GPU busy per kernel (null: not measured), µs. */
interface Cost {
  wall: number;
  gpu: number | null;
}

/** A run's usable `submit-wait` and `submit-each` costs per kernel, by group, at K > 1. */
function pairs(run: RunData): Map<string, { kernels: number; wait: Cost; each: Cost }> {
  const byGroup = new Map<string, { kernels: number; wait?: Cost; each?: Cost }>();
  for (const r of run.summary) {
    if (r.status !== 'ok' || r.enoughSamples === false || r.wallUsPerKernel === null) continue;
    if (r.unit !== 'kernel' || r.kernels < 2) continue;
    if (r.strategy !== 'submit-wait' && r.strategy !== 'submit-each') continue;
    const at = byGroup.get(groupKey(r)) ?? { kernels: r.kernels };
    const cost = { wall: r.wallUsPerKernel, gpu: r.gpuBusyUsPerKernel ?? null };
    if (r.strategy === 'submit-wait') at.wait = cost;
    else at.each = cost;
    byGroup.set(groupKey(r), at);
  }
  const out = new Map<string, { kernels: number; wait: Cost; each: Cost }>();
  for (const [key, p] of byGroup)
    if (p.wait !== undefined && p.each !== undefined)
      out.set(key, { kernels: p.kernels, wait: p.wait, each: p.each });
  return out;
}

const spread = (values: number[]) => ({
  median: median(values),
  min: Math.min(...values),
  max: Math.max(...values),
});

/** The browser's hop, where exactly one of the runs was measured in a browser page and the two share cases. */
export function browserHop(runA: RunData, runB: RunData): BrowserHop | undefined {
  const aBrowser = inBrowser(runA.context);
  if (aBrowser === inBrowser(runB.context)) return undefined;
  const [web, node] = aBrowser ? [runA, runB] : [runB, runA];
  const browser = aBrowser ? 'A' : 'B';
  const fromNode = pairs(node);
  const submit: number[] = [];
  const completion: number[] = [];
  let gpuSubtracted = 0;
  for (const [key, w] of pairs(web)) {
    const n = fromNode.get(key);
    if (n === undefined) continue;
    const costs = [w.wait, w.each, n.wait, n.each];
    const withGpu = costs.every((c) => c.gpu !== null);
    // Each wall less its own GPU busy time, where all four have it: what is left is the host's.
    const host = (c: Cost): number => (withGpu ? c.wall - (c.gpu ?? 0) : c.wall);
    if (withGpu) gpuSubtracted++;
    const dWait = host(w.wait) - host(n.wait);
    const dEach = host(w.each) - host(n.each);
    const dSubmit = (w.kernels * dEach - dWait) / (w.kernels - 1);
    submit.push(dSubmit);
    completion.push(dWait - dSubmit);
  }
  if (submit.length === 0) return undefined;
  const [webAdapter, nodeAdapter] = [adapterName(web.context), adapterName(node.context)];
  const hidden = hides(web.context, node.context);
  // A hidden adapter is taken as Node's only where each wall's own GPU busy time is taken off:
  // what is left is the host's, whatever the GPU.
  if (webAdapter !== nodeAdapter && !(hidden && gpuSubtracted === submit.length))
    return {
      browser,
      withheld: `the runs measured different adapters (${webAdapter} in the browser, ${nodeAdapter} in Node)${hidden ? ', and without GPU busy time in every case to take off' : ''}: their GPU time differs by more than the hop`,
    };
  return {
    browser,
    cases: submit.length,
    gpuSubtracted,
    submitUs: spread(submit),
    completionUs: spread(completion),
    adapterHidden: webAdapter !== nodeAdapter,
  };
}

/**
 * Whether the browser's run hides its adapter (no device, no description: Chromium gives the
 * vendor alone, Firefox nothing) and what it does tell agrees with Node's: its vendor, if any,
 * is in Node's adapter's vendor or name.
 */
function hides(web: RunData['context'], node: RunData['context']): boolean {
  const a = web.adapter;
  if ((a?.device ?? '').trim() !== '' || (a?.description ?? '').trim() !== '') return false;
  const vendor = (a?.vendor ?? '').trim().toLowerCase();
  const nodeSays = `${node.adapter?.vendor ?? ''} ${adapterName(node)}`.toLowerCase();
  return vendor === '' || nodeSays.includes(vendor);
}
