import * as tf from '@tensorflow/tfjs-core';
import '@charlearn/backend-wasm';
import { ConfigError, UnknownPluginError, useBackend } from '@charlearn/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Mlp, createNetwork, listNetworkKinds, networkKinds, registerNetworkKind, type Network, type NetworkSpec } from './index';

beforeAll(async () => {
  await useBackend('wasm');
});

describe('network registry', () => {
  it("builds 'mlp' from a spec; seed overrides the spec's", () => {
    expect(listNetworkKinds()).toContain('mlp');
    const net = createNetwork({ kind: 'mlp', dim: 2, hidden: [16] });
    expect(net).toBeInstanceOf(Mlp);
    expect(net.config.seed).toBe(0);
    const seeded = createNetwork(net.config, 9);
    expect(seeded.config.seed).toBe(9);
    expect(Array.from(seeded.getWeights()['in/w']!.values)).not.toEqual(Array.from(net.getWeights()['in/w']!.values));
    net.dispose();
    seeded.dispose();
  });

  it('unknown kinds list the registered ones; bad specs are ConfigErrors', () => {
    try {
      createNetwork({ kind: 'no-such-kind' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(UnknownPluginError);
      expect((e as UnknownPluginError).available).toContain('mlp');
      expect((e as UnknownPluginError).parameter).toBe('spec.kind');
    }
    expect(() => createNetwork(null as unknown as NetworkSpec)).toThrow(ConfigError);
    expect(() => createNetwork({ dim: 2 } as unknown as NetworkSpec)).toThrow(/spec.kind/);
    expect(() => createNetwork({ kind: 'mlp', dim: 2, hidden: [4], depth: 3 })).toThrow(/unknown MLP config key 'depth'/);
  });

  it('third-party kinds can be registered and rebuilt from their spec', () => {
    const built: NetworkSpec[] = [];
    registerNetworkKind('test/wrapped-mlp', (spec, seed) => {
      built.push(spec);
      const inner = createNetwork({ kind: 'mlp', dim: Number(spec.dim), hidden: [4] }, seed);
      // a delegating wrapper: what a third-party architecture must provide
      const wrapped: Network = {
        kind: 'test/wrapped-mlp',
        config: spec,
        twoTime: inner.twoTime,
        sampleShape: inner.sampleShape,
        apply: (x, c, s) => inner.apply(x, c, s),
        trainableVariables: () => inner.trainableVariables(),
        namedVariables: () => inner.namedVariables(),
        lastLayerWeight: () => inner.lastLayerWeight(),
        parameterCount: () => inner.parameterCount(),
        getWeights: () => inner.getWeights(),
        setWeights: (w) => inner.setWeights(w),
        clone: () => inner.clone(),
        toTwoTime: () => inner.toTwoTime(),
        dispose: () => inner.dispose(),
      };
      return wrapped;
    });
    try {
      const net = createNetwork({ kind: 'test/wrapped-mlp', dim: 3 }, 1);
      expect(net.kind).toBe('test/wrapped-mlp');
      expect(net.sampleShape).toEqual([3]);
      const out = tf.tidy(() => net.apply(tf.zeros([2, 3]), tf.zeros([2]) as tf.Tensor1D));
      expect(out.shape).toEqual([2, 3]);
      out.dispose();
      net.dispose();
      expect(built).toEqual([{ kind: 'test/wrapped-mlp', dim: 3 }]);
      expect(() => registerNetworkKind('', () => net)).toThrow(ConfigError);
      expect(() => registerNetworkKind('x', 1 as never)).toThrow(ConfigError);
    } finally {
      networkKinds.unregister('test/wrapped-mlp');
    }
  });
});
