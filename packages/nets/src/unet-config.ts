import { ValueRangeError, assertNumber } from '@charlearn/core';
import { checkConfigKeys, positiveInt, resolveImageCommon } from './image-config';
import { timeMlpShapes } from './time-mlp';
import { UNET_DEFAULTS } from './network-options';

/**
 * Configuration of {@link createUnet} (DDPM++-style U-Net). Only
 * `sampleShape` is required.
 *
 * @example
 * ```ts
 * const mnist: UnetConfig = { sampleShape: [28, 28, 1], channels: 32, channelMult: [1, 2, 2], numResBlocks: 2, attentionResolutions: [7] };
 * ```
 */
export interface UnetConfig {
  /** One image `[H, W, C]`; H and W divisible by `2^(channelMult.length − 1)`. */
  sampleShape: readonly number[];
  /** Base width: level `i` has `channels·channelMult[i]` channels. Default 32. */
  channels?: number;
  /** Width multiplier per resolution level (one level per entry; each but the last halves H, W). Default `[1, 2, 2]`. */
  channelMult?: readonly number[];
  /** Residual blocks per level in the encoder (the decoder has one more). Default 1. */
  numResBlocks?: number;
  /** Feature-map heights at which a self-attention block follows each residual block, e.g. `[7]` for 28x28 input. The middle block always has one. Default `[]`. */
  attentionResolutions?: readonly number[];
  /** Attention heads (must divide the channels of every attention block). Default 1. */
  heads?: number;
  /** Dropout rate inside residual blocks, only while {@link Unet.setDropout} is on. Default 0. */
  dropout?: number;
  /** GroupNorm groups (must divide `channels·m` for every multiplier and `channels`). Default 8. */
  groups?: number;
  /** Width T of the time embedding (the time MLP's output). Default `4·channels`. */
  embedDim?: number;
  /** Width E of the sinusoidal embedding of `c_noise` (even). Default `channels`. */
  timeEmbeddingDim?: number;
  /** Longest period of the sinusoidal embedding. Default 10000. */
  maxPeriod?: number;
  /** Build the two-time network directly (same as `createUnet(c).toTwoTime()`). Default false. */
  twoTime?: boolean;
  /** Initialisation seed (integer in `[0, 2^32)`). Default 0. */
  seed?: number;
}

/**
 * The resolved, JSON-serialisable U-Net spec (every default filled in);
 * `createNetwork(spec)` rebuilds the same network and initial weights.
 *
 * @example
 * ```ts
 * createUnet({ sampleShape: [8, 8, 1], channels: 8 }).config.channelMult; // [1, 2, 2]
 * ```
 */
export type UnetSpec = {
  readonly kind: 'unet';
  readonly sampleShape: readonly [number, number, number];
  readonly channels: number;
  readonly channelMult: readonly number[];
  readonly numResBlocks: number;
  readonly attentionResolutions: readonly number[];
  readonly heads: number;
  readonly dropout: number;
  readonly groups: number;
  readonly embedDim: number;
  readonly timeEmbeddingDim: number;
  readonly maxPeriod: number;
  readonly twoTime: boolean;
  readonly seed: number;
};

const KEYS = [
  'kind',
  'sampleShape',
  'channels',
  'channelMult',
  'numResBlocks',
  'attentionResolutions',
  'heads',
  'dropout',
  'groups',
  'embedDim',
  'timeEmbeddingDim',
  'maxPeriod',
  'twoTime',
  'seed',
];

function intArray(c: Record<string, unknown>, key: string, fallback: readonly number[], min: number, allowEmpty: boolean): readonly number[] {
  const v = c[key] ?? fallback;
  if (!Array.isArray(v) || (!allowEmpty && v.length === 0)) {
    throw new ValueRangeError(`${key} must be ${allowEmpty ? 'an' : 'a non-empty'} array of integers, got ${JSON.stringify(v)}`, key);
  }
  v.forEach((x, i) => assertNumber(`${key}[${i}]`, x, { integer: true, min }));
  return Object.freeze([...(v as number[])]);
}

/**
 * Validates a {@link UnetConfig} (or `{ kind: 'unet', ... }`) and fills in
 * the defaults. Errors name the key: `ConfigError` for an unknown key or a
 * wrong `kind`; `ValueRangeError` / `TypeMismatchError` for a bad value,
 * e.g. `sampleShape` not divisible by `2^(levels − 1)`, `groups` not
 * dividing a width, `heads` not dividing an attention width,
 * `attentionResolutions` naming no level's height.
 *
 * @example
 * ```ts
 * resolveUnetConfig({ sampleShape: [28, 28, 1] }).embedDim;                           // 128
 * resolveUnetConfig({ sampleShape: [30, 30, 1], channelMult: [1, 2, 2] });           // ValueRangeError: sampleShape
 * ```
 */
