/**
 * The decode workload's shapes and CPU reference (src/workloads/decode/): presets and their
 * checks, the bytes a step reads, and the f32 reference against an independent float64
 * implementation of the same step on the tiny preset (same hashed weights, written out plainly:
 * a wrong index, head grouping or RoPE pairing in either shows as a large difference).
 */
import { describe, expect, it } from 'vitest';
import {
  decodeStep,
  decodeWeight,
  hash32,
  rmsNorm,
  rope,
  type TensorName,
} from '../src/workloads/decode/reference.ts';
import {
  decodeDoesNotFit,
  decodeShape,
  kvCacheBytes,
  weightBytes,
  type DecodeShape,
} from '../src/workloads/decode/shapes.ts';

describe('decode shapes', () => {
  it('builds the presets and checks the free axes', () => {
    expect(decodeShape('llama-1b').kvHeads).toBe(8);
    expect(decodeShape('tiny', { layers: 5, context: 0 })).toMatchObject({ layers: 5, context: 0 });
    expect(() => decodeShape('bogus')).toThrow(
      /unknown decode preset 'bogus' \(known: tiny, tiny-f16, gpt2-small, gpt2-small-f16, llama-1b, llama-1b-f16\)/,
    );
    expect(decodeShape('llama-1b-f16')).toMatchObject({ weights: 'f16', hidden: 2048 });
    expect(weightBytes(decodeShape('llama-1b-f16')) * 2).toBe(weightBytes(decodeShape('llama-1b')));
    expect(() => decodeShape('tiny', { layers: 0 })).toThrow(/layers must be a positive integer/);
    expect(() => decodeShape('tiny', { context: -1 })).toThrow(/context must be a whole number/);
  });

  it('counts the bytes a step reads', () => {
    const s = decodeShape('llama-1b');
    const d = 2048;
    const perLayer = 2 * d + 2 * d * d + 2 * 512 * d + 3 * 8192 * d;
    expect(weightBytes(s)).toBe(4 * (16 * perLayer + d + 128_256 * d));
    expect(weightBytes(s) / 1e9).toBeCloseTo(4.94, 2);
    expect(kvCacheBytes(s)).toBe(4 * 2 * 16 * 1025 * 512);
  });

  it('says when a preset does not fit the device', () => {
    const s = decodeShape('llama-1b');
    const h200 = { maxStorageBufferBindingSize: 2 ** 31 - 4, maxBufferSize: 2 ** 40 };
    expect(decodeDoesNotFit(s, h200)).toBeUndefined();
    expect(
      decodeDoesNotFit(s, { maxStorageBufferBindingSize: 2 ** 27, maxBufferSize: 2 ** 28 }),
    ).toMatch(
      /decode llama-1b: a 1002 MiB buffer exceeds this device's maxStorageBufferBindingSize of 128 MiB/,
    );
  });
});

/** The same step in float64, written independently of the reference's helpers. */
function step64(s: DecodeShape, seed: number): Float64Array {
  const w = (name: TensorName, layer: number, i: number): number =>
    decodeWeight(s, seed, name, layer, i);
  const matvec = (name: TensorName, layer: number, x: Float64Array, rows: number): Float64Array =>
    Float64Array.from({ length: rows }, (_, r) =>
      x.reduce((acc, xc, c) => acc + w(name, layer, r * x.length + c) * xc, 0),
    );
  const norm = (name: TensorName, layer: number, x: Float64Array): Float64Array => {
    const inv = 1 / Math.sqrt(x.reduce((a, v) => a + v * v, 0) / x.length + s.normEps);
    return x.map((v, i) => v * inv * w(name, layer, i));
  };
  const rot = (v: Float64Array, pos: number): Float64Array => {
    const out = new Float64Array(v.length);
    for (let base = 0; base < v.length; base += s.headDim)
      for (let i = 0; i < s.headDim / 2; i++) {
        const a = pos * Math.pow(s.ropeTheta, -(2 * i) / s.headDim);
        const [x0, x1] = [v[base + 2 * i] ?? 0, v[base + 2 * i + 1] ?? 0];
        out[base + 2 * i] = x0 * Math.cos(a) - x1 * Math.sin(a);
        out[base + 2 * i + 1] = x0 * Math.sin(a) + x1 * Math.cos(a);
      }
    return out;
  };
  const kvw = s.kvHeads * s.headDim;
  let x = Float64Array.from({ length: s.hidden }, (_, i) => w('input', 0, i));
  for (let l = 0; l < s.layers; l++) {
    const h = norm('attnNorm', l, x);
    const q = rot(matvec('wq', l, h, s.hidden), s.context);
    const k = rot(matvec('wk', l, h, kvw), s.context);
    const v = matvec('wv', l, h, kvw);
    const key = (p: number, i: number): number =>
      p === s.context ? (k[i] ?? 0) : w('kCache', l, p * kvw + i);
    const val = (p: number, i: number): number =>
      p === s.context ? (v[i] ?? 0) : w('vCache', l, p * kvw + i);
    const att = new Float64Array(s.hidden);
    for (let head = 0; head < s.heads; head++) {
      const g = Math.floor((head * s.kvHeads) / s.heads);
      const sc: number[] = [];
      for (let p = 0; p <= s.context; p++) {
        let dot = 0;
        for (let i = 0; i < s.headDim; i++)
          dot += (q[head * s.headDim + i] ?? 0) * key(p, g * s.headDim + i);
        sc.push(dot / Math.sqrt(s.headDim));
      }
      const m = Math.max(...sc);
      const e = sc.map((z) => Math.exp(z - m));
      const z = e.reduce((a, b) => a + b, 0);
      for (let i = 0; i < s.headDim; i++)
        att[head * s.headDim + i] =
          e.reduce((a, ep, p) => a + ep * val(p, g * s.headDim + i), 0) / z;
    }
    const o = matvec('wo', l, att, s.hidden);
    x = x.map((xi, i) => xi + (o[i] ?? 0));
    const h2 = norm('ffnNorm', l, x);
    const gate = matvec('wGate', l, h2, s.ffn);
    const up = matvec('wUp', l, h2, s.ffn);
    const act = gate.map((gv, i) => (gv / (1 + Math.exp(-gv))) * (up[i] ?? 0));
    const down = matvec('wDown', l, act, s.hidden);
    x = x.map((xi, i) => xi + (down[i] ?? 0));
  }
  return matvec('lmHead', 0, norm('finalNorm', 0, x), s.vocab);
}

