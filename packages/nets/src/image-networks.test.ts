// U-Net and DiT: the Network contract (shapes, init, two-time equivalence,
// weights I/O, save/load, registry), hand-counted parameters, which
// gradients are (legitimately) zero at init, config errors, leaks, dropout.
import * as tf from '@tensorflow/tfjs-core';
import '@charlearn/backend-wasm';
import { CheckpointError, ConfigError, Rng, ShapeError, ValueRangeError, useBackend } from '@charlearn/core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Dit,
  Unet,
  createDit,
  createNetwork,
  createUnet,
  listNetworkKinds,
  loadNetwork,
  saveNetwork,
  unetPlan,
  type Network,
  type NetworkSpec,
} from './index';
import { maxAbsDiff, randomizeWeights, TINY_DIT, TINY_UNET } from './test-helpers';

beforeAll(async () => {
  await useBackend('wasm');
});

const UNET: NetworkSpec = { ...TINY_UNET, seed: 3 };
const DIT: NetworkSpec = { ...TINY_DIT, seed: 3 };
const BATCH = 3;

function inputs(seed: number, shape = [8, 8, 1]) {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return {
    x: tf.tensor(rng.normalArray(BATCH * n), [BATCH, ...shape]),
    c: tf.tensor1d(rng.uniformArray(BATCH, 0, 999)),
    cs: tf.tensor1d(rng.uniformArray(BATCH, 0, 999)),
  };
}

function out(net: Network, x: tf.Tensor, c: tf.Tensor1D, cs?: tf.Tensor1D): Float32Array {
  return tf.tidy(() => net.apply(x, c, cs).dataSync() as Float32Array);
}

/** Names whose gradient of L = Σ r·F is non-zero. */
function nonZeroGrads(net: Network, x: tf.Tensor, c: tf.Tensor1D, cs?: tf.Tensor1D): string[] {
  const r = tf.tidy(() => tf.randomNormal(x.shape, 0, 1, 'float32', 5));
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(r, net.apply(x, c, cs))), net.trainableVariables());
  const names = Object.entries(net.namedVariables())
    .filter(([, v]) => Math.max(...Array.from(grads[v.name]!.dataSync(), Math.abs)) > 0)
    .map(([n]) => n);
  tf.dispose([r, value, ...Object.values(grads)]);
  return names;
}

