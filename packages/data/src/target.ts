import * as tf from '@tensorflow/tfjs-core';
import type { Tensor2D } from '@tensorflow/tfjs-core';
import type { Dataset, GaussianMixture, Rng } from '@charlearn/core';
import { denormalisePoints, normalisePoints, type FlatPoints2D, type Normalisation2D } from './normalisation';
import { assertCount, assertRng } from './validate';

/** The names of the built-in 2-D targets. */
export type TargetName = 'swiss-roll' | '8gaussians' | 'checkerboard' | 'two-moons' | 'gmm';

/**
 * A 2-D toy target: a core {@link Dataset} drawing normalised float32 points
 * (unit std and zero mean per coordinate), plus raw draws and the map between
 * raw and normalised coordinates.
 *
 * @example
 * ```ts
 * const target = getTarget('swiss-roll');
 * const x1 = target.sample(512, new Rng(0));          // Tensor2D [512, 2], normalised
 * const raw = target.denormalise(x1);                  // back to raw units
 * ```
 */
export interface Target2D extends Dataset {
  readonly name: TargetName;
  readonly sampleShape: readonly [2];
  /** 1: the samples are normalised. */
  readonly sigmaData: 1;
  /** One line on what the target is. */
  readonly description: string;
  /** `normalised = (raw − mean) / std`, per coordinate. */
  readonly normalisation: Normalisation2D;
  /** `batch` normalised points as a float32 tensor `[batch, 2]`. */
  sample(batch: number, rng: Rng): Tensor2D;
  /** `n` normalised points, float32, row-major `n·2` (the same draws as `sample`). */
  sampleArray(n: number, rng: Rng): Float32Array;
  /** `n` raw (unnormalised) points, float64, row-major `n·2` (the same draws as `sample`). */
  sampleRaw(n: number, rng: Rng): Float64Array;
  /** Raw → normalised: a `[n, 2]` tensor, or flat `n·2` values (→ Float64Array). */
  normalise(points: Tensor2D): Tensor2D;
  normalise(points: FlatPoints2D): Float64Array;
  /** Normalised → raw: a `[n, 2]` tensor, or flat `n·2` values (→ Float64Array). */
  denormalise(points: Tensor2D): Tensor2D;
  denormalise(points: FlatPoints2D): Float64Array;
}

/**
 * The `gmm` target: a {@link Target2D} whose normalised law is the exact
 * Gaussian mixture `exact` (closed-form denoiser, velocity and characteristics).
 *
 * @example
 * ```ts
 * const gmm = getTarget('gmm');
 * const d = gmm.exact.denoisePoint([0.5, 0], 0.3); // E[x1 | x_t = (0.5, 0)], follmer path
 * ```
 */
export interface GmmTarget extends Target2D {
  readonly name: 'gmm';
  /** The normalised mixture: exactly the law of `sample`. */
  readonly exact: GaussianMixture;
  /** The raw mixture: exactly the law of `sampleRaw`. */
  readonly raw: GaussianMixture;
}

/** What {@link createTarget} needs: a raw sampler and its normalisation. */
export interface TargetSpec {
  name: TargetName;
  description: string;
  sampleRaw: (n: number, rng: Rng) => Float64Array;
  normalisation: Normalisation2D;
}

/**
 * Builds a {@link Target2D} from a raw sampler and its normalisation.
 *
 * @example
 * ```ts
 * const t = createTarget({ name: 'checkerboard', description: '...', sampleRaw: checkerboardRaw, normalisation });
 * ```
 */
export function createTarget(spec: TargetSpec): Target2D {
  const { name, description, normalisation } = spec;
  const norm: Normalisation2D = Object.freeze({
    mean: Object.freeze([normalisation.mean[0], normalisation.mean[1]] as const),
    std: Object.freeze([normalisation.std[0], normalisation.std[1]] as const),
  });
  const sampleRaw = (n: number, rng: Rng): Float64Array => {
    assertCount('n', n);
    assertRng('rng', rng);
    return spec.sampleRaw(n, rng);
  };
  const sampleArray = (n: number, rng: Rng): Float32Array => {
    const raw = sampleRaw(n, rng);
    const out = new Float32Array(raw.length);
    const [m0, m1] = norm.mean;
    const [s0, s1] = norm.std;
    for (let i = 0; i < raw.length; i += 2) {
      out[i] = (raw[i]! - m0) / s0;
      out[i + 1] = (raw[i + 1]! - m1) / s1;
    }
    return out;
  };
  const target: Target2D = {
    name,
    description,
    sampleShape: Object.freeze([2] as const),
    sigmaData: 1,
    normalisation: norm,
    sampleRaw,
    sampleArray,
    sample(batch: number, rng: Rng): Tensor2D {
      assertCount('batch', batch);
      return tf.tensor2d(sampleArray(batch, rng), [batch, 2], 'float32');
    },
    normalise: ((points: Tensor2D | FlatPoints2D) => normalisePoints(points as Tensor2D, norm)) as Target2D['normalise'],
    denormalise: ((points: Tensor2D | FlatPoints2D) => denormalisePoints(points as Tensor2D, norm)) as Target2D['denormalise'],
  };
  return Object.freeze(target);
}
