/**
 * The measuring page (bundled by src/commands/page-server.ts). Opened with `?run=TOKEN` (`bench
 * --runtime chromium`) it runs that run at once; otherwise (`serve`, in one's own browser) it
 * offers the profiles, runs the one picked through the server, shows progress and the summary,
 * and links the run folder's files. Either way the server writes the run folder: the page only
 * measures (src/browser/run-in-page.ts) and posts what it measures, in order.
 */
import {
  currentRuntime,
  setPageRuntime,
  type BrowserName,
  type RuntimeInfo,
} from '../gpu/runtime.ts';
import { PROFILES } from '../profiles.ts';
import { WORKLOADS } from '../workloads/index.ts';
import { summaryTable } from '../report/console.ts';
import type { CaseResult } from '../stats/result.ts';
import { errorMessage } from '../errors.ts';
import { closeWhenIdle, openGpu, type GpuContext } from '../gpu/context.ts';
import { timestampSelfTest } from '../gpu/timestamp-selftest.ts';
import { anatomyInPage, runInPage } from './run-in-page.ts';
import { poster } from './poster.ts';
import { decode, encode, type PageMessage, type PageRequest } from './wire.ts';

/**
 * The little of the DOM this page uses, typed here: the project's types are Node's (no DOM
 * library, whose buffer types would change the rest of src/ under the type checker).
 */
interface Elem {
  textContent: string | null;
  hidden: boolean;
  disabled: boolean;
  className: string;
  value: string;
  text: string;
  href: string;
  download: string;
  onclick: (() => void) | null;
  onsubmit: ((event: { preventDefault(): void }) => void) | null;
  append(...nodes: Elem[]): void;
  replaceChildren(...nodes: Elem[]): void;
  add(option: Elem): void;
  insertRow(): { insertCell(): Elem };
}

interface PageGlobals {
  document: { getElementById(id: string): Elem; createElement(tag: string): Elem };
  location: { search: string };
  navigator: {
    userAgent: string;
    gpu?: GPU;
    userAgentData?: {
      getHighEntropyValues(hints: string[]): Promise<{
        fullVersionList?: { brand: string; version: string }[];
      }>;
    };
  };
  crossOriginIsolated?: boolean;
  launchbenchStop?: () => void;
}

const page = globalThis as unknown as PageGlobals;

/** The browser this page runs in, from its user agent (the full version where it tells it). */
async function browserRuntime(): Promise<RuntimeInfo> {
  const ua = page.navigator.userAgent;
  const data = page.navigator.userAgentData;
  const found = (pattern: RegExp): string | undefined => pattern.exec(ua)?.[1];
  let name: BrowserName = 'browser';
  let version = '';
  let webgpu: RuntimeInfo['webgpu'] = 'unknown';
  if (found(/(?:Chrome|Chromium|HeadlessChrome)\/([\d.]+)/) !== undefined) {
    name = 'chromium';
    version = found(/(?:Chrome|Chromium|HeadlessChrome)\/([\d.]+)/) ?? '';
    webgpu = 'dawn';
    const list = (await data?.getHighEntropyValues(['fullVersionList']))?.fullVersionList ?? [];
    const full = list.find((b) => /Chrom/.test(b.brand));
    if (full !== undefined) version = full.version;
  } else if (found(/Firefox\/([\d.]+)/) !== undefined) {
    name = 'firefox';
    version = found(/Firefox\/([\d.]+)/) ?? '';
    webgpu = 'wgpu';
  } else if (found(/Version\/([\d.]+).*Safari/) !== undefined) {
    name = 'safari';
    version = found(/Version\/([\d.]+).*Safari/) ?? '';
    webgpu = 'webkit';
  }
  return { name, version, webgpu };
}

/**
 * The page's messages to the server (src/browser/poster.ts). Posting given up, the run stops
 * here and says why, once, where the command line sees it: a console error (`bench --runtime
 * chromium` fails on one) and a last small `error` message (all `serve` can hear).
 */