describe.each([
  ['unet', UNET, 'out/w'],
  ['dit', DIT, 'final/w'],
] as const)('%s: the Network contract', (kind, spec, lastName) => {
  it('maps [b, 8, 8, 1] to [b, 8, 8, 1]; F = 0 at init; no tensors kept', () => {
    expect(listNetworkKinds()).toContain(kind);
    const net = createNetwork(spec);
    expect(net).toBeInstanceOf(kind === 'unet' ? Unet : Dit);
    expect(net.kind).toBe(kind);
    expect(net.sampleShape).toEqual([8, 8, 1]);
    expect(net.lastLayerWeight()).toBe(net.namedVariables()[lastName]);
    const { x, c } = inputs(1);
    const before = tf.memory().numTensors;
    const y = net.apply(x, c);
    expect(y.shape).toEqual([BATCH, 8, 8, 1]);
    expect(Math.max(...Array.from(y.dataSync(), Math.abs))).toBe(0);
    y.dispose();
    expect(tf.memory().numTensors).toBe(before);
    randomizeWeights(net, 2, 0.3);
    const f = out(net, x, c);
    expect(f.every(Number.isFinite)).toBe(true);
    expect(Math.max(...Array.from(f, Math.abs))).toBeGreaterThan(1e-3);
    tf.dispose([x, c]);
    net.dispose();
    expect(() => net.apply(x, c)).toThrow(/disposed/);
  });

  it('is deterministic by seed; createNetwork(config) and Network.create(config, weights) rebuild it', () => {
    const a = createNetwork(spec);
    const b = createNetwork(a.config);
    const other = createNetwork(spec, 99);
    const name = kind === 'unet' ? 'in/w' : 'patch/w';
    expect(Array.from(b.getWeights()[name]!.values)).toEqual(Array.from(a.getWeights()[name]!.values));
    expect(Array.from(other.getWeights()[name]!.values)).not.toEqual(Array.from(a.getWeights()[name]!.values));
    expect(JSON.parse(JSON.stringify(a.config))).toEqual(a.config);
    [a, b, other].forEach((n) => n.dispose());
  });

  it('toTwoTime equals the one-time net for random cNoiseS; a built two-time net loads the one-time weights', () => {
    const net = createNetwork(spec);
    randomizeWeights(net, 4, 0.3);
    const two = net.toTwoTime();
    expect(two.twoTime).toBe(true);
    const sPath = Object.entries(two.getWeights()).filter(([n]) => n.startsWith('temb_s/'));
    expect(sPath.length).toBe(4);
    expect(two.parameterCount()).toBe(net.parameterCount() + sPath.reduce((n, [, w]) => n + w.values.length, 0));
    const { x, c, cs } = inputs(5);
    const f = out(net, x, c);
    const g = out(two, x, c, cs);
    expect(maxAbsDiff(f, g)).toBeLessThan(1e-6);
    expect(() => two.apply(x, c)).toThrow(ShapeError);
    expect(() => net.apply(x, c, cs)).toThrow(ValueRangeError);
    // a fresh two-time net of the same spec, shared names set from the one-time weights, new names at their init
    const built = createNetwork({ ...spec, twoTime: true });
    const w = built.getWeights();
    for (const [name, arr] of Object.entries(net.getWeights())) w[name] = arr;
    built.setWeights(w);
    expect(maxAbsDiff(out(built, x, c, cs), f)).toBeLessThan(1e-6);
    // and s matters once the s path's last layer moves
    const w2 = two.getWeights();
    w2['temb_s/w1']!.values = new Rng(6).uniformArray(w2['temb_s/w1']!.values.length, -0.5, 0.5);
    two.setWeights(w2);
    expect(maxAbsDiff(out(two, x, c, cs), f)).toBeGreaterThan(1e-4);
    // createNetwork({ twoTime: true }) equals createNetwork(spec).toTwoTime() at init
    const fresh = createNetwork(spec);
    const freshTwo = fresh.toTwoTime();
    const wa = freshTwo.getWeights();
    const wb = built.getWeights();
    const again = createNetwork({ ...spec, twoTime: true });
    const wc = again.getWeights();
    expect(Object.keys(wa)).toEqual(Object.keys(wc));
    for (const k of Object.keys(wa)) expect(maxAbsDiff(wa[k]!.values, wc[k]!.values)).toBe(0);
    expect(Object.keys(wb)).toEqual(Object.keys(wc));
    tf.dispose([x, c, cs]);
    [net, two, built, fresh, freshTwo, again].forEach((n) => n.dispose());
  });

  it('save/load round-trips spec and weights: identical outputs; clone is independent', () => {
    const net = createNetwork({ ...spec, twoTime: true });
    randomizeWeights(net, 7, 0.3);
    const { x, c, cs } = inputs(8);
    const again = loadNetwork(saveNetwork(net, { step: 3 }));
    expect(again.config).toEqual(net.config);
    expect(Object.keys(again.namedVariables())).toEqual(Object.keys(net.namedVariables()));
    expect(maxAbsDiff(out(again, x, c, cs), out(net, x, c, cs))).toBe(0);
    const copy = net.clone();
    randomizeWeights(net, 9, 0.3);
    expect(maxAbsDiff(out(copy, x, c, cs), out(again, x, c, cs))).toBe(0);
    const w = net.getWeights();
    delete w[lastName];
    expect(() => again.setWeights(w)).toThrow(CheckpointError);
    tf.dispose([x, c, cs]);
    [net, again, copy].forEach((n) => n.dispose());
  });

  it('gradients: at init only the output layer; with it perturbed, the zero-init-independent paths; all random: every variable', () => {
    const net = createNetwork(spec);
    const names = Object.keys(net.namedVariables());
    const { x, c } = inputs(10);
    const lastBias = kind === 'unet' ? 'out/b' : 'final/b';
    expect(nonZeroGrads(net, x, c).sort()).toEqual([lastName, lastBias].sort());
    tf.tidy(() => net.lastLayerWeight().assign(tf.randomNormal(net.lastLayerWeight().shape, 0, 0.3, 'float32', 1)));
    // Still zero: everything behind a zero-initialised layer (U-Net: conv2 of each residual block, the attention
    // output projection; DiT: the adaLN modulation, which zeroes every gate and the final shift/scale, so the
    // time path and the blocks' attention and MLP are cut off, while the patch embedding reaches the output).
    const behindZero =
      kind === 'unet'
        ? (n: string) => /\/(norm1|conv1|temb|norm2)\//.test(n) || /attn.*\/(norm|qkv)\//.test(n) || n.startsWith('temb/')
        : (n: string) => (n.startsWith('block') && !n.includes('/ada/')) || n.startsWith('temb/');
    const expected = names.filter((n) => !behindZero(n));
    expect(nonZeroGrads(net, x, c).sort()).toEqual(expected.sort());
    if (kind === 'dit') {
      // gates open: attention and MLP weights get gradients too
      for (const [n, v] of Object.entries(net.namedVariables())) if (n.includes('/ada/')) tf.tidy(() => v.assign(tf.randomNormal(v.shape, 0, 0.3, 'float32', 2)));
      expect(nonZeroGrads(net, x, c).length).toBe(names.length);
    }
    randomizeWeights(net, 11, 0.3);
    expect(nonZeroGrads(net, x, c).sort()).toEqual([...names].sort());
    const two = net.toTwoTime();
    randomizeWeights(two, 12, 0.3);
    const { cs } = inputs(13);
    expect(nonZeroGrads(two, x, c, cs).length).toBe(Object.keys(two.namedVariables()).length);
    tf.dispose([x, c, cs]);
    net.dispose();
    two.dispose();
  });
});

