/**
 * Progress of a bench run for its user: how long the rest will take, from the visits measured so
 * far (not from counts of cases, which cost very different amounts), and when to say so. Times
 * come from the caller, so the estimate is a pure function of what it was told.
 */
import type { RunProgress } from '../run.ts';
import type { CaseResult } from '../stats/result.ts';
import { fmtUs } from '../report/md-format.ts';
import { median } from '../stats/stats.ts';

export class ProgressClock {
  /** Each group's first and latest visit, ms, and how many it has had. */
  private readonly visits = new Map<string, { firstMs: number; latestMs: number; count: number }>();
  private current: { group: string; atMs: number } | undefined;

  /**
   * `groups`: groups per round; `planMs`: what the whole run's sampling should take, estimated
   * before it began (the calibration's, as `--dry-run` prints it), used until a group has been
   * visited twice.
   */
  constructor(
    private readonly groups: number,
    private readonly planMs?: number,
  ) {}

  /** A visit of `group` begins at `atMs`; the one before it, if any, ended then. */
  begin(group: string, atMs: number): void {
    this.end(atMs);
    this.current = { group, atMs };
  }

  /** The current visit ended at `atMs`. */
  end(atMs: number): void {
    if (this.current === undefined) return;
    const ms = atMs - this.current.atMs;
    const seen = this.visits.get(this.current.group);
    this.visits.set(
      this.current.group,
      seen === undefined
        ? { firstMs: ms, latestMs: ms, count: 1 }
        : { ...seen, latestMs: ms, count: seen.count + 1 },
    );
    this.current = undefined;
  }

  /**
   * Time left after `visitsDone` visits of `visits`, ms. A group's first visit verifies and
   * warms up, and costs several later ones (on lavapipe the first estimate from first visits alone
   * was 5x the truth), so: until some group has been visited twice, the plan's estimate, shared
   * out over the visits left, and for each group not visited yet what the first visits so far
   * took beyond their share of it; then each group's later visits cost what its latest one did, a
   * group seen once its first visit scaled by the median latest/first of the groups seen twice,
   * a group not visited yet the mean of those. Undefined before the first visit has ended when
   * there is no plan estimate.
   */
  leftMs(visitsDone: number, visits: number): number | undefined {
    const seen = [...this.visits.values()];
    const again = seen
      .filter((v) => v.count >= 2 && v.firstMs > 0)
      .map((v) => v.latestMs / v.firstMs);
    const left = visits - visitsDone;
    if (again.length === 0 && this.planMs !== undefined) {
      // The first visits still to come cost what the ones so far cost beyond their sampling.
      const perVisit = this.planMs / visits;
      const surplus =
        seen.length === 0
          ? 0
          : seen.reduce((sum, v) => sum + Math.max(0, v.firstMs - perVisit), 0) / seen.length;
      const firstVisitsLeft = Math.max(0, this.groups - seen.length);
      return perVisit * left + surplus * firstVisitsLeft;
    }
    if (seen.length === 0) return undefined;
    const ratio = again.length === 0 ? 1 : median(again);
    const later = seen.map((v) => (v.count >= 2 ? v.latestMs : v.firstMs * ratio));
    const mean = later.reduce((sum, v) => sum + v, 0) / later.length;
    const perRound = later.reduce((sum, v) => sum + v, 0) + mean * (this.groups - later.length);
    const fullRounds = Math.floor(left / this.groups);
    return fullRounds * perRound + (left - fullRounds * this.groups) * mean;
  }
}

const left = (leftMs: number | undefined): string =>
  leftMs === undefined ? '' : `, ~${Math.ceil(leftMs / 1000)} s left`;

/** Before a visit: `round 2/5, visit 35/140, ~95 s left`. */
export function visitLine(p: RunProgress, leftMs: number | undefined): string {
  return `round ${p.round + 1}/${p.rounds}, visit ${p.visitsDone + 1}/${p.visits}${left(leftMs)}`;
}

/** After a visit: `round 2/5, 35/140 visits done, ~95 s left, 60 s so far: GROUP: FIGURE`. */
export function doneLine(
  p: RunProgress,
  leftMs: number | undefined,
  elapsedMs: number,
  figure: string,
): string {
  return `round ${p.round + 1}/${p.rounds}, ${p.visitsDone + 1}/${p.visits} visits done${left(leftMs)}, ${Math.round(elapsedMs / 1000)} s so far: ${p.group}: ${figure}`;
}

/**
 * A visited group's key figure for a progress line: `dispatch-each` wall per kernel (the
 * one-by-one baseline), else the first measured case's; with the number of cases failed so far.
 */
