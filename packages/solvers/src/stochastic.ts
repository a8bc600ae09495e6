import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '@tensorflow/tfjs-core';
import {
  assertNumber,
  PluginContractError,
  tausLike,
  timesLike,
  type FieldModel,
  type SolverCapabilities,
  type SolverPlugin,
  type SolverStepContext,
  type SolverStepResult,
} from '@charlearn/core';

/** The noise source of a stochastic step; a named error when the step was called without one. */
function noiseSource(name: string, context: SolverStepContext | undefined): SolverStepContext {
  if (!context || typeof context.noise !== 'function') {
    throw new PluginContractError(`solver '${name}' is stochastic: call it through sample({ rng }) or pass a context { noise(shape) }`, 'context');
  }
  return context;
}

/**
 * One Euler–Maruyama step `t → s` of the interpolant's reverse-time (generative) SDE
 *
 * `dx = [v(x, t) + ε(t)·∇log p_t(x)] dt + √(2ε(t)) dW`, `ε(t) = η·σ(t)²`,
 *
 * which has the marginals `p_t` of the path `x_t = α_t x1 + σ_t z` for every `ε ≥ 0` (η = 0 is the
 * probability-flow ODE). With the denoiser `D` the score is `(α D − x)/σ²`, so
 * `ε·∇log p = η·(α D − x)` stays bounded at the data end and the step needs one `denoise` call (1 NFE):
 * `x_s = x + h·[α'D + σ'(x − αD)/σ + η(αD − x)] + σ_t·√(2ηh)·ξ`, `ξ ~ N(0, I)` from `context.noise`.
 * (The diffusion of the forward noising process, `g² = 2σ²(α'/α − σ'/σ)`, is infinite at t = 0 on paths
 * with α(0) = 0, hence this choice of ε.) A step onto the data end (σ_s = 0) is the denoise `α_s·D(x_t, t)`.
 * Weak order 1. `x: [batch, ...dims]`.
 *
 * @example
 * ```ts
 * const ctx = { noise: (shape: readonly number[]) => rng.normalTensor(shape) };
 * const x1 = eulerMaruyamaStep(x0, 0, 0.1, model, 1, ctx);
 * ```
 */
export function eulerMaruyamaStep(x: Tensor, t: number, s: number, model: FieldModel, eta: number, context: SolverStepContext | undefined): Tensor {
  const ctx = noiseSource('euler-maruyama', context);
  const ct = model.interpolant.at(t);
  const cs = model.interpolant.at(s);
  const h = s - t;
  if (cs.sigma === 0) return tf.tidy(() => tf.mul(model.denoise(x, timesLike(x, t), tausLike(x, t)), cs.alpha));
  return tf.tidy(() => {
    const d = model.denoise(x, timesLike(x, t), tausLike(x, t));
    const residual = tf.sub(x, tf.mul(d, ct.alpha)); // x − α D = σ·(noise estimate)
    const drift = tf.sub(tf.add(tf.mul(d, ct.dAlpha), tf.mul(residual, ct.dSigma / ct.sigma)), tf.mul(residual, eta));
    const deterministic = tf.add(x, tf.mul(drift, h));
    if (eta === 0) return deterministic;
    return tf.add(deterministic, tf.mul(ctx.noise(x.shape), ct.sigma * Math.sqrt(2 * eta * h)));
  });
}

/**
 * One ancestral step `t → s` (DDPM / DDIM-η in the interpolant's coefficients; k-diffusion's
 * `get_ancestral_step`): with `D = D(x_t, t)` and the noise estimate `ẑ = (x_t − α_t D)/σ_t`,
 *
 * `x_s = α_s D + √(σ_s² − c²)·ẑ + c·ξ`, `c = η·σ_s·√(1 − (α_t σ_s / (α_s σ_t))²)`,
 *
 * the posterior of `x_s` given `x_t` and `x1 = D` for η = 1, the deterministic exponential-integrator
 * (DDIM) step for η = 0. Exact marginals for point-mass data in any number of steps; weak order 1. From
 * t = 0 (α = 0) with η = 1 it is `α_s D + σ_s ξ`; onto the data end (σ_s = 0) it is `α_s D`. 1 NFE.
 * `x: [batch, ...dims]`.
 *
 * @example
 * ```ts
 * const ctx = { noise: (shape: readonly number[]) => rng.normalTensor(shape) };
 * const x1 = ancestralStep(x0, 0, 0.5, model, 1, ctx);
 * ```
 */
