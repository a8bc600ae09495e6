import { ConfigError, ValueRangeError, assertNumber, closestMatch } from '@charlearn/core';
import { ACTIVATIONS, type Activation } from './activations';
import { resolveTimeConditioning } from './time-config';
import { MLP_DEFAULTS } from './network-options';

/**
 * Configuration of {@link createMlp}. Only `dim` and `hidden` are required.
 *
 * @example
 * ```ts
 * const config: MlpConfig = { dim: 2, hidden: [256, 256, 256], activation: 'silu' };
 * ```
 */
export interface MlpConfig {
  /** Data dimension: input and output width. */
  dim: number;
  /** Hidden widths, e.g. `[256, 256, 256]` (at least one layer). */
  hidden: readonly number[];
  /** Hidden activation (also used in the time MLP). Default `'silu'`. */
  activation?: Activation;
  /** Width of the sinusoidal embedding of `c_noise` (even). Default 64. */
  timeEmbeddingDim?: number;
  /** Hidden width of the time MLP (embedding → timeHidden → hidden[0]). Default `timeEmbeddingDim`. */
  timeHidden?: number;
  /** Longest period of the sinusoidal embedding. Default 10000. */
  maxPeriod?: number;
  /** Build the two-time network `F(x, c_noise(t), c_noise(s))` directly. Default false. */
  twoTime?: boolean;
  /** Seed of the weight initialisation (integer in `[0, 2^32)`). Default 0. */
  seed?: number;
}

/**
 * The resolved, JSON-serialisable MLP spec (every default filled in):
 * `createNetwork(spec)` rebuilds the same network, including its initial
 * weights (from `seed`).
 *
 * @example
 * ```ts
 * createMlp({ dim: 2, hidden: [64] }).config;
 * // { kind: 'mlp', dim: 2, hidden: [64], activation: 'silu', timeEmbeddingDim: 64,
 * //   timeHidden: 64, maxPeriod: 10000, twoTime: false, seed: 0 }
 * ```
 */
export type MlpSpec = {
  readonly kind: 'mlp';
  readonly dim: number;
  readonly hidden: readonly number[];
  readonly activation: Activation;
  readonly timeEmbeddingDim: number;
  readonly timeHidden: number;
  readonly maxPeriod: number;
  readonly twoTime: boolean;
  readonly seed: number;
};

const KEYS = ['kind', 'dim', 'hidden', 'activation', 'timeEmbeddingDim', 'timeHidden', 'maxPeriod', 'twoTime', 'seed'];

/**
 * Validates an {@link MlpConfig} (or an `MlpSpec` / `{ kind: 'mlp', ... }`)
 * and fills in the defaults. Errors name the key: `ConfigError` for an
 * unknown key or a wrong `kind`, `ValueRangeError` / `TypeMismatchError`
 * for a bad value.
 *
 * @example
 * ```ts
 * resolveMlpConfig({ dim: 2, hidden: [128, 128] }).timeEmbeddingDim; // 64
 * resolveMlpConfig({ dim: 2, hiden: [128] } as never);               // ConfigError: unknown key 'hiden'
 * ```
 */
export function resolveMlpConfig(config: MlpConfig | (MlpConfig & { kind?: string })): MlpSpec {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new ConfigError('the MLP config must be an object { dim, hidden, ... }', 'config');
  }
  for (const key of Object.keys(config)) {
    if (!KEYS.includes(key)) {
      const near = closestMatch(key, KEYS.slice(1));
      throw new ConfigError(`unknown MLP config key '${key}'${near ? `; did you mean '${near}'?` : ''} (known keys: ${KEYS.slice(1).join(', ')})`, key);
    }
  }
  const c = config as MlpConfig & { kind?: unknown };
  if (c.kind !== undefined && c.kind !== 'mlp') throw new ConfigError(`kind must be 'mlp' for an MLP config, got ${JSON.stringify(c.kind)}`, 'kind');
  assertNumber('dim', c.dim, { integer: true, min: 1 });
  if (!Array.isArray(c.hidden) || c.hidden.length === 0) {
    throw new ValueRangeError(`hidden must be a non-empty array of layer widths, e.g. [256, 256, 256], got ${JSON.stringify(c.hidden)}`, 'hidden');
  }
  c.hidden.forEach((h, i) => assertNumber(`hidden[${i}]`, h, { integer: true, min: 1 }));
  const activation = c.activation ?? MLP_DEFAULTS.activation;
  if (!ACTIVATIONS.includes(activation)) {
    throw new ValueRangeError(`activation must be one of ${ACTIVATIONS.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(activation)}`, 'activation');
  }
  const { timeEmbeddingDim, maxPeriod, twoTime, seed } = resolveTimeConditioning(c, MLP_DEFAULTS.timeEmbeddingDim);
  const timeHidden = c.timeHidden ?? timeEmbeddingDim;
  assertNumber('timeHidden', timeHidden, { integer: true, min: 1 });
  return Object.freeze({
    kind: 'mlp',
    dim: c.dim,
    hidden: Object.freeze([...c.hidden]),
    activation,
    timeEmbeddingDim,
    timeHidden,
    maxPeriod,
    twoTime,
    seed,
  });
}

/**
 * The MLP's variable names and shapes, in the stable order of
 * `namedVariables()`: the time MLP (`temb/w0 [E, T]`, `temb/b0 [T]`,
 * `temb/w1 [T, H0]`), for a two-time net the `s` path (`temb_s/...`, same
 * shapes), then `in/w [dim, H0]`, `in/b`, `h{i}/w [H_i, H_{i+1}]`, `h{i}/b`,
 * `out/w [H_last, dim]`, `out/b [dim]`.
 *
 * @example
 * ```ts
 * Object.keys(mlpWeightShapes(resolveMlpConfig({ dim: 2, hidden: [8, 8] })));
 * // ['temb/w0', 'temb/b0', 'temb/w1', 'in/w', 'in/b', 'h0/w', 'h0/b', 'out/w', 'out/b']
 * ```
 */
export function mlpWeightShapes(spec: MlpSpec): Record<string, number[]> {
  const { dim, hidden, timeEmbeddingDim: e, timeHidden: th, twoTime } = spec;
  const h0 = hidden[0]!;
  const shapes: Record<string, number[]> = {};
  for (const p of twoTime ? ['temb', 'temb_s'] : ['temb']) {
    shapes[`${p}/w0`] = [e, th];
    shapes[`${p}/b0`] = [th];
    shapes[`${p}/w1`] = [th, h0];
  }
  shapes['in/w'] = [dim, h0];
  shapes['in/b'] = [h0];
  for (let i = 0; i + 1 < hidden.length; i++) {
    shapes[`h${i}/w`] = [hidden[i]!, hidden[i + 1]!];
    shapes[`h${i}/b`] = [hidden[i + 1]!];
  }
  shapes['out/w'] = [hidden[hidden.length - 1]!, dim];
  shapes['out/b'] = [dim];
  return shapes;
}