export function keyFigure(results: readonly CaseResult[]): string {
  const measured = results.filter((r) => r.status === 'ok' && r.wallNs !== null);
  const pick = measured.find((r) => r.strategy === 'dispatch-each') ?? measured[0];
  const failed = results.filter((r) => r.status === 'failed').length;
  const figure =
    pick?.wallNs == null
      ? 'nothing measured'
      : pick.params.preset !== undefined
        ? // A workload with named shapes (decode): per execution, a step.
          `${pick.strategy} ${fmtUs(pick.wallNs.median / 1e3)} µs/step`
        : `${pick.strategy} ${fmtUs(pick.wallNs.median / 1e3 / pick.params.kernels)} µs/kernel`;
  return failed === 0 ? figure : `${figure}, ${failed} failed`;
}

/**
 * Set by src/cli.ts in the child whose stderr it filters: whether the user's stderr is a
 * terminal (the child's own is a pipe).
 */
export const STDERR_TTY = 'LAUNCHBENCH_STDERR_TTY';

/** Whether progress may redraw a line in place: the user's stderr is a terminal. */
export function stderrIsTerminal(): boolean {
  const told = process.env[STDERR_TTY];
  return told === undefined ? process.stderr.isTTY : told === '1';
}

/** Without a terminal, a progress line at least this often (and after every round). */
const PROGRESS_EVERY_MS = 10_000;

/**
 * What a bench run tells its user while it measures, on stderr: on a terminal, one line rewritten
 * in place before every visit; otherwise (a CI log, a file) a line after each round's last visit
 * and after any visit that ends 10 s or more after the last line. In a process of a run of
 * several, each line names the process, and the time left includes the processes after it (as
 * long as the earlier ones took, or as this one will before any has ended).
 */
export class ProgressLines {
  private readonly tty = stderrIsTerminal();
  private readonly started = Date.now();
  private lastLineMs = this.started;
  private visiting: RunProgress | undefined;
  private readonly clock: ProgressClock;

  constructor(
    groups: number,
    planMs: number | undefined,
    private readonly part:
      { index: number; count: number; laterMs?: number; after?: number } | undefined,
    private readonly write: (text: string) => void = (text) => process.stderr.write(text),
  ) {
    this.clock = new ProgressClock(groups, planMs);
  }

  private get prefix(): string {
    return this.part === undefined ? '' : `process ${this.part.index}/${this.part.count}, `;
  }

  private withLater(leftMs: number | undefined, now: number): number | undefined {
    const part = this.part;
    if (part === undefined || leftMs === undefined) return leftMs;
    const after = part.after ?? part.count - part.index;
    return leftMs + (part.laterMs ?? (now - this.started + leftMs) * after);
  }

  /** A visit begins. */
  visit(p: RunProgress): void {
    const now = Date.now();
    this.clock.begin(p.group, now);
    this.visiting = p;
    const left = this.withLater(this.clock.leftMs(p.visitsDone, p.visits), now);
    if (this.tty) this.write(`\r\x1b[K[${this.prefix}${visitLine(p, left)}] ${p.group}`);
  }

  /** The visit ended, with these cases. */
  visited(results: readonly CaseResult[]): void {
    const now = Date.now();
    this.clock.end(now);
    const p = this.visiting;
    if (this.tty || p === undefined) return;
    const roundDone = (p.visitsDone + 1) % (p.visits / p.rounds) === 0;
    if (!roundDone && now - this.lastLineMs < PROGRESS_EVERY_MS) return;
    this.lastLineMs = now;
    const left = this.withLater(this.clock.leftMs(p.visitsDone + 1, p.visits), now);
    this.write(
      `launchbench: ${this.prefix}${doneLine(p, left, now - this.started, keyFigure(results))}\n`,
    );
  }

  /** A line of its own (a device replaced), the rewritten line cleared first. */
  note(text: string): void {
    this.write(`${this.tty ? '\r\x1b[K' : ''}launchbench: ${text}\n`);
  }

  /** The run ended: the rewritten line goes. */
  end(): void {
    if (this.tty) this.write('\r\x1b[K');
  }
}

/**
 * On a terminal, what a bench is doing before its run starts (opening the adapter, warming up,
 * calibrating), one line rewritten in place; nothing otherwise.
 */
export class StatusLine {
  private shown = false;
  private readonly tty = stderrIsTerminal();

  say(text: string): void {
    if (!this.tty) return;
    process.stderr.write(`\r\x1b[Klaunchbench: ${text}…`);
    this.shown = true;
  }

  clear(): void {
    if (this.shown) process.stderr.write('\r\x1b[K');
    this.shown = false;
  }

  /** A line for the user, on its own (the status line cleared first). */
  warn(line: string): void {
    this.clear();
    process.stderr.write(`launchbench: ${line}\n`);
  }
}
