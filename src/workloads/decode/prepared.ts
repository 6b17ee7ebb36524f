/**
 * A prepared decode case (src/workloads/decode/workload.ts): its buffers made and bound once,
 * each program built on first request from pipelines of shaders/decode/step.wgsl, a seed's
 * tensors made on the GPU, the logits read back and the megakernel's grid barrier checked.
 */
import { passTimesNs } from '../../gpu/pass-times.ts';
import { alignUp } from '../grid.ts';
import { ProgramCache, readGridFailure, readWords } from '../resources.ts';
import type { Dispatch, PreparedCase, Program, ProgramKind } from '../types.ts';
import {
  barriersSlot,
  diagnosticFirstOp,
  diagnosticSlot,
  emptyOps,
  GRID_BYTES,
  gemvSum,
  persistentSlot,
  probeSlot,
  type StepBinding,
  type StepBuffers,
} from './buffers.ts';
import {
  KIND,
  MAX_OPS,
  OP_WORDS,
  mostUnits,
  opGrid,
  opTableWords,
  type Op,
  type OpKind,
  type StepPlan,
} from './programs.ts';
import { ropeTable } from './reference.ts';
import { kvWidth, weightBytes } from './shapes.ts';

/** Polls of the megakernel's grid barrier before it gives up (≈ ms to a second on a GPU). */
const SPIN_LIMIT = 1 << 20;
/**
 * The megakernel's workgroup counts the co-residency probe tries, largest first, as multiples of
 * 2048 × 64 invocations (512 workgroups of 256): the kernel of 44e3fb4 fits 640 on the H200 and
 * the H100; an earlier one fit 768 on the H200, which ran llama-1b's step 14% faster than 512
 * (decode-ops, 2026-12-05).
 */
const PROBED = [2, 1.75, 1.5, 1.25, 1];
/** Barriers a probed count must complete, each in its own dispatch. */
const PROBE_PASSES = 2;
/** The grid barriers timed alone: executions before the timed ones, and timed ones (median). */
const BARRIER_WARMUPS = 2;
const BARRIER_TIMINGS = 7;
/** The probe's count per device and megakernel (its constants and the most units of any op). */
const PROBED_COUNTS = new WeakMap<GPUDevice, Map<string, Promise<number>>>();

/** The overridable constants of step.wgsl that every decode pipeline sets: the case's shape. */
function stepConstants(plan: StepPlan): Record<string, number> {
  const { s } = plan;
  return {
    WORKGROUP_SIZE: plan.wg,
    HIDDEN: s.hidden,
    HEADS: s.heads,
    KV_HEADS: s.kvHeads,
    HEAD_DIM: s.headDim,
    NORM_EPS: s.normEps,
    F16_WEIGHTS: s.weights === 'f16' ? 1 : 0,
  };
}

/**
 * One decode case on a device: the plan of its step, its buffers and their bind group, and the
 * init dispatches of its tensors (`init`, from initTensors), all made before it is constructed.
 */
export class DecodeCase implements PreparedCase {
  private readonly programs = new ProgramCache((kind) => this.buildProgram(kind));
  private readonly kindPipelines = new Map<OpKind, Promise<GPUComputePipeline>>();
  /** The token's parameters: its position (the context L) and where the RoPE table is in `act`. */
  private readonly tokenWords: Uint32Array;
  /** The megakernel's workgroups, once its program is built (the plan's, or the probe's). */
  private persistentWorkgroups = 0;
  /** The RoPE table of position L. */
  private readonly rope: Float32Array;

  constructor(
    private readonly device: GPUDevice,
    private readonly plan: StepPlan,
    private readonly buffers: StepBuffers,
    private readonly binding: StepBinding,
    private readonly init: (seed: number) => void,
  ) {
    const { s, layout } = plan;
    this.tokenWords = Uint32Array.of(s.context, layout.acts.rope, 0, 0);
    this.rope = ropeTable(s, s.context);
  }

  program(kind: ProgramKind): Promise<Program> {
    return this.programs.get(kind);
  }

