import * as tf from '@tensorflow/tfjs-core';
import '@charlearn/backend-wasm';
import {
  CharlearnError,
  CheckpointError,
  ConfigError,
  Rng,
  ShapeError,
  TypeMismatchError,
  ValueRangeError,
  edmCoefficients,
  edmDenoiser,
  follmer,
  perSample,
  useBackend,
} from '@charlearn/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createMlp, createNetwork, initialMlpWeights, mlpWeightShapes, resolveMlpConfig, type MlpConfig, type Network } from './index';
import { applyValues, maxAbsDiff, randomizeWeights } from './test-helpers';

beforeAll(async () => {
  await useBackend('wasm');
});

const small: MlpConfig = { dim: 2, hidden: [32, 32, 32], seed: 5 };

function batchInputs(batch: number, seed: number, dim = 2) {
  const rng = new Rng(seed);
  return { x: rng.normalArray(batch * dim), c: rng.uniformArray(batch, 0, 999), cs: rng.uniformArray(batch, 0, 999) };
}

function errorOf(f: () => unknown): CharlearnError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(CharlearnError);
    return e as CharlearnError;
  }
  throw new Error('expected an error');
}

describe('config', () => {
  it('fills in the documented defaults and is JSON-serialisable', () => {
    const net = createMlp({ dim: 2, hidden: [256, 256, 256] });
    expect(net.config).toEqual({
      kind: 'mlp',
      dim: 2,
      hidden: [256, 256, 256],
      activation: 'silu',
      timeEmbeddingDim: 64,
      timeHidden: 64,
      maxPeriod: 10000,
      twoTime: false,
      seed: 0,
    });
    expect(JSON.parse(JSON.stringify(net.config))).toEqual(net.config);
    expect(net.kind).toBe('mlp');
    expect(net.sampleShape).toEqual([2]);
    expect(net.twoTime).toBe(false);
    // 64·64 + 64 + 64·256 (time MLP) + 2·256 + 256 + 2·(256·256 + 256) + 256·2 + 2
    expect(net.parameterCount()).toBe(153410);
    const sum = net.trainableVariables().reduce((n, v) => n + v.size, 0);
    expect(sum).toBe(153410);
    expect(net.toTwoTime().parameterCount()).toBe(153410 + 64 * 64 + 64 + 64 * 256);
    net.dispose();
  });

  it('rejects bad configs with errors naming the key', () => {
    const cases: Array<[unknown, string, new (...a: never[]) => CharlearnError]> = [
      [{ dim: 0, hidden: [8] }, 'dim', ValueRangeError],
      [{ dim: 2.5, hidden: [8] }, 'dim', ValueRangeError],
      [{ dim: '2', hidden: [8] }, 'dim', TypeMismatchError],
      [{ dim: 2, hidden: [] }, 'hidden', ValueRangeError],
      [{ dim: 2, hidden: [8, 0] }, 'hidden[1]', ValueRangeError],
      [{ dim: 2, hidden: [8], activation: 'swish' }, 'activation', ValueRangeError],
      [{ dim: 2, hidden: [8], timeEmbeddingDim: 7 }, 'timeEmbeddingDim', ValueRangeError],
      [{ dim: 2, hidden: [8], timeHidden: 0 }, 'timeHidden', ValueRangeError],
      [{ dim: 2, hidden: [8], maxPeriod: 0.5 }, 'maxPeriod', ValueRangeError],
      [{ dim: 2, hidden: [8], twoTime: 'yes' }, 'twoTime', ValueRangeError],
      [{ dim: 2, hidden: [8], seed: -1 }, 'seed', ValueRangeError],
      [{ dim: 2, hiden: [8] }, 'hiden', ConfigError],
      [{ kind: 'unet', dim: 2, hidden: [8] }, 'kind', ConfigError],
    ];
    for (const [config, parameter, type] of cases) {
      const e = errorOf(() => createMlp(config as MlpConfig));
      expect(e, JSON.stringify(config)).toBeInstanceOf(type);
      expect(e.parameter, JSON.stringify(config)).toBe(parameter);
      expect(e.message).toContain(parameter.replace(/\[.*/, ''));
    }
  });

  it('names variables stably, in flow order', () => {
    const spec = resolveMlpConfig({ dim: 3, hidden: [8, 6, 4], twoTime: true });
    expect(mlpWeightShapes(spec)).toEqual({
      'temb/w0': [64, 64],
      'temb/b0': [64],
      'temb/w1': [64, 8],
      'temb_s/w0': [64, 64],
      'temb_s/b0': [64],
      'temb_s/w1': [64, 8],
      'in/w': [3, 8],
      'in/b': [8],
      'h0/w': [8, 6],
      'h0/b': [6],
      'h1/w': [6, 4],
      'h1/b': [4],
      'out/w': [4, 3],
      'out/b': [3],
    });
    const net = createMlp(spec);
    const named = net.namedVariables();
    expect(Object.keys(named)).toEqual(Object.keys(mlpWeightShapes(spec)));
    expect(net.trainableVariables()).toEqual(Object.values(named));
    expect(net.lastLayerWeight()).toBe(named['out/w']);
    for (const [name, v] of Object.entries(named)) expect(v.shape, name).toEqual(mlpWeightShapes(spec)[name]);
    net.dispose();
  });
});

describe('apply', () => {
  it('maps [batch, dim] to [batch, dim] for any batch', () => {
    const net = createMlp({ ...small, dim: 3 });
    for (const batch of [1, 7, 64]) {
      const { x, c } = batchInputs(batch, batch, 3);
      const out = tf.tidy(() => net.apply(tf.tensor2d(x, [batch, 3]), tf.tensor1d(c)));
      expect(out.shape).toEqual([batch, 3]);
      expect(out.dtype).toBe('float32');
      out.dispose();
    }
    net.dispose();
  });

  it('is deterministic by seed; different seeds differ; createNetwork(config) rebuilds the same net', () => {
    const a = createMlp(small);
    const b = createMlp(small);
    const c = createMlp({ ...small, seed: 6 });
    const d = createNetwork(a.config);
    randomizeWeights(a, 1); // outputs are 0 at init (zero output layer): compare weights, then outputs
    randomizeWeights(b, 1);
    const [wa, wc, wd] = [initialMlpWeights(a.config), c.getWeights(), d.getWeights()];
    for (const name of Object.keys(wa)) expect(Array.from(wd[name]!.values), name).toEqual(Array.from(wa[name]!.values));
    expect(maxAbsDiff(wa['h0/w']!.values, wc['h0/w']!.values)).toBeGreaterThan(0.01);
    const { x, c: cn } = batchInputs(16, 2);
    expect(Array.from(applyValues(a, x, cn))).toEqual(Array.from(applyValues(b, x, cn)));
    [a, b, c, d].forEach((n) => n.dispose());
  });

  it('initialises hidden layers He-uniform, biases and the output layer to zero, so D = c_skip·x at start', () => {
    const net = createMlp({ dim: 2, hidden: [256, 256], seed: 9 });
    const w = net.getWeights();
    const h = w['h0/w']!.values;
    let s2 = 0;
    for (const v of h) s2 += v * v;
    expect(s2 / h.length).toBeGreaterThan((2 / 256) * 0.95);
    expect(s2 / h.length).toBeLessThan((2 / 256) * 1.05);
    expect(Math.max(...Array.from(h, Math.abs))).toBeLessThanOrEqual(Math.sqrt(6 / 256));
    for (const name of ['out/w', 'out/b', 'in/b', 'h0/b', 'temb/b0']) expect(w[name]!.values.every((v) => v === 0), name).toBe(true);
    const tanh = createMlp({ dim: 2, hidden: [256, 256], activation: 'tanh', seed: 9 }).getWeights()['h0/w']!.values;
    expect(Math.max(...Array.from(tanh, Math.abs))).toBeLessThanOrEqual(Math.sqrt(3 / 256)); // LeCun for tanh
    // EDM: F = 0 → D(x, t) = c_skip·x
    const x = new Rng(3).normalTensor([10, 2]);
    const t = tf.tensor1d(new Rng(4).uniformArray(10, 0.05, 0.95));
    const D = edmDenoiser((xi, c) => net.apply(xi, c), follmer);
    const c = edmCoefficients(t, follmer);
    const want = tf.mul(perSample(c.cSkip, x), x);
    const got = D(x, t);
    expect(maxAbsDiff(got.dataSync(), want.dataSync())).toBe(0);
    tf.dispose([x, t, c.cIn, c.cOut, c.cSkip, c.cNoise, want, got]);
    net.dispose();
  });

  it('rejects bad inputs with errors naming the parameter', () => {
    const net = createMlp(small);
    const two = net.toTwoTime();
    const x = tf.zeros([4, 2]);
    const c = tf.zeros([4]) as tf.Tensor1D;
    const cases: Array<[() => unknown, string, new (...a: never[]) => CharlearnError]> = [
      [() => net.apply(tf.zeros([2]), c), 'xIn', ShapeError],
      [() => net.apply(tf.zeros([4, 3]), c), 'xIn', ShapeError],
      [() => net.apply(tf.zeros([4, 2, 1]), c), 'xIn', ShapeError],
      [() => net.apply(tf.zeros([0, 2]), tf.zeros([0]) as tf.Tensor1D), 'xIn', ShapeError],
      [() => net.apply(tf.zeros([4, 2], 'int32'), c), 'xIn', ShapeError],
      [() => net.apply([[0, 0]] as unknown as tf.Tensor, c), 'xIn', ShapeError],
      [() => net.apply(x, tf.zeros([3]) as tf.Tensor1D), 'cNoise', ShapeError],
      [() => net.apply(x, tf.zeros([4, 1]) as unknown as tf.Tensor1D), 'cNoise', ShapeError],
      [() => net.apply(x, undefined as unknown as tf.Tensor1D), 'cNoise', ShapeError],
      [() => net.apply(x, c, c), 'cNoiseS', ValueRangeError],
      [() => two.apply(x, c), 'cNoiseS', ShapeError],
      [() => two.apply(x, c, tf.zeros([5]) as tf.Tensor1D), 'cNoiseS', ShapeError],
    ];
    for (const [f, parameter, type] of cases) {
      const before = tf.memory().numTensors;
      tf.engine().startScope();
      const e = errorOf(f);
      tf.engine().endScope();
      expect(e, e.message).toBeInstanceOf(type);
      expect(e.parameter, e.message).toBe(parameter);
      expect(tf.memory().numTensors).toBe(before);
    }
    expect(errorOf(() => two.apply(x, c)).message).toMatch(/two-time/);
    expect(errorOf(() => net.apply(x, tf.zeros([3]) as tf.Tensor1D)).message).toContain('[4]');
    tf.dispose([x, c]);
    net.dispose();
    two.dispose();
  });

  it('leaks no tensors over 5 forward + backward steps, and apply leaves exactly its output', () => {
    const net = createMlp({ ...small, twoTime: true });
    randomizeWeights(net, 2);
    const { x, c, cs } = batchInputs(32, 3);
    const [xt, ct, cst] = [tf.tensor2d(x, [32, 2]), tf.tensor1d(c), tf.tensor1d(cs)];
    const before = tf.memory().numTensors;
    const out = net.apply(xt, ct, cst);
    expect(tf.memory().numTensors).toBe(before + 1);
    out.dispose();
    const opt = tf.train.adam(1e-3);
    const loss = () => tf.mean(tf.square(net.apply(xt, ct, cst))) as tf.Scalar;
    const step = () => {
      const { value, grads } = tf.variableGrads(loss, net.trainableVariables());
      opt.applyGradients(grads as never); // AdamOptimizer declares NamedVariableMap
      tf.dispose([value, ...Object.values(grads)]);
    };
    step(); // creates Adam's slots
    const counts: number[] = [];
    for (let i = 0; i < 5; i++) {
      step();
      counts.push(tf.memory().numTensors);
    }
    expect(new Set(counts).size).toBe(1);
    opt.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([xt, ct, cst]);
    net.dispose();
  });

  it('dispose frees every variable and the cached frequencies; later calls throw; dispose is idempotent', () => {
    const before = tf.memory().numTensors;
    const net = createMlp(small);
    expect(tf.memory().numTensors).toBe(before + net.trainableVariables().length + 1);
    net.dispose();
    net.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(() => net.apply(tf.zeros([1, 2]), tf.zeros([1]) as tf.Tensor1D)).toThrow(/disposed/);
    expect(() => net.getWeights()).toThrow(CharlearnError);
  });

  it('can be built inside a tfjs scope (tidy) and survive it', () => {
    tf.engine().startScope();
    const net = createMlp(small);
    const clone = net.clone();
    tf.engine().endScope();
    const out = tf.tidy(() => clone.apply(tf.ones([2, 2]), tf.ones([2]) as tf.Tensor1D));
    expect(out.shape).toEqual([2, 2]);
    tf.dispose(out);
    net.dispose();
    clone.dispose();
  });
});

describe('two-time', () => {
  it('toTwoTime() equals the one-time net for random cNoiseS (and equals createMlp({ twoTime: true }))', () => {
    const net = createMlp({ ...small, activation: 'gelu' });
    randomizeWeights(net, 4);
    const two = net.toTwoTime();
    expect(two.twoTime).toBe(true);
    expect(two.config).toEqual({ ...net.config, twoTime: true });
    const { x, c } = batchInputs(64, 5);
    const one = applyValues(net, x, c);
    for (let k = 0; k < 4; k++) {
      const cs = new Rng(50 + k).uniformArray(64, 0, 999);
      expect(maxAbsDiff(applyValues(two, x, c, cs), one)).toBeLessThan(1e-6); // measured: exactly 0
    }
    const shared = net.getWeights();
    const w2 = two.getWeights();
    for (const name of Object.keys(shared)) expect(Array.from(w2[name]!.values), name).toEqual(Array.from(shared[name]!.values));
    expect(w2['temb_s/w1']!.values.every((v) => v === 0)).toBe(true);
    expect(Array.from(w2['temb_s/w0']!.values)).toEqual(Array.from(shared['temb/w0']!.values));
    // built directly: same weights as createMlp(c).toTwoTime()
    const fresh = createMlp({ ...small, activation: 'gelu' });
    const direct = createMlp({ ...small, activation: 'gelu', twoTime: true });
    const viaCopy = fresh.toTwoTime();
    const [wd, wv] = [direct.getWeights(), viaCopy.getWeights()];
    for (const name of Object.keys(wd)) expect(Array.from(wd[name]!.values), name).toEqual(Array.from(wv[name]!.values));
    // independent variables: changing the copy leaves the source alone
    randomizeWeights(two, 8);
    expect(maxAbsDiff(applyValues(net, x, c), one)).toBe(0);
    // toTwoTime of a two-time net is a clone (keeps its trained s path)
    const again = two.toTwoTime();
    const cs = new Rng(9).uniformArray(64, 0, 999);
    expect(maxAbsDiff(applyValues(again, x, c, cs), applyValues(two, x, c, cs))).toBe(0);
    [net, two, fresh, direct, viaCopy, again].forEach((n) => n.dispose());
  });

  it('uses s: one optimiser step on the s path makes the output depend on cNoiseS', () => {
    const net = createMlp(small);
    randomizeWeights(net, 6, 0.3);
    const two = net.toTwoTime();
    const { x, c, cs } = batchInputs(64, 7);
    const [xt, ct, cst] = [tf.tensor2d(x, [64, 2]), tf.tensor1d(c), tf.tensor1d(cs)];
    const y = new Rng(8).normalTensor([64, 2]);
    const sPath = Object.entries(two.namedVariables())
      .filter(([name]) => name.startsWith('temb_s/'))
      .map(([, v]) => v);
    expect(sPath.length).toBe(3);
    const loss = () => tf.mean(tf.square(tf.sub(two.apply(xt, ct, cst), y))) as tf.Scalar;
    const { value, grads } = tf.variableGrads(loss, sPath);
    // only the zero last layer of the s path gets a gradient at first (its input is non-zero)
    const gW1 = grads[two.namedVariables()['temb_s/w1']!.name]!;
    expect(tf.max(tf.abs(gW1)).dataSync()[0]).toBeGreaterThan(1e-6);
    const opt = tf.train.adam(1e-2);
    opt.applyGradients(grads as never);
    tf.dispose([value, ...Object.values(grads)]);
    const before = applyValues(net, x, c);
    const a = applyValues(two, x, c, cs);
    const b = applyValues(two, x, c, new Rng(10).uniformArray(64, 0, 999));
    expect(maxAbsDiff(a, before)).toBeGreaterThan(1e-4);
    expect(maxAbsDiff(a, b)).toBeGreaterThan(1e-4);
    // the one-time net and the shared weights are untouched
    expect(maxAbsDiff(two.getWeights()['h0/w']!.values, net.getWeights()['h0/w']!.values)).toBe(0);
    opt.dispose();
    tf.dispose([xt, ct, cst, y]);
    net.dispose();
    two.dispose();
  });
});

describe('weights', () => {
  it('getWeights / setWeights / clone round-trip exactly', () => {
    const a = createMlp({ ...small, twoTime: true });
    randomizeWeights(a, 12);
    const b = createMlp({ ...small, twoTime: true, seed: 77 });
    b.setWeights(a.getWeights());
    const c = a.clone();
    const { x, c: cn, cs } = batchInputs(16, 13);
    const ref = applyValues(a, x, cn, cs);
    expect(Array.from(applyValues(b, x, cn, cs))).toEqual(Array.from(ref));
    expect(Array.from(applyValues(c, x, cn, cs))).toEqual(Array.from(ref));
    expect(c.config).toEqual(a.config);
    // clone is independent, in both directions
    randomizeWeights(c, 14);
    expect(Array.from(applyValues(a, x, cn, cs))).toEqual(Array.from(ref));
    const w = a.getWeights();
    w['out/b']!.values[0] = 123; // getWeights returns copies
    expect(Array.from(applyValues(a, x, cn, cs))).toEqual(Array.from(ref));
    a.dispose();
    expect(Array.from(applyValues(b, x, cn, cs))).toEqual(Array.from(ref));
    [b, c].forEach((n) => n.dispose());
  });

  it('setWeights rejects missing, unexpected and mis-shaped arrays with CheckpointError, changing nothing', () => {
    const net = createMlp(small);
    randomizeWeights(net, 15);
    const good = net.getWeights();
    const { x, c } = batchInputs(4, 16);
    const ref = applyValues(net, x, c);
    const missing = { ...good };
    delete missing['h1/b'];
    const extra = { ...good, 'temb_s/w1': { shape: [64, 32], values: new Float32Array(64 * 32) } };
    const misShaped = { ...good, 'h0/w': { shape: [16, 64], values: good['h0/w']!.values } };
    const shortValues = { ...good, 'in/w': { shape: [2, 32], values: new Float32Array(3) } };
    for (const [bad, text] of [
      [missing, "'h1/b'"],
      [extra, "'temb_s/w1'"],
      [misShaped, "'h0/w'"],
      [shortValues, "'in/w'"],
    ] as const) {
      const e = errorOf(() => net.setWeights(bad as never));
      expect(e).toBeInstanceOf(CheckpointError);
      expect(e.message).toContain(text);
    }
    expect(errorOf(() => net.setWeights(misShaped)).message).toContain('[32, 32]');
    expect(Array.from(applyValues(net, x, c))).toEqual(Array.from(ref));
    net.dispose();
  });
});

describe('training sanity', () => {
  it('one Adam step from the zero output layer moves only the output layer; the next moves every layer', () => {
    const net: Network = createMlp(small);
    const before = net.getWeights();
    const { x, c } = batchInputs(64, 17);
    const [xt, ct] = [tf.tensor2d(x, [64, 2]), tf.tensor1d(c)];
    const y = new Rng(18).normalTensor([64, 2]);
    const opt = tf.train.adam(1e-3);
    const step = () => opt.minimize(() => tf.mean(tf.square(tf.sub(net.apply(xt, ct), y))) as tf.Scalar, false, net.trainableVariables());
    step();
    const after1 = net.getWeights();
    const moved = (a: typeof before, b: typeof before) => Object.keys(a).filter((k) => maxAbsDiff(a[k]!.values, b[k]!.values) > 0);
    expect(moved(before, after1).sort()).toEqual(['out/b', 'out/w']);
    step();
    expect(moved(after1, net.getWeights()).length).toBe(net.trainableVariables().length);
    opt.dispose();
    tf.dispose([xt, ct, y]);
    net.dispose();
  });
});
