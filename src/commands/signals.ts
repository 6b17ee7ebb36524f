/**
 * SIGINT, SIGTERM and SIGHUP for a command that must stop cleanly rather than die: `bench` stops
 * after the current sample with its files written, `anatomy` in a browser closes the browser
 * (whose processes would outlive this one). Exit codes 130, 143 and 129, as a shell gives.
 * SIGHUP too: a closed terminal, or a `timeout -s HUP`, sends it to the whole process group, the
 * measuring child included, which died of it with its files half written (2026-12-06).
 */

/** The signals that stop a run cleanly, wherever a process passes them on or waits on them. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

export const isStopSignal = (signal: string | null): signal is StopSignal =>
  (STOP_SIGNALS as readonly (string | null)[]).includes(signal);

/** The exit code a shell gives for a process ended by `signal`: 128 + its number. */
export const signalExitCode = (signal: StopSignal): number =>
  128 + { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 }[signal];

/**
 * Listens for STOP_SIGNALS: `signal` aborts with the signal's name and `saying` goes to stderr,
 * once; its listeners go with `dispose`.
 */
export function stopOnSignals(saying: string): {
  signal: AbortSignal;
  exitCode(): number;
  dispose(): void;
} {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals): void => {
    // A terminal's Ctrl-C reaches both the CLI's filtering parent (which passes it on) and
    // this process: say it once.
    if (controller.signal.aborted) return;
    controller.abort(name);
    process.stderr.write(`\nlaunchbench: ${name}: ${saying}\n`);
  };
  for (const name of STOP_SIGNALS) process.on(name, onSignal);
  return {
    signal: controller.signal,
    exitCode: () =>
      signalExitCode((controller.signal.reason as StopSignal | undefined) ?? 'SIGINT'),
    dispose() {
      for (const name of STOP_SIGNALS) process.off(name, onSignal);
    },
  };
}
