/**
 * The measuring page and its server: the page bundled from src/ with esbuild (src/browser/page.ts,
 * Node's modules replaced by src/browser/shims/, the WGSL of shaders/ as text), served
 * cross-origin isolated (COOP `same-origin`, COEP `require-corp`: otherwise performance.now()
 * ticks in 100 µs steps), and `RemoteSide`, the GpuSide (src/commands/bench-gpu.ts) whose
 * measuring a page does: the page fetches its run's request and posts its messages, in order,
 * to the server, and `bench` reads them as it reads this process's GPU. Used by `bench
 * --runtime chromium|firefox` (src/commands/browser-side.ts) and `serve` (src/commands/serve.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { DeviceLostError, NoAdapterError, UsageError, errorMessage } from '../errors.ts';
import type { ClockHoldStats } from '../gpu/clock-hold.ts';
import type { RunOutcome } from '../run.ts';
import type { BandwidthRow } from '../measure/bandwidth.ts';
import type { SelfCheckRow } from '../measure/self-check.ts';
import type { GpuSide, SetupStatus, SideCallbacks, SideSetup } from './bench-gpu.ts';
import type { AnatomyMeasured } from './anatomy-gpu.ts';
import {
  decode,
  encode,
  POST_LIMIT_BYTES,
  type PageFacts,
  type PageMessage,
  type PageRequest,
  type WireError,
} from '../browser/wire.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SHIM_DIR = join(ROOT, 'src/browser/shims');

/** Node's modules as a page has them (src/browser/shims/). */
const SHIMS: Record<string, string> = {
  'node:fs': 'fs.ts',
  'node:os': 'os.ts',
  'node:url': 'url.ts',
  'node:path': 'path.ts',
  'node:perf_hooks': 'perf-hooks.ts',
  'node:vm': 'vm.ts',
  'node:v8': 'v8.ts',
  'node:module': 'module.ts',
  webgpu: 'webgpu.ts',
};

/** Every file of shaders/, by its path there (`decode/step.wgsl`). */
function shaderFiles(dir = join(ROOT, 'shaders')): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) Object.assign(files, shaderFiles(path));
    else if (entry.name.endsWith('.wgsl'))
      files[relative(join(ROOT, 'shaders'), path)] = readFileSync(path, 'utf8');
  }
  return files;
}

/** The bundler's resolution of Node's modules to the shims; any other is an error. */
const shimPlugin: Plugin = {
  name: 'launchbench-browser-shims',
  setup(b) {
    b.onResolve({ filter: /^(node:|webgpu$)/ }, (args) => {
      const shim = SHIMS[args.path];
      return shim === undefined
        ? { errors: [{ text: `${args.path} has no browser shim (src/browser/shims/)` }] }
        : { path: join(SHIM_DIR, shim) };
    });
    b.onResolve({ filter: /^launchbench:shaders$/ }, () => ({
      path: 'shaders',
      namespace: 'launchbench',
    }));
    b.onLoad({ filter: /.*/, namespace: 'launchbench' }, () => ({
      contents: `export default ${JSON.stringify(shaderFiles())};`,
      loader: 'js',
    }));
  },
};

let bundled: Promise<string> | undefined;

/**
 * The page's script: src/browser/page.ts and what it imports, for a browser (once a process; a
 * build that failed is tried again on the next ask).
 */