function posting(token: string) {
  const url = `/api/runs/${token}/messages`;
  return poster(url, {
    fetch: (to, init) => fetch(to, init),
    onStop: () => (stopAsked = true),
    onGiveUp(line) {
      stopAsked = true;
      console.error(line);
      show({ type: 'error', error: { name: 'Error', message: line } }, new Map(), 0);
      const last: PageMessage[] = [
        { type: 'error', error: { name: 'Error', message: line } },
        { type: 'closed' },
      ];
      void fetch(url, { method: 'POST', body: encode(last) }).catch(() => undefined);
    },
  });
}

const element = (id: string): Elem => page.document.getElementById(id);

/** A new element of `tag`. */
const make = (tag: string): Elem => page.document.createElement(tag);

/** Where the page is: the status line, notes, the summary so far. */
function show(message: PageMessage, cases: Map<string, CaseResult>, maxNoise: number): void {
  const status = element('status');
  if (message.type === 'status') status.textContent = `${message.text}…`;
  else if (message.type === 'visit') {
    const p = message.progress;
    status.textContent = `round ${p.round + 1}/${p.rounds}, visit ${p.visitsDone + 1}/${p.visits}: ${p.group}`;
  } else if (message.type === 'warn' || message.type === 'error') {
    const note = make('p');
    note.className = message.type === 'warn' ? 'warn' : 'error';
    note.textContent = message.type === 'warn' ? message.line : message.error.message;
    element('notes').append(note);
  } else if (message.type === 'cases' || message.type === 'measured') {
    const results = message.type === 'cases' ? message.results : message.outcome.results;
    for (const r of results) cases.set(r.caseId, r);
    const table = element('table');
    table.hidden = false;
    table.textContent = summaryTable([...cases.values()], maxNoise);
  } else if (message.type === 'closed') status.textContent = 'done';
}

/** Whether to stop, as the command line or the stop button asked. */
let stopAsked = false;
page.launchbenchStop = () => {
  stopAsked = true;
};

/** Runs the server's run `token` here, showing it as it goes. */
async function run(token: string): Promise<void> {
  stopAsked = false;
  const res = await fetch(`/api/runs/${token}`);
  if (!res.ok) throw new Error(`no run ${token} on this server (${res.status})`);
  const request = decode<PageRequest>(await res.text());
  const runtime = currentRuntime();
  // The driver's number where it is the same major version and says more (Firefox's user agent
  // has `153.0` for 153.8.0).
  const full = request.browserVersion;
  const major = (v: string): string => v.split('.')[0] ?? '';
  if (
    full !== undefined &&
    major(full) === major(runtime.version) &&
    full.length > runtime.version.length
  )
    setPageRuntime({ ...runtime, version: full });
  const cases = new Map<string, CaseResult>();
  const out = posting(token);
  if ('anatomy' in request) {
    await anatomyInPage(request, (message) => {
      out.send(message);
      show(message, cases, 0.05);
    });
    await out.flushed();
    return;
  }
  const maxNoise = PROFILES[request.args.profile]?.sampling.maxNoise ?? 0.05;
  await runInPage(
    request,
    (message) => {
      out.send(message);
      show(message, cases, maxNoise);
    },
    () => stopAsked,
  );
  await out.flushed();
}

/**
 * What a run's GPU columns will be, as the run decides it: by the timestamp self-test (a browser
 * may offer 'timestamp-query' with its timestamps quantized, and the run then turns the GPU
 * columns off), on a device opened for it and closed.
 */
async function timestampVerdict(feature: boolean): Promise<string> {
  const off = 'wall time only (no GPU columns)';
  if (!feature) return `missing: ${off}`;
  let ctx: GpuContext | undefined;
  try {
    ctx = await openGpu();
    const test = await timestampSelfTest(ctx);
    return test.ok
      ? `yes, self-test passed (${test.message}): GPU busy time is measured`
      : `present, but the self-test failed (${test.message}): ${off}`;
  } catch (error) {
    return `present, self-test not run (${errorMessage(error)})`;
  } finally {
    if (ctx !== undefined) await closeWhenIdle(ctx, 1000);
  }
}