  /**
   * The megakernel at its workgroups over `ops` (ops of this case's `fused` program, in the order
   * given), a grid barrier between two: a diagnostic, which scripts/decode-ops.ts uses to time the
   * ops of one kind inside the megakernel, without a pass of their own. The ops read whatever the
   * last step left and write where they always do; the program overwrites the op table's rows after
   * the empty ones and the diagnostic slot, so it holds until the next call.
   */
  async opsProgram(ops: readonly Op[]): Promise<Program> {
    const step = await this.program('persistent');
    const [dispatch] = step.dispatches;
    if (dispatch === undefined) throw new Error('decode: the megakernel has no dispatch');
    const { plan, device, buffers } = this;
    const first = diagnosticFirstOp(plan);
    if (ops.length === 0 || first + ops.length > MAX_OPS)
      throw new RangeError(
        `decode: ${ops.length} ops past the op table's ${MAX_OPS - first} free rows`,
      );
    const words = opTableWords(ops, plan.perDim).subarray(0, ops.length * OP_WORDS);
    device.queue.writeBuffer(buffers.table, first * OP_WORDS * 4, words);
    device.queue.writeBuffer(
      buffers.dispatch,
      diagnosticSlot(plan) * plan.slotBytes,
      Uint32Array.of(first, ops.length),
    );
    return {
      kind: 'persistent',
      dispatches: [{ ...dispatch, dynamicOffsets: [diagnosticSlot(plan) * plan.slotBytes] }],
      // The step's notes, less its barriers' figure, which is not this program's.
      notes: {
        ...Object.fromEntries(
          Object.entries(step.notes ?? {}).filter(([name]) => name !== 'gridBarriersUs'),
        ),
        ops: ops.length,
        gridBarriers: ops.length - 1,
      },
      beforeExecution: this.writeToken,
    };
  }

  /**
   * Clears every activation and each layer's cache row at L first (a program that skipped an op
   * must not pass on what an earlier one wrote), then writes the token and the seed's tensors.
   */
  writeInput(input: Uint32Array): void {
    const seed = input[0] ?? 0;
    const { s, layout } = this.plan;
    const { act, kcache, vcache } = this.buffers;
    const kv = kvWidth(s);
    const encoder = this.device.createCommandEncoder({ label: 'decode.clear' });
    encoder.clearBuffer(act);
    for (let l = 0; l < s.layers; l++)
      for (const cache of [kcache, vcache])
        encoder.clearBuffer(cache, 4 * (l * layout.cacheFloatsPerLayer + s.context * kv), 4 * kv);
    this.device.queue.submit([encoder.finish()]);
    this.writeToken();
    this.init(seed);
  }

  /** The logits of the last execution (every program writes them to the same place). */
  readOutput(): Promise<Uint32Array> {
    const { s, layout } = this.plan;
    const { act, readback } = this.buffers;
    return readWords(this.device, readback, s.vocab, 'decode.logits.readback', (encoder) =>
      encoder.copyBufferToBuffer(
        act,
        4 * layout.acts.logits,
        readback,
        0,
        alignUp(s.vocab * 4, 16),
      ),
    );
  }

  /** Whether the megakernel's grid barrier gave up: its workgroups were not all resident. */
  async checkStatus(): Promise<string | undefined> {
    if (!this.programs.has('persistent')) return undefined;
    const { grid, gridReadback } = this.buffers;
    const failedAfterOp = await readGridFailure(this.device, grid, gridReadback, GRID_BYTES);
    if (failedAfterOp === 0) return undefined;
    return `grid barrier spin bound hit after op ${failedAfterOp - 1} of ${this.plan.fused.length}: the ${this.persistentWorkgroups} workgroups were not co-resident (WebGPU does not guarantee it), result invalid`;
  }

  destroy(): void {
    const { slabs, kcache, vcache, act, grid, gridReadback, readback, table, dispatch, token } =
      this.buffers;
    for (const buffer of [...slabs, kcache, vcache, act, grid, gridReadback, readback, table])
      buffer.destroy();
    dispatch.destroy();
    token.destroy();
  }

  /**
   * Writes the token's parameters and its RoPE table: every program does it before every
   * execution (Program.beforeExecution), as a decode loop does per token.
   */
  private readonly writeToken = (): void => {
    this.device.queue.writeBuffer(this.buffers.token, 0, this.tokenWords);
    this.device.queue.writeBuffer(this.buffers.act, 4 * this.plan.layout.acts.rope, this.rope);
  };

