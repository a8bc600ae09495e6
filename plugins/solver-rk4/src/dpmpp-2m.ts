import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '@tensorflow/tfjs-core';
import { tausLike, timesLike, type FieldModel, type Interpolant, type SolverPlugin, type SolverStepResult } from '@charlearn/core';

/**
 * The history a {@link dpmpp2m} step carries to the next one.
 * The driver owns `denoised` once a step has returned it.
 */
export interface Dpmpp2mState {
  /** `D(x_t, t)` of the previous step, `[batch, ...dims]`; `null` before the first step. */
  readonly denoised: Tensor | null;
  /** Start time of the previous step; `NaN` before the first step. */
  readonly t: number;
}

/** `λ(t) = log(α_t/σ_t)`; `−∞` where α = 0 (the noise end t = 0 of the usual paths). */
function logSnr(path: Interpolant, t: number): number {
  const { alpha, sigma } = path.at(t);
  return Math.log(alpha) - Math.log(sigma);
}

/**
 * One DPM-Solver++(2M) step `t → s` (second-order multistep exponential
 * integrator in data-prediction form; Lu et al. 2022), for any affine path
 * `x_t = α_t·x1 + σ_t·z` with `λ = log(α/σ)` increasing in t:
 *
 * `x_s = (σ_s/σ_t)·x_t + (α_s − α_t·σ_s/σ_t)·D'`, `h = λ_s − λ_t`, where
 * `D' = D(x_t, t)` on the first step (the plain exponential-integrator step)
 * and `D' = (1 + 1/(2r))·D(x_t, t) − 1/(2r)·D_prev`, `r = h_prev/h`, after it.
 *
 * At the noise end α(0) = 0 makes `λ = −∞`: the step from t = 0 is finite
 * (its coefficient is just α_s, and σ_0 > 0), and the step after it sees
 * `h_prev = ∞`, so `1/(2r) = 0` and it too is first order. Only a bounded
 * number of first-order steps, so the global order stays 2.
 *
 * At the data end σ_s = 0 gives `λ_s = +∞`, so `h = ∞`, the correction
 * weight is 0 and the last step is the denoise `α_s·D(x_t, t)` (first order,
 * as k-diffusion's DPM-Solver++(2M) ends at σ = 0): it steps onto t = 1.
 *
 * Order 2, 1 NFE (one `model.denoise` call). Pure: `x` and `state` are left
 * alone; the returned state holds this step's `D(x_t, t)`. Needs `σ_t > 0`.
 *
 * @param x - points at time `t`, `[batch, ...dims]`, float32.
 * @param t - start time in `[0, 1)`.
 * @param s - end time, `s > t`.
 * @param model - the field; uses `model.denoise` and `model.interpolant`.
 * @param state - from {@link dpmpp2m}`.initialState()` or the previous step.
 * @returns `x` at time `s`, `[batch, ...dims]`, and the state for the next step.
 *
 * @example
 * ```ts
 * let state = dpmpp2m.initialState!();
 * let x = priorSample([256, 2], 0);                           // [256, 2] at t = 0
 * for (const [t, s] of [[0, 0.3], [0.3, 0.6], [0.6, 0.9]] as const) {
 *   const r = dpmpp2mStep(x, t, s, model, state);            // dispose old x/state as you go
 *   ({ x, state } = r);
 * }
 * ```
 */
export function dpmpp2mStep(x: Tensor, t: number, s: number, model: FieldModel, state: Dpmpp2mState): SolverStepResult<Dpmpp2mState> {
  const path = model.interpolant;
  const ct = path.at(t);
  const cs = path.at(s);
  const ratio = cs.sigma / ct.sigma;
  const coef = cs.alpha - ct.alpha * ratio;
  // Weight 1/(2r) of the second-order correction; 0 (first order) when there
  // is no usable history: first step, or h_prev infinite (previous step
  // started at α = 0), or a history that does not end where this step starts.
  let w = 0;
  const prev = state?.denoised ?? null;
  if (prev !== null && Number.isFinite(state.t) && state.t < t) {
    const lambdaT = logSnr(path, t);
    const h = logSnr(path, s) - lambdaT;
    const hPrev = lambdaT - logSnr(path, state.t);
    if (Number.isFinite(h) && Number.isFinite(hPrev) && h > 0 && hPrev > 0) w = h / (2 * hPrev);
  }
  const [xs, d] = tf.tidy(() => {
    const denoised = model.denoise(x, timesLike(x, t), tausLike(x, t));
    const dEff = prev !== null && w !== 0 ? tf.sub(tf.mul(denoised, 1 + w), tf.mul(prev, w)) : denoised;
    return [tf.add(tf.mul(x, ratio), tf.mul(dEff, coef)), denoised];
  });
  return { x: xs!, state: { denoised: d!, t } };
}

/**
 * The DPM-Solver++(2M) solver plugin: name `'rk4/dpmpp-2m'`, order 2,
 * 1 NFE per step, multistep (its state carries the previous denoised tensor
 * and time). Declares itself an exponential integrator that steps onto the
 * data end (contract v2), so the distiller's teacher protocol treats it as it
 * treats the built-in `'exp-integrator'`. Registered on import of
 * `@charlearn/solver-rk4`, also under its deprecated v1 name
 * `'solver-rk4/dpmpp-2m'`.
 *
 * @example
 * ```ts
 * const { x, nfe } = sample({ solver: 'rk4/dpmpp-2m', model, xInit: priorSample([1000, 2], 0),
 *   timeGrid: { steps: 10, eps1: 0 } }); // x: [1000, 2] at t = 1, nfe === 10
 * ```
 */
export const dpmpp2m: SolverPlugin<Dpmpp2mState> = {
  name: 'rk4/dpmpp-2m',
  order: 2,
  nfePerStep: 1,
  description: 'DPM-Solver++(2M): 2nd-order multistep exponential integrator, data prediction',
  contract: 2,
  capabilities: { family: 'exp-integrator', handlesDataEnd: true, stochastic: false, adaptive: false },
  initialState: (): Dpmpp2mState => ({ denoised: null, t: Number.NaN }),
  step: dpmpp2mStep,
};

/** `'solver-rk4/dpmpp-2m'`: the v1 name of {@link dpmpp2m}, kept as a deprecated alias (same solver). */
export const dpmpp2mDeprecatedAlias: SolverPlugin<Dpmpp2mState> = {
  ...dpmpp2m,
  name: 'solver-rk4/dpmpp-2m',
  description: `deprecated alias of '${dpmpp2m.name}'`,
  deprecated: `use '${dpmpp2m.name}' (names of @charlearn/solver-rk4 share the 'rk4/' prefix since solver contract v2)`,
};
