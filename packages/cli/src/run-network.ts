/**
 * The run's network from `model`: an MLP for 2-D targets, a U-Net or DiT for images; errors the network
 * raises about its settings are re-raised as `ConfigError`s naming the run-config key (`model.unet.heads`).
 */
import { CharlearnError, ConfigError } from '@charlearn/core';
import { createNetwork, type Network, type NetworkSpec } from '@charlearn/nets';
import type { RunConfig } from './config';

/**
 * The `@charlearn/nets` spec of the run's network for samples of shape `sampleShape` (`[2]`, `[28, 28, 1]`).
 *
 * @example
 * ```ts
 * runNetworkSpec(defaultRunConfig(), [2]); // { kind: 'mlp', dim: 2, hidden: [256, 256, 256], ... }
 * ```
 */
export function runNetworkSpec(config: Pick<RunConfig, 'model' | 'seed'>, sampleShape: readonly number[]): NetworkSpec {
  const { model, seed } = config;
  switch (model.kind) {
    case 'mlp':
      return { kind: 'mlp', dim: sampleShape[0]!, hidden: model.hidden, activation: model.activation, timeEmbeddingDim: model.timeEmbeddingDim, seed } as NetworkSpec;
    case 'unet': {
      const { timeEmbeddingDim, ...rest } = model.unet;
      return { kind: 'unet', sampleShape: [...sampleShape], ...rest, ...(timeEmbeddingDim !== null ? { timeEmbeddingDim } : {}), seed } as NetworkSpec;
    }
    case 'dit': {
      const { timeEmbeddingDim, ...rest } = model.dit;
      return { kind: 'dit', sampleShape: [...sampleShape], ...rest, ...(timeEmbeddingDim !== null ? { timeEmbeddingDim } : {}), seed } as NetworkSpec;
    }
  }
}

/**
 * Builds the run's network ({@link runNetworkSpec}). A setting the network refuses (a U-Net `heads` that does not
 * divide a width, a DiT `patchSize` that does not divide the image) → `ConfigError` whose parameter is the
 * run-config key, e.g. `model.dit.patchSize`.
 *
 * @example
 * ```ts
 * const net = createRunNetwork(config, [28, 28, 1]);
 * net.parameterCount();
 * ```
 */
export function createRunNetwork(config: Pick<RunConfig, 'model' | 'seed'>, sampleShape: readonly number[]): Network {
  const spec = runNetworkSpec(config, sampleShape);
  try {
    return createNetwork(spec);
  } catch (e) {
    if (!(e instanceof CharlearnError) || config.model.kind === 'mlp') throw e;
    const kind = config.model.kind;
    throw new ConfigError(`${runConfigKey(kind, e.parameter)}: ${e.message} (images of shape [${sampleShape.join(', ')}])`, runConfigKey(kind, e.parameter));
  }
}

/**
 * The run-config key behind a parameter an image network names in an error: the image size is the data's, so a
 * size the network cannot take is down to its patch size (DiT) or number of levels (U-Net); the U-Net's GroupNorm
 * uses 8 groups, so `groups` means the channel widths; `seed` is the run's.
 */
function runConfigKey(kind: 'unet' | 'dit', parameter: string | undefined): string {
  switch (parameter) {
    case undefined:
      return `model.${kind}`;
    case 'sampleShape':
      return kind === 'dit' ? 'model.dit.patchSize' : 'model.unet.channelMult';
    case 'groups':
      return 'model.unet.channels';
    case 'seed':
      return 'seed';
    default:
      return `model.${kind}.${parameter}`;
  }
}

/**
 * A short description of the run's network for log lines: `U-Net 16 x [1, 2, 2], attention at 7 (250,113 parameters)`.
 *
 * @example
 * ```ts
 * ctx.log(`teacher: ${describeRunNetwork(config, net)}`);
 * ```
 */
export function describeRunNetwork(config: Pick<RunConfig, 'model'>, net: Network): string {
  const params = `${net.parameterCount().toLocaleString('en-US')} parameters`;
  const { model } = config;
  switch (model.kind) {
    case 'mlp':
      return `MLP ${model.hidden.join('x')} (${params})`;
    case 'unet': {
      const u = model.unet;
      const attention = u.attentionResolutions.length ? `, attention at ${u.attentionResolutions.join(', ')}` : '';
      return `U-Net ${u.channels} x [${u.channelMult.join(', ')}], ${u.numResBlocks} res block(s)/level${attention} (${params})`;
    }
    case 'dit': {
      const d = model.dit;
      return `DiT patch ${d.patchSize}, width ${d.hidden}, depth ${d.depth}, ${d.heads} heads (${params})`;
    }
  }
}
