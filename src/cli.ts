#!/usr/bin/env -S npx tsx
/**
 * launchbench command line: `bench` (default), `info`, `list`, `report`, `compare`. This file
 * holds the argument handling (yargs definitions, checks common to every command); each command's
 * work is in src/commands/. Every failure ends with one line on stderr and an exit code
 * (src/errors.ts): 2 bad input, 3 no adapter, 4 device lost, 130/143 interrupted by
 * SIGINT/SIGTERM (results so far are written), 1 unexpected.
 */
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { spawn } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { LaunchbenchError, UsageError, errorMessage } from './errors.ts';
import {
  abBenchCommand,
  benchCommand,
  benchOptions,
  exportOptions,
  withPresetFlags,
} from './commands/bench.ts';
import { compareBuilder, compareCommand, type CompareArgs } from './commands/compare.ts';
import { gpuFlags } from './commands/gpu-options.ts';
import { infoCommand, type InfoArgs } from './commands/info.ts';
import { anatomyCommand, anatomyOptions, type AnatomyArgs } from './commands/anatomy.ts';
import { listCommand } from './commands/list.ts';
import { serveCommand, type ServeArgs } from './commands/serve.ts';
import { checkExportPaths, reportCommand, type ExportPaths } from './commands/report.ts';
import { STDERR_TTY } from './commands/progress.ts';
import { STOP_SIGNALS } from './commands/signals.ts';
import { lineFilter } from './stderr-filter.ts';
import { mustExitExplicitly } from './gpu/context.ts';
import { currentRuntime, denoExecutable, denoRun, isDawn } from './gpu/runtime.ts';

/** The package's version (package.json), for --version. */
const VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

/**
 * Wraps a command's work as its yargs handler: the handler keeps the exit code it returns for
 * main to return once yargs is done.
 */
type Run = <A>(task: (args: A) => Promise<number> | number) => (args: A) => Promise<void>;

/** `bench`, the default command: one run of the suite (src/commands/bench.ts). */
function benchDefinition(run: Run) {
  return {
    command: ['bench', '$0'],
    describe: 'run the benchmark (default command)',
    builder: (y: Argv) => withPresetFlags(y.options(gpuFlags).options(benchOptions)),
    handler: run(benchCommand),
  };
}

/**
 * `ab`: bench's options for both sides, plus each side's own (--a, --b), how many processes each
 * side runs and compare's CI gate.
 */
function abDefinition(run: Run) {
  return {
    command: 'ab',
    describe:
      'A/B of two configurations on a drifting machine: both run process by process, interleaved A B B A …, into <out>/a and <out>/b, then compared; --a and --b give each side its bench options, after any NAME=VALUE environment variables',
    builder: (y: Argv) =>
      withPresetFlags(y.options(gpuFlags).options(benchOptions)).options({
        a: {
          type: 'string',
          describe: 'side A\'s extra bench options, e.g. "--dawn-toggles skip_validation"',
        },
        b: {
          type: 'string',
          describe:
            'side B\'s, after any environment variables, e.g. "DAWN_DEBUG_BREAK_ON_ERROR=1 --strategies fused"',
        },
        processes: {
          type: 'string',
          describe: 'processes per side (default: one per round)',
        },
        'fail-on-slower': {
          type: 'string',
          describe: 'exit 5 when compare calls a case slower by more than this (e.g. 10%)',
        },
        interleave: {
          type: 'string',
          describe:
            "processes (default): A's and B's processes one at a time, A B B A …; visits: A's and B's at once, taking turns on the GPU visit by visit (src/commands/turns.ts), so that each of B's rounds pairs with A's beside it",
        },
        'compare-strategies': {
          type: 'string',
          describe:
            "judge only these strategies' cases, comma-separated (compare --strategies): the ones a change touches, named before the runs; both sides still run every strategy, the in-group reference",
        },
      }),
    handler: run(abBenchCommand),
  };
}

