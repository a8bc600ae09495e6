import { ConfigError, assertNumber } from '@charlearn/core';
import { checkConfigKeys, positiveInt, resolveSampleShape } from './image-config';
import { SONGUNET_DEFAULTS } from './network-options';

/**
 * Config of the `songunet` network kind: EDM's DDPM++ `SongUNet` as the
 * characteristic-generator reference code has it (`network.py` of
 * burning489/CharacteristicGenerator: positional embedding with endpoint,
 * standard encoder and decoder, resample filter `[1, 1]`, one attention
 * head, skip scale `√½`, GroupNorm eps 1e-6, unconditional), with its
 * two-time branch (`traj_mode`). Names follow the reference arguments.
 */
export interface SongUnetConfig {
  /** One image `[H, W, C]` (H = W = the reference's `img_resolution`, C its `in_channels` = `out_channels`). */
  sampleShape: readonly number[];
  /** `model_channels`. Default 32 (the reference's MNIST setting; 128 for CIFAR-10). */
  modelChannels?: number;
  /** `channel_mult`. Default `[1, 2, 2]`. */
  channelMult?: readonly number[];
  /** `channel_mult_emb`: embedding width = `modelChannels·channelMultEmb`. Default 4. */
  channelMultEmb?: number;
  /** `num_blocks` per resolution. Default 4. */
  numBlocks?: number;
  /** `attn_resolutions`. Default `[14]`. */
  attnResolutions?: readonly number[];
  /** `dropout`: recorded (the reference trains with 0.1); charlearn's `apply` runs without dropout. Default 0.1. */
  dropout?: number;
  /** `traj_mode`: the two-time generator `g(t, s, x)`. Default false. */
  twoTime?: boolean;
  /** Initialisation seed (integer in `[0, 2^32)`). Default 0. */
  seed?: number;
}

/** The resolved config, as stored in checkpoints (`createNetwork(spec)` rebuilds it). */
export type SongUnetSpec = {
  readonly kind: 'songunet';
  readonly sampleShape: readonly [number, number, number];
  readonly modelChannels: number;
  readonly channelMult: readonly number[];
  readonly channelMultEmb: number;
  readonly numBlocks: number;
  readonly attnResolutions: readonly number[];
  readonly dropout: number;
  readonly twoTime: boolean;
  readonly timeEmbeddingDim: number;
  readonly maxPeriod: number;
  readonly seed: number;
};

const KEYS = ['kind', 'sampleShape', 'modelChannels', 'channelMult', 'channelMultEmb', 'numBlocks', 'attnResolutions', 'dropout', 'twoTime', 'seed', 'timeEmbeddingDim', 'maxPeriod'];

function intList(c: Record<string, unknown>, key: string, fallback: readonly number[], min: number): readonly number[] {
  const v = c[key] ?? fallback;
  if (!Array.isArray(v) || !v.every((m) => Number.isInteger(m) && (m as number) >= min)) {
    throw new ConfigError(`songunet.${key} must be an array of integers >= ${min}, got ${JSON.stringify(v)}`, key);
  }
  return Object.freeze([...(v as number[])]);
}

/**
 * Validates a {@link SongUnetConfig} and fills in defaults. Throws a
 * `ConfigError` naming the key: an unknown key (with the closest name), a
 * non-square image, a resolution not divisible by `2^(levels − 1)`, a
 * GroupNorm width not divisible by its group count.
 *
 * @example
 * ```ts
 * resolveSongUnetConfig({ sampleShape: [28, 28, 1] }).numBlocks; // 4
 * ```
 */