  /** `steps` and `fused` run one dispatch per op; `persistent` runs the fused ops in one. */
  private buildProgram(kind: ProgramKind): Promise<Program> {
    const { steps, fused } = this.plan;
    switch (kind) {
      case 'steps':
        return this.opProgram(kind, steps, 0);
      case 'fused':
        return this.opProgram(kind, fused, steps.length);
      case 'persistent':
        return this.persistentProgram();
    }
  }

  /** One dispatch per op of `ops`, through the dispatch slots from `firstSlot` on. */
  private async opProgram(
    kind: ProgramKind,
    ops: readonly Op[],
    firstSlot: number,
  ): Promise<Program> {
    const { slotBytes, perDim } = this.plan;
    const { bindGroup } = this.binding;
    const dispatches = await Promise.all(
      ops.map(async (op, i): Promise<Dispatch> => ({
        pipeline: await this.kindPipeline(op.kind),
        bindGroup,
        dynamicOffsets: [(firstSlot + i) * slotBytes],
        workgroups: opGrid(op, perDim).workgroups,
      })),
    );
    return { kind, dispatches, notes: this.facts(), beforeExecution: this.writeToken };
  }

  /** step_main for one op kind: made once per kind, shared by `steps` and `fused`. */
  private kindPipeline(kind: OpKind): Promise<GPUComputePipeline> {
    let pipeline = this.kindPipelines.get(kind);
    if (pipeline === undefined) {
      const { module, pipelineLayout } = this.binding;
      pipeline = this.device.createComputePipelineAsync({
        label: `decode.${kind}`,
        layout: pipelineLayout,
        compute: {
          module,
          entryPoint: 'step_main',
          constants: { ...stepConstants(this.plan), KIND: KIND[kind] },
        },
      });
      this.kindPipelines.set(kind, pipeline);
    }
    return pipeline;
  }

  /**
   * The megakernel: every fused op in one dispatch, a grid-wide barrier between two; of the case's
   * workgroups, or, where it leaves them open (0), of as many as are co-resident here.
   */
  private async persistentProgram(): Promise<Program> {
    const { module, pipelineLayout, bindGroup } = this.binding;
    const { fused, slotBytes } = this.plan;
    const pipeline = await this.device.createComputePipelineAsync({
      label: 'decode.persistent',
      layout: pipelineLayout,
      compute: {
        module,
        entryPoint: 'persistent_main',
        constants: this.persistentConstants(),
      },
    });
    const given = this.plan.persistentWorkgroups;
    const persistentWorkgroups = given !== 0 ? given : await this.probedWorkgroups(pipeline);
    this.persistentWorkgroups = persistentWorkgroups;
    const dispatch: Dispatch = {
      pipeline,
      bindGroup,
      dynamicOffsets: [persistentSlot(this.plan) * slotBytes],
      workgroups: [persistentWorkgroups, 1, 1],
    };
    const gridBarriersUs = await this.timeGridBarriers(dispatch);
    return {
      kind: 'persistent',
      dispatches: [dispatch],
      notes: {
        ...this.facts(),
        persistentWorkgroups,
        persistentWorkgroupsFrom: given !== 0 ? 'case' : 'co-residency probe',
        gridBarriers: fused.length - 1,
        ...(gridBarriersUs === undefined ? {} : { gridBarriersUs }),
        reliesOn: 'co-residency',
        spinLimit: SPIN_LIMIT,
      },
      beforeExecution: this.writeToken,
    };
  }

