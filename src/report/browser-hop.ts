/**
 * What a browser adds to a launch, from a run measured in a browser page and a run in Node on the
 * same GPU (`compare`): per case of `submit-wait` and `submit-each` at the same K > 1 in both,
 * B − A of each strategy's wall per kernel, split into what one submit adds and what one
 * completion adds. Per kernel, `submit-wait` pays encode + submit + a completion, `submit-each`
 * encode + submit + one K-th of a completion; so with Δw and Δe the two differences,
 * a submit adds (K·Δe − Δw) / (K − 1) and a completion Δw minus that.
 */
import { median } from '../stats/stats.ts';
import { adapterName, inBrowser, type RunData, type SummaryRow } from './read-run.ts';

export interface BrowserHop {
  /** Which of the two runs the browser's is. */
  browser: 'A' | 'B';
  /** Cases (groups with both strategies at the same K > 1 in both runs) it is taken over. */
  cases: number;
  /** Median over the cases of what one submit adds in the browser, µs, with the range. */
  submitUs: { median: number; min: number; max: number };
  /** The same for one completion (onSubmittedWorkDone or mapAsync seen by the host). */
  completionUs: { median: number; min: number; max: number };
  /** Whether the two runs measured different adapters (then GPU time differs as well). */
  sameAdapter: boolean;
}

/** The group of a summary row, strategy aside. */
const groupKey = (r: SummaryRow): string =>
  [r.workload, r.elements, r.kernels, r.intensity, r.workgroupSize].join('/');

/** A run's usable `submit-wait` and `submit-each` wall per kernel, by group, at K > 1. */
function pairs(run: RunData): Map<string, { kernels: number; wait: number; each: number }> {
  const byGroup = new Map<string, { kernels: number; wait?: number; each?: number }>();
  for (const r of run.summary) {
    if (r.status !== 'ok' || r.enoughSamples === false || r.wallUsPerKernel === null) continue;
    if (r.unit !== 'kernel' || r.kernels < 2) continue;
    if (r.strategy !== 'submit-wait' && r.strategy !== 'submit-each') continue;
    const at = byGroup.get(groupKey(r)) ?? { kernels: r.kernels };
    if (r.strategy === 'submit-wait') at.wait = r.wallUsPerKernel;
    else at.each = r.wallUsPerKernel;
    byGroup.set(groupKey(r), at);
  }
  const out = new Map<string, { kernels: number; wait: number; each: number }>();
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
  const fromNode = pairs(node);
  const submit: number[] = [];
  const completion: number[] = [];
  for (const [key, w] of pairs(web)) {
    const n = fromNode.get(key);
    if (n === undefined) continue;
    const dWait = w.wait - n.wait;
    const dEach = w.each - n.each;
    const dSubmit = (w.kernels * dEach - dWait) / (w.kernels - 1);
    submit.push(dSubmit);
    completion.push(dWait - dSubmit);
  }
  if (submit.length === 0) return undefined;
  return {
    browser: aBrowser ? 'A' : 'B',
    cases: submit.length,
    submitUs: spread(submit),
    completionUs: spread(completion),
    sameAdapter: adapterName(runA.context) === adapterName(runB.context),
  };
}
