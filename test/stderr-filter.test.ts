/** The stderr filter of the command line (src/stderr-filter.ts): Dawn's limit notes go, nothing else. */
import { describe, expect, it } from 'vitest';
import { lineFilter } from '../src/stderr-filter.ts';

const NOISE =
  'Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.';

function filtered(chunks: string[]): { out: string; writes: string[] } {
  const writes: string[] = [];
  const f = lineFilter((t) => writes.push(t));
  for (const c of chunks) f.push(c);
  f.end();
  return { out: writes.join(''), writes };
}

describe('lineFilter', () => {
  it("drops Dawn's limit notes, even split across chunks, and keeps every other line", () => {
    const { out } = filtered([
      `${NOISE.slice(0, 20)}`,
      `${NOISE.slice(20)}\nlaunchbench: round 1/5\n`,
      'Warning: something else\n',
    ]);
    expect(out).toBe('launchbench: round 1/5\nWarning: something else\n');
  });

  it('passes a partial progress line at once, before its newline', () => {
    const { writes } = filtered(['\r\x1b[K[3/40] map/e64', '\r\x1b[K[4/40] map/e4096']);
    expect(writes).toEqual(['\r\x1b[K[3/40] map/e64', '\r\x1b[K[4/40] map/e4096']);
  });

  it('keeps a last line without a newline', () => {
    expect(filtered(['launchbench: --bogus: unknown']).out).toBe('launchbench: --bogus: unknown');
    expect(filtered([NOISE]).out).toBe('');
  });
});
