import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Tensor1D, Tensor2D, Variable } from '@tensorflow/tfjs-core';
import { CharlearnError, ShapeError, ValueRangeError, assertNonEmptyBatch, assertTensor } from '@charlearn/core';
import { sinusoidalFrequencies } from './embedding';
import type { NamedArrays, Network, NetworkSpec } from './network';
import { assignVariables, checkWeightsMatch, makeVariables, readVariables, shapeSize } from './weights';

/** The keys every built-in network's resolved spec has: its time conditioning. */
export type TimeConditionedSpec = NetworkSpec & { readonly twoTime: boolean; readonly timeEmbeddingDim: number; readonly maxPeriod: number };

/**
 * What every built-in network (MLP, U-Net, DiT) shares: named variables in a
 * stable order, the sinusoidal frequencies of its time embedding, the input
 * checks of `apply`, weights I/O, `clone`, `parameterCount` and `dispose`.
 * A subclass supplies its variable shapes ({@link VariablesNetwork.shapes}),
 * the name of its output weight, `apply`'s body, `toTwoTime` and a
 * constructor from spec + variables ({@link VariablesNetwork.rebuild}).
 *
 * @example
 * ```ts
 * abstract class MyNet extends VariablesNetwork<MlpSpec> {
 *   readonly kind = 'my-pkg/net';
 *   protected readonly lastLayerName = 'out/w';
 *   // and shapes(spec), rebuild(spec, vars), apply(...), toTwoTime(): see Mlp, ImageNetwork
 * }
 * ```
 */
export abstract class VariablesNetwork<S extends TimeConditionedSpec> implements Network {
  abstract readonly kind: string;
  readonly config: S;
  readonly twoTime: boolean;
  readonly sampleShape: readonly number[];
  /** The variables by name, in the order of {@link VariablesNetwork.shapes}. */
  protected readonly vars: Record<string, Variable>;
  /** `[1, E/2]` frequencies of the sinusoidal time embedding. */
  protected readonly freqs: Tensor2D;
  private disposed = false;

  protected constructor(spec: S, sampleShape: readonly number[], vars: Record<string, Variable>) {
    this.config = spec;
    this.twoTime = spec.twoTime;
    this.sampleShape = Object.freeze([...sampleShape]);
    this.vars = vars;
    const f = sinusoidalFrequencies(spec.timeEmbeddingDim, spec.maxPeriod);
    this.freqs = tf.keep(tf.tensor2d(f, [1, f.length]));
  }

  /** The variable names and shapes of `spec`, in the stable order. */
  protected abstract shapes(spec: S): Record<string, number[]>;
  /** A network of the same class from a spec and its variables (taken over). */
  protected abstract rebuild(spec: S, vars: Record<string, Variable>): VariablesNetwork<S>;
  /** The name of the output layer's weight. */
  protected abstract readonly lastLayerName: string;

  abstract apply(xIn: Tensor, cNoise: Tensor1D, cNoiseS?: Tensor1D): Tensor;
  abstract toTwoTime(): Network;

  /** Builds variables from checked arrays in the order of `shapes`. */
  protected static variablesFor(shapes: Record<string, number[]>, weights: NamedArrays): Record<string, Variable> {
    checkWeightsMatch(shapes, weights);
    const ordered: NamedArrays = {};
    for (const name of Object.keys(shapes)) ordered[name] = weights[name]!;
    return makeVariables(ordered);
  }

  /**
   * The checks of `apply` before any tensor math: a live network, `xIn [batch ≥ 1, ...sampleShape]`,
   * `cNoise [batch]`, and `cNoiseS [batch]` exactly when the network is two-time (all float32).
   */
  protected checkInputs(xIn: Tensor, cNoise: Tensor1D, cNoiseS: Tensor1D | undefined): void {
    this.assertLive();
    assertTensor('xIn', xIn, [null, ...this.sampleShape], { dtype: 'float32' });
    assertNonEmptyBatch('xIn', xIn);
    const batch = xIn.shape[0]!;
    assertTensor('cNoise', cNoise, [batch], { dtype: 'float32' });
    if (this.twoTime) {
      if (cNoiseS === undefined) {
        throw new ShapeError(`cNoiseS ([${batch}], c_noise of the second time s) is required: this network is two-time`, 'cNoiseS');
      }
      assertTensor('cNoiseS', cNoiseS, [batch], { dtype: 'float32' });
    } else if (cNoiseS !== undefined) {
      throw new ValueRangeError('cNoiseS must be omitted: this network is one-time (use toTwoTime() for a two-time copy)', 'cNoiseS');
    }
  }

  trainableVariables(): Variable[] {
    this.assertLive();
    return Object.values(this.vars);
  }

  namedVariables(): Record<string, Variable> {
    this.assertLive();
    return { ...this.vars };
  }

  lastLayerWeight(): Variable {
    this.assertLive();
    return this.vars[this.lastLayerName]!;
  }

  parameterCount(): number {
    return Object.values(this.shapes(this.config)).reduce((n, s) => n + shapeSize(s), 0);
  }

  getWeights(): NamedArrays {
    this.assertLive();
    return readVariables(this.vars);
  }

  setWeights(weights: NamedArrays): void {
    this.assertLive();
    checkWeightsMatch(this.shapes(this.config), weights);
    assignVariables(this.vars, weights);
  }

  clone(): this {
    this.assertLive();
    return this.rebuild(this.config, copyVariables(this.vars)) as this;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of Object.values(this.vars)) v.dispose();
    this.freqs.dispose();
  }

  /** Throws once the network is disposed. */
  protected assertLive(): void {
    if (this.disposed) throw new CharlearnError('this network has been disposed', 'network');
  }
}

/**
 * Independent variables holding the same values (tfjs shares the buffer until one is assigned).
 *
 * @example
 * ```ts
 * const copy = copyVariables(net.namedVariables());
 * ```
 */
export function copyVariables(vars: Record<string, Variable>): Record<string, Variable> {
  const out: Record<string, Variable> = {};
  for (const [name, v] of Object.entries(vars)) out[name] = tf.variable(v, true);
  return out;
}
