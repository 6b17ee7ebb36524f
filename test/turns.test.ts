/**
 * The turns of `ab --interleave visits` (src/commands/turns.ts), here two sides in one process
 * sharing a folder as A's and B's processes do: no two steps overlap, the turns go A B B A …, a
 * side's step j lies beside the other's step j, a step that throws still passes the turn on, and a
 * side that finishes early (a shorter plan, a process that ended) lets the other go on alone.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TURN_LOG, fileTurns, turnOwner, type SideName } from '../src/commands/turns.ts';

const root = mkdtempSync(join(tmpdir(), 'launchbench-turns-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Two sides of `steps.a` and `steps.b` steps each (random lengths); what each step saw. */
async function play(dir: string, steps: Record<SideName, number>) {
  const events: { side: SideName; step: number; start: number; end: number }[] = [];
  let busy = 0;
  let overlapped = false;
  const side = async (name: SideName): Promise<void> => {
    const turns = fileTurns(dir, name);
    for (let j = 0; j < steps[name]; j++) {
      await turns.take(async () => {
        busy++;
        overlapped ||= busy > 1;
        const start = performance.now();
        await sleep(1 + Math.floor(Math.random() * 4));
        events.push({ side: name, step: j, start, end: performance.now() });
        busy--;
      });
    }
    turns.finish();
  };
  await Promise.all([side('a'), side('b')]);
  return { events, overlapped };
}

describe('turns between the two sides of ab --interleave visits', () => {
  it('never overlap, go A B B A …, and put step j of each side beside the other', async () => {
    const dir = mkdtempSync(join(root, 'even-'));
    const { events, overlapped } = await play(dir, { a: 12, b: 12 });
    expect(overlapped).toBe(false);
    expect(events.map((e) => e.side)).toEqual(Array.from({ length: 24 }, (_, k) => turnOwner(k)));
    // Step j of A and of B are the (2j)-th and (2j+1)-th turns, in one order or the other.
    for (let j = 0; j < 12; j++)
      expect(new Set(events.slice(2 * j, 2 * j + 2).map((e) => `${e.side}${e.step}`))).toEqual(
        new Set([`a${j}`, `b${j}`]),
      );
    const log = readFileSync(join(dir, TURN_LOG), 'utf8').trim().split('\n');
    expect(log.map((l) => l.split(',').slice(0, 2).join(','))).toEqual(
      Array.from({ length: 24 }, (_, k) => `${k},${turnOwner(k)}`),
    );
    // Each turn starts after the one before it ended (ms since the epoch).
    const spans = log.map((l) => l.split(',').slice(2).map(Number));
    for (let k = 1; k < spans.length; k++)
      expect(spans[k]?.[0]).toBeGreaterThanOrEqual(spans[k - 1]?.[1] ?? Infinity);
  });

  it('let a side go on alone once the other has finished', async () => {
    const dir = mkdtempSync(join(root, 'uneven-'));
    const { events, overlapped } = await play(dir, { a: 3, b: 9 });
    expect(overlapped).toBe(false);
    expect(events.filter((e) => e.side === 'b')).toHaveLength(9);
    expect(events.filter((e) => e.side === 'a')).toHaveLength(3);
  });

  it('pass the turn on after a step that throws', async () => {
    const dir = mkdtempSync(join(root, 'throws-'));
    const a = fileTurns(dir, 'a');
    const b = fileTurns(dir, 'b');
    await expect(a.take(() => Promise.reject(new Error('device lost')))).rejects.toThrow(
      'device lost',
    );
    await expect(b.take(() => Promise.resolve('b ran'))).resolves.toBe('b ran');
  });

  it("wait for the other's turn, and go once ab marks that side done", async () => {
    const dir = mkdtempSync(join(root, 'marked-'));
    const b = fileTurns(dir, 'b');
    let ran = false;
    const waiting = b.take(() => {
      ran = true;
      return Promise.resolve();
    });
    await sleep(30);
    expect(ran).toBe(false);
    // What ab does when A's process ends, however it ends.
    fileTurns(dir, 'a').finish();
    await waiting;
    expect(ran).toBe(true);
  });
});
