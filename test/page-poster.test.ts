/**
 * How the measuring page posts its messages (src/browser/poster.ts), against a fake server: a
 * post that fails is tried again with the same messages, none lost or reordered; one that keeps
 * failing gives posting up with one line, once, and later messages are dropped; batches stay
 * under the limit, and a message over it gives up at once. No GPU, no browser.
 */
import { describe, expect, it } from 'vitest';
import { poster, type PostFetch } from '../src/browser/poster.ts';
import { decode, type PageMessage } from '../src/browser/wire.ts';

/** A fake server: answers each post as `answer` says, keeping the bodies it took. */
function server(answer: (n: number) => 'ok' | 'stop' | 'throw' | 500) {
  const taken: PageMessage[][] = [];
  let n = 0;
  const fetch: PostFetch = (_url, init) => {
    const how = answer(n++);
    if (how === 'throw') return Promise.reject(new Error('network down'));
    if (how === 500)
      return Promise.resolve({
        ok: false,
        status: 500,
        text: () => Promise.resolve('{"error":"boom"}'),
      });
    taken.push(decode<PageMessage[]>(init.body));
    return Promise.resolve({
      ok: true,
      status: 200,
      text: () => Promise.resolve(JSON.stringify({ stop: how === 'stop' })),
    });
  };
  return { fetch, taken };
}

const status = (i: number): PageMessage => ({ type: 'status', text: `step ${i}` });

describe("the page's posts", () => {
  it('tries a failed post again with the same messages, in order, and passes on stop', async () => {
    const s = server((n) => (n === 0 ? 'throw' : n === 1 ? 500 : 'stop'));
    let stops = 0;
    const lines: string[] = [];
    const out = poster('/m', {
      fetch: s.fetch,
      onStop: () => stops++,
      onGiveUp: (line) => lines.push(line),
      retryMs: [1, 1, 1],
    });
    for (let i = 0; i < 5; i++) out.send(status(i));
    await out.flushed();
    expect(s.taken.flat()).toEqual([0, 1, 2, 3, 4].map(status));
    expect(stops).toBeGreaterThan(0);
    expect(lines).toEqual([]);
  });

  it('gives up with one line once the tries are spent, and drops what comes after', async () => {
    const s = server(() => 500);
    const lines: string[] = [];
    const out = poster('/m', {
      fetch: s.fetch,
      onStop: () => undefined,
      onGiveUp: (line) => lines.push(line),
      retryMs: [1, 1],
    });
    out.send(status(0));
    out.send(status(1));
    await out.flushed();
    out.send(status(2));
    await out.flushed();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/could not post .*not delivered after 3 tries \(500: boom\)/);
    expect(out.gaveUp()).toBe(true);
  });

  it('keeps each request under the limit, and gives up on a message over it', async () => {
    const s = server(() => 'ok');
    const lines: string[] = [];
    const out = poster('/m', {
      fetch: s.fetch,
      onStop: () => undefined,
      onGiveUp: (line) => lines.push(line),
      limitBytes: 200,
    });
    for (let i = 0; i < 20; i++) out.send(status(i));
    await out.flushed();
    expect(s.taken.flat()).toEqual([...Array(20).keys()].map(status));
    expect(s.taken.length).toBeGreaterThan(1);
    for (const batch of s.taken) expect(JSON.stringify(batch).length).toBeLessThanOrEqual(200);
    out.send({ type: 'warn', line: 'x'.repeat(300) });
    await out.flushed();
    expect(lines).toEqual([expect.stringMatching(/over the server's limit of 200/)]);
  });
});
