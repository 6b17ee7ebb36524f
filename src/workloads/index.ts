/** The one list of workloads. To add one: write src/workloads/<id>.ts and register it here. */
import { decodeWorkload } from './decode/workload.ts';
import { independentWorkload } from './independent.ts';
import { mapWorkload } from './map.ts';
import { scaleWorkload } from './scale.ts';
import { stencilWorkload } from './stencil.ts';
import type { Workload } from './types.ts';

export const WORKLOADS: readonly Workload[] = [
  mapWorkload,
  stencilWorkload,
  independentWorkload,
  scaleWorkload,
  decodeWorkload,
];

export function workloadById(id: string): Workload | undefined {
  return WORKLOADS.find((w) => w.id === id);
}