  /**
   * GPU µs of the megakernel's grid barriers with no work between them: the megakernel over
   * `emptyOps(plan)` ops of no units (the barriers' slot) less the megakernel over two (the
   * probe's slot: one barrier), which takes out what launching it and its pass cost, scaled from
   * the barriers between to the step's; each pair timed in one command buffer (passTimesNs), the
   * median of BARRIER_TIMINGS pairs after BARRIER_WARMUPS, once as the program is built, before any
   * sample.
   * None without `timestamp-query`, where a barrier gave up (the count was not co-resident: the
   * step's own check then says so) or where the difference is not positive.
   */
  private async timeGridBarriers(megakernel: Dispatch): Promise<number | undefined> {
    const { device, plan } = this;
    const empty = emptyOps(plan);
    if (!device.features.has('timestamp-query') || empty <= 2) return undefined;
    const at = (slot: number): Dispatch => ({
      ...megakernel,
      dynamicOffsets: [slot * plan.slotBytes],
    });
    const runs = await passTimesNs(
      device,
      [at(barriersSlot(plan)), at(probeSlot(plan))],
      BARRIER_TIMINGS,
      BARRIER_WARMUPS,
    );
    const differences = runs.map(([many = 0, one = 0]) => (many - one) / 1e3);
    const { grid, gridReadback } = this.buffers;
    if ((await readGridFailure(device, grid, gridReadback, GRID_BYTES)) !== 0) return undefined;
    differences.sort((a, b) => a - b);
    const median = differences[Math.floor(differences.length / 2)];
    // empty − 2 barriers more than the probe's one; the step has fused.length − 1
    const us = median === undefined ? undefined : (median * (plan.fused.length - 1)) / (empty - 2);
    return us !== undefined && us > 0 ? us : undefined;
  }

  /**
   * coResidentWorkgroups, once per device and megakernel: a group prepared again on a later visit
   * (one past RESIDENT_BYTES, src/run.ts) keeps the count its first visit measured with.
   */
  private async probedWorkgroups(pipeline: GPUComputePipeline): Promise<number> {
    // The constants decide the registers a workgroup needs, and so how many fit at once.
    const key = JSON.stringify({ ...this.persistentConstants(), most: mostUnits(this.plan.fused) });
    let byKey = PROBED_COUNTS.get(this.device);
    if (byKey === undefined) {
      byKey = new Map();
      PROBED_COUNTS.set(this.device, byKey);
    }
    let count = byKey.get(key);
    if (count === undefined) {
      count = this.coResidentWorkgroups(pipeline);
      byKey.set(key, count);
    }
    return count;
  }

  /**
   * The most workgroups of the megakernel that are co-resident on this device, of PROBED times a
   * base that fills a large GPU, then halvings of the base, each capped by the most units any op
   * has: the largest whose grid barrier completes PROBE_PASSES times, the megakernel running an
   * op table of two empty ops (buffers.ts probeSlot). WebGPU tells no multiprocessor count or
   * occupancy; this is the megakernel's own answer, where CUDA's cooperative launch asks the
   * occupancy calculator. A grid that is not co-resident fails at the barrier (in tens of µs on
   * the H200, half a second on lavapipe). None completes: one workgroup.
   */
  private async coResidentWorkgroups(pipeline: GPUComputePipeline): Promise<number> {
    const { plan, device, binding, buffers } = this;
    const base = Math.max(1, Math.floor((2048 * 64) / plan.wg));
    const most = mostUnits(plan.fused);
    const multiples = [...PROBED];
    for (let m = 0.5; base * m >= 1; m /= 2) multiples.push(m);
    const candidates = [
      ...new Set(multiples.map((m) => Math.max(1, Math.min(most, Math.floor(base * m))))),
    ];
    const completes = async (workgroups: number): Promise<boolean> => {
      const encoder = device.createCommandEncoder({ label: 'decode.probe' });
      const pass = encoder.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, binding.bindGroup, [probeSlot(plan) * plan.slotBytes]);
      pass.dispatchWorkgroups(workgroups);
      pass.end();
      device.queue.submit([encoder.finish()]);
      const { grid, gridReadback } = buffers;
      return (await readGridFailure(device, grid, gridReadback, GRID_BYTES)) === 0;
    };
    for (const workgroups of candidates) {
      let passes = 0;
      while (passes < PROBE_PASSES && (await completes(workgroups))) passes++;
      if (passes === PROBE_PASSES) return workgroups;
    }
    return 1;
  }

  /** persistent_main's constants: the case's shape and the spin bound. */
  private persistentConstants(): Record<string, number> {
    return {
      ...stepConstants(this.plan),
      SPIN_LIMIT,
    };
  }

  /** What every program's notes record of the case. */
  private facts(): Record<string, string | number> {
    const { s } = this.plan;
    return {
      preset: s.preset,
      layers: s.layers,
      context: s.context,
      weightBytes: weightBytes(s),
      gemvSum: gemvSum(this.device),
    };
  }
}
