/**
 * Turns between the two sides of `ab --interleave visits` (docs/design.md, Comparing runs): A's
 * process and B's run at once, and each step that uses the GPU is a turn that waits for the
 * other side's: the set-up, the drift probe before the first round, each visit (with the probe
 * after it where it ends a round), the self-check and the bandwidth reference. Turn k belongs to
 * side a, b, b, a … (k mod 4). Both sides take the same steps (the same plan and seed), so step j
 * of A lies beside step j of B, A first, then B first, and so on: a state of the machine that holds
 * for longer than two visits falls on both alike (a visit's median moves by about 20% between the
 * rounds of one process on the lent H100, half of it or more beyond its samples' own noise:
 * docs/findings.md), and a drift linear in time weighs both alike.
 *
 * The sides share a folder: `turn` holds how many turns have been taken (written by the side whose
 * turn it was, renamed into place), `done-a`/`done-b` say that a side takes no more (written by
 * the side when it closes, and by `ab` when its process ends, however it ends), and `turns.csv`
 * has a line per turn (side, start and end, ms since the epoch). A side whose other is done takes
 * its turns at once. A side waiting for its turn polls every POLL_MS and does nothing else.
 */
import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.ts';
import { NO_TURNS, type Turns } from '../run.ts';

/** `a:DIR` or `b:DIR`: the side of `ab --interleave visits` this process is, and the shared folder. */
export const TURNS_ENV = 'LAUNCHBENCH_TURNS';

export type SideName = 'a' | 'b';

const ORDER: readonly SideName[] = ['a', 'b', 'b', 'a'];
/** Whose turn the k-th is. */
export const turnOwner = (k: number): SideName => ORDER[k % ORDER.length] as SideName;

const POLL_MS = 1;

export const doneFile = (dir: string, side: SideName): string => join(dir, `done-${side}`);
export const TURN_LOG = 'turns.csv';

/** The epoch in ms with the monotonic clock's resolution. */
const nowMs = (): number => performance.timeOrigin + performance.now();

export function fileTurns(dir: string, side: SideName): Turns {
  const other: SideName = side === 'a' ? 'b' : 'a';
  const counter = join(dir, 'turn');
  const read = (): number => {
    try {
      const k = Number(readFileSync(counter, 'utf8'));
      return Number.isInteger(k) && k >= 0 ? k : 0;
    } catch {
      return 0;
    }
  };
  const write = (k: number): void => {
    const temporary = `${counter}.${side}`;
    writeFileSync(temporary, String(k));
    renameSync(temporary, counter);
  };
  return {
    async take<T>(step: () => Promise<T>): Promise<T> {
      let k = read();
      while (turnOwner(k) !== side && !existsSync(doneFile(dir, other))) {
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        k = read();
      }
      const start = nowMs();
      try {
        return await step();
      } finally {
        const end = nowMs();
        // The turn passes first: a log that cannot be written must not hold the other side.
        write(k + 1);
        try {
          appendFileSync(
            join(dir, TURN_LOG),
            `${k},${side},${start.toFixed(3)},${end.toFixed(3)}\n`,
          );
        } catch {
          // the record of the turn is lost, not the run
        }
      }
    },
    finish() {
      writeFileSync(doneFile(dir, side), '');
    },
  };
}

/** This process's turns from TURNS_ENV, or NO_TURNS where it is not set. */
export function turnsFromEnv(): Turns {
  const text = process.env[TURNS_ENV];
  if (text === undefined || text === '') return NO_TURNS;
  const match = /^([ab]):(.+)$/.exec(text);
  if (match === null) throw new UsageError(`${TURNS_ENV}: '${text}' is not a:DIR or b:DIR`);
  return fileTurns(match[2] as string, match[1] as SideName);
}
