/**
 * One run made of several processes (issue 19; src/commands/processes.ts runs them): each
 * process opens its own device and takes some of the run's rounds, one process after another, so
 * that what a fresh process meets (its device, its allocations, the host's state while it runs)
 * varies inside the run as it would between two runs. Merging puts every process's rounds on the
 * run's round axis (process p's round r is the run's round offset(p) + r) and summarises each
 * case over all of them with the code a run of one process uses (summariseCase): the figure is
 * the rounds' centre, and the repeat interval comes from the processes where they vary more than
 * the rounds (src/stats/state.ts processMeanSquare). Pure; never prints, never times.
 */
import { pairWithBaselines } from '../stats/paired.ts';
import { atRunState, summariseCase } from './run-case.ts';
import { visitStateVariance } from '../stats/state.ts';
import type { CaseEvidence, CaseResult, Sample } from '../stats/result.ts';

/** What one process left: its cases (each with its evidence) in plan order, and its samples. */
export interface ProcessPart {
  results: readonly CaseResult[];
  samples: readonly Sample[];
  /** The rounds it was given (its own rounds 0 … rounds − 1). */
  rounds: number;
  /** Whether a signal stopped it. */
  interrupted: boolean;
}

export interface MergedRun {
  /** Every case of any process, in the order the processes first met them. */
  results: CaseResult[];
  /** Every sample, its round on the run's axis. */
  samples: Sample[];
  /** Each process's first round on the run's axis. */
  offsets: number[];
}

/** The group a case belongs to: its id less the strategy (src/measure/run-case.ts caseId). */
const groupOf = (caseId: string): string => caseId.slice(0, caseId.lastIndexOf('/'));

/**
 * A case's status over the processes: failed where any process failed it (a mismatch in one
 * process is a finding, whatever the others saw), else ok where any measured it, else the first
 * process's (not applicable).
 */
function mergedStatus(entries: readonly { p: number; result: CaseResult }[]): {
  status: CaseResult['status'];
  reason: string;
} {
  const failed = entries.find((e) => e.result.status === 'failed');
  if (failed !== undefined)
    return { status: 'failed', reason: `process ${failed.p + 1}: ${failed.result.reason}` };
  const first = entries.find((e) => e.result.status === 'ok') ?? entries[0];
  return { status: first?.result.status ?? 'failed', reason: first?.result.reason ?? '' };
}

/** One process's part of one case: its result and its samples on the run's round axis. */
interface Entry {
  p: number;
  result: CaseResult;
  samples: Sample[];
}

/** Each case's entries, in the order the processes first met the cases. */
function entriesByCase(parts: readonly ProcessPart[], offsets: readonly number[]) {
  const entries = new Map<string, Entry[]>();
  parts.forEach((part, p) => {
    const byCase = new Map<string, Sample[]>();
    for (const s of part.samples) {
      const list = byCase.get(s.caseId) ?? [];
      list.push({ ...s, round: s.round + (offsets[p] ?? 0) });
      byCase.set(s.caseId, list);
    }
    for (const result of part.results) {
      const list = entries.get(result.caseId) ?? [];
      list.push({ p, result, samples: byCase.get(result.caseId) ?? [] });
      entries.set(result.caseId, list);
    }
  });
  return entries;
}

/**
 * A case's evidence over the processes, on the run's round axis: each process's timestamp cost and
 * visit state by round (a process's first round ran on its start-up measurement of the cost), and
 * the process of each round.
 */
function mergedEvidence(
  list: readonly Entry[],
  parts: readonly ProcessPart[],
  offsets: readonly number[],
  sampling: { minSamples: number; maxNoise: number },
): CaseEvidence | undefined {
  const withEvidence = list.filter((e) => e.result.evidence !== undefined);
  const first = withEvidence[0]?.result.evidence;
  if (first === undefined) return undefined;
  const costs: (number | undefined)[] = [];
  const states: (number | undefined)[] = [];
  const processOfRound: number[] = [];
  for (const { p, result } of withEvidence) {
    const ev = result.evidence as CaseEvidence;
    const offset = offsets[p] ?? 0;
    for (let r = 0; r < (parts[p]?.rounds ?? 0); r++) {
      costs[offset + r] = ev.costNsByRound[r] ?? ev.costNsPerTimedPass;
      states[offset + r] = ev.statesNsByRound[r] ?? undefined;
      processOfRound[offset + r] = p;
    }
  }
  return {
    timedPasses: first.timedPasses,
    costNsPerTimedPass: first.costNsPerTimedPass,
    costNsByRound: costs,
    statesNsByRound: states,
    processOfRound,
    minSamples: sampling.minSamples,
    maxNoise: sampling.maxNoise,
  };
}

