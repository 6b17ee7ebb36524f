/**
 * The CPU reference of xor-rotate.wgsl for `launchbench bench --shader … --reference`: the
 * expected array after `kernels` steps on `input`, bit for bit.
 */
export function reference(
  input: Uint32Array,
  params: { elements: number; kernels: number; intensity: number },
): Uint32Array {
  const out = input.slice();
  for (let i = 0; i < params.elements; i++) {
    let v = out[i] ?? 0;
    for (let k = 0; k < params.kernels; k++) {
      const r = (k % 31) + 1;
      v = (((v << r) | (v >>> (32 - r))) ^ i) >>> 0;
    }
    out[i] = v;
  }
  return out;
}