export function resolveUnetConfig(config: UnetConfig | (UnetConfig & { kind?: string })): UnetSpec {
  checkConfigKeys(config, 'unet', KEYS, 'U-Net');
  const c = config;
  const channels = positiveInt(c, 'channels', UNET_DEFAULTS.channels);
  const common = resolveImageCommon(c, channels % 2 === 0 ? channels : channels + 1);
  const [h, w] = common.sampleShape;
  const channelMult = intArray(c, 'channelMult', UNET_DEFAULTS.channelMult, 1, false);
  const numResBlocks = positiveInt(c, 'numResBlocks', UNET_DEFAULTS.numResBlocks);
  const factor = 2 ** (channelMult.length - 1);
  if (h % factor !== 0 || w % factor !== 0) {
    throw new ValueRangeError(
      `sampleShape [${h}, ${w}, ...] must have height and width divisible by 2^(levels − 1) = ${factor} for channelMult of length ${channelMult.length}`,
      'sampleShape',
    );
  }
  const heights = channelMult.map((_, i) => h / 2 ** i);
  const attentionResolutions = intArray(c, 'attentionResolutions', UNET_DEFAULTS.attentionResolutions, 1, true);
  attentionResolutions.forEach((r, i) => {
    if (!heights.includes(r)) {
      throw new ValueRangeError(`attentionResolutions[${i}] = ${r} is no level's feature-map height; the levels have heights ${heights.join(', ')}`, 'attentionResolutions');
    }
  });
  const heads = positiveInt(c, 'heads', UNET_DEFAULTS.heads);
  const widths = [channels, ...channelMult.map((m) => channels * m)];
  const attnWidths = [widths[widths.length - 1]!, ...channelMult.filter((_, i) => attentionResolutions.includes(heights[i]!)).map((m) => channels * m)];
  for (const width of attnWidths) {
    if (width % heads !== 0) throw new ValueRangeError(`heads = ${heads} must divide the width ${width} of every attention block`, 'heads');
  }
  const dropout = c.dropout ?? UNET_DEFAULTS.dropout;
  assertNumber('dropout', dropout, { min: 0, lessThan: 1 });
  const groups = positiveInt(c, 'groups', UNET_DEFAULTS.groups);
  for (const width of widths) {
    if (width % groups !== 0) throw new ValueRangeError(`groups = ${groups} must divide every width (channels·channelMult[i] and channels), not ${width}`, 'groups');
  }
  const embedDim = positiveInt(c, 'embedDim', 4 * channels);
  return Object.freeze({
    kind: 'unet',
    sampleShape: common.sampleShape,
    channels,
    channelMult,
    numResBlocks,
    attentionResolutions,
    heads,
    dropout,
    groups,
    embedDim,
    timeEmbeddingDim: common.timeEmbeddingDim,
    maxPeriod: common.maxPeriod,
    twoTime: common.twoTime,
    seed: common.seed,
  });
}

/**
 * One step of the U-Net's forward program ({@link unetPlan}):
 * `in` (conv3x3 to `channels`), `res` (residual block `cin → cout`,
 * `concatSkip`: first concatenate the top of the skip stack), `attn`
 * (self-attention over `channels`), `down` / `up` (2x resampling), `push`
 * (push the current activation on the skip stack), `out` (norm, SiLU,
 * conv3x3 to the image channels).
 */
export type UnetStep =
  | { readonly op: 'in' }
  | { readonly op: 'res'; readonly name: string; readonly cin: number; readonly cout: number; readonly concatSkip: boolean }
  | { readonly op: 'attn'; readonly name: string; readonly channels: number }
  | { readonly op: 'down' }
  | { readonly op: 'up' }
  | { readonly op: 'push' }
  | { readonly op: 'out' };

/**
 * The U-Net as a flat program, the one source of truth for both its
 * variables ({@link unetWeightShapes}) and its forward pass. DDPM++ layout:
 *
 * - encoder, level `i` (height `H/2^i`): `numResBlocks` × (res → [attn] → push),
 *   then (but at the last level) down → push; the stem conv is pushed first;
 * - middle: res → attn → res;
 * - decoder, level `i` from the last: `numResBlocks + 1` × (concat skip → res → [attn]),
 *   then (but at level 0) up;
 * - out.
 *
 * Names: `down{i}.res{j}`, `down{i}.attn{j}`, `mid.res0`, `mid.attn`,
 * `mid.res1`, `up{i}.res{j}`, `up{i}.attn{j}`.
 *
 * @example
 * ```ts
 * unetPlan(resolveUnetConfig({ sampleShape: [8, 8, 1], channels: 8, channelMult: [1, 2] })).map((s) => s.op);
 * // ['in', 'push', 'res', 'push', 'down', 'push', 'res', 'push', 'res', 'attn', 'res', 'res', 'res', 'res', 'up', 'res', 'res', 'res', 'out']
 * ```
 */
