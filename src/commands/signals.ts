/**
 * SIGINT and SIGTERM for a command that must stop cleanly rather than die: `bench` stops after
 * the current sample with its files written, `anatomy` in a browser closes the browser (whose
 * processes would outlive this one). Exit codes 130 and 143, as a shell gives.
 */

/**
 * Listens for SIGINT and SIGTERM: `signal` aborts with the signal's name and `saying` goes to
 * stderr, once; its listeners go with `dispose`.
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
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    exitCode: () => (controller.signal.reason === 'SIGTERM' ? 143 : 130),
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
