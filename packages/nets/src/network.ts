import type { Tensor, Tensor1D, Variable } from '@tensorflow/tfjs-core';
import type { JsonValue, NamedArrays } from '@charlearn/core';

/** Named float32 arrays with their shapes (defined in `@charlearn/core`). */
export type { NamedArrays };

/**
 * A JSON-serialisable description that rebuilds a network with
 * `createNetwork(spec)`: `kind` picks the architecture, the other keys are
 * that architecture's config (for the MLP: `{ kind: 'mlp', dim, hidden, ... }`,
 * see `MlpSpec`).
 *
 * @example
 * ```ts
 * const spec: NetworkSpec = { kind: 'mlp', dim: 2, hidden: [256, 256, 256] };
 * ```
 */
export interface NetworkSpec {
  /** Architecture: `'mlp'` (later `'unet'`, `'dit'`) or a registered third-party kind. */
  readonly kind: string;
  readonly [key: string]: JsonValue;
}

/**
 * The raw network `F` of EDM preconditioning that every architecture
 * implements: `D(x, t) = c_skip·x + c_out·F(c_in·x, c_noise(t))`.
 *
 * A *two-time* network (`twoTime: true`) also takes `c_noise(s)` and is the
 * `D_θ(x, t, s)` of the characteristic generator: a second time embedding
 * for `s`, added where the first is added, whose last layer starts at zero
 * ({@link Network.toTwoTime}), so at start it computes exactly what the
 * one-time network computes.
 *
 * Shapes: `xIn: [batch, ...sampleShape]`, `cNoise`, `cNoiseS: [batch]`;
 * the output has the shape of `xIn`.
 *
 * @example
 * ```ts
 * const net = createNetwork({ kind: 'mlp', dim: 2, hidden: [256, 256, 256] });
 * const f = net.apply(xIn, cNoise);                 // [batch, 2]
 * const g = net.toTwoTime();                        // D_θ(x, t, s), equal to net at start
 * const f2 = g.apply(xIn, cNoise, cNoiseS);         // == f for any cNoiseS
 * const { grads } = tf.variableGrads(() => loss(net), net.trainableVariables());
 * ```
 */
export interface Network {
  /** Architecture name: `'mlp'`, later `'unet'`, `'dit'`. */
  readonly kind: string;
  /** The spec that rebuilds this network with `createNetwork` (defaults filled in). */
  readonly config: NetworkSpec;
  /** Whether {@link Network.apply} takes (and requires) `cNoiseS`. */
  readonly twoTime: boolean;
  /** Shape of one sample, e.g. `[2]` or `[28, 28, 1]`. */
  readonly sampleShape: readonly number[];
  /**
   * The raw network `F(xIn, c_noise(t)[, c_noise(s)])`.
   * `xIn: [batch, ...sampleShape]`, `cNoise: [batch]`, `cNoiseS: [batch]`
   * (required iff {@link Network.twoTime}); returns `[batch, ...sampleShape]`.
   * Differentiable w.r.t. {@link Network.trainableVariables}; keeps no
   * intermediate tensors alive and never reads data back to JS.
   *
   * One time for the whole batch: a `cNoise` / `cNoiseS` for which
   * `isUniformBatch` (`@charlearn/core`) is true (built by `timesLike`,
   * `tausLike`, `uniformBatch` or derived from them by `edmNoiseLevel`, as the
   * solvers and `sampleFlowMap` pass them) holds one value in every entry; a
   * network may then compute that time's features on one row and broadcast
   * them (the MLP does). The result must equal the per-row computation to
   * float32 rounding; a network that ignores the mark is correct as it is.
   */
  apply(xIn: Tensor, cNoise: Tensor1D, cNoiseS?: Tensor1D): Tensor;
  /** The trainable variables, in a stable order (the order of {@link Network.namedVariables}). */
  trainableVariables(): Variable[];
  /** The trainable variables by stable, unique, architecture-local name (`'in/w'`, `'h0/b'`, `'out/w'`, ...). */
  namedVariables(): Record<string, Variable>;
  /** The output layer's weight (the adaptive loss balance differentiates w.r.t. it). */
  lastLayerWeight(): Variable;
  /** Number of trainable scalars. */
  parameterCount(): number;
  /** A copy of every weight, by {@link Network.namedVariables} name. */
  getWeights(): NamedArrays;
  /**
   * Overwrites every weight. The names must be exactly those of
   * {@link Network.namedVariables} and each shape must match; otherwise a
   * `CheckpointError` names the missing, unexpected or mis-shaped array and
   * nothing is changed.
   */
  setWeights(weights: NamedArrays): void;
  /** Same spec, copied weights, independent variables. */
  clone(): Network;
  /**
   * A two-time copy: every shared weight copied, the `s` path added with its
   * last layer at zero, so its output equals this network's for any
   * `cNoiseS`. On a network that is already two-time, a plain clone.
   */
  toTwoTime(): Network;
  /** Frees every variable and cached tensor; later calls throw. Idempotent. */
  dispose(): void;
}
