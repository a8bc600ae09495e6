import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Tensor1D, Tensor2D, Tensor4D, Variable } from '@tensorflow/tfjs-core';
import { CharlearnError, ShapeError, ValueRangeError, assertNonEmptyBatch, assertTensor } from '@charlearn/core';
import { sinusoidalFrequencies } from './embedding';
import type { ImageCommonSpec } from './image-config';
import type { NamedArrays, Network, NetworkSpec } from './network';
import { sPathVariables, timeMlp } from './time-mlp';
import { assignVariables, checkWeightsMatch, makeVariables, readVariables, shapeSize } from './weights';

/** A resolved image-network spec: a JSON {@link NetworkSpec} with the shared image keys. */
export type ImageSpec = NetworkSpec & ImageCommonSpec;

/**
 * The machinery the U-Net and the DiT share: input checks, the time
 * conditioning `emb = temb(c_noise(t)) [+ temb_s(c_noise(s))]`, named
 * variables, weights I/O, `clone`, `toTwoTime` and `dispose`. A subclass
 * supplies its variable shapes ({@link ImageNetwork.shapes}), its trunk
 * ({@link ImageNetwork.forward}) and a constructor from spec + variables
 * ({@link ImageNetwork.rebuild}).
 *
 * @example
 * ```ts
 * abstract class MyNet extends ImageNetwork<ImageSpec> {
 *   readonly kind = 'my-pkg/net';
 *   protected readonly lastLayerName = 'out/w';
 *   // and shapes(spec), forward(x [b, H, W, C], emb [b, T]) → [b, H, W, C], rebuild(spec, vars): see Unet, Dit
 * }
 * ```
 */
export abstract class ImageNetwork<S extends ImageSpec> implements Network {
  abstract readonly kind: string;
  readonly config: S;
  readonly twoTime: boolean;
  readonly sampleShape: readonly number[];
  /** The variables by name, in the order of {@link ImageNetwork.shapes}. */
  protected readonly vars: Record<string, Variable>;
  private readonly freqs: Tensor2D;
  private disposed = false;

  protected constructor(spec: S, vars: Record<string, Variable>) {
    this.config = spec;
    this.twoTime = spec.twoTime;
    this.sampleShape = spec.sampleShape;
    this.vars = vars;
    const f = sinusoidalFrequencies(spec.timeEmbeddingDim, spec.maxPeriod);
    this.freqs = tf.keep(tf.tensor2d(f, [1, f.length]));
  }

  /** The variable names and shapes of `spec`, in the stable order. */
  protected abstract shapes(spec: S): Record<string, number[]>;
  /** The trunk: `x [b, H, W, C]`, time conditioning `emb [b, T]` → `[b, H, W, C]`. */
  protected abstract forward(x: Tensor4D, emb: Tensor2D): Tensor4D;
  /** A network of the same class from a spec and its variables (taken over). */
  protected abstract rebuild(spec: S, vars: Record<string, Variable>): ImageNetwork<S>;
  /** The name of the output layer's weight. */
  protected abstract readonly lastLayerName: string;

  /** Builds variables from checked arrays in the order of `shapes(spec)`. */
  protected static variablesFor(shapes: Record<string, number[]>, weights: NamedArrays): Record<string, Variable> {
    checkWeightsMatch(shapes, weights);
    const ordered: NamedArrays = {};
    for (const name of Object.keys(shapes)) ordered[name] = weights[name]!;
    return makeVariables(ordered);
  }

  apply(xIn: Tensor, cNoise: Tensor1D, cNoiseS?: Tensor1D): Tensor {
    this.assertLive();
    const [h, w, c] = this.config.sampleShape;
    assertTensor('xIn', xIn, [null, h, w, c], { dtype: 'float32' });
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
    return tf.tidy(() => {
      let emb = timeMlp(cNoise, this.freqs, this.vars, 'temb');
      if (cNoiseS) emb = tf.add(emb, timeMlp(cNoiseS, this.freqs, this.vars, 'temb_s'));
      return this.forward(xIn as Tensor4D, emb as Tensor2D);
    });
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

  clone(): ImageNetwork<S> {
    this.assertLive();
    return this.rebuild(this.config, copyVariables(this.vars));
  }

  toTwoTime(): ImageNetwork<S> {
    this.assertLive();
    if (this.twoTime) return this.clone();
    const spec = Object.freeze({ ...this.config, twoTime: true }) as S;
    const pool = { ...copyVariables(this.vars), ...sPathVariables(this.vars) };
    const vars: Record<string, Variable> = {};
    for (const name of Object.keys(this.shapes(spec))) vars[name] = pool[name]!;
    return this.rebuild(spec, vars);
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

/** Independent variables holding the same values. */
function copyVariables(vars: Record<string, Variable>): Record<string, Variable> {
  const out: Record<string, Variable> = {};
  for (const [name, v] of Object.entries(vars)) out[name] = tf.variable(v, true);
  return out;
}
