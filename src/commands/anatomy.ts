/**
 * `launchbench anatomy [--kernels K] [--rounds R] [--samples S] [--out DIR] [GPU flags]`: the
 * anatomy of a launch (src/measure/anatomy.ts) on `map` at 64 elements × K kernels, after both
 * strategies it takes apart have matched the CPU reference on fresh random input. Prints a table
 * per chain and writes anatomy.csv, anatomy.md and anatomy-context.json into DIR (default
 * results/<time>-<adapter>-anatomy). Works under every runtime: `--runtime deno` in a Deno child
 * (src/cli.ts), `--runtime chromium|firefox` in a headless browser's page (browser-side.ts).
 */
import { join } from 'node:path';
import { isBrowserRuntime } from '../gpu/runtime.ts';
import { parseInteger } from '../options.ts';
import { anatomyMarkdown, anatomyRows, anatomyText } from '../report/anatomy.ts';
import { adapterName } from '../report/read-run.ts';
import { gitCommit, runId } from '../report/context.ts';
import {
  assertNoRun,
  makeWritableDir,
  removeEmptyFolders,
  toCsv,
  writeAtomic,
} from '../report/writer.ts';
import { anatomyOnGpu, type AnatomyMeasured, type AnatomySizes } from './anatomy-gpu.ts';
import { checkBrowserFlag, findBrowser } from './find-browser.ts';
import { gpuOptions, type GpuArgs } from './gpu-options.ts';
import { StatusLine } from './progress.ts';
import { stopOnSignals } from './signals.ts';

/** anatomy's arguments as the command line gives them. */
export interface AnatomyArgs extends GpuArgs {
  kernels?: string | undefined;
  rounds?: string | undefined;
  samples?: string | undefined;
  out?: string | undefined;
  browser?: string | undefined;
}

/** yargs definitions of anatomy's own options. */
export const anatomyOptions = {
  kernels: { type: 'string', describe: 'kernels K per execution, 2…4096 (default 1000)' },
  rounds: { type: 'string', describe: 'rounds, each sampling every chain in turn (default 5)' },
  samples: { type: 'string', describe: 'samples of each chain per round (default 3)' },
  out: { type: 'string', describe: 'folder (default results/<time>-<adapter>-anatomy)' },
  browser: {
    type: 'string',
    describe: "with --runtime chromium or firefox: the browser's binary (as for bench)",
  },
} as const;

export async function anatomyCommand(args: AnatomyArgs): Promise<number> {
  const kernels = parseInteger('kernels', args.kernels ?? '1000', { min: 2, max: 4096 });
  const rounds = parseInteger('rounds', args.rounds ?? '5', { min: 1, max: 100 });
  const samplesPerRound = parseInteger('samples', args.samples ?? '3', { min: 1, max: 100 });
  checkBrowserFlag(args.runtime, args.browser);
  const options = gpuOptions(args, true);
  if (isBrowserRuntime(args.runtime)) findBrowser(args.runtime, args.browser);
  // Made now (a folder that cannot be written is bad input before any GPU work), taken back if
  // the anatomy fails before its files are written.
  // The default folder's name waits for the adapter's; where it goes is checked now.
  const made = makeWritableDir(args.out ?? 'results', '--out');
  if (args.out !== undefined) assertNoRun(args.out, '--out');
  try {
    return await measureAndWrite(args, options, { kernels, rounds, samplesPerRound }, made);
  } catch (error) {
    removeEmptyFolders(made);
    if (!(error instanceof Stopped)) throw error;
    process.stderr.write(`launchbench: anatomy stopped by a signal; nothing written\n`);
    return error.code;
  }
}

/** The anatomy measured here or, for a browser runtime, in its page; and its browser's record. */
async function measure(
  args: AnatomyArgs,
  options: ReturnType<typeof gpuOptions>,
  sizes: AnatomySizes,
  verified: (gpu: AnatomyMeasured['gpu']) => void,
): Promise<AnatomyMeasured & { browser?: object }> {
  if (!isBrowserRuntime(args.runtime)) return anatomyOnGpu(options, sizes, verified);
  const { browserAnatomy } = await import('./browser-side.ts');
  const status = new StatusLine();
  // SIGINT/SIGTERM close the browser (its processes would outlive this one) and end the command.
  const stop = stopOnSignals('closing the browser');
  try {
    const { measured, browser } = await browserAnatomy(
      args.runtime,
      args,
      sizes,
      status,
      stop.signal,
    );
    return { ...measured, browser };
  } catch (error) {
    if (stop.signal.aborted) throw new Stopped(stop.exitCode());
    throw error;
  } finally {
    stop.dispose();
    status.clear();
  }
}

/** The anatomy in a browser stopped by a signal: the exit code to end with. */
class Stopped extends Error {
  constructor(readonly code: number) {
    super(`stopped by a signal`);
  }
}

/** Measures, then writes: anatomyCommand's work once its input is checked. */
async function measureAndWrite(
  args: AnatomyArgs,
  options: ReturnType<typeof gpuOptions>,
  sizes: AnatomySizes,
  made: string[],
): Promise<number> {
  const startedAt = new Date();
  const whereOf = (gpu: AnatomyMeasured['gpu']): string =>
    `${adapterName({ adapter: gpu.adapterInfo })}, ${gpu.runtime?.name ?? '?'} ${gpu.runtime?.version ?? ''} (${gpu.runtime?.webgpu ?? '?'})`;
  const say = (gpu: AnatomyMeasured['gpu']): void => {
    process.stderr.write(
      `launchbench: anatomy of a launch, K = ${sizes.kernels}, ${sizes.rounds} rounds, on ${whereOf(gpu)}\n`,
    );
  };
  const { anatomy, gpu, dawn, browser } = await measure(args, options, sizes, say);
  if (browser !== undefined) say(gpu);
  const where = whereOf(gpu);
  const dir = args.out ?? join('results', `${runId(gpu, startedAt)}-anatomy`);
  if (args.out === undefined) made.push(...makeWritableDir(dir, '--out'));
  writeAtomic(join(dir, 'anatomy.csv'), toCsv(anatomyRows(anatomy), true));
  writeAtomic(join(dir, 'anatomy.md'), anatomyMarkdown(anatomy, `On ${where}`));
  const context = {
    runtime: gpu.runtime,
    adapter: { ...gpu.adapterInfo, backend: gpu.backend },
    dawn: browser === undefined ? dawn : null,
    ...(browser === undefined ? {} : { browser }),
    kernels: sizes.kernels,
    rounds: sizes.rounds,
    samplesPerRound: sizes.samplesPerRound,
    clockNs: anatomy.clockNs,
    commandLine: process.argv.slice(2),
    gitCommit: gitCommit(),
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
  };
  writeAtomic(join(dir, 'anatomy-context.json'), `${JSON.stringify(context, null, 2)}\n`);
  process.stdout.write(`${anatomyText(anatomy)}\n\nresults: ${dir}\n`);
  return 0;
}
