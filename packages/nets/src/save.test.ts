import * as tf from '@tensorflow/tfjs-core';
import '@charlearn/backend-wasm';
import { CheckpointError, Rng, decodeTensors, encodeTensors, useBackend } from '@charlearn/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createMlp, loadNetwork, saveNetwork } from './index';
import { applyValues, randomizeWeights } from './test-helpers';

beforeAll(async () => {
  await useBackend('wasm');
});

function errorOf(f: () => unknown): CheckpointError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(CheckpointError);
    return e as CheckpointError;
  }
  throw new Error('expected a CheckpointError');
}

describe('saveNetwork / loadNetwork', () => {
  it('round-trips spec and weights: identical outputs, extra meta kept', () => {
    const net = createMlp({ dim: 3, hidden: [16, 16], activation: 'tanh', seed: 4 }).toTwoTime();
    randomizeWeights(net, 5);
    const bytes = saveNetwork(net, { step: 77, note: 'test' });
    const loaded = loadNetwork(bytes);
    expect(loaded.config).toEqual(net.config);
    expect(loaded.twoTime).toBe(true);
    const rng = new Rng(6);
    const [x, c, cs] = [rng.normalArray(30), rng.uniformArray(10, 0, 999), rng.uniformArray(10, 0, 999)];
    expect(Array.from(applyValues(loaded, x, c, cs))).toEqual(Array.from(applyValues(net, x, c, cs)));
    const { meta } = decodeTensors(bytes);
    expect(meta.step).toBe(77);
    expect(meta.format).toBe('charlearn-network');
    expect(() => saveNetwork(net, { network: 1 })).toThrow(/reserved key 'network'/);
    net.dispose();
    loaded.dispose();
  });

  it('rejects files that are not networks or whose weights do not fit the spec, leaking nothing', () => {
    const net = createMlp({ dim: 2, hidden: [8] });
    expect(errorOf(() => loadNetwork(encodeTensors(net.getWeights(), { step: 1 }))).message).toMatch(/not a network file/);
    expect(errorOf(() => loadNetwork(encodeTensors({}, { format: 'charlearn-network' }))).message).toMatch(/meta.network/);
    expect(errorOf(() => loadNetwork(encodeTensors({}, { format: 'charlearn-network', network: { kind: 'nope' } }))).message).toMatch(
      /unknown network kind 'nope'/,
    );
    const before = tf.memory().numTensors;
    const wrong = encodeTensors(net.getWeights(), { format: 'charlearn-network', network: { ...net.config, hidden: [9] } });
    expect(errorOf(() => loadNetwork(wrong)).message).toMatch(/'temb\/w1' has shape \[64, 8\], expected \[64, 9\]/);
    expect(tf.memory().numTensors).toBe(before);
    const corrupt = saveNetwork(net);
    corrupt[corrupt.length - 20] = corrupt[corrupt.length - 20]! ^ 0xff;
    expect(errorOf(() => loadNetwork(corrupt)).message).toMatch(/checksum mismatch/);
    net.dispose();
  });
});