/** The facts a user should see first: the browser, the adapter, its timestamps' verdict, isolation. */
async function facts(runtime: RuntimeInfo): Promise<void> {
  const adapter = await page.navigator.gpu?.requestAdapter();
  const rows: [string, string][] = [
    ['browser', `${runtime.name} ${runtime.version}`],
    [
      'adapter',
      adapter === null || adapter === undefined
        ? 'none: this browser offers no WebGPU adapter'
        : [
            adapter.info.vendor,
            adapter.info.architecture,
            adapter.info.device,
            adapter.info.description,
          ]
            .filter((s) => s !== '')
            .join(' '),
    ],
    ['timestamp-query', await timestampVerdict(adapter?.features.has('timestamp-query') === true)],
    [
      'cross-origin isolated',
      page.crossOriginIsolated === true
        ? 'yes: fine-grained clock'
        : 'NO: performance.now() is coarse; runs refuse',
    ],
  ];
  for (const [name, value] of rows) {
    const tr = element('facts').insertRow();
    tr.insertCell().textContent = name;
    tr.insertCell().textContent = value;
  }
}

/** An <option> of `value`. */
function option(value: string): Elem {
  const made = make('option');
  made.value = value;
  made.text = value;
  return made;
}

/** `serve`'s page: pick a profile, run it through the server, then link the run folder's files. */
function picker(): void {
  const profile = element('profile');
  for (const name of Object.keys(PROFILES)) profile.add(option(name));
  profile.value = 'quick';
  const workloads = element('workloads');
  for (const w of WORKLOADS) workloads.add(option(w.id));
  const runButton = element('run');
  const stopButton = element('stop');
  stopButton.onclick = () => (stopAsked = true);
  element('form').onsubmit = (event) => {
    event.preventDefault();
    runButton.disabled = true;
    stopButton.disabled = false;
    element('notes').replaceChildren();
    element('files').replaceChildren();
    void startRun(profile.value, workloads.value).finally(() => {
      runButton.disabled = false;
      stopButton.disabled = true;
    });
  };
}

/** Asks the server for a run, measures it, then lists what the server wrote. */
async function startRun(profile: string, workloads: string): Promise<void> {
  try {
    const res = await fetch('/api/runs', {
      method: 'POST',
      body: JSON.stringify({ profile, ...(workloads === '' ? {} : { workloads }) }),
    });
    if (!res.ok) throw new Error(await failure(res));
    const { token } = (await res.json()) as { token: string };
    await run(token);
    await listFiles(token);
  } catch (error) {
    show({ type: 'error', error: { name: 'Error', message: errorMessage(error) } }, new Map(), 0);
  }
}

/** What a failed answer of the server says: its `error` (JSON), or its text. */
async function failure(res: Response): Promise<string> {
  const text = await res.text();
  try {
    return (JSON.parse(text) as { error?: string }).error ?? text;
  } catch {
    return `${res.status}: ${text}`;
  }
}

/** The run folder's files as links, once the server has written them (report.md last). */
async function listFiles(token: string): Promise<void> {
  for (;;) {
    const res = await fetch(`/api/runs/${token}/result`);
    if (!res.ok) throw new Error(await failure(res));
    const result = (await res.json()) as {
      done: boolean;
      code?: number;
      error?: string;
      dir?: string;
      files?: string[];
    };
    if (!result.done) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      continue;
    }
    if (result.error !== undefined)
      show({ type: 'error', error: { name: 'Error', message: result.error } }, new Map(), 0);
    const files = element('files');
    const head = make('p');
    head.textContent = `run folder ${result.dir ?? '(none)'} (exit ${result.code ?? '?'}): the files launchbench report and compare read`;
    files.append(head);
    for (const name of result.files ?? []) {
      const link = make('a');
      link.href = `/api/runs/${token}/files/${name}`;
      link.download = name.replaceAll('/', '_');
      link.textContent = name;
      files.append(link, make('br'));
    }
    return;
  }
}

async function main(): Promise<void> {
  const runtime = await browserRuntime();
  setPageRuntime(runtime);
  const token = new URLSearchParams(page.location.search).get('run');
  if (token !== null) {
    element('form').hidden = true;
    await run(token);
    return;
  }
  await facts(runtime);
  picker();
}

void main();
