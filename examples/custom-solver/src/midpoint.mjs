// @ts-check
/**
 * A solver plugin written from scratch: the explicit midpoint method.
 * Everything it needs comes from the public `@charlearn/core` entry point
 * (the `SolverPlugin` contract, `timesLike`) and tfjs.
 */
import * as tf from '@tensorflow/tfjs-core';
import { timesLike } from '@charlearn/core';

/**
 * One explicit midpoint step `t → s` on `dx/dt = v(x, t)` (t = 0 noise,
 * t = 1 data), `h = s − t`:
 * `k1 = v(x, t)`, `k2 = v(x + h/2·k1, t + h/2)`, `x_s = x + h·k2`.
 * Order 2, 2 NFE. Pure: `x` is left alone, intermediates are freed.
 *
 * @param {import('@tensorflow/tfjs-core').Tensor} x points at time `t`, `[batch, ...dims]`
 * @param {number} t start time
 * @param {number} s end time
 * @param {import('@charlearn/core').FieldModel} model the field (only `velocity` is used)
 * @returns {import('@tensorflow/tfjs-core').Tensor} points at time `s`, `[batch, ...dims]`
 *
 * @example
 * const x1 = midpointStep(priorSample([100, 2], 0), 0, 0.1, gmm.fieldModel('follmer')); // [100, 2]
 */
export function midpointStep(x, t, s, model) {
  return tf.tidy(() => {
    const h = s - t;
    const k1 = model.velocity(x, timesLike(x, t));
    const k2 = model.velocity(tf.add(x, tf.mul(k1, h / 2)), timesLike(x, t + h / 2));
    return tf.add(x, tf.mul(k2, h));
  });
}

/**
 * The plugin object: a name (`'pkg/name'` for third parties), the declared
 * order and NFE per step (both checked by the conformance suite), and a pure
 * `step` returning `{ x, state }` (no state: a one-step method).
 *
 * @type {import('@charlearn/core').SolverPlugin<undefined>}
 *
 * @example
 * registerSolver(midpoint);
 * sample({ solver: 'example/midpoint', model, xInit, timeGrid: { steps: 8 } }); // nfe 16
 */
export const midpoint = {
  name: 'example/midpoint',
  order: 2,
  nfePerStep: 2,
  description: 'explicit midpoint method (example plugin)',
  step: (x, t, s, model) => ({ x: midpointStep(x, t, s, model), state: undefined }),
};