describe('decode reference', () => {
  it('agrees with an independent float64 step on the tiny preset', () => {
    const s = decodeShape('tiny');
    const got = decodeStep(s, 42).logits;
    const want = step64(s, 42);
    const scale = Math.max(...want.map(Math.abs));
    let worst = 0;
    for (let i = 0; i < want.length; i++)
      worst = Math.max(worst, Math.abs((got[i] ?? NaN) - (want[i] ?? 0)) / scale);
    expect(worst).toBeLessThan(1e-5);
    expect(scale).toBeGreaterThan(0.1); // activations of order 1, not vanished
  });

  it('computes a subset of the logits as the same values', () => {
    const s = decodeShape('tiny');
    const all = decodeStep(s, 7).logits;
    const some = decodeStep(s, 7, [0, 5, 255]).logits;
    expect([...some]).toEqual([all[0], all[5], all[255]]);
  });

  it('depends on the seed, the context and every layer', () => {
    const s = decodeShape('tiny');
    const base = decodeStep(s, 1).logits;
    expect(decodeStep(s, 2).logits).not.toEqual(base);
    expect(decodeStep({ ...s, context: 3 }, 1).logits).not.toEqual(base);
    expect(decodeStep({ ...s, layers: 1 }, 1).logits).not.toEqual(base);
  });

  it("normalises to unit RMS (with unit weights) and rotates by RoPE without changing a pair's length", () => {
    const s = decodeShape('tiny');
    const x = Float32Array.from({ length: s.hidden }, (_, i) => (hash32(i) / 2 ** 32) * 4 - 2);
    const n = rmsNorm(s, 3, 'attnNorm', 0, x);
    const ratio = n.map((v, i) => v / decodeWeight(s, 3, 'attnNorm', 0, i));
    const rms = Math.sqrt(ratio.reduce((a, v) => a + v * v, 0) / ratio.length);
    expect(rms).toBeCloseTo(1, 4);
    expect([...rope(s, x, 0)]).toEqual([...x]);
    const r = rope(s, x, 37);
    for (let i = 0; i < x.length; i += 2)
      expect(Math.hypot(r[i] ?? 0, r[i + 1] ?? 0)).toBeCloseTo(
        Math.hypot(x[i] ?? 0, x[i + 1] ?? 0),
        4,
      );
  });

  it('gives an f16 preset weights that f16 holds exactly, none of them subnormal', () => {
    // Exact in f16: zero, or a normal number (at least 2⁻¹⁴) with 11 significant bits.
    const exactF16 = (v: number): boolean => {
      if (v === 0) return true;
      const a = Math.abs(v);
      if (a < 2 ** -14 || a > 65504) return false;
      return Number.isInteger(a / 2 ** (Math.floor(Math.log2(a)) - 10));
    };
    for (const preset of ['tiny-f16', 'gpt2-small-f16', 'llama-1b-f16']) {
      const s = decodeShape(preset);
      for (const name of ['wq', 'wDown', 'lmHead', 'attnNorm', 'finalNorm'] as const)
        for (let i = 0; i < 4096; i++) {
          const v = decodeWeight(s, 11, name, 0, i);
          if (!exactF16(v)) throw new Error(`${preset} ${name}[${i}] = ${v} is not an exact f16`);
        }
      // The activations stay f32: the input has 24 bits.
      const input = Array.from({ length: 64 }, (_, i) => decodeWeight(s, 11, 'input', 0, i));
      expect(input.some((v) => !exactF16(v))).toBe(true);
    }
  });
});
