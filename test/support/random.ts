/** Seeded random sources for the simulated machines of the tests (deterministic runs). */
import { seededRandom } from '../../src/workloads/random.ts';

/** A seeded uniform source on [0, 1) (mulberry32, as the workloads' inputs use). */
export function prng(seed: number): () => number {
  const next = seededRandom(seed);
  return () => next() / 2 ** 32;
}

/** Standard normal variates (Box–Muller) from a uniform source on [0, 1). */
export function normal(uniform: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}
