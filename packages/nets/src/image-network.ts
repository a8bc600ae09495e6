import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Tensor1D, Tensor2D, Tensor4D, Variable } from '@tensorflow/tfjs-core';
import type { ImageCommonSpec } from './image-config';
import type { NetworkSpec } from './network';
import { sPathVariables, timeMlp } from './time-mlp';
import { copyVariables, VariablesNetwork } from './variables-network';

/** A resolved image-network spec: a JSON {@link NetworkSpec} with the shared image keys. */
export type ImageSpec = NetworkSpec & ImageCommonSpec;

/**
 * The machinery the U-Net and the DiT share on top of {@link VariablesNetwork}
 * (named variables, input checks, weights I/O, `clone`, `dispose`): the time
 * conditioning `emb = temb(c_noise(t)) [+ temb_s(c_noise(s))]` and `toTwoTime`. A subclass
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
export abstract class ImageNetwork<S extends ImageSpec> extends VariablesNetwork<S> {
  protected constructor(spec: S, vars: Record<string, Variable>) {
    super(spec, spec.sampleShape, vars);
  }

  /** The trunk: `x [b, H, W, C]`, time conditioning `emb [b, T]` → `[b, H, W, C]`. */
  protected abstract forward(x: Tensor4D, emb: Tensor2D): Tensor4D;
  protected abstract override rebuild(spec: S, vars: Record<string, Variable>): ImageNetwork<S>;

  apply(xIn: Tensor, cNoise: Tensor1D, cNoiseS?: Tensor1D): Tensor {
    this.checkInputs(xIn, cNoise, cNoiseS);
    return tf.tidy(() => {
      let emb = timeMlp(cNoise, this.freqs, this.vars, 'temb');
      if (cNoiseS) emb = tf.add(emb, timeMlp(cNoiseS, this.freqs, this.vars, 'temb_s'));
      return this.forward(xIn as Tensor4D, emb as Tensor2D);
    });
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
}
