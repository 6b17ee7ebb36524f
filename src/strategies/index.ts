/** The one list of strategies. To add one: write src/strategies/<id>.ts and register it here. */
import { dispatchEach } from './dispatch-each.ts';
import { passEach } from './pass-each.ts';
import { submitEach } from './submit-each.ts';
import { submitWait } from './submit-wait.ts';
import type { Strategy } from './types.ts';

export const STRATEGIES: readonly Strategy[] = [submitWait, submitEach, passEach, dispatchEach];

export function strategyById(id: string): Strategy | undefined {
  return STRATEGIES.find((s) => s.id === id);
}
