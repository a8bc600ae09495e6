import * as tf from '@tensorflow/tfjs-core';
import '@charlearn/backend-wasm';
import { ConfigError, Rng, useBackend } from '@charlearn/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { SongUnet, createNetwork, fromTorchStateDict, listNetworkKinds, resolveSongUnetConfig, songUnetBuffers, songUnetWeightShapes, toTorchStateDict } from './index';
import { randomizeWeights } from './test-helpers';

beforeAll(async () => {
  await useBackend('wasm');
});

const small = { sampleShape: [8, 8, 1], modelChannels: 4, channelMult: [1, 2], channelMultEmb: 2, numBlocks: 1, attnResolutions: [4] } as const;

describe('songunet (the reference layout)', () => {
  it('is a registered kind whose names are the reference state_dict keys', () => {
    expect(listNetworkKinds()).toContain('songunet');
    const net = createNetwork({ kind: 'songunet', ...small, sampleShape: [...small.sampleShape], channelMult: [1, 2], attnResolutions: [4] });
    const names = Object.keys(net.getWeights());
    // the reference MNIST layout: enc.{res}x{res}_conv, _down, _block{i}; dec._in0 (attention), _in1, _up, _block{i}, _aux_norm, _aux_conv
    expect(names).toContain('enc.8x8_conv.weight');
    expect(names).toContain('enc.4x4_down.skip.weight');
    expect(names).toContain('enc.4x4_block0.qkv.weight');
    expect(names).toContain('dec.4x4_in0.proj.bias');
    expect(names).toContain('dec.8x8_up.conv0.weight');
    expect(names).toContain('dec.8x8_aux_conv.weight');
    expect(names.some((n) => n.includes('affine_s'))).toBe(false);
    expect(net.parameterCount()).toBe(names.reduce((s, n) => s + net.getWeights()[n]!.values.length, 0));
    expect(Object.keys(songUnetBuffers(resolveSongUnetConfig(small)))).toEqual([
      'enc.4x4_down.conv0.resample_filter',
      'enc.4x4_down.skip.resample_filter',
      'dec.8x8_up.conv0.resample_filter',
      'dec.8x8_up.skip.resample_filter',
    ]);
    // the reference MNIST teacher and generator (defaults) have the parameter counts of the PyTorch modules
    // (sum(p.numel() for p in UNet(28, 1, 1, ...).parameters()): 2,740,193 and, with traj_mode, 2,992,097)
    const count = (twoTime: boolean) => Object.values(songUnetWeightShapes(resolveSongUnetConfig({ sampleShape: [28, 28, 1], twoTime }))).reduce((s, sh) => s + sh.reduce((a, b) => a * b, 1), 0);
    expect(count(false)).toBe(2_740_193);
    expect(count(true)).toBe(2_992_097);
    net.dispose();
  });

  it('makes a two-time copy equal to the one-time network for every s, leaking nothing', () => {
    const net = SongUnet.create(small);
    randomizeWeights(net, 3, 0.3);
    const g = net.toTwoTime();
    expect(g.twoTime).toBe(true);
    expect(Object.keys(g.getWeights())).toContain('map_layer0_s.weight');
    const before = tf.memory().numTensors;
    const rng = new Rng(4);
    const diff = tf.tidy(() => {
      const x = tf.tensor4d(rng.normalArray(2 * 64), [2, 8, 8, 1]);
      const c = tf.tensor1d([100, 900]);
      const a = net.apply(x, c);
      const b = g.apply(x, c, tf.tensor1d([3, 500]));
      return tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!;
    });
    expect(diff).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
    // once trained (affine_s non-zero), s matters
    randomizeWeights(g, 5, 0.3);
    const spread = tf.tidy(() => {
      const x = tf.ones([1, 8, 8, 1]) as tf.Tensor4D;
      return tf.max(tf.abs(tf.sub(g.apply(x, tf.tensor1d([10]), tf.tensor1d([20])), g.apply(x, tf.tensor1d([10]), tf.tensor1d([800]))))).dataSync()[0]!;
    });
    expect(spread).toBeGreaterThan(1e-5);
    // state dict round trip: buffers added for PyTorch, checked and dropped on the way back
    const sd = toTorchStateDict(g);
    expect(sd['enc.4x4_down.conv0.resample_filter']!.values).toEqual(new Float32Array(4).fill(0.25));
    expect(Object.keys(fromTorchStateDict(sd, g.config as never))).toEqual(Object.keys(g.getWeights()));
    sd['dec.8x8_up.skip.resample_filter'] = { shape: [1, 1, 2, 2], values: Float32Array.of(1, 0, 0, 0) };
    expect(() => fromTorchStateDict(sd, g.config as never)).toThrow(/'dec.8x8_up.skip.resample_filter' must be the \[1, 1\] resample filter/);
    net.dispose();
    g.dispose();
  });

  it('has gradients for every parameter', () => {
    const net = SongUnet.create({ ...small, twoTime: true });
    randomizeWeights(net, 7, 0.3);
    const x = tf.tensor4d(new Rng(8).normalArray(64), [1, 8, 8, 1]);
    const { grads } = tf.variableGrads(() => tf.sum(tf.square(net.apply(x, tf.tensor1d([300]), tf.tensor1d([600])))) as tf.Scalar, net.trainableVariables());
    const zero = Object.entries(grads).filter(([, g]) => tf.max(tf.abs(g)).dataSync()[0] === 0);
    expect(zero.map(([n]) => n)).toEqual([]);
    expect(Object.keys(grads)).toHaveLength(net.trainableVariables().length);
    tf.dispose([x, ...Object.values(grads)]);
    net.dispose();
  });

  it('refuses bad configs with the key named', () => {
    expect(() => resolveSongUnetConfig({ ...small, numBlock: 2 })).toThrow(/numBlock/);
    expect(() => resolveSongUnetConfig({ ...small, sampleShape: [8, 4, 1] })).toThrow(/square/);
    expect(() => resolveSongUnetConfig({ ...small, sampleShape: [6, 6, 1], channelMult: [1, 2, 2] })).toThrow(ConfigError);
    expect(() => resolveSongUnetConfig({ ...small, modelChannels: 6 })).toThrow(/multiple of 4 channels/);
  });
});