export function ancestralStep(x: Tensor, t: number, s: number, model: FieldModel, eta: number, context: SolverStepContext | undefined): Tensor {
  const ctx = noiseSource('ancestral', context);
  const ct = model.interpolant.at(t);
  const cs = model.interpolant.at(s);
  // α_t σ_s / (α_s σ_t) = exp(−(λ_s − λ_t)) ∈ [0, 1]; 0 at α_t = 0 or σ_s = 0
  const ratio = cs.alpha > 0 && ct.sigma > 0 ? Math.min(1, (ct.alpha * cs.sigma) / (cs.alpha * ct.sigma)) : 0;
  const c = eta * cs.sigma * Math.sqrt(Math.max(0, 1 - ratio * ratio));
  const keep = Math.sqrt(Math.max(0, cs.sigma * cs.sigma - c * c));
  return tf.tidy(() => {
    const d = model.denoise(x, timesLike(x, t), tausLike(x, t));
    let out = tf.mul(d, cs.alpha);
    if (keep > 0) out = tf.add(out, tf.mul(tf.sub(x, tf.mul(d, ct.alpha)), keep / ct.sigma));
    if (c > 0) out = tf.add(out, tf.mul(ctx.noise(x.shape), c));
    return out;
  });
}

const SDE_RK: SolverCapabilities = { family: 'runge-kutta', handlesDataEnd: true, stochastic: true, adaptive: false };
const SDE_EXP: SolverCapabilities = { family: 'exp-integrator', handlesDataEnd: true, stochastic: true, adaptive: false };

/**
 * Euler–Maruyama on the interpolant's reverse-time SDE ({@link eulerMaruyamaStep}) as a plugin:
 * `'euler-maruyama'` (η = 1) or `'euler-maruyama@η'`. Stochastic: `sample()` needs an `rng`.
 *
 * @example
 * ```ts
 * const { x } = sample({ solver: eulerMaruyama(0.5), model, xInit, timeGrid: { steps: 100, eps1: 0 }, rng: new Rng(1) });
 * ```
 */
export function eulerMaruyama(eta = 1): SolverPlugin<undefined> {
  assertNumber('eta', eta, { greaterThan: 0 });
  const name = eta === 1 ? 'euler-maruyama' : `euler-maruyama@${eta}`;
  return {
    name,
    order: 1,
    nfePerStep: 1,
    description: `Euler–Maruyama on the reverse-time SDE with ε(t) = ${eta}·σ(t)² (weak order 1)`,
    contract: 2,
    capabilities: SDE_RK,
    step: (x, t, s, model, _state, context): SolverStepResult<undefined> => ({ x: eulerMaruyamaStep(x, t, s, model, eta, context), state: undefined }),
  };
}

/**
 * The ancestral sampler ({@link ancestralStep}) as a plugin: `'ancestral'` (η = 1, DDPM) or `'ancestral@η'`,
 * η in (0, 1]. Stochastic: `sample()` needs an `rng`.
 *
 * @example
 * ```ts
 * const { x } = sample({ solver: 'ancestral', model, xInit, timeGrid: { steps: 50, eps1: 0 }, rng: new Rng(1) });
 * ```
 */
export function ancestral(eta = 1): SolverPlugin<undefined> {
  assertNumber('eta', eta, { greaterThan: 0, max: 1 });
  return {
    name: eta === 1 ? 'ancestral' : `ancestral@${eta}`,
    order: 1,
    nfePerStep: 1,
    description: `ancestral sampling (DDPM / DDIM with η = ${eta}; weak order 1)`,
    contract: 2,
    capabilities: SDE_EXP,
    step: (x, t, s, model, _state, context): SolverStepResult<undefined> => ({ x: ancestralStep(x, t, s, model, eta, context), state: undefined }),
  };
}

/** `'euler-maruyama'`: {@link eulerMaruyama} with η = 1. */
export const eulerMaruyamaDefault: SolverPlugin<undefined> = eulerMaruyama(1);
/** `'ancestral'`: {@link ancestral} with η = 1. */
export const ancestralDefault: SolverPlugin<undefined> = ancestral(1);
