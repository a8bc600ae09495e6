import { ValueRangeError, assertNumber } from '@charlearn/core';
import { checkConfigKeys, positiveInt, resolveImageCommon } from './image-config';
import { timeMlpShapes } from './time-mlp';

import { DIT_ACTIVATIONS, type DitActivation } from './activations';
import { DIT_DEFAULTS } from './network-options';

export { DIT_ACTIVATIONS, type DitActivation };

/**
 * Configuration of {@link createDit} (Diffusion Transformer with adaLN-Zero).
 * Only `sampleShape` is required.
 *
 * @example
 * ```ts
 * const mnist: DitConfig = { sampleShape: [28, 28, 1], patchSize: 4, hidden: 128, depth: 4, heads: 4 };
 * ```
 */
export interface DitConfig {
  /** One image `[H, W, C]`; H and W divisible by `patchSize`. */
  sampleShape: readonly number[];
  /** Side p of the square patches; each patch is one token of `p²·C` values. Default 2. */
  patchSize?: number;
  /** Token width D (divisible by `heads` and by 4, for the 2-D sin-cos positions). Default 128. */
  hidden?: number;
  /** Number of transformer blocks. Default 4. */
  depth?: number;
  /** Attention heads. Default 4. */
  heads?: number;
  /** MLP width as a multiple of `hidden` (`hidden·mlpRatio` must be an integer). Default 4. */
  mlpRatio?: number;
  /** MLP activation. Default `'gelu-tanh'`. */
  activation?: DitActivation;
  /** Width E of the sinusoidal embedding of `c_noise` (even). Default 256 (DiT's). */
  timeEmbeddingDim?: number;
  /** Longest period of the sinusoidal embedding. Default 10000. */
  maxPeriod?: number;
  /** Build the two-time network directly (same as `createDit(c).toTwoTime()`). Default false. */
  twoTime?: boolean;
  /** Initialisation seed (integer in `[0, 2^32)`). Default 0. */
  seed?: number;
}

/**
 * The resolved, JSON-serialisable DiT spec (every default filled in).
 *
 * @example
 * ```ts
 * createDit({ sampleShape: [8, 8, 1], hidden: 16, heads: 2 }).config.depth; // 4
 * ```
 */
export type DitSpec = {
  readonly kind: 'dit';
  readonly sampleShape: readonly [number, number, number];
  readonly patchSize: number;
  readonly hidden: number;
  readonly depth: number;
  readonly heads: number;
  readonly mlpRatio: number;
  readonly activation: DitActivation;
  readonly timeEmbeddingDim: number;
  readonly maxPeriod: number;
  readonly twoTime: boolean;
  readonly seed: number;
};

const KEYS = ['kind', 'sampleShape', 'patchSize', 'hidden', 'depth', 'heads', 'mlpRatio', 'activation', 'timeEmbeddingDim', 'maxPeriod', 'twoTime', 'seed'];

/**
 * Validates a {@link DitConfig} (or `{ kind: 'dit', ... }`) and fills in
 * the defaults. `ConfigError` for an unknown key or a wrong `kind`;
 * `ValueRangeError` / `TypeMismatchError` naming the key for a bad value
 * (`sampleShape` not divisible by `patchSize`, `hidden` not divisible by
 * `heads` or 4, a non-integer MLP width, ...).
 *
 * @example
 * ```ts
 * resolveDitConfig({ sampleShape: [28, 28, 1], patchSize: 4 }).hidden; // 128
 * resolveDitConfig({ sampleShape: [28, 28, 1], patchSize: 3 });        // ValueRangeError: sampleShape
 * ```
 */