export function unetPlan(spec: UnetSpec): UnetStep[] {
  const { channels, channelMult, numResBlocks, attentionResolutions, sampleShape } = spec;
  const levels = channelMult.length;
  const steps: UnetStep[] = [{ op: 'in' }, { op: 'push' }];
  const skips: number[] = [channels];
  let ch = channels;
  for (let i = 0; i < levels; i++) {
    const out = channels * channelMult[i]!;
    const attn = attentionResolutions.includes(sampleShape[0] / 2 ** i);
    for (let j = 0; j < numResBlocks; j++) {
      steps.push({ op: 'res', name: `down${i}.res${j}`, cin: ch, cout: out, concatSkip: false });
      ch = out;
      if (attn) steps.push({ op: 'attn', name: `down${i}.attn${j}`, channels: ch });
      steps.push({ op: 'push' });
      skips.push(ch);
    }
    if (i + 1 < levels) {
      steps.push({ op: 'down' }, { op: 'push' });
      skips.push(ch);
    }
  }
  steps.push(
    { op: 'res', name: 'mid.res0', cin: ch, cout: ch, concatSkip: false },
    { op: 'attn', name: 'mid.attn', channels: ch },
    { op: 'res', name: 'mid.res1', cin: ch, cout: ch, concatSkip: false },
  );
  for (let i = levels - 1; i >= 0; i--) {
    const out = channels * channelMult[i]!;
    const attn = attentionResolutions.includes(sampleShape[0] / 2 ** i);
    for (let j = 0; j <= numResBlocks; j++) {
      const skip = skips.pop()!;
      steps.push({ op: 'res', name: `up${i}.res${j}`, cin: ch + skip, cout: out, concatSkip: true });
      ch = out;
      if (attn) steps.push({ op: 'attn', name: `up${i}.attn${j}`, channels: ch });
    }
    if (i > 0) steps.push({ op: 'up' });
  }
  steps.push({ op: 'out' });
  return steps;
}

/**
 * The U-Net's variable names and shapes, in the stable order of
 * `namedVariables()`: the time MLP (`temb/w0 [E, T]`, `temb/b0`,
 * `temb/w1 [T, T]`, `temb/b1`), for a two-time net `temb_s/*` (same
 * shapes), the stem `in/w [3, 3, C, ch]`, `in/b`, then per step of
 * {@link unetPlan}: residual blocks `{name}/norm1/g|b [cin]`,
 * `conv1/w [3, 3, cin, cout]`, `conv1/b`, `temb/w [T, cout]`, `temb/b`,
 * `norm2/g|b [cout]`, `conv2/w [3, 3, cout, cout]`, `conv2/b`, and when
 * `cin ≠ cout` the 1x1 `skip/w [cin, cout]`, `skip/b`; attention blocks
 * `{name}/norm/g|b [c]`, `qkv/w [c, 3c]`, `qkv/b [3c]`, `proj/w [c, c]`,
 * `proj/b [c]`; finally `out/norm/g|b [ch]`, `out/w [3, 3, ch, C]`, `out/b [C]`.
 *
 * @example
 * ```ts
 * unetWeightShapes(resolveUnetConfig({ sampleShape: [8, 8, 1], channels: 8 }))['down0.res0/conv1/w']; // [3, 3, 8, 8]
 * ```
 */
export function unetWeightShapes(spec: UnetSpec): Record<string, number[]> {
  const { channels, embedDim: t, timeEmbeddingDim: e, sampleShape } = spec;
  const imgC = sampleShape[2];
  const shapes: Record<string, number[]> = { ...timeMlpShapes('temb', e, t) };
  if (spec.twoTime) Object.assign(shapes, timeMlpShapes('temb_s', e, t));
  let last = channels;
  for (const step of unetPlan(spec)) {
    if (step.op === 'in') {
      shapes['in/w'] = [3, 3, imgC, channels];
      shapes['in/b'] = [channels];
    } else if (step.op === 'res') {
      const { name: n, cin, cout } = step;
      shapes[`${n}/norm1/g`] = [cin];
      shapes[`${n}/norm1/b`] = [cin];
      shapes[`${n}/conv1/w`] = [3, 3, cin, cout];
      shapes[`${n}/conv1/b`] = [cout];
      shapes[`${n}/temb/w`] = [t, cout];
      shapes[`${n}/temb/b`] = [cout];
      shapes[`${n}/norm2/g`] = [cout];
      shapes[`${n}/norm2/b`] = [cout];
      shapes[`${n}/conv2/w`] = [3, 3, cout, cout];
      shapes[`${n}/conv2/b`] = [cout];
      if (cin !== cout) {
        shapes[`${n}/skip/w`] = [cin, cout];
        shapes[`${n}/skip/b`] = [cout];
      }
      last = cout;
    } else if (step.op === 'attn') {
      const { name: n, channels: c } = step;
      shapes[`${n}/norm/g`] = [c];
      shapes[`${n}/norm/b`] = [c];
      shapes[`${n}/qkv/w`] = [c, 3 * c];
      shapes[`${n}/qkv/b`] = [3 * c];
      shapes[`${n}/proj/w`] = [c, c];
      shapes[`${n}/proj/b`] = [c];
    } else if (step.op === 'out') {
      shapes['out/norm/g'] = [last];
      shapes['out/norm/b'] = [last];
      shapes['out/w'] = [3, 3, last, imgC];
      shapes['out/b'] = [imgC];
    }
  }
  return shapes;
}
