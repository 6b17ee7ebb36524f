/**
 * A workload is K kernels over N elements with a per-element arithmetic `intensity`. It owns its
 * WGSL, its buffers and an exact CPU reference (float workloads: f32 rounding at every operation,
 * checked within their stated `tolerance`). It offers its computation as one or more
 * *programs*: the same result reached through a different launch structure.
 *   - `steps`:      K dispatches, one per kernel (what the one-by-one strategies launch)
 *   - `fused`:      one dispatch applying all K kernels
 *   - `persistent`: one dispatch of P workgroups pulling work from an atomic ticket queue
 * A strategy picks a program and a host-side submission pattern.
 */
import type { CaseParams, ProgramKind } from '../stats/result.ts';

export type { CaseParams, ProgramKind } from '../stats/result.ts';

/** One `dispatchWorkgroups` call with everything it binds. */
export interface Dispatch {
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  dynamicOffsets: number[];
  workgroups: readonly [number, number, number];
}

/** A program ready to encode: its dispatches, in order. */
export interface Program {
  kind: ProgramKind;
  dispatches: Dispatch[];
  /**
   * Extra facts to record with the case (e.g. persistent workgroups used). By convention
   * `reliesOn` names an assumption WebGPU does not guarantee (`'co-residency'`: every workgroup
   * of the dispatch runs at once, which a grid-wide barrier needs); such a program reports when
   * the assumption failed through `PreparedCase.checkStatus`.
   */
  notes: Record<string, string | number>;
  /**
   * Optional: host work every execution does before it submits, inside the timed region
   * (`decode`: writes the token's parameters, as a decode loop does before each step). The
   * harness calls it at the start of every timed execution, whatever the strategy.
   */
  beforeExecution?: () => void;
}

/** GPU resources of one case: programs plus input upload and output read-back. */
export interface PreparedCase {
  /** Builds (once) and returns the program of this kind. */
  program(kind: ProgramKind): Promise<Program>;
  writeInput(input: Uint32Array): void;
  /**
   * Reads the result of the last execution, in the layout `reference()` returns (the same for
   * every program). `kind`: the program that ran; when omitted, the program last returned by
   * `program()`. It matters only where programs write different buffers (`independent`: one
   * buffer per task for `steps`, one concatenated buffer for `fused` and `persistent`).
   */
  readOutput(kind?: ProgramKind): Promise<Uint32Array>;
  /**
   * Optional: after an execution, reads the program's own status (e.g. a grid barrier that gave
   * up) and returns why the execution failed, or undefined when it did not. Reading clears it.
   * A failure is sticky until read: every execution after it is invalid too, so one call after a
   * batch of executions covers the whole batch.
   */
  checkStatus?(): Promise<string | undefined>;
  destroy(): void;
}

export interface DeviceLimits {
  [name: string]: number;
}

/**
 * How far a floating-point workload's GPU result may be from its CPU reference and still count as
 * correct. The output words are then read as f32 and compared with |got − expected| ≤
 * `relative` × |expected| (equal bit patterns always pass; NaN, infinities and a sign change never
 * do); without a tolerance the comparison is bit for bit.
 */
export interface Tolerance {
  /** Largest accepted |got − expected| / |expected|. */
  relative: number;
  /**
   * Optional: an error this large, in units of the expected values' root mean square, passes too
   * (for outputs that are sums whose terms cancel, where near-zero values carry no relative
   * precision: logits).
   */
  absolute?: number;
  /** One line: why results may differ at all, and where the bound comes from. */
  why: string;
}

/** A command-line flag a workload declares for one axis of its presets. */
export interface PresetFlag {
  /** The flag, without `--`. */
  name: string;
  /** What its values are, for --help. */
  describe: string;
  min: number;
  max: number;
}

