import * as tf from '@tensorflow/tfjs-core';
import * as v from 'valibot';
import { assertNumber, configSection, integerSchema, numberSchema, parseConfig, setting } from '@charlearn/core';
import type { JsonObject } from '@charlearn/nets';
import { conservativeDrift, DEFAULT_DRIFT_TEMPERATURES, laplaceDrift, medianBandwidth } from './drift';
import { teacherFreeObjective, type OneStepObjectivePlugin } from './objective';
import { wflowVelocity } from './sinkhorn';

/** Options of the `drifting` objective: Laplace temperatures as fractions of `scale`, and the length unit. */
export const driftingOptionsSchema = configSection({
  temperatures: setting(v.pipe(v.array(numberSchema({ gt: 0 })), v.minLength(1)), [...DEFAULT_DRIFT_TEMPERATURES], 'Laplace temperatures, as fractions of scale'),
  scale: setting(v.nullable(numberSchema({ gt: 0 })), null, "length unit of the temperatures; null: sqrt(2D) times the data's sigma (2 in 2-D)"),
});

/** {@link driftingOptionsSchema}'s input. */
export type DriftingOptions = v.InferInput<typeof driftingOptionsSchema>;

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
  optionsSchema: driftingOptionsSchema,
  create(options, context) {
    const o = parseConfig(driftingOptionsSchema, options, 'drifting');
    const temperatures = o.temperatures;
    const dim = context.dataset.sampleShape.reduce((a, b) => a * b, 1);
    const scale = o.scale ?? Math.sqrt(2 * dim) * context.dataset.sigmaData;
    assertNumber('drifting.scale', scale, { greaterThan: 0 });
    return teacherFreeObjective('drifting', { temperatures, scale }, context, (x, batch) => ({
      velocity: laplaceDrift({ x, positives: batch.data }, { temperatures, scale }),
    }));
  },
};

/** Options of the `drifting-conservative` objective: the Gaussian bandwidth (or the median heuristic) and a factor on it. */
export const conservativeDriftingOptionsSchema = configSection({
  bandwidth: setting(v.union([v.literal('median'), numberSchema({ gt: 0 })]), 'median', "Gaussian bandwidth h, or 'median' (median heuristic every step)"),
  bandwidthScale: setting(numberSchema({ gt: 0 }), 1, 'multiplies the bandwidth'),
});

/** {@link conservativeDriftingOptionsSchema}'s input. */
export type ConservativeDriftingOptions = v.InferInput<typeof conservativeDriftingOptionsSchema>;

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
  optionsSchema: conservativeDriftingOptionsSchema,
  create(options, context) {
    const { bandwidth, bandwidthScale } = parseConfig(conservativeDriftingOptionsSchema, options, 'drifting-conservative');
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

/** Options of the `wflow` objective: entropic ε, Sinkhorn tolerance and iteration cap, and the step η. */
export const wflowOptionsSchema = configSection({
  epsilon: setting(numberSchema({ gt: 0 }), 0.05, 'entropic epsilon (squared-distance units)'),
  tol: setting(numberSchema({ gt: 0 }), 1e-3, 'Sinkhorn marginal tolerance'),
  maxIter: setting(integerSchema({ min: 1 }), 200, 'Sinkhorn iterations per plan, at most'),
  eta: setting(numberSchema({ gt: 0 }), 1, 'step of the target G(z) + eta v'),
});

/** {@link wflowOptionsSchema}'s input. */
export type WflowOptions = v.InferInput<typeof wflowOptionsSchema>;

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
  optionsSchema: wflowOptionsSchema,
  create(options, context) {
    const settings = parseConfig(wflowOptionsSchema, options, 'wflow');
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