describe('U-Net specifics', () => {
  it('the plan of a 2-level net and its parameter count equal a hand count', () => {
    const net = createUnet(UNET as never);
    expect(unetPlan(net.config).map((s) => s.op)).toEqual(['in', 'push', 'res', 'push', 'down', 'push', 'res', 'attn', 'push', 'res', 'attn', 'res', 'res', 'attn', 'res', 'attn', 'up', 'res', 'res', 'out']);
    const T = 16;
    const res = (cin: number, cout: number) => 2 * cin + 9 * cin * cout + cout + T * cout + cout + 2 * cout + 9 * cout * cout + cout + (cin === cout ? 0 : cin * cout + cout);
    const attn = (ch: number) => 2 * ch + ch * 3 * ch + 3 * ch + ch * ch + ch;
    const time = 8 * T + T + T * T + T;
    const stem = 9 * 1 * 8 + 8;
    // encoder: 8→8 at 8x8, 8→16 (+attn) at 4x4; middle 16; decoder at 4x4: (16+16)→16, (16+8)→16, each + attn; at 8x8: (16+8)→8, (8+8)→8
    const blocks = res(8, 8) + res(8, 16) + attn(16) + res(16, 16) + attn(16) + res(16, 16) + res(32, 16) + attn(16) + res(24, 16) + attn(16) + res(24, 8) + res(16, 8);
    const head = 2 * 8 + 9 * 8 * 1 + 1;
    expect(net.parameterCount()).toBe(time + stem + blocks + head);
    const total = Object.values(net.getWeights()).reduce((n, w) => n + w.values.length, 0);
    expect(net.parameterCount()).toBe(total);
    expect(net.toTwoTime().parameterCount()).toBe(total + time);
    net.dispose();
  });

  it('bad configs throw named errors before any tensor is made', () => {
    const before = tf.memory().numTensors;
    const bad: Array<[Record<string, unknown>, new (...a: never[]) => Error, string]> = [
      [{ sampleShape: [30, 30, 1], channelMult: [1, 2, 2] }, ValueRangeError, 'sampleShape'],
      [{ sampleShape: [28, 28] }, ValueRangeError, 'sampleShape'],
      [{ sampleShape: [8, 8, 1], channels: 8, groups: 3 }, ValueRangeError, 'groups'],
      [{ sampleShape: [8, 8, 1], channels: 8, channelMult: [1, 2], attentionResolutions: [2] }, ValueRangeError, 'attentionResolutions'],
      [{ sampleShape: [8, 8, 1], channels: 8, channelMult: [1, 2], heads: 3 }, ValueRangeError, 'heads'],
      [{ sampleShape: [8, 8, 1], dropout: 1 }, ValueRangeError, 'dropout'],
      [{ sampleShape: [8, 8, 1], channelMult: [] }, ValueRangeError, 'channelMult'],
      [{ sampleShape: [8, 8, 1], chanels: 8 }, ConfigError, 'chanels'],
      [{ sampleShape: [8, 8, 1], timeEmbeddingDim: 7 }, ValueRangeError, 'timeEmbeddingDim'],
    ];
    for (const [config, type, key] of bad) {
      let err: unknown;
      try {
        createNetwork({ kind: 'unet', ...config } as NetworkSpec);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(config)).toBeInstanceOf(type);
      expect((err as { parameter?: string }).parameter).toBe(key);
      expect((err as Error).message).toContain(key.replace(/\[.*$/, ''));
    }
    expect(tf.memory().numTensors).toBe(before);
    const net = createUnet(UNET as never);
    const x = tf.zeros([2, 8, 9, 1]);
    const c = tf.zeros([2]) as tf.Tensor1D;
    expect(() => net.apply(x, c)).toThrow(/xIn must have shape \[n, 8, 8, 1\]/);
    tf.dispose([x, c]);
    net.dispose();
  });

  it('dropout: off by default and after setDropout(null); on, reproducible by the Rng and fresh on every call', () => {
    const net = createUnet({ ...(UNET as never as object), dropout: 0.5 } as never);
    randomizeWeights(net, 14, 0.3);
    const { x, c } = inputs(15);
    const plain = out(net, x, c);
    net.setDropout(new Rng(1));
    const a = out(net, x, c);
    net.setDropout(new Rng(1));
    const b = out(net, x, c);
    const d = out(net, x, c);
    net.setDropout(null);
    expect(maxAbsDiff(out(net, x, c), plain)).toBe(0);
    expect(maxAbsDiff(a, b)).toBe(0);
    expect(maxAbsDiff(a, plain)).toBeGreaterThan(1e-3);
    expect(maxAbsDiff(a, d)).toBeGreaterThan(1e-3);
    tf.dispose([x, c]);
    net.dispose();
  });
});

describe('DiT specifics', () => {
  it('parameter count equals a hand count', () => {
    const net = createDit(DIT as never);
    const [D, M, P, E] = [16, 32, 4, 8];
    const time = E * D + D + D * D + D;
    const block = D * 6 * D + 6 * D + D * 3 * D + 3 * D + D * D + D + D * M + M + M * D + D;
    const expected = time + (P * D + D) + 2 * block + (D * 2 * D + 2 * D) + (D * P + P);
    expect(net.parameterCount()).toBe(expected);
    expect(net.parameterCount()).toBe(8692);
    net.dispose();
  });

  it('patchify / unpatchify put every token back in its place: with the gates closed, one pixel moves one patch', () => {
    // With the adaLN gates at zero the blocks are the identity, so F = final(LN(patch(x) + pos)) acts patch by
    // patch: changing one input pixel may change only the output patch that contains it, of the same sample.
    const net = createDit({ ...(DIT as never as object), depth: 1 } as never);
    const w = net.getWeights();
    w['final/w']!.values = new Rng(16).uniformArray(w['final/w']!.values.length, -0.5, 0.5);
    net.setWeights(w);
    const { x, c } = inputs(17);
    const base = out(net, x, c);
    const xv = x.dataSync().slice();
    xv[(0 * 8 + 3) * 8 + 5] = xv[(0 * 8 + 3) * 8 + 5]! + 1; // sample 0, pixel (3, 5) → patch (1, 2)
    const x2 = tf.tensor(xv, x.shape);
    const moved = out(net, x2, c);
    for (let i = 0; i < 8; i++)
      for (let j = 0; j < 8; j++) {
        const changed = Math.abs(moved[i * 8 + j]! - base[i * 8 + j]!) > 1e-6;
        expect(changed, `pixel ${i},${j}`).toBe(i >> 1 === 1 && j >> 1 === 2);
      }
    expect(maxAbsDiff(moved.slice(64), base.slice(64))).toBe(0);
    tf.dispose([x, c, x2]);
    net.dispose();
  });

  it('bad configs throw named errors', () => {
    const bad: Array<[Record<string, unknown>, new (...a: never[]) => Error, string]> = [
      [{ sampleShape: [28, 28, 1], patchSize: 3 }, ValueRangeError, 'sampleShape'],
      [{ sampleShape: [8, 8, 1], hidden: 18 }, ValueRangeError, 'hidden'],
      [{ sampleShape: [8, 8, 1], hidden: 16, heads: 3 }, ValueRangeError, 'heads'],
      [{ sampleShape: [8, 8, 1], hidden: 16, mlpRatio: 0.3 }, ValueRangeError, 'mlpRatio'],
      [{ sampleShape: [8, 8, 1], activation: 'relu' }, ValueRangeError, 'activation'],
      [{ sampleShape: [8, 8, 1], width: 8 }, ConfigError, 'width'],
      [{ kind: 'unet', sampleShape: [8, 8, 1] }, ConfigError, 'kind'],
    ];
    for (const [config, type, key] of bad) {
      let err: unknown;
      try {
        createDit(config as never);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(config)).toBeInstanceOf(type);
      expect((err as { parameter?: string }).parameter).toBe(key);
    }
  });
});
