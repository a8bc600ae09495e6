import { describe, expect, it } from 'vitest';
import { ConfigError, configSection, integerSchema, setting } from '@charlearn/core';
import { createMlp } from './mlp';
import { DIT_DEFAULTS, MLP_DEFAULTS, UNET_DEFAULTS } from './network-options';
import { getNetworkKind, listNetworkKinds, networkSpecFromOptions, registerNetworkKind } from './registry';
import { resolveDitConfig } from './dit-config';
import { resolveMlpConfig } from './mlp-config';
import { resolveUnetConfig } from './unet-config';

const error = (f: () => unknown): ConfigError => {
  try {
    f();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
};

describe('network kinds carry their settings schema', () => {
  it('the resolved specs take their defaults from the schemas', () => {
    const unet = resolveUnetConfig({ sampleShape: [8, 8, 1] });
    expect([unet.channels, unet.channelMult, unet.numResBlocks, unet.attentionResolutions, unet.heads, unet.dropout, unet.groups]).toEqual([
      UNET_DEFAULTS.channels, UNET_DEFAULTS.channelMult, UNET_DEFAULTS.numResBlocks, UNET_DEFAULTS.attentionResolutions, UNET_DEFAULTS.heads, UNET_DEFAULTS.dropout, UNET_DEFAULTS.groups,
    ]);
    expect(UNET_DEFAULTS.channels).toBe(32);
    const dit = resolveDitConfig({ sampleShape: [8, 8, 1] });
    expect([dit.patchSize, dit.hidden, dit.depth, dit.heads, dit.mlpRatio, dit.activation]).toEqual([2, 128, 4, 4, 4, 'gelu-tanh']);
    expect(DIT_DEFAULTS.patchSize).toBe(dit.patchSize);
    const mlp = resolveMlpConfig({ dim: 2, hidden: MLP_DEFAULTS.hidden });
    expect([mlp.activation, mlp.timeEmbeddingDim]).toEqual([MLP_DEFAULTS.activation, MLP_DEFAULTS.timeEmbeddingDim]);
  });

  it('builds a spec from run options, the data shape and the seed; a typo names the closest key', () => {
    expect(networkSpecFromOptions('mlp', { hidden: [8] }, [2], 5)).toEqual({ kind: 'mlp', hidden: [8], activation: 'silu', timeEmbeddingDim: 64, maxPeriod: 10000, dim: 2, seed: 5 });
    const unet = networkSpecFromOptions('unet', { channels: 8 }, [8, 8, 1], 0) as unknown as Record<string, unknown>;
    expect(unet.sampleShape).toEqual([8, 8, 1]);
    expect('embedDim' in unet).toBe(false); // null: the network's own default
    const e = error(() => networkSpecFromOptions('unet', { chanels: 8 }, [8, 8, 1], 0));
    expect(e.message).toMatch(/^unknown config key 'model.chanels'; did you mean 'model.channels'\?/);
    expect(e.parameter).toBe('model.chanels');
    expect(error(() => networkSpecFromOptions('dit', { patchSize: 0 }, [8, 8, 1], 0)).message).toBe("config key 'model.patchSize': expected integer >= 1, got 0");
  });

  it('a plugin kind registers its schema and is built from options like the built-ins', () => {
    registerNetworkKind('test/wide-mlp', (spec, seed) => createMlp({ dim: (spec as unknown as { dim: number }).dim, hidden: [(spec as unknown as { width: number }).width], ...(seed === undefined ? {} : { seed }) }), {
      override: true,
      options: configSection({ width: setting(integerSchema({ min: 1 }), 16, 'hidden width') }),
      specFor: (o, shape, seed) => ({ kind: 'test/wide-mlp', width: o.width as number, dim: shape[0]!, seed }) as never,
    });
    expect(listNetworkKinds()).toContain('test/wide-mlp');
    expect(getNetworkKind('test/wide-mlp').options).toBeDefined();
    expect(networkSpecFromOptions('test/wide-mlp', {}, [3], 1)).toEqual({ kind: 'test/wide-mlp', width: 16, dim: 3, seed: 1 });
    expect(error(() => networkSpecFromOptions('test/wide-mlp', { widht: 4 }, [3], 1)).message).toMatch(/did you mean 'model.width'\?/);
  });

  it('the constructors name the closest key of a typo', () => {
    expect(error(() => resolveUnetConfig({ sampleShape: [8, 8, 1], chanels: 8 } as never)).message).toMatch(/^unknown U-Net config key 'chanels'; did you mean 'channels'\?/);
    expect(error(() => resolveMlpConfig({ dim: 2, hiden: [8] } as never)).message).toMatch(/^unknown MLP config key 'hiden'; did you mean 'hidden'\?/);
  });
});
