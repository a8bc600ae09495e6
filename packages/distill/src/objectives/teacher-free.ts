import * as tf from '@tensorflow/tfjs-core';
import { assertNumber, ConfigError, ValueRangeError } from '@charlearn/core';
import type { JsonObject } from '@charlearn/nets';
import { conservativeDrift, DEFAULT_DRIFT_TEMPERATURES, laplaceDrift, medianBandwidth } from './drift';
import { teacherFreeObjective, type OneStepObjectivePlugin } from './objective';
import { wflowVelocity } from './sinkhorn';

/** Throws `ConfigError` for keys of `options` not in `known`, naming `objective.<name>.<key>`. */
export function assertKnownOptions(name: string, options: Readonly<Record<string, unknown>>, known: readonly string[]): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new ConfigError(`objective.${name} options must be an object`, `objective.${name}`);
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new ConfigError(`objective.${name}.${key}: unknown option; known: ${known.join(', ')}`, `objective.${name}.${key}`);
  }
}

/** Options of the `drifting` objective. */
export interface DriftingOptions {
  /** Temperatures as fractions of `scale` (default 0.02, 0.05, 0.2: method.md's). */
  temperatures?: number[];
  /** Length unit of the temperatures (default `√(2D)`, the RMS distance of two normalised points: 2 in 2-D). */
  scale?: number;
}

/**
 * `drifting`: the Laplace-kernel drift of "Generative Modeling via Drifting" (several temperatures, each force
 * RMS-normalised, self-pairs masked; see {@link laplaceDrift}), loss `‖G(z) − sg[G(z) + V]‖²/batch`.
 *
 * @example
 * ```ts
 * new OneStepTrainer({ objective: 'drifting', objectiveOptions: { temperatures: [0.05, 0.2] }, net, dataset });
 * ```
 */
export const driftingObjective: OneStepObjectivePlugin = {
  name: 'drifting',
  description: 'drifting (Deng et al.): Laplace-kernel mean-shift drift, multi-temperature, RMS-normalised',
  create(options, context) {
    assertKnownOptions('drifting', options, ['temperatures', 'scale']);
    const o = options as DriftingOptions;
    const temperatures = o.temperatures ?? [...DEFAULT_DRIFT_TEMPERATURES];
    if (!Array.isArray(temperatures) || temperatures.length === 0) throw new ValueRangeError('objective.drifting.temperatures must be a non-empty array of numbers > 0', 'objective.drifting.temperatures');
    temperatures.forEach((t, i) => assertNumber(`objective.drifting.temperatures[${i}]`, t, { greaterThan: 0 }));
    const dim = context.dataset.sampleShape.reduce((a, b) => a * b, 1);
    const scale = o.scale ?? Math.sqrt(2 * dim) * context.dataset.sigmaData;
    assertNumber('objective.drifting.scale', scale, { greaterThan: 0 });
    return teacherFreeObjective('drifting', { temperatures, scale }, context, (x, batch) => ({
      velocity: laplaceDrift({ x, positives: batch.data }, { temperatures, scale }),
    }));
  },
};

/** Options of the `drifting-conservative` objective. */
export interface ConservativeDriftingOptions {
  /** Gaussian bandwidth h, or `'median'` (default): {@link medianBandwidth} of the pooled batch, every step. */
  bandwidth?: number | 'median';
  /** Multiplies the bandwidth (default 1; for tuning the median heuristic). */
  bandwidthScale?: number;
}

/**
 * `drifting-conservative`: the KDE-gradient drift `V = h²(∇log KDE_p − ∇log KDE_q)` (Gaussian kernel, own point left
 * out of the model KDE; see {@link conservativeDrift}), a gradient field; same loss as `drifting`. Logs `bandwidth`.
 *
 * @example
 * ```ts
 * new OneStepTrainer({ objective: 'drifting-conservative', objectiveOptions: { bandwidthScale: 0.5 }, net, dataset });
 * ```
 */
