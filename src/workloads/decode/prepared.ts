/**
 * A prepared decode case (src/workloads/decode/workload.ts): its buffers made and bound once,
 * each program built on first request from pipelines of shaders/decode/step.wgsl, a seed's
 * tensors made on the GPU, the logits read back and the megakernel's grid barrier checked.
 */
import { alignUp } from '../grid.ts';
import { ProgramCache, readGridFailure, readWords } from '../resources.ts';
import type { Dispatch, PreparedCase, Program, ProgramKind } from '../types.ts';
import { GRID_BYTES, persistentSlot, type StepBinding, type StepBuffers } from './buffers.ts';
import { KIND, opGrid, type Op, type OpKind, type StepPlan } from './programs.ts';
import { ropeTable } from './reference.ts';
import { kvWidth, weightBytes } from './shapes.ts';

/** Polls of the megakernel's grid barrier before it gives up (≈ ms to a second on a GPU). */
const SPIN_LIMIT = 1 << 20;

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
    const { fused, persistentWorkgroups } = this.plan;
    return `grid barrier spin bound hit after op ${failedAfterOp - 1} of ${fused.length}: the ${persistentWorkgroups} workgroups were not co-resident (WebGPU does not guarantee it), result invalid`;
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

  /** The megakernel: every fused op in one dispatch, a grid-wide barrier between two. */
  private async persistentProgram(): Promise<Program> {
    const { module, pipelineLayout, bindGroup } = this.binding;
    const { fused, slotBytes, persistentWorkgroups } = this.plan;
    const pipeline = await this.device.createComputePipelineAsync({
      label: 'decode.persistent',
      layout: pipelineLayout,
      compute: {
        module,
        entryPoint: 'persistent_main',
        constants: { ...stepConstants(this.plan), SPIN_LIMIT },
      },
    });
    const dispatch: Dispatch = {
      pipeline,
      bindGroup,
      dynamicOffsets: [persistentSlot(this.plan) * slotBytes],
      workgroups: [persistentWorkgroups, 1, 1],
    };
    return {
      kind: 'persistent',
      dispatches: [dispatch],
      notes: {
        ...this.facts(),
        persistentWorkgroups,
        gridBarriers: fused.length - 1,
        reliesOn: 'co-residency',
        spinLimit: SPIN_LIMIT,
      },
      beforeExecution: this.writeToken,
    };
  }

  /** What every program's notes record of the case. */
  private facts(): Record<string, string | number> {
    const { s } = this.plan;
    return { preset: s.preset, layers: s.layers, context: s.context, weightBytes: weightBytes(s) };
  }
}
