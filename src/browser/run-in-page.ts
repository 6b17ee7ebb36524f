/**
 * A bench run's measuring side in a browser page: the same plan (benchPlan, from the options the
 * command line sends with its seed) and the same `localSide` (src/commands/bench-gpu.ts) as a run
 * in Node, on the browser's `navigator.gpu`; everything it gives goes to `send`, in order, for
 * the command line to write the run folder (src/commands/page-server.ts). Never prints.
 */
import { benchPlan, localSide, type GpuSide } from '../commands/bench-gpu.ts';
import { anatomyOnGpu } from '../commands/anatomy-gpu.ts';
import type { GpuOptions } from '../gpu/context.ts';
import { currentRuntime } from '../gpu/runtime.ts';
import { DeviceLostError } from '../errors.ts';
import {
  wireError,
  type AnatomyRequest,
  type BenchRequest,
  type PageFacts,
  type PageMessage,
} from './wire.ts';

/** The smallest step of the page's clock seen over a few thousand reads, µs. */
export function clockStepUs(): number {
  let step = Infinity;
  let last = performance.now();
  for (let i = 0; i < 20000 && step > 0.001; i++) {
    const now = performance.now();
    if (now > last) step = Math.min(step, now - last);
    last = now;
  }
  return step * 1000;
}

/** What the page says of itself (context.json `browser`). */
export function pageFacts(): PageFacts {
  const page = globalThis as unknown as {
    navigator: { userAgent: string };
    crossOriginIsolated?: boolean;
    gc?: unknown;
  };
  return {
    runtime: currentRuntime(),
    userAgent: page.navigator.userAgent,
    crossOriginIsolated: page.crossOriginIsolated === true,
    clockStepUs: clockStepUs(),
    gcExposed: typeof page.gc === 'function',
  };
}

/**
 * The page's facts, which must say it is cross-origin isolated: otherwise performance.now()
 * ticks in 100 µs steps, and no figure is worth having.
 */
function isolatedFacts(): PageFacts {
  const facts = pageFacts();
  if (!facts.crossOriginIsolated)
    throw new Error(
      `the page is not cross-origin isolated (its server must send COOP same-origin and COEP require-corp): its clock steps ${facts.clockStepUs.toFixed(0)} µs`,
    );
  return facts;
}

/** The GPU options a page takes: the power preference alone (a browser has no Dawn flags). */
function pageGpuOptions(request: BenchRequest | AnatomyRequest): GpuOptions {
  const powerPreference = request.args['power-preference'];
  return powerPreference === 'low-power' || powerPreference === 'high-performance'
    ? { powerPreference }
    : {};
}

/**
 * `launchbench anatomy` in this page (request.anatomy): verified, measured and sent as one
 * `anatomy` message; the last message is `closed` (an `error` before it where it failed).
 */
export async function anatomyInPage(
  request: AnatomyRequest,
  send: (message: PageMessage) => void,
): Promise<void> {
  try {
    const facts = isolatedFacts();
    send({ type: 'status', text: 'verifying the strategies the anatomy takes apart' });
    // A status line each round: the command line gives up on a page silent for 10 minutes.
    const { rounds } = request.anatomy;
    const measured = await anatomyOnGpu(
      pageGpuOptions(request),
      request.anatomy,
      () => undefined,
      (round) =>
        send({ type: 'status', text: `anatomy of a launch, round ${round + 1}/${rounds}` }),
    );
    send({ type: 'anatomy', measured, facts });
  } catch (error) {
    send({ type: 'error', error: wireError(error) });
  } finally {
    send({ type: 'closed' });
  }
}

/** After the cases: the self-check and the bandwidth reference, where asked. */
async function afterCases(
  side: GpuSide,
  request: BenchRequest,
  bandwidth: boolean,
  send: (message: PageMessage) => void,
): Promise<void> {
  if (request.args['self-check']) send({ type: 'selfCheck', rows: await side.selfCheck() });
  if (!bandwidth) return;
  try {
    send({ type: 'bandwidth', rows: await side.bandwidth() });
  } catch (error) {
    if (error instanceof DeviceLostError) throw error;
    send({ type: 'bandwidthFailed', error: wireError(error) });
  }
}

/**
 * Runs `request` on this page's GPU, sending what it measures; `shouldStop` is read between
 * samples. Whatever happens, the last message is `closed` (an `error` before it where it failed).
 */
export async function runInPage(
  request: BenchRequest,
  send: (message: PageMessage) => void,
  shouldStop: () => boolean,
): Promise<void> {
  const { args } = request;
  Object.assign(process.env, request.env);
  let side: GpuSide | undefined;
  try {
    const { plan, bandwidth } = benchPlan(args, undefined, request.run);
    side = localSide(args, plan, {
      gpuOptions: pageGpuOptions(request),
      status: {
        say: (text) => send({ type: 'status', text }),
        clear: () => send({ type: 'clear' }),
        warn: (line) => send({ type: 'warn', line }),
      },
      run: request.run,
    });
    const facts = isolatedFacts();
    send({ type: 'setup', setup: await side.setUp(), facts });
    if (args['dry-run'] === true) return;
    const outcome = await side.measure(
      {
        onVisit: (progress) => send({ type: 'visit', progress }),
        onCases: (results, samples) => send({ type: 'cases', results, samples }),
        onDrift: (row) => send({ type: 'drift', row }),
        onDeviceReplaced: (replacement) => send({ type: 'replaced', replacement }),
      },
      shouldStop,
    );
    send({ type: 'measured', outcome, clockHold: side.clockHold() });
    if (!outcome.interrupted) await afterCases(side, request, bandwidth, send);
  } catch (error) {
    send({
      type: 'error',
      error: wireError(error),
      ...(side ? { clockHold: side.clockHold() } : {}),
    });
  } finally {
    await side?.close();
    send({ type: 'closed' });
  }
}
