/** The one list of strategies. To add one: write src/strategies/<id>.ts and register it here. */
import { dispatchEach } from './dispatch-each.ts';
import { fused } from './fused.ts';
import { indirect } from './indirect.ts';
import { passEach } from './pass-each.ts';
import { persistent } from './persistent.ts';
import { prerecordedPasses } from './prerecorded-passes.ts';
import { prerecorded } from './prerecorded.ts';
import { submitEach } from './submit-each.ts';
import { submitWait } from './submit-wait.ts';
import type { Strategy } from './types.ts';

export const STRATEGIES: readonly Strategy[] = [
  submitWait,
  submitEach,
  passEach,
  dispatchEach,
  prerecorded,
  prerecordedPasses,
  indirect,
  fused,
  persistent,
];

export function strategyById(id: string): Strategy | undefined {
  return STRATEGIES.find((s) => s.id === id);
}