export function resolveDitConfig(config: DitConfig | (DitConfig & { kind?: string })): DitSpec {
  checkConfigKeys(config, 'dit', KEYS, 'DiT');
  const c = config;
  const common = resolveImageCommon(c, DIT_DEFAULTS.timeEmbeddingDim ?? 256);
  const patchSize = positiveInt(c, 'patchSize', DIT_DEFAULTS.patchSize);
  const [h, w] = common.sampleShape;
  if (h % patchSize !== 0 || w % patchSize !== 0) {
    throw new ValueRangeError(`sampleShape [${h}, ${w}, ...] must have height and width divisible by patchSize = ${patchSize}`, 'sampleShape');
  }
  const hidden = positiveInt(c, 'hidden', DIT_DEFAULTS.hidden);
  if (hidden % 4 !== 0) throw new ValueRangeError(`hidden must be divisible by 4 (2-D sin-cos position embedding), got ${hidden}`, 'hidden');
  const depth = positiveInt(c, 'depth', DIT_DEFAULTS.depth);
  const heads = positiveInt(c, 'heads', DIT_DEFAULTS.heads);
  if (hidden % heads !== 0) throw new ValueRangeError(`heads = ${heads} must divide hidden = ${hidden}`, 'heads');
  const mlpRatio = c.mlpRatio ?? DIT_DEFAULTS.mlpRatio;
  assertNumber('mlpRatio', mlpRatio, { greaterThan: 0 });
  if (!Number.isInteger(hidden * mlpRatio)) throw new ValueRangeError(`hidden·mlpRatio must be an integer width, got ${hidden}·${mlpRatio}`, 'mlpRatio');
  const activation = c.activation ?? DIT_DEFAULTS.activation;
  if (!DIT_ACTIVATIONS.includes(activation)) {
    throw new ValueRangeError(`activation must be one of ${DIT_ACTIVATIONS.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(activation)}`, 'activation');
  }
  return Object.freeze({
    kind: 'dit',
    sampleShape: common.sampleShape,
    patchSize,
    hidden,
    depth,
    heads,
    mlpRatio,
    activation,
    timeEmbeddingDim: common.timeEmbeddingDim,
    maxPeriod: common.maxPeriod,
    twoTime: common.twoTime,
    seed: common.seed,
  });
}

/**
 * The DiT's variable names and shapes, in the stable order of
 * `namedVariables()` (D = `hidden`, M = `hidden·mlpRatio`, P = `p²·C`):
 * the time MLP (`temb/w0 [E, D]`, `temb/b0`, `temb/w1 [D, D]`, `temb/b1`),
 * for a two-time net `temb_s/*`, the patch embedding `patch/w [P, D]`,
 * `patch/b`, per block `block{i}/ada/w [D, 6D]`, `ada/b [6D]`,
 * `attn/qkv/w [D, 3D]`, `attn/qkv/b`, `attn/proj/w [D, D]`, `attn/proj/b`,
 * `mlp/w0 [D, M]`, `mlp/b0`, `mlp/w1 [M, D]`, `mlp/b1`, then
 * `final/ada/w [D, 2D]`, `final/ada/b`, `final/w [D, P]`, `final/b [P]`.
 * The 2-D sin-cos position embedding is fixed (no variable).
 *
 * @example
 * ```ts
 * ditWeightShapes(resolveDitConfig({ sampleShape: [32, 32, 3] }))['block0/ada/w']; // [128, 768]
 * ```
 */
export function ditWeightShapes(spec: DitSpec): Record<string, number[]> {
  const { hidden: d, timeEmbeddingDim: e, patchSize: p, sampleShape, depth, mlpRatio } = spec;
  const m = d * mlpRatio;
  const pc = p * p * sampleShape[2];
  const shapes: Record<string, number[]> = { ...timeMlpShapes('temb', e, d) };
  if (spec.twoTime) Object.assign(shapes, timeMlpShapes('temb_s', e, d));
  shapes['patch/w'] = [pc, d];
  shapes['patch/b'] = [d];
  for (let i = 0; i < depth; i++) {
    const n = `block${i}`;
    shapes[`${n}/ada/w`] = [d, 6 * d];
    shapes[`${n}/ada/b`] = [6 * d];
    shapes[`${n}/attn/qkv/w`] = [d, 3 * d];
    shapes[`${n}/attn/qkv/b`] = [3 * d];
    shapes[`${n}/attn/proj/w`] = [d, d];
    shapes[`${n}/attn/proj/b`] = [d];
    shapes[`${n}/mlp/w0`] = [d, m];
    shapes[`${n}/mlp/b0`] = [m];
    shapes[`${n}/mlp/w1`] = [m, d];
    shapes[`${n}/mlp/b1`] = [d];
  }
  shapes['final/ada/w'] = [d, 2 * d];
  shapes['final/ada/b'] = [2 * d];
  shapes['final/w'] = [d, pc];
  shapes['final/b'] = [pc];
  return shapes;
}