export function resolveSongUnetConfig(config: SongUnetConfig | Record<string, unknown>): SongUnetSpec {
  checkConfigKeys(config, 'songunet', KEYS, 'SongUNet');
  const c = config as Record<string, unknown>;
  const sampleShape = resolveSampleShape(c.sampleShape);
  const [h, w] = sampleShape;
  if (h !== w) throw new ConfigError(`songunet.sampleShape must be square (the reference has one img_resolution), got [${sampleShape.join(', ')}]`, 'sampleShape');
  const modelChannels = positiveInt(c, 'modelChannels', SONGUNET_DEFAULTS.modelChannels);
  const channelMult = intList(c, 'channelMult', SONGUNET_DEFAULTS.channelMult, 1);
  if (channelMult.length === 0) throw new ConfigError('songunet.channelMult must have at least one level', 'channelMult');
  if (h % 2 ** (channelMult.length - 1) !== 0) {
    throw new ConfigError(`songunet.sampleShape ${h}x${w} must be divisible by 2^${channelMult.length - 1} for ${channelMult.length} levels`, 'sampleShape');
  }
  const dropout = c.dropout ?? SONGUNET_DEFAULTS.dropout;
  assertNumber('dropout', dropout, { min: 0, max: 1 });
  const twoTime = c.twoTime ?? false;
  if (typeof twoTime !== 'boolean') throw new ConfigError(`songunet.twoTime must be a boolean, got ${JSON.stringify(twoTime)}`, 'twoTime');
  const seed = c.seed ?? 0;
  assertNumber('seed', seed, { integer: true, min: 0, max: 2 ** 32 - 1 });
  if (c.timeEmbeddingDim !== undefined && c.timeEmbeddingDim !== modelChannels) {
    throw new ConfigError(`songunet.timeEmbeddingDim is modelChannels (${modelChannels}) in DDPM++; omit it`, 'timeEmbeddingDim');
  }
  if (c.maxPeriod !== undefined && c.maxPeriod !== 10000) throw new ConfigError('songunet.maxPeriod is 10000 in DDPM++; omit it', 'maxPeriod');
  const spec: SongUnetSpec = Object.freeze({
    kind: 'songunet' as const,
    sampleShape,
    modelChannels,
    channelMult,
    channelMultEmb: positiveInt(c, 'channelMultEmb', SONGUNET_DEFAULTS.channelMultEmb),
    numBlocks: positiveInt(c, 'numBlocks', SONGUNET_DEFAULTS.numBlocks),
    attnResolutions: intList(c, 'attnResolutions', SONGUNET_DEFAULTS.attnResolutions, 1),
    dropout,
    twoTime,
    timeEmbeddingDim: modelChannels,
    maxPeriod: 10000,
    seed,
  });
  for (const step of songUnetPlan(spec)) {
    for (const ch of step.kind === 'block' ? [step.cin, step.cout] : step.kind === 'auxNorm' ? [step.c] : []) {
      const groups = groupCount(ch);
      if (groups < 1 || ch % groups !== 0) throw new ConfigError(`songunet: GroupNorm of ${ch} channels (in '${step.name}') needs a multiple of 4 channels`, 'modelChannels');
    }
  }
  return spec;
}

/** The reference GroupNorm's group count: `min(32, channels // 4)`. */
export function groupCount(channels: number): number {
  return Math.min(32, Math.floor(channels / 4));
}

/** One module of the SongUNet, in the reference's order (`enc.*`, then `dec.*`). */
export type SongUnetStep =
  | { readonly kind: 'conv'; readonly name: string; readonly cin: number; readonly cout: number }
  | { readonly kind: 'block'; readonly name: string; readonly cin: number; readonly cout: number; readonly up: boolean; readonly down: boolean; readonly attention: boolean; readonly concat: boolean }
  | { readonly kind: 'auxNorm'; readonly name: string; readonly c: number }
  | { readonly kind: 'auxConv'; readonly name: string; readonly cin: number; readonly cout: number };

/**
 * The module list of the reference `UNet.__init__` (DDPM++ settings): the
 * encoder's conv, down blocks and blocks, then the decoder's middle blocks
 * (`in0` with attention, `in1`), up blocks, blocks (each concatenating one
 * encoder skip, `concat: true`) and the final GroupNorm + conv.
 *
 * @example
 * ```ts
 * songUnetPlan(resolveSongUnetConfig({ sampleShape: [28, 28, 1] }))[0]!.name; // 'enc.28x28_conv'
 * ```
 */
export function songUnetPlan(spec: SongUnetSpec): SongUnetStep[] {
  const [res0, , channels] = spec.sampleShape;
  const { modelChannels: mc, channelMult, numBlocks, attnResolutions } = spec;
  const steps: SongUnetStep[] = [];
  const skips: number[] = [];
  let cout = channels;
  channelMult.forEach((mult, level) => {
    const res = res0 >> level;
    if (level === 0) {
      steps.push({ kind: 'conv', name: `enc.${res}x${res}_conv`, cin: cout, cout: mc });
      cout = mc;
    } else {
      steps.push({ kind: 'block', name: `enc.${res}x${res}_down`, cin: cout, cout, up: false, down: true, attention: false, concat: false });
    }
    skips.push(cout);
    for (let idx = 0; idx < numBlocks; idx++) {
      const cin = cout;
      cout = mc * mult;
      steps.push({ kind: 'block', name: `enc.${res}x${res}_block${idx}`, cin, cout, up: false, down: false, attention: attnResolutions.includes(res), concat: false });
      skips.push(cout);
    }
  });
  for (let level = channelMult.length - 1; level >= 0; level--) {
    const res = res0 >> level;
    const mult = channelMult[level]!;
    if (level === channelMult.length - 1) {
      steps.push({ kind: 'block', name: `dec.${res}x${res}_in0`, cin: cout, cout, up: false, down: false, attention: true, concat: false });
      steps.push({ kind: 'block', name: `dec.${res}x${res}_in1`, cin: cout, cout, up: false, down: false, attention: false, concat: false });
    } else {
      steps.push({ kind: 'block', name: `dec.${res}x${res}_up`, cin: cout, cout, up: true, down: false, attention: false, concat: false });
    }
    for (let idx = 0; idx <= numBlocks; idx++) {
      const cin = cout + skips.pop()!;
      cout = mc * mult;
      steps.push({ kind: 'block', name: `dec.${res}x${res}_block${idx}`, cin, cout, up: false, down: false, attention: idx === numBlocks && attnResolutions.includes(res), concat: true });
    }
    if (level === 0) {
      steps.push({ kind: 'auxNorm', name: `dec.${res}x${res}_aux_norm`, c: cout });
      steps.push({ kind: 'auxConv', name: `dec.${res}x${res}_aux_conv`, cin: cout, cout: channels });
    }
  }
  return steps;
}