export const conservativeDriftingObjective: OneStepObjectivePlugin = {
  name: 'drifting-conservative',
  description: 'conservative drifting: Gaussian KDE-gradient drift (a gradient field), median-heuristic bandwidth',
  create(options, context) {
    assertKnownOptions('drifting-conservative', options, ['bandwidth', 'bandwidthScale']);
    const o = options as ConservativeDriftingOptions;
    const bandwidth = o.bandwidth ?? 'median';
    if (bandwidth !== 'median') assertNumber('objective.drifting-conservative.bandwidth', bandwidth, { greaterThan: 0 });
    const bandwidthScale = o.bandwidthScale ?? 1;
    assertNumber('objective.drifting-conservative.bandwidthScale', bandwidthScale, { greaterThan: 0 });
    return teacherFreeObjective('drifting-conservative', { bandwidth, bandwidthScale }, context, (x, batch) => {
      const h =
        bandwidthScale *
        (bandwidth === 'median'
          ? (() => {
              const pooled = tf.concat([x, batch.data], 0);
              try {
                return medianBandwidth(pooled);
              } finally {
                pooled.dispose();
              }
            })()
          : bandwidth);
      return { velocity: conservativeDrift({ x, positives: batch.data }, h), logs: { bandwidth: h } };
    });
  },
};

/** Options of the `wflow` objective. */
export interface WflowOptions {
  /** Entropic ε (squared-distance units; default 0.05). */
  epsilon?: number;
  /** Sinkhorn marginal tolerance (default 1e-3). */
  tol?: number;
  /** Sinkhorn iteration cap per plan (default 200). */
  maxIter?: number;
  /** Step η of the target `sg[G(z) + η·v]` (default 1). */
  eta?: number;
}

/**
 * `wflow`: the W-Flow (Sinkhorn-divergence gradient flow) velocity `v = T_{q→p} − T_{q→q'}` with a second,
 * independent generated batch q′ (drawn from the trainer's RNG), loss `‖G(z) − sg[G(z) + η·v]‖²/batch`. Logs the
 * Sinkhorn iterations of both plans and their marginal error.
 *
 * @example
 * ```ts
 * new OneStepTrainer({ objective: 'wflow', objectiveOptions: { epsilon: 0.02 }, net, dataset });
 * ```
 */
export const wflowObjective: OneStepObjectivePlugin = {
  name: 'wflow',
  description: 'W-Flow: Sinkhorn-divergence gradient flow, barycentric-projection velocity (log-domain Sinkhorn)',
  create(options, context) {
    assertKnownOptions('wflow', options, ['epsilon', 'tol', 'maxIter', 'eta']);
    const o = options as WflowOptions;
    const settings = { epsilon: o.epsilon ?? 0.05, tol: o.tol ?? 1e-3, maxIter: o.maxIter ?? 200, eta: o.eta ?? 1 };
    assertNumber('objective.wflow.epsilon', settings.epsilon, { greaterThan: 0 });
    assertNumber('objective.wflow.tol', settings.tol, { greaterThan: 0 });
    assertNumber('objective.wflow.maxIter', settings.maxIter, { integer: true, min: 1 });
    assertNumber('objective.wflow.eta', settings.eta, { greaterThan: 0 });
    const { eta, ...ot } = settings;
    return teacherFreeObjective('wflow', settings as unknown as JsonObject, context, (x, batch) => {
      const zPrime = batch.rng.normalTensor(batch.prior.shape);
      const xPrime = batch.generator(zPrime);
      zPrime.dispose();
      try {
        const r = wflowVelocity(x, batch.data, xPrime, ot);
        const velocity = tf.mul(r.velocity, eta);
        r.velocity.dispose();
        return { velocity, logs: { sinkhornIterPQ: r.iterations[0], sinkhornIterQQ: r.iterations[1], marginalError: r.marginalError } };
      } finally {
        xPrime.dispose();
      }
    });
  },
};

/** The built-in teacher-free objective plugins. */
export const TEACHER_FREE_OBJECTIVES: readonly OneStepObjectivePlugin[] = [driftingObjective, conservativeDriftingObjective, wflowObjective];
