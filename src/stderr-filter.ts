/**
 * Dawn writes some diagnostics to stderr itself, from native code, where the CLI cannot catch
 * them: on lavapipe every adapter opens with two lines 'Warning: maxDynamic…PerPipelineLayout
 * artificially reduced from 1000000 to 16 …', which say nothing to a user of this tool. So the
 * command line runs itself as a child with stderr piped through this filter (src/cli.ts), unless
 * `--verbose`. Only those lines go; every other line, and a partial line (a progress line
 * redrawn with \r), passes at once.
 */

/** Dawn's notes that it lowered a limit the driver reported as unbounded (lavapipe). */
export const DAWN_NOISE = /^Warning: \w+ artificially reduced from \d+ to \d+ to fit [\w ]+\.$/;

const PREFIX = 'Warning: ';

export interface LineFilter {
  push(chunk: string): void;
  /** Writes what is left (a last line without a newline). */
  end(): void;
}

export function lineFilter(write: (text: string) => void, drop: RegExp = DAWN_NOISE): LineFilter {
  let pending = '';
  return {
    push(chunk: string): void {
      pending += chunk;
      let out = '';
      for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (!drop.test(line)) out += `${line}\n`;
      }
      // A partial line that cannot be one of Dawn's goes now (progress lines have no newline).
      const couldBeNoise = pending.startsWith(PREFIX) || PREFIX.startsWith(pending);
      if (pending !== '' && !couldBeNoise) {
        out += pending;
        pending = '';
      }
      if (out !== '') write(out);
    },
    end(): void {
      if (pending !== '' && !drop.test(pending)) write(pending);
      pending = '';
    },
  };
}
