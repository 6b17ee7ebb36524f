/**
 * Node's globals that bundled code names, for a browser page (esbuild `inject`): `process` (the
 * host clock of src/stats/clock.ts, an empty environment) and `setImmediate` (a turn of the event
 * loop, through a MessageChannel: a page's setTimeout(0) is clamped to 4 ms once nested).
 */
const clock = globalThis.performance;

export const process = {
  env: {} as Record<string, string | undefined>,
  pid: 0,
  platform: 'browser',
  versions: {} as Record<string, string>,
  hrtime: { bigint: (): bigint => BigInt(Math.round(clock.now() * 1e6)) },
};

const waiting: (() => void)[] = [];
let channel: InstanceType<typeof MessageChannel> | undefined;

export function setImmediate(callback: (...args: unknown[]) => void, ...args: unknown[]): void {
  if (channel === undefined) {
    channel = new MessageChannel();
    // Typed as Node's port here; a page's has onmessage.
    (channel.port1 as unknown as { onmessage: () => void }).onmessage = () => waiting.shift()?.();
  }
  waiting.push(() => callback(...args));
  channel.port2.postMessage(0);
}