/** `info`: what the adapter is and offers, as text or JSON (src/commands/info.ts). */
function infoDefinition(run: Run) {
  return {
    command: 'info',
    describe: 'adapter, backend, features, limits and the timestamp self-test',
    builder: (y: Argv) =>
      y
        .options(gpuFlags)
        .option('json', { type: 'boolean', default: false, describe: 'print JSON' }),
    handler: run((args: object) => infoCommand(args as InfoArgs)),
  };
}

/** `anatomy`: every call of a launch timed on its own (src/commands/anatomy.ts). */
function anatomyDefinition(run: Run) {
  return {
    command: 'anatomy',
    describe:
      "the anatomy of a launch: each WebGPU call of submit-each's and dispatch-each's host loops timed on its own, added up against the strategies, and the calls a launch may add",
    builder: (y: Argv) => y.options(gpuFlags).options(anatomyOptions),
    handler: run((args: object) => anatomyCommand(args as AnatomyArgs)),
  };
}

/** `list`: the suite's building blocks; no options of its own. */
function listDefinition(run: Run) {
  return {
    command: 'list',
    describe: 'strategies, workloads, scenarios, profiles, and which combinations do not apply',
    builder: {},
    handler: run(listCommand),
  };
}

/** `report <dir>`: a run folder's report again, and its exports (checked before any is read). */
function reportDefinition(run: Run) {
  return {
    command: 'report <dir>',
    describe:
      're-render report.md and the SVG charts of a run folder from its CSV files and context.json; --export-json, --export-benchmark-action and --export-markdown write them for other tools',
    builder: (y: Argv) =>
      y
        .positional('dir', { type: 'string', describe: 'run folder (results/<run-id>)' })
        .options(exportOptions),
    handler: run((args: object) => {
      const a = args as { dir: string } & ExportPaths;
      checkExportPaths(a);
      return reportCommand(a.dir, a);
    }),
  };
}

/** `compare <a> <b>`: two run folders case by case (its options: compareBuilder). */
function compareDefinition(run: Run) {
  return {
    command: 'compare <a> <b>',
    describe:
      "per-case ratio of run B to run A with a verdict (faster, slower, same, unclear) from the runs' between-round spread; --fail-on-slower makes it a CI gate (exit 5)",
    builder: compareBuilder,
    handler: run((args: object) => compareCommand(args as CompareArgs)),
  };
}

/** `serve`: the measuring page for one's own browser (src/commands/serve.ts). */
function serveDefinition(run: Run) {
  return {
    command: 'serve',
    describe:
      "serve the benchmark as a web page for one's own browser (any with WebGPU): pick a profile, run it there, download the run folder's files; Ctrl-C stops",
    builder: (y: Argv) =>
      y.options({
        port: { type: 'string', describe: 'port to listen on (default 8080; 0: any free one)' },
        host: { type: 'string', describe: 'address to listen on (default 127.0.0.1)' },
        out: { type: 'string', describe: 'where run folders go (default results/)' },
      }),
    handler: run((args: object) => serveCommand(args as ServeArgs)),
  };
}

/** Parses `argv` against the commands above, runs the one it names and returns its exit code. */
/**
 * `ab --a "--runtime deno"`: yargs would read a value that starts with '-' as options of its own;
 * joined to its flag (`--a=--runtime deno`) it is the value the user gave.
 */
