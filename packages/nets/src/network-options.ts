/**
 * The settings of each built-in network kind that a run config sets, as config schemas (the one place their defaults
 * live; the `resolve*Config` functions take their defaults from here). What the data decides (`dim`,
 * `sampleShape`) and what the run decides (`seed`, `twoTime`) are not options: {@link NetworkKind.specFor} adds them.
 * `null` means "derived": a U-Net's `embedDim` is `4·channels`, its `timeEmbeddingDim` is `channels`, a DiT's
 * `timeEmbeddingDim` is 256, an MLP's `timeHidden` is its `timeEmbeddingDim`.
 */
import * as v from 'valibot';
import { configSection, integerSchema, numberSchema, parseConfig, setting } from '@charlearn/core';
import { ACTIVATIONS, DIT_ACTIVATIONS } from './activations';

const widths = (min: number) => v.pipe(v.array(integerSchema({ min })), v.minLength(1));
const maxPeriod = setting(numberSchema({ min: 1 }), 10000, 'longest period of the sinusoidal time embedding');

/** `model` with `kind: mlp`: the MLP's settings. */
export const mlpOptionsSchema = configSection({
  hidden: setting(widths(1), [256, 256, 256], 'mlp: hidden layer widths'),
  activation: setting(v.picklist(ACTIVATIONS), 'silu', 'mlp: hidden activation'),
  timeEmbeddingDim: setting(integerSchema({ min: 2 }), 64, 'mlp: sinusoidal time embedding size (even)'),
  timeHidden: setting(v.nullable(integerSchema({ min: 1 })), null, 'mlp: hidden width of the time MLP; null: timeEmbeddingDim'),
  maxPeriod,
});

/** `model` with `kind: unet`: the DDPM++-style U-Net's settings. */
export const unetOptionsSchema = configSection({
  channels: setting(integerSchema({ min: 1 }), 32, 'unet: base channels'),
  channelMult: setting(widths(1), [1, 2, 2], 'unet: channel multiplier per resolution level'),
  numResBlocks: setting(integerSchema({ min: 1 }), 1, 'unet: residual blocks per level'),
  attentionResolutions: setting(v.array(integerSchema({ min: 1 })), [], 'unet: feature-map sizes with self-attention (28x28 input: 28, 14, 7)'),
  heads: setting(integerSchema({ min: 1 }), 1, 'unet: attention heads'),
  dropout: setting(numberSchema({ min: 0, lt: 1 }), 0, 'unet: dropout in the residual blocks'),
  groups: setting(integerSchema({ min: 1 }), 8, 'unet: GroupNorm groups (divide every width)'),
  embedDim: setting(v.nullable(integerSchema({ min: 1 })), null, 'unet: time embedding width; null: 4 x channels'),
  timeEmbeddingDim: setting(v.nullable(integerSchema({ min: 2 })), null, 'unet: sinusoidal time embedding size (even); null: channels (rounded up to even)'),
  maxPeriod,
});

/** `model` with `kind: dit`: the DiT's settings. */
export const ditOptionsSchema = configSection({
  patchSize: setting(integerSchema({ min: 1 }), 2, 'dit: patch side (divides the image size)'),
  hidden: setting(integerSchema({ min: 4 }), 128, 'dit: token width (divisible by heads and by 4)'),
  depth: setting(integerSchema({ min: 1 }), 4, 'dit: transformer blocks'),
  heads: setting(integerSchema({ min: 1 }), 4, 'dit: attention heads'),
  mlpRatio: setting(numberSchema({ gt: 0 }), 4, 'dit: MLP width over token width'),
  activation: setting(v.picklist(DIT_ACTIVATIONS), 'gelu-tanh', 'dit: MLP activation'),
  timeEmbeddingDim: setting(v.nullable(integerSchema({ min: 2 })), null, 'dit: sinusoidal time embedding size (even); null: 256'),
  maxPeriod,
});

/** `model` with `kind: songunet`: the reference code's DDPM++ U-Net (its `network.py` argument names in camelCase). */
export const songUnetOptionsSchema = configSection({
  modelChannels: setting(integerSchema({ min: 4 }), 32, "songunet: model_channels (the reference's MNIST setting; 128 for CIFAR-10)"),
  channelMult: setting(widths(1), [1, 2, 2], 'songunet: channel_mult per resolution level'),
  channelMultEmb: setting(integerSchema({ min: 1 }), 4, 'songunet: channel_mult_emb (embedding width = modelChannels x this)'),
  numBlocks: setting(integerSchema({ min: 1 }), 4, 'songunet: num_blocks per resolution'),
  attnResolutions: setting(v.array(integerSchema({ min: 1 })), [14], 'songunet: attn_resolutions (feature-map sizes with self-attention)'),
  dropout: setting(numberSchema({ min: 0, max: 1 }), 0.1, 'songunet: dropout (recorded; apply runs without it)'),
});

/** {@link mlpOptionsSchema}'s defaults. */
export const MLP_DEFAULTS = parseConfig(mlpOptionsSchema, {}, 'model');
/** {@link unetOptionsSchema}'s defaults. */
export const UNET_DEFAULTS = parseConfig(unetOptionsSchema, {}, 'model');
/** {@link songUnetOptionsSchema}'s defaults. */
export const SONGUNET_DEFAULTS = parseConfig(songUnetOptionsSchema, {}, 'model');
/** {@link ditOptionsSchema}'s defaults. */
export const DIT_DEFAULTS = parseConfig(ditOptionsSchema, {}, 'model');
