/**
 * `indirect`: like `dispatch-each` (one encoder, one submit, one await), but every one of the K
 * dispatches is `dispatchWorkgroupsIndirect` whose arguments a GPU kernel wrote earlier in the
 * same command buffer (shaders/indirect_args.wgsl, in its own pass before the dispatch pass).
 * CUDA analogue: dynamic parallelism, where the GPU decides the work it launches.
 *
 * Dawn validates indirect arguments unless the `skip_validation` toggle is on (a validation
 * dispatch per indirect call, which rewrites the arguments into a buffer of its own). Measure both
 * (`--dawn-toggles skip_validation`); the strategy is the same either way. Seen on an H200 at
 * 64 elements, K = 1000: about 170 µs per kernel of wall time with validation, nearly all of it
 * outside the timed pass's GPU time, against about 8 µs with `skip_validation`.
 *
 * Timestamps: one interval, from the argument pass's beginning to the dispatch pass's end (the
 * argument pass writes only its beginning, the dispatch pass only its end, as `spanPart` does for
 * `pass-each`): the argument pass and the pass boundary are part of what this launch style costs,
 * and one timestamped pass less keeps the instrumentation's own GPU cost out of small kernels.
 *
 * Buffers (counts, indirect arguments) and the argument pipeline are created in `prepare`; the
 * timed region allocates nothing.
 */
import { shaderSource } from '../gpu/shaders.ts';
import { nowNs } from '../stats/clock.ts';
import type { Strategy } from './types.ts';

const ARGS_WORKGROUP_SIZE = 64;
const WORDS_PER_DISPATCH = 3;
const BYTES_PER_DISPATCH = WORDS_PER_DISPATCH * 4;

// Strategy.prepare is synchronous, so the pipeline is created synchronously (a WGSL error then
// surfaces as a validation error in the caller's error scope) and reused for every case.
const argsPipelines = new WeakMap<GPUDevice, GPUComputePipeline>();

function argsPipeline(device: GPUDevice): GPUComputePipeline {
  let pipeline = argsPipelines.get(device);
  if (pipeline === undefined) {
    const module = device.createShaderModule({
      label: 'indirect_args',
      code: shaderSource('indirect_args'),
    });
    pipeline = device.createComputePipeline({
      label: 'indirect_args.main',
      layout: 'auto',
      compute: { module, entryPoint: 'main', constants: { WORKGROUP_SIZE: ARGS_WORKGROUP_SIZE } },
    });
    argsPipelines.set(device, pipeline);
  }
  return pipeline;
}

export const indirect: Strategy = {
  id: 'indirect',
  description: 'one pass of K indirect dispatches whose arguments a GPU pass wrote; one submit',
  cudaAnalogue: 'dynamic parallelism (the GPU sizes the launches)',
  program: 'steps',
  launchCost: 'indirect',
  headline: { says: 'indirect dispatches in one pass cost {wall} each' },
  prepare(device, program, completion) {
    const { dispatches } = program;
    const words = new Uint32Array(dispatches.length * WORDS_PER_DISPATCH);
    dispatches.forEach((d, k) => words.set(d.workgroups, k * WORDS_PER_DISPATCH));
    const argsWorkgroups = Math.ceil(words.length / ARGS_WORKGROUP_SIZE);
    const maxPerDimension = device.limits.maxComputeWorkgroupsPerDimension;
    if (argsWorkgroups > maxPerDimension) {
      throw new RangeError(
        `indirect: ${dispatches.length} dispatches need more than ${maxPerDimension} argument workgroups`,
      );
    }
    const counts = device.createBuffer({
      label: 'indirect.counts',
      size: Math.max(4, words.byteLength),
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    });
    device.queue.writeBuffer(counts, 0, words);
    const args = device.createBuffer({
      label: 'indirect.args',
      size: Math.max(4, words.byteLength),
      usage: GPUBufferUsage.INDIRECT | GPUBufferUsage.STORAGE,
    });
    const pipeline = argsPipeline(device);
    const argsBindGroup = device.createBindGroup({
      label: 'indirect.args',
      layout: pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: counts } },
        { binding: 1, resource: { buffer: args } },
      ],
    });

    return {
      timedPasses: 1,
      async execute(recorder) {
        const t0 = nowNs();
        const encoder = device.createCommandEncoder();
        const argsPass = encoder.beginComputePass(
          recorder === undefined ? {} : { timestampWrites: recorder.passWrites(0, 'begin') },
        );
        argsPass.setPipeline(pipeline);
        argsPass.setBindGroup(0, argsBindGroup);
        argsPass.dispatchWorkgroups(argsWorkgroups);
        argsPass.end();
        const pass = encoder.beginComputePass(
          recorder === undefined ? {} : { timestampWrites: recorder.passWrites(0, 'end') },
        );
        let current: GPUComputePipeline | undefined;
        for (let k = 0; k < dispatches.length; k++) {
          const dispatch = dispatches[k];
          if (dispatch === undefined) continue;
          if (dispatch.pipeline !== current) {
            pass.setPipeline(dispatch.pipeline);
            current = dispatch.pipeline;
          }
          pass.setBindGroup(0, dispatch.bindGroup, dispatch.dynamicOffsets);
          pass.dispatchWorkgroupsIndirect(args, k * BYTES_PER_DISPATCH);
        }
        pass.end();
        recorder?.resolve(encoder, 0, 1);
        completion.tail(encoder);
        const commands = encoder.finish();
        const t1 = nowNs();
        device.queue.submit([commands]);
        const t2 = nowNs();
        await completion.wait();
        return { encodeNs: t1 - t0, submitNs: t2 - t1, waitNs: nowNs() - t2, submits: 1, waits: 1 };
      },
      destroy() {
        counts.destroy();
        args.destroy();
      },
    };
  },
};