export interface Workload {
  id: string;
  /** One line: what it computes. */
  description: string;
  /**
   * Optional: named shapes (`decode`'s model presets). A plan runs each named preset with its own
   * `elements` and `kernels` (what they mean: `axes`) unless the plan gives those axes.
   */
  presets?: {
    names: readonly string[];
    /** The presets a plan runs when it names none. */
    defaults: readonly string[];
    /** A preset at value `v` of the workload's own extra axis (`decode`: its vocabulary). */
    withAxis?(preset: string, v: number): string;
    /** What `elements` and `kernels` mean for this workload, e.g. 'context tokens'. */
    meaning: { elements: string; kernels: string };
    axes(preset: string): { elements: number; kernels: number };
    /**
     * The command-line flags that give its presets' axes (`decode`: --context, --layers and its
     * own --vocab, for withAxis), each a list replacing every preset's own value.
     */
    flags: { elements: PresetFlag; kernels: PresetFlag; extra?: PresetFlag };
  };
  /**
   * What one execution of a case is, as its rows are stated (summary.csv `unit`): `step`, one
   * step of something larger (decode: one token, its K kernels the layers), reported per step;
   * per kernel where absent.
   */
  unit?: 'step';
  /** Programs it offers; absent kinds map to the reason they do not apply. */
  programs: Partial<Record<ProgramKind, true | string>>;
  /**
   * Programs that rely on an assumption WebGPU does not guarantee, by kind (the `reliesOn` of
   * their notes): `'co-residency'` (every workgroup of the dispatch runs at once, as a grid-wide
   * barrier needs). A run leaves them out where the adapter cannot give it (a CPU adapter).
   */
  reliesOn?: Partial<Record<ProgramKind, 'co-residency'>>;
  /**
   * Optional: its persistent program finds its own workgroup count where the run gives none
   * (`decode`: as many as are co-resident, by a probe with the megakernel itself); the run then
   * passes `persistentWorkgroups` 0 instead of the adapter-wide default (not on a CPU adapter).
   */
  sizesPersistentGrid?: true;
  /** Why these parameters cannot run on these limits, or undefined when they can. */
  checkLimits(params: CaseParams, limits: DeviceLimits): string | undefined;
  /**
   * Optional: what is wrong with the workload itself on this device, found before any case runs
   * (a user's shader that does not compile), as one line; undefined when nothing is.
   */
  check?(device: GPUDevice): Promise<string | undefined>;
  /** Bytes of device memory the case allocates (for the pre-flight check). */
  deviceBytes(params: CaseParams): number;
  /** Fresh random input of the right length for these parameters. */
  makeInput(params: CaseParams, random: () => number): Uint32Array;
  /**
   * Exact CPU result. With `indices`, only those output elements (same order), for sizes where
   * the full reference would take too long; without, the whole output.
   */
  reference(input: Uint32Array, params: CaseParams, indices?: Uint32Array): Uint32Array;
  /**
   * Optional, for floating-point workloads only: the tolerance the verification allows for these
   * parameters (it may grow with K and intensity: every extra rounding may differ). Absent: the
   * result must equal the reference bit for bit, as for every integer workload.
   */
  tolerance?(params: CaseParams): Tolerance;
  /** Output elements when not `elements` (e.g. K tasks of N elements each). */
  outputLength?(params: CaseParams): number;
  /**
   * Why this program cannot run these parameters although the workload offers it (e.g. a
   * fused stencil's halo past workgroup memory), or undefined when it can.
   */
  programUnavailable?(
    kind: ProgramKind,
    params: CaseParams,
    limits: DeviceLimits,
  ): string | undefined;
  /**
   * Optional: the `map` case that costs about as much to launch and execute (K launches of N
   * elements; each element moves 8 bytes), for the plan's time estimate; absent: K and N as
   * they are.
   */
  costLike?(params: CaseParams): { kernels: number; elements: number };
  /** Approximate CPU operations the full reference costs (to decide on a subset). */
  referenceCost(params: CaseParams): number;
  prepare(device: GPUDevice, params: CaseParams, limits: DeviceLimits): Promise<PreparedCase>;
}
