/**
 * How the measuring page posts its messages to the server (src/commands/page-server.ts): in the
 * order they were made, one request at a time (a visit's go together), each request's body under
 * the server's limit (POST_LIMIT_BYTES, src/browser/wire.ts). A post that fails (the network, a
 * server's error) is tried again with the same messages, a few times, later ones waiting behind
 * it; one that still fails gives up the run's posting at once: `onGiveUp` gets one line saying
 * why, and later messages are dropped (after a gap the command line could only misread them).
 * The server's answer says whether the command line asked the run to stop (`onStop`).
 */
import { encode, POST_LIMIT_BYTES, type PageMessage } from './wire.ts';

/** What a post needs of `fetch`. */
export type PostFetch = (
  url: string,
  init: { method: 'POST'; body: string },
) => Promise<{ ok: boolean; status: number; text(): Promise<string> }>;

export interface PosterOptions {
  fetch: PostFetch;
  onStop: () => void;
  onGiveUp: (line: string) => void;
  /** The waits before each try again, ms (their count: how many times). */
  retryMs?: readonly number[];
  /** The most a request's body may hold, bytes. */
  limitBytes?: number;
}

/** A page's messages to `url`, posted as the module's comment says. */
export function poster(url: string, o: PosterOptions) {
  const retryMs = o.retryMs ?? [250, 1000, 3000, 5000];
  // Half the server's limit: room for what a byte count of the encoding leaves out.
  const limit = o.limitBytes ?? POST_LIMIT_BYTES / 2;
  const bytes = new TextEncoder();
  let pending: string[] = [];
  let chain = Promise.resolve();
  let gaveUp = false;

  /** One request of `parts` (encoded messages), tried again as long as retryMs allows. */
  const postBatch = async (parts: string[]): Promise<void> => {
    let last = '';
    for (let attempt = 0; attempt <= retryMs.length; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, retryMs[attempt - 1]));
      try {
        const res = await o.fetch(url, { method: 'POST', body: `[${parts.join(',')}]` });
        const text = await res.text();
        if (!res.ok) {
          last = `${res.status}: ${answerError(text)}`;
          continue;
        }
        if ((JSON.parse(text) as { stop?: boolean }).stop === true) o.onStop();
        return;
      } catch (error) {
        last = error instanceof Error ? error.message : String(error);
      }
    }
    throw new Error(
      `${parts.length} message(s) not delivered after ${retryMs.length + 1} tries (${last})`,
    );
  };

  /** What is pending, in requests under the limit. */
  const post = async (): Promise<void> => {
    if (gaveUp) return;
    const parts = pending;
    pending = [];
    try {
      let batch: string[] = [];
      let size = 2;
      for (const part of parts) {
        const n = bytes.encode(part).length + 1;
        if (n + 2 > limit)
          throw new Error(`a message of ${n} bytes is over the server's limit of ${limit}`);
        if (size + n > limit) {
          await postBatch(batch);
          [batch, size] = [[], 2];
        }
        batch.push(part);
        size += n;
      }
      if (batch.length > 0) await postBatch(batch);
    } catch (error) {
      gaveUp = true;
      o.onGiveUp(
        `the page could not post its messages to launchbench: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  };

  return {
    send(message: PageMessage): void {
      if (gaveUp) return;
      pending.push(encode(message));
      chain = chain.then(post);
    },
    /** Resolves once every message sent so far was posted or given up. */
    flushed: (): Promise<void> => chain,
    /** Whether posting was given up. */
    gaveUp: (): boolean => gaveUp,
  };
}

/** A server's error answer (`{"error": …}`, or text) as a line. */
function answerError(text: string): string {
  try {
    return (JSON.parse(text) as { error?: string }).error ?? text;
  } catch {
    return text.split('\n')[0] ?? '';
  }
}