/** Whether a block has a skip projection (`out != in` or resampling; DDPM++ uses a 1x1 conv). */
export function hasSkip(step: { cin: number; cout: number; up: boolean; down: boolean }): boolean {
  return step.cin !== step.cout || step.up || step.down;
}

/**
 * Names and shapes of the SongUNet's parameters: exactly those of the
 * reference PyTorch module's `named_parameters()` (its `state_dict()` adds
 * only the constant `*.resample_filter` buffers; see
 * {@link songUnetBuffers}). Linear weights are `[out, in]`, conv weights
 * `[out, in, k, k]`, as in PyTorch.
 *
 * @example
 * ```ts
 * songUnetWeightShapes(resolveSongUnetConfig({ sampleShape: [28, 28, 1] }))['map_layer0.weight']; // [128, 32]
 * ```
 */
export function songUnetWeightShapes(spec: SongUnetSpec): Record<string, number[]> {
  const mc = spec.modelChannels;
  const emb = mc * spec.channelMultEmb;
  const out: Record<string, number[]> = {};
  const linear = (p: string, i: number, o: number) => {
    out[`${p}.weight`] = [o, i];
    out[`${p}.bias`] = [o];
  };
  const conv = (p: string, i: number, o: number, k: number) => {
    out[`${p}.weight`] = [o, i, k, k];
    out[`${p}.bias`] = [o];
  };
  const norm = (p: string, c: number) => {
    out[`${p}.weight`] = [c];
    out[`${p}.bias`] = [c];
  };
  linear('map_layer0', mc, emb);
  linear('map_layer1', emb, emb);
  if (spec.twoTime) {
    linear('map_layer0_s', mc, emb);
    linear('map_layer1_s', emb, emb);
  }
  for (const step of songUnetPlan(spec)) {
    const p = step.name;
    if (step.kind === 'conv') conv(p, step.cin, step.cout, 3);
    else if (step.kind === 'auxNorm') norm(p, step.c);
    else if (step.kind === 'auxConv') conv(p, step.cin, step.cout, 3);
    else {
      norm(`${p}.norm0`, step.cin);
      conv(`${p}.conv0`, step.cin, step.cout, 3);
      linear(`${p}.affine`, emb, step.cout);
      if (spec.twoTime) linear(`${p}.affine_s`, emb, step.cout);
      norm(`${p}.norm1`, step.cout);
      conv(`${p}.conv1`, step.cout, step.cout, 3);
      if (hasSkip(step)) conv(`${p}.skip`, step.cin, step.cout, 1);
      if (step.attention) {
        norm(`${p}.norm2`, step.cout);
        conv(`${p}.qkv`, step.cout, 3 * step.cout, 1);
        conv(`${p}.proj`, step.cout, step.cout, 1);
      }
    }
  }
  return out;
}

/**
 * The constant buffers of the reference module's `state_dict()`: each
 * resampling conv's `resample_filter`, `[1, 1, 2, 2]` of 0.25 (the `[1, 1]`
 * filter, normalised). Not parameters: a loader checks and drops them, an
 * exporter adds them back (see `fromTorchStateDict`, `toTorchStateDict`).
 *
 * @example
 * ```ts
 * Object.keys(songUnetBuffers(resolveSongUnetConfig({ sampleShape: [28, 28, 1] })))[0]; // 'enc.14x14_down.conv0.resample_filter'
 * ```
 */
export function songUnetBuffers(spec: SongUnetSpec): Record<string, { shape: number[]; values: Float32Array }> {
  const out: Record<string, { shape: number[]; values: Float32Array }> = {};
  for (const step of songUnetPlan(spec)) {
    if (step.kind !== 'block' || !(step.up || step.down)) continue;
    for (const m of ['conv0', 'skip']) out[`${step.name}.${m}.resample_filter`] = { shape: [1, 1, 2, 2], values: new Float32Array(4).fill(0.25) };
  }
  return out;
}