export function pageBundle(): Promise<string> {
  bundled ??= build({
    entryPoints: [join(ROOT, 'src/browser/page.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    // Error classes cross to the command line by name (src/browser/wire.ts).
    keepNames: true,
    inject: [join(SHIM_DIR, 'globals.ts')],
    plugins: [shimPlugin],
    logLevel: 'silent',
  }).then(
    (result) => result.outputFiles[0]?.text ?? '',
    (error: unknown) => {
      bundled = undefined;
      throw error;
    },
  );
  return bundled;
}

/** The page: a script and the elements src/browser/page.ts fills. */
const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>launchbench</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 2em; max-width: 70em; }
pre { font: 12px ui-monospace, monospace; background: #f6f6f6; padding: 1em; overflow-x: auto; }
#facts td { padding: 0 1em 0 0; }
.warn { color: #a40; }
.error { color: #b00; font-weight: bold; }
</style>
</head>
<body>
<h1>launchbench</h1>
<p>What launching WebGPU compute work costs in this browser, strategy by strategy.</p>
<table id="facts"></table>
<form id="form">
<label>profile <select id="profile"></select></label>
<label>workloads <select id="workloads"><option value="">the profile's</option></select></label>
<button id="run" type="submit">run</button>
<button id="stop" type="button" disabled>stop</button>
</form>
<p id="status"></p>
<div id="notes"></div>
<pre id="table" hidden></pre>
<div id="files"></div>
<script type="module" src="/page.js"></script>
</body>
</html>
`;

/** The headers every answer carries: the page is cross-origin isolated, and fresh. */
export const PAGE_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

/** Answers `status` with `body`, the page's headers and `type`. */
export function answer(
  res: ServerResponse,
  status: number,
  body: string | Buffer,
  type = 'text/plain; charset=utf-8',
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { ...PAGE_HEADERS, 'Content-Type': type, ...headers });
  res.end(body);
}

/** A request too large to read (413). */
class TooLarge extends Error {}

/**
 * A request's body as text (at most POST_LIMIT_BYTES: a page posts its batches under it); one
 * over it is read to its end (so that the answer reaches the client) and refused.
 */
export async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= POST_LIMIT_BYTES) chunks.push(chunk);
  }
  if (size > POST_LIMIT_BYTES)
    throw new TooLarge(`request of ${size} bytes, over the limit of ${POST_LIMIT_BYTES}`);
  return Buffer.concat(chunks).toString('utf8');
}

/** A run a page measures: what it is asked, and the side that takes its messages. */
export interface PageRun {
  request: PageRequest;
  side: RemoteSide;
}

export interface PageServer {
  /** `http://host:port/`. */
  url: string;
  /** The runs the server knows, by token. */
  runs: Map<string, PageRun>;
  close(): Promise<void>;
}

/**
 * The page's routes: the page, its script, a run's request (GET /api/runs/TOKEN) and its
 * messages (POST /api/runs/TOKEN/messages, answered with whether to stop). `more` answers
 * other routes (serve's) and says whether it did.
 */
async function route(
  req: IncomingMessage,
  res: ServerResponse,
  runs: Map<string, PageRun>,
  more: (req: IncomingMessage, res: ServerResponse, path: string) => Promise<boolean>,
): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://page').pathname;
  // HEAD as GET (Node leaves the body out).
  const get = req.method === 'GET' || req.method === 'HEAD';
  if (get && (path === '/' || path === '/index.html'))
    return answer(res, 200, PAGE_HTML, 'text/html; charset=utf-8');
  if (get && path === '/page.js')
    return answer(res, 200, await pageBundle(), 'text/javascript; charset=utf-8');
  if (path === '/favicon.ico') return answer(res, 204, '');
  const match = /^\/api\/runs\/([\w-]+)(\/messages)?$/.exec(path);
  const run = match === null ? undefined : runs.get(match[1] ?? '');
  if (run !== undefined && get && match?.[2] === undefined)
    return answer(res, 200, encode(run.request), 'application/json');
  if (run !== undefined && req.method === 'POST' && match?.[2] !== undefined) {
    run.side.receive(decode<PageMessage[]>(await body(req)));
    return answer(res, 200, JSON.stringify({ stop: run.side.stopRequested }), 'application/json');
  }
  if (await more(req, res, path)) return;
  answer(res, 404, 'not found');
}

/** Starts the page's server on `host:port` (0: any free port). */
export async function startPageServer(
  port: number,
  host: string,
  more: (req: IncomingMessage, res: ServerResponse, path: string) => Promise<boolean> = () =>
    Promise.resolve(false),
): Promise<PageServer> {
  const runs = new Map<string, PageRun>();
  const server = createServer((req, res) => {
    // Errors as JSON (`{"error": …}`): what the page reads of every answer.
    route(req, res, runs, more).catch((error: unknown) => {
      if (!res.headersSent)
        answer(
          res,
          error instanceof TooLarge ? 413 : 500,
          JSON.stringify({ error: errorMessage(error) }),
          'application/json',
        );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const address = server.address() as AddressInfo;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${address.port}/`,
    runs,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The command line's error for one that crossed from the page (exit codes by class). */
function fromPage(error: WireError): Error {
  if (error.name === 'UsageError') return new UsageError(error.message);
  if (error.name === 'NoAdapterError')
    return new NoAdapterError(`the browser offers no WebGPU adapter (${error.message})`);
  if (error.name === 'DeviceLostError' || error.name === 'QueueWedgedError')
    return new DeviceLostError(error.message);
  return new Error(`in the page: ${error.message}`);
}

/**
 * How long a page may send nothing before its run is given up: longer than any visit of a group
 * (between two messages a page measures one visit), which the stall watchdog bounds per execution.
 */
const SILENCE_MS = 10 * 60_000;

/** How long `close` waits for the page to close its device once asked to stop. */
const CLOSE_WAIT_MS = 10_000;

/**
 * The measuring side of a page: its messages (`receive`, in order) answer GpuSide's calls; an
 * error the page sends is thrown as the command line's own class (exit codes hold), and one
 * about the page (`fail`: an uncaught error, a console error, a crash) ends whatever is awaited.
 */
export class RemoteSide implements GpuSide {
  private readonly inbox: PageMessage[] = [];
  private wake: (() => void) | undefined;
  private failure: Error | undefined;
  private closed = false;
  private hold: ClockHoldStats | { off: string } = { off: 'not set up' };
  private facts: PageFacts | undefined;
  /** Set once the command line stopped the run (a signal): the page's next post learns it. */
  stopRequested = false;

  constructor(
    private readonly status: SetupStatus,
    private readonly driver: {
      /** What context.json records of the browser besides what the page says. */
      browser: object;
      /** Tells the page at once (the next post would also). */
      stop?(): void;
      /** Lets the page go (the browser closed). */
      close(): Promise<void>;
    },
  ) {}

  /** The page's messages, in the order it sent them. */
  receive(messages: readonly PageMessage[]): void {
    for (const message of messages) {
      if (message.type === 'closed') this.closed = true;
      this.inbox.push(message);
    }
    this.wake?.();
  }

  /** Something went wrong with the page itself: what is awaited ends with `error`. */
  fail(error: Error): void {
    this.failure ??= error;
    this.wake?.();
  }

  /** The page's next message of substance (status lines are shown here on the way). */
  private async next(): Promise<PageMessage> {
    for (;;) {
      const message = this.inbox.shift();
      if (message?.type === 'status') this.status.say(message.text);
      else if (message?.type === 'clear') this.status.clear();
      else if (message?.type === 'warn') this.status.warn(message.line);
      else if (message?.type === 'error') {
        if (message.clockHold !== undefined) this.hold = message.clockHold;
        throw fromPage(message.error);
      } else if (message?.type === 'closed') throw new Error('the page ended its run early');
      else if (message !== undefined) return message;
      else if (this.failure !== undefined) throw this.failure;
      else await this.arrival();
    }
  }

  /**
   * Until a message arrives or the page fails; a page silent for SILENCE_MS (a closed tab, a
   * hung browser) has failed.
   */
  private async arrival(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.wake = resolve;
      timer = setTimeout(() => {
        this.fail(new Error(`the page sent nothing for ${SILENCE_MS / 60_000} minutes`));
      }, SILENCE_MS);
    });
    clearTimeout(timer);
  }

  /** The next message, which must be of `type`. */
  private async expect<T extends PageMessage['type']>(
    type: T,
  ): Promise<Extract<PageMessage, { type: T }>> {
    const message = await this.next();
    if (message.type !== type) throw new Error(`the page sent ${message.type}, not ${type}`);
    return message as Extract<PageMessage, { type: T }>;
  }

  async setUp(): Promise<SideSetup> {
    const { setup, facts } = await this.expect('setup');
    this.facts = facts;
    this.hold = setup.clockHold;
    return setup;
  }

  async measure(callbacks: SideCallbacks, shouldStop: () => boolean): Promise<RunOutcome> {
    const poll = setInterval(() => {
      if (!shouldStop() || this.stopRequested) return;
      this.stopRequested = true;
      this.driver.stop?.();
    }, 100);
    try {
      for (;;) {
        const message = await this.next();
        if (message.type === 'visit') callbacks.onVisit?.(message.progress);
        else if (message.type === 'cases') callbacks.onCases(message.results, message.samples);
        else if (message.type === 'drift') callbacks.onDrift?.(message.row);
        else if (message.type === 'replaced') callbacks.onDeviceReplaced?.(message.replacement);
        else if (message.type === 'measured') {
          this.hold = message.clockHold;
          return message.outcome;
        } else throw new Error(`the page sent ${message.type} while measuring`);
      }
    } finally {
      clearInterval(poll);
    }
  }

  clockHold(): ClockHoldStats | { off: string } {
    return this.hold;
  }

  async selfCheck(): Promise<SelfCheckRow[]> {
    return (await this.expect('selfCheck')).rows;
  }

  /** `launchbench anatomy` in the page: what it measured (src/commands/anatomy-gpu.ts). */
  async anatomy(): Promise<AnatomyMeasured> {
    const { measured, facts } = await this.expect('anatomy');
    this.facts = facts;
    return measured;
  }

  async bandwidth(): Promise<BandwidthRow[]> {
    const message = await this.next();
    if (message.type === 'bandwidthFailed') throw new Error(message.error.message);
    if (message.type !== 'bandwidth') throw new Error(`the page sent ${message.type}`);
    return message.rows;
  }

  private closing: Promise<void> | undefined;

  /**
   * Waits (bounded) for a page that set up to close its device, then lets the browser go; what
   * is still awaited of the page then ends. Once, however often called.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.stopRequested = true;
      this.driver.stop?.();
      const deadline = Date.now() + CLOSE_WAIT_MS;
      while (
        this.facts !== undefined &&
        !this.closed &&
        this.failure === undefined &&
        Date.now() < deadline
      )
        await new Promise((resolve) => setTimeout(resolve, 50));
      await this.driver.close();
      this.fail(new Error('the run was closed'));
    })();
    return this.closing;
  }

  record(): { browser: object } {
    // The page's runtime is context.json's own `runtime`.
    const facts: Partial<PageFacts> = { ...this.facts };
    delete facts.runtime;
    return { browser: { ...this.driver.browser, ...facts } };
  }
}
