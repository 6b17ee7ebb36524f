/**
 * `launchbench serve`: the measuring page for one's own browser (any with WebGPU), served
 * cross-origin isolated by src/commands/page-server.ts. The page offers the profiles; a run it
 * starts is a `bench` run here (benchCommand, its summary printed on this terminal) whose
 * measuring side is the page (RemoteSide), so the run folder is written here, as any run's; the
 * page then links its files (summary.csv, samples.csv, context.json, report.md …), which
 * `launchbench report` and `compare` read.
 */
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { join, relative } from 'node:path';
import yargs from 'yargs';
import { UsageError, errorMessage } from '../errors.ts';
import { parseInteger } from '../options.ts';
import { PROFILES } from '../profiles.ts';
import { planGroups } from '../run.ts';
import { benchCommand, type BenchArgs } from './bench.ts';
import { benchOptions, withPresetFlags } from './bench-options.ts';
import { benchPlan } from './bench-gpu.ts';
import { gpuFlags } from './gpu-options.ts';
import { StatusLine } from './progress.ts';
import { answer, body, RemoteSide, startPageServer, type PageServer } from './page-server.ts';

export interface ServeArgs {
  port?: string | undefined;
  host?: string | undefined;
  out?: string | undefined;
}

/** bench's arguments for `argv` (bench's own options), as the command line would parse them. */
export function benchArgs(argv: readonly string[]): BenchArgs {
  return withPresetFlags(
    yargs([...argv])
      .options(gpuFlags)
      .options(benchOptions),
  )
    .parserConfiguration({ 'camel-case-expansion': false })
    .strict()
    .fail((message: string | undefined, error: Error | undefined) => {
      throw error ?? new UsageError(message ?? 'bad options');
    })
    .parseSync();
}

/** A run the page asked for: how it ended (the error's line where it failed), and its folder. */
interface Served {
  done: boolean;
  code?: number;
  error?: string;
  dir?: string;
}

/** serve's runs: how each ended, by token, and the ones still running (their exit codes). */
interface Runs {
  served: Map<string, Served>;
  running: Map<string, { side: RemoteSide; ended: Promise<number> }>;
}

/** How long a stopped serve waits for its runs to write what they measured. */
const STOP_WAIT_MS = 30_000;

/** Every file under `dir` (one level of folders: charts/), relative to it; none where it is not. */
function runFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

/**
 * Starts a run the page asked for (`{profile, workloads?}`): bench here, measured by the page;
 * answers its token.
 */
function startRun(
  server: PageServer,
  { served, running }: Runs,
  asked: { profile?: unknown; workloads?: unknown },
  out: string,
): string {
  const profile = typeof asked.profile === 'string' ? asked.profile : 'quick';
  if (PROFILES[profile] === undefined) throw new UsageError(`unknown profile '${profile}'`);
  // One process: the page is the run's only measuring side.
  const argv = ['--profile', profile, '--runtime', 'chromium', '--processes', '1'];
  if (typeof asked.workloads === 'string') argv.push('--workloads', asked.workloads);
  const token = randomUUID();
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const dir = join(out, `${stamp}-browser-${token.slice(0, 8)}`);
  const args = { ...benchArgs([...argv, '--out', dir]) };
  // The seed fixed now: the page plans from the same options.
  args.seed = String(benchPlan(args).plan.seed);
  const side = new RemoteSide(new StatusLine(), {
    browser: { driver: 'serve: the user opened the page' },
    close: () => Promise.resolve(),
  });
  server.runs.set(token, { request: { args }, side });
  served.set(token, { done: false });
  process.stderr.write(
    `launchbench serve: a run of profile ${profile} (${planGroups(benchPlan(args).plan).length} groups) into ${dir}\n`,
  );
  // The side is the page: the run looks for no Chromium here.
  const ended = benchCommand(args, () => Promise.resolve(side))
    .then(
      (code) => ({ done: true, code, dir }),
      (error: unknown) => {
        const line = errorMessage(error);
        process.stderr.write(`launchbench serve: ${line}\n`);
        return { done: true, code: 1, error: line, dir };
      },
    )
    .then((outcome) => {
      // The page's posts from now on are answered `stop`: nothing reads them.
      side.stopRequested = true;
      served.set(token, outcome);
      running.delete(token);
      return outcome.code;
    });
  running.set(token, { side, ended });
  return token;
}