function abSidesJoined(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const value = argv[i + 1];
    if ((arg === '--a' || arg === '--b') && value !== undefined) {
      out.push(`${arg}=${value}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

async function main(argv: string[]): Promise<number> {
  let code = 0;
  const run: Run = (task) => async (args) => {
    code = await task(args);
  };
  await yargs(abSidesJoined(argv))
    .scriptName('launchbench')
    .usage(
      '$0 [command] [options]\n\nMeasures what launching WebGPU compute work costs, strategy by strategy.',
    )
    .command(benchDefinition(run))
    .command(abDefinition(run))
    .command(infoDefinition(run))
    .command(anatomyDefinition(run))
    .command(listDefinition(run))
    .command(reportDefinition(run))
    .command(compareDefinition(run))
    .command(serveDefinition(run))
    // Options are read by their kebab-case names; without this, yargs also names each unknown
    // option in camelCase in its messages.
    .option('verbose', {
      type: 'boolean',
      global: true,
      describe: "show Dawn's own notes on stderr (e.g. lavapipe's 'artificially reduced' limits)",
    })
    .parserConfiguration({ 'camel-case-expansion': false })
    // Every option takes one value: a repeated option would reach the parsers as an array.
    .check((argv) => {
      for (const [name, value] of Object.entries(argv)) {
        if (name !== '_' && Array.isArray(value)) {
          throw new UsageError(`--${name}: given more than once`);
        }
      }
      return true;
    })
    .strict()
    .recommendCommands()
    .help()
    .version(VERSION)
    .fail((message: string | undefined, error: Error | undefined) => {
      if (error !== undefined) throw error;
      throw new UsageError((message ?? 'bad command line').split('\n')[0] ?? 'bad command line');
    })
    .parseAsync();
  return code;
}

/**
 * Runs the command line and returns its exit code; every error becomes one line on `stderr`
 * (the tests call this in-process, e.g. the fuzz test of malformed command lines).
 */
export async function runCli(
  argv: string[],
  stderr: (text: string) => void = (text) => process.stderr.write(text),
): Promise<number> {
  try {
    return await main(argv);
  } catch (error) {
    const code = error instanceof LaunchbenchError ? error.exitCode : 1;
    stderr(`launchbench: ${printable(errorMessage(error).split('\n')[0] ?? '')}\n`);
    if (code === 1 && process.env['LAUNCHBENCH_DEBUG'] !== undefined) console.error(error);
    return code;
  }
}

/** Set in the child that runs the command (runChild): it runs the command itself. */
const RAW_STDERR = 'LAUNCHBENCH_RAW_STDERR';

/** Whether the command may open Dawn (bench, the default command, and info). */
function opensDawn(argv: readonly string[]): boolean {
  if (argv.includes('--help') || argv.includes('--version')) return false;
  const command = argv.find((a) => !a.startsWith('-'));
  return (
    command === undefined ||
    command === 'bench' ||
    command === 'ab' ||
    command === 'info' ||
    command === 'anatomy' ||
    argv[0]?.startsWith('-') === true
  );
}

/** The runtime `--runtime` names (before any `--`), if any. */
function runtimeAsked(argv: readonly string[]): string | undefined {
  const end = argv.includes('--') ? argv.indexOf('--') : argv.length;
  for (let i = 0; i < end; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--runtime') return argv[i + 1];
    if (arg.startsWith('--runtime=')) return arg.slice('--runtime='.length);
  }
  return undefined;
}

/** A child that runs the command: its program and arguments, and whether its stderr is Dawn's. */
interface CommandChild {
  command: string;
  args: string[];
  dawn: boolean;
}

/**
 * Where the command runs when not in this process: under Deno for `--runtime deno` (this process
 * is Node's), or in a Node child whose stderr this process filters of Dawn's notes, which Dawn
 * writes from native code, past any JavaScript hook. Undefined: here.
 */
function commandChild(argv: readonly string[], script: string): CommandChild | undefined {
  // First: Deno where asked (a process of a run of several, bench --processes, too). `ab` stays
  // here: it only orchestrates, and each of its processes starts the runtime its side names, so
  // that a side can ask for Node where the others ask for Deno (`ab --runtime deno --a
  // "--runtime node"`). `ab`'s sides are joined to their flags first: a side's `--runtime` is the
  // side's, not ab's.
  const ab = argv.find((a) => !a.startsWith('-')) === 'ab';
  if (!ab && runtimeAsked(abSidesJoined(argv)) === 'deno' && currentRuntime().name !== 'deno')
    return { command: denoExecutable(), args: [...denoRun(), script], dawn: false };
  if (process.env[RAW_STDERR] !== undefined || !isDawn()) return undefined;
  if (argv.includes('--verbose') || !opensDawn(argv)) return undefined;
  return { command: process.execPath, args: [...process.execArgv, script], dawn: true };
}

/**
 * Runs the command in `child`, its stderr through lineFilter (src/stderr-filter.ts) where it is
 * Dawn's. Signals are passed on (the child stops after the current sample and writes its files);
 * its exit code is returned.
 */
function runChild(argv: readonly string[], child: CommandChild): Promise<number> {
  const running = spawn(child.command, [...child.args, ...argv], {
    // The IPC channel tells the child when this process is gone (killed, even by SIGKILL).
    stdio: ['inherit', 'inherit', 'pipe', 'ipc'],
    env: {
      ...process.env,
      [RAW_STDERR]: '1',
      [STDERR_TTY]: process.stderr.isTTY ? '1' : '0',
    },
  });
  const write = (text: string): boolean => process.stderr.write(text);
  const filter = child.dawn ? lineFilter(write) : { push: write, end: () => undefined };
  running.stderr?.setEncoding('utf8').on('data', (chunk: string) => filter.push(chunk));
  // A closed terminal's SIGHUP too: the child stops after its current sample and writes its files.
  for (const signal of STOP_SIGNALS) process.on(signal, () => running.kill(signal));
  return new Promise((resolve) => {
    running.on('error', (error) => {
      // No Node child: run the command here, Dawn's notes and all. No Deno: say so.
      if (child.dawn) return resolve(runCli([...argv]));
      process.stderr.write(
        `launchbench: could not start ${child.command}: ${errorMessage(error)}\n`,
      );
      resolve(2);
    });
    running.on('close', (code, signal) => {
      filter.end();
      if (code !== null) return resolve(code);
      process.stderr.write(
        `launchbench: the benchmark process was ended by ${signal ?? 'a signal'}\n`,
      );
      resolve(signal === null ? 1 : 128 + (osConstants.signals[signal] ?? 0));
    });
  });
}

/** In the child of runChild: a parent that goes away stops the run as SIGTERM would. */
function stopWithParent(): void {
  if (process.send === undefined) return;
  process.channel?.unref();
  process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}

/** A message as one printable line: file contents it quotes may hold control bytes. */
const printable = (text: string): string =>
  Array.from(text, (c) => {
    const code = c.codePointAt(0) ?? 0;
    return code < 0x20 || (code >= 0x7f && code < 0xa0) ? '?' : c;
  })
    .join('')
    .slice(0, 400);

// Run when executed (tsx src/cli.ts, npm run bench, the package's bin link), not when imported.
const executed =
  process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
if (executed) {
  // A reader that goes away early (`launchbench … | head`) must not end the command with a stack
  // trace, nor cost a run what it measures: output to the closed stream stops, the work goes on
  // and the files are written.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
      // Swallow later writes, still calling a write's callback as a stream would.
      stream.write = (...args: unknown[]): boolean => {
        const done = args.find((a) => typeof a === 'function') as (() => void) | undefined;
        if (done !== undefined) process.nextTick(done);
        return true;
      };
    });
  }
  const argv = hideBin(process.argv);
  if (process.env[RAW_STDERR] !== undefined) stopWithParent();
  void (async (): Promise<number> => {
    let child: CommandChild | undefined;
    try {
      child = commandChild(argv, process.argv[1] ?? '');
    } catch (error) {
      // No Deno for --runtime deno: one line, as any bad input.
      process.stderr.write(`launchbench: ${errorMessage(error)}\n`);
      return error instanceof LaunchbenchError ? error.exitCode : 1;
    }
    return child === undefined ? runCli(argv) : runChild(argv, child);
  })().then((code) => {
    process.exitCode = code;
    // A device left alive (its queue never drained) keeps dawn.node polling, and Deno does not
    // let go of the IPC channel to runChild's parent (unref is not enough there): end here.
    if (mustExitExplicitly() || currentRuntime().name === 'deno') process.exit(code);
  });
}