/**
 * A case's result over the processes, before its figures are made: its status (mergedStatus),
 * verified where every process that ran it verified it (a mismatch in one is not hidden), its
 * verified elements, dropped samples and time summed.
 */
function mergedResult(list: readonly Entry[]): CaseResult | undefined {
  const first = list.find((e) => e.result.status === 'ok') ?? list[0];
  if (first === undefined) return undefined;
  const result: CaseResult = structuredClone(first.result);
  Object.assign(result, mergedStatus(list));
  const ok = list.filter((e) => e.result.status === 'ok');
  const ran = list.filter((e) => e.result.status !== 'not-applicable');
  result.verified = ran.length > 0 && ran.every((e) => e.result.verified);
  result.verifiedElements = ok.reduce((sum, e) => sum + e.result.verifiedElements, 0);
  result.droppedGpuSamples = list.reduce((sum, e) => sum + e.result.droppedGpuSamples, 0);
  result.elapsedMs = list.reduce((sum, e) => sum + e.result.elapsedMs, 0);
  delete result.pairedWallRatios;
  return result;
}

/**
 * Merges `parts` (in the order they ran) into one run's cases and samples; `sampling`: the run's
 * sample floor and noise target (each process had its share of the floor); `finished`: every
 * process ran to its end (no signal, no failure), as a run must for atRunState.
 */
export function mergeProcesses(
  parts: readonly ProcessPart[],
  sampling: { minSamples: number; maxNoise: number },
  finished: boolean,
): MergedRun {
  const offsets: number[] = [];
  let next = 0;
  for (const part of parts) {
    offsets.push(next);
    next += part.rounds;
  }
  const entries = entriesByCase(parts, offsets);
  // Every visit's state once: a group's cases share their visit's.
  const visitStates = new Map<string, number>();
  const merged: { result: CaseResult; samples: Sample[]; evidence: CaseEvidence | undefined }[] =
    [];
  for (const [caseId, list] of entries) {
    const result = mergedResult(list);
    if (result === undefined) continue;
    const evidence = mergedEvidence(list, parts, offsets, sampling);
    result.evidence = evidence;
    evidence?.statesNsByRound.forEach((state, round) => {
      if (state !== null && state !== undefined)
        visitStates.set(`${groupOf(caseId)}#${round}`, state);
    });
    merged.push({ result, samples: list.flatMap((e) => e.samples), evidence });
  }
  const variance = visitStateVariance([...visitStates.values()]);
  for (const { result, samples, evidence } of merged) {
    if (evidence === undefined) continue;
    // Only the visit a signal cut short says 'interrupted' (as in a run of one process).
    const cut = entries.get(result.caseId)?.at(-1)?.result.reason === 'interrupted';
    summariseCase(result, samples, evidence, cut, variance);
  }
  // As a run of one process does when it finishes (atRunState); a signal may also come between
  // two processes, where no case says 'interrupted'.
  if (finished && !parts.some((p) => p.interrupted))
    atRunState(
      merged.flatMap((m) => (m.evidence === undefined ? [] : [m.result])),
      [...visitStates.values()],
    );
  const groups = new Map<string, { result: CaseResult; samples: Sample[] }[]>();
  for (const m of merged) {
    const key = groupOf(m.result.caseId);
    groups.set(key, [...(groups.get(key) ?? []), m]);
  }
  for (const group of groups.values()) pairWithBaselines(group);
  return {
    results: merged.map((m) => m.result),
    samples: merged.flatMap((m) => m.samples),
    offsets,
  };
}