/** serve's own routes: a new run, its result, its files. */
function serveRoutes(server: () => PageServer, out: string, runs: Runs) {
  const { served } = runs;
  return async (req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> => {
    if (req.method === 'POST' && path === '/api/runs') {
      try {
        const token = startRun(server(), runs, JSON.parse(await body(req)) as object, out);
        answer(res, 200, JSON.stringify({ token }), 'application/json');
      } catch (error) {
        answer(res, 400, JSON.stringify({ error: errorMessage(error) }), 'application/json');
      }
      return true;
    }
    const match = /^\/api\/runs\/([\w-]+)\/(result|files\/(.+))$/.exec(path);
    const run = match === null ? undefined : served.get(match[1] ?? '');
    if (run === undefined || match === null) return false;
    if (match[2] === 'result') {
      const files = run.dir === undefined ? [] : runFiles(run.dir);
      answer(res, 200, JSON.stringify({ ...run, files }), 'application/json');
      return true;
    }
    const name = decodeURIComponent(match[3] ?? '');
    if (run.dir === undefined || !runFiles(run.dir).includes(name)) return false;
    answer(res, 200, await readFile(join(run.dir, name)), 'application/octet-stream', {
      'Content-Disposition': `attachment; filename="${name.replaceAll('/', '_')}"`,
    });
    return true;
  };
}

/**
 * On SIGINT or SIGTERM, the runs in flight are stopped after their current sample and written
 * (each bench handles the signal too); the server stays up meanwhile, for their pages' last
 * posts, at most STOP_WAIT_MS (a second signal: at once). Their exit code where one was
 * interrupted (130, 143), else 0.
 */
async function stopRuns(runs: Runs, signal: NodeJS.Signals): Promise<number> {
  const inFlight = [...runs.running.values()];
  if (inFlight.length === 0) return 0;
  process.stderr.write(
    `launchbench serve: ${signal}: waiting for ${inFlight.length} run(s) to stop and write what they measured\n`,
  );
  for (const run of inFlight) run.side.stopRequested = true;
  let timer: NodeJS.Timeout | undefined;
  let again: (() => void) | undefined;
  const given = new Promise<number[]>((resolve) => {
    timer = setTimeout(() => resolve([]), STOP_WAIT_MS);
    again = () => resolve([]);
    process.once('SIGINT', again);
    process.once('SIGTERM', again);
  });
  const codes = await Promise.race([Promise.all(inFlight.map((r) => r.ended)), given]);
  clearTimeout(timer);
  if (again !== undefined) {
    process.off('SIGINT', again);
    process.off('SIGTERM', again);
  }
  if (codes.length < inFlight.length)
    process.stderr.write(`launchbench serve: ${runs.running.size} run(s) did not stop in time\n`);
  const signalled = signal === 'SIGTERM' ? 143 : 130;
  return codes.length < inFlight.length || codes.some((c) => c === 130 || c === 143)
    ? signalled
    : 0;
}

/** Serves the page until SIGINT or SIGTERM; returns the exit code. */
export async function serveCommand(args: ServeArgs): Promise<number> {
  const port =
    args.port === undefined ? 8080 : parseInteger('port', args.port, { min: 0, max: 65535 });
  const host = args.host ?? '127.0.0.1';
  let server: PageServer | undefined;
  const runs: Runs = { served: new Map(), running: new Map() };
  try {
    server = await startPageServer(
      port,
      host,
      serveRoutes(() => server as PageServer, args.out ?? 'results', runs),
    );
  } catch (error) {
    throw new UsageError(`--port ${port}: ${errorMessage(error)}`);
  }
  process.stdout.write(
    `launchbench serve: open ${server.url} in a browser with WebGPU (localhost is a secure context; the page is cross-origin isolated); Ctrl-C stops\n`,
  );
  // Stopping is what a server is for: exit 0, unless it cut a run short.
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  const code = await stopRuns(runs, signal);
  await server.close();
  return code;
}
