import * as tf from '@tensorflow/tfjs-core';
import {
  assertNumber,
  assertTensor,
  requireMember,
  tausLike,
  timesLike,
  type FieldModel,
  type SolverCapabilities,
  type SolverPlugin,
  type SolverStepResult,
} from '@charlearn/core';
import type { Tensor } from '@tensorflow/tfjs-core';

/**
 * Entry checks shared by the step functions: `x: [batch, ...dims]` a live
 * float32 tensor, `t` in `[0, 1)` (a step starts before the data end, where
 * σ(t) > 0), `s` in `[0, 1]`, `model` a {@link FieldModel}. Named errors
 * (`ShapeError`, `TypeMismatchError`, `ValueRangeError`, `PluginContractError`).
 */
function assertStepArgs(x: Tensor, t: number, s: number, model: FieldModel): void {
  assertTensor('x', x, undefined, { minRank: 1, dtype: 'float32' });
  assertNumber('t', t, { min: 0, lessThan: 1 });
  assertNumber('s', s, { min: 0, max: 1 });
  requireMember(model, 'velocity', 'function', 'model');
  requireMember(model, 'denoise', 'function', 'model');
  requireMember(model.interpolant, 'at', 'function', 'model.interpolant');
}

/** Whether `s` is the data end of the model's path (σ(s) = 0), where a step on the velocity is 0/0. */
function atDataEnd(model: FieldModel, s: number): boolean {
  return model.interpolant.at(s).sigma === 0;
}

/**
 * One explicit Euler step `x_s = x_t + (s − t)·v(x_t, t)`.
 * Order 1, 1 NFE. `x: [batch, ...dims]`. A step onto the data end (σ_s = 0)
 * is the exponential-integrator step there, the denoise `α_s·D(x_t, t)`
 * (k-diffusion's Euler step to σ = 0; the t-form would carry the 1/σ of the velocity).
 *
 * @example
 * ```ts
 * const x1 = eulerStep(x0, 0, 0.1, model);
 * ```
 */
export function eulerStep(x: Tensor, t: number, s: number, model: FieldModel): Tensor {
  assertStepArgs(x, t, s, model);
  if (atDataEnd(model, s)) return expIntegratorStep(x, t, s, model);
  return tf.tidy(() => tf.add(x, tf.mul(model.velocity(x, timesLike(x, t), tausLike(x, t)), s - t)));
}

/**
 * One Heun step (explicit trapezoidal rule): `k1 = v(x_t, t)`,
 * `k2 = v(x_t + (s − t)·k1, s)`, `x_s = x_t + (s − t)·(k1 + k2)/2`.
 * Order 2, 2 NFE. `x: [batch, ...dims]`. A step onto the data end (σ_s = 0,
 * where `v(x, s)` is 0/0) is the exponential-integrator step there, the
 * denoise `α_s·D(x_t, t)` (1 NFE), as k-diffusion's Heun ends at σ = 0.
 *
 * @example
 * ```ts
 * const x1 = heunStep(x0, 0, 0.1, model);
 * ```
 */
export function heunStep(x: Tensor, t: number, s: number, model: FieldModel): Tensor {
  assertStepArgs(x, t, s, model);
  // Heun evaluates the velocity at s, and v(x, s) is 0/0 where σ(s) = 0
  if (atDataEnd(model, s)) return expIntegratorStep(x, t, s, model);
  return tf.tidy(() => {
    const h = s - t;
    const k1 = model.velocity(x, timesLike(x, t), tausLike(x, t));
    const k2 = model.velocity(tf.add(x, tf.mul(k1, h)), timesLike(x, s), tausLike(x, s));
    return tf.add(x, tf.mul(tf.add(k1, k2), h / 2));
  });
}

/**
 * One exponential-integrator step (DDIM/DEIS type; the linear part exact,
 * the denoiser frozen at `t`):
 * `x_s = (σ_s/σ_t)·x_t + (α_s − α_t·σ_s/σ_t)·D(x_t, t)`.
 * Order 1, 1 NFE; exact whenever `D` is constant along the characteristic
 * (e.g. point-mass data). Needs `σ_t > 0`; steps onto σ_s = 0 (then
 * `x_s = α_s·D(x_t, t)`, the denoise). `x: [batch, ...dims]`.
 *
 * @example
 * ```ts
 * const x1 = expIntegratorStep(x0, 0, 0.5, model);
 * ```
 */
export function expIntegratorStep(x: Tensor, t: number, s: number, model: FieldModel): Tensor {
  assertStepArgs(x, t, s, model);
  const ct = model.interpolant.at(t);
  const cs = model.interpolant.at(s);
  const ratio = cs.sigma / ct.sigma;
  return tf.tidy(() => tf.add(tf.mul(x, ratio), tf.mul(model.denoise(x, timesLike(x, t), tausLike(x, t)), cs.alpha - ct.alpha * ratio)));
}

/**
 * One preconditioned exponential-integrator step: the linear part of the ODE
 * that a Gaussian `N(0, σ_d² I)` target induces is solved exactly and the EDM
 * raw output `F = (D − c_skip·x)/c_out` is frozen at `t`:
 * `x_s = (m_s/m_t)·x_t + m_s·(θ_s − θ_t)·F(x_t, t)`,
 * `m = √(α²σ_d² + σ²)`, `θ = arctan(σ_d·α/σ)`.
 * Exact when the data are `N(0, σ_d² I)` (e.g. a normalised single Gaussian),
 * on every affine path; order 1 in general; 1 NFE. For the Föllmer path with
 * σ_d = 1 it reads `x_s = x_t + (arcsin s − arcsin t)·F`. Steps onto σ_s = 0
 * (θ_s = π/2, m_s = α_s·σ_d).
 *
 * @example
 * ```ts
 * const x1 = edmExpIntegratorStep(x0, 0, 0.999, model, 1);
 * ```
 */
export function edmExpIntegratorStep(x: Tensor, t: number, s: number, model: FieldModel, sigmaData = 1): Tensor {
  assertStepArgs(x, t, s, model);
  assertNumber('sigmaData', sigmaData, { greaterThan: 0 });
  const ct = model.interpolant.at(t);
  const cs = model.interpolant.at(s);
  const sd2 = sigmaData * sigmaData;
  const mt = Math.sqrt(ct.alpha * ct.alpha * sd2 + ct.sigma * ct.sigma);
  const ms = Math.sqrt(cs.alpha * cs.alpha * sd2 + cs.sigma * cs.sigma);
  const theta = (c: { alpha: number; sigma: number }) => Math.atan2(sigmaData * c.alpha, c.sigma);
  const cSkip = (ct.alpha * sd2) / (mt * mt);
  const cOut = (ct.sigma * sigmaData) / mt;
  const gain = (ms * (theta(cs) - theta(ct))) / cOut;
  return tf.tidy(() => {
    const d = model.denoise(x, timesLike(x, t), tausLike(x, t));
    // x_s = (m_s/m_t) x + gain·(D − c_skip x)
    return tf.add(tf.mul(x, ms / mt - gain * cSkip), tf.mul(d, gain));
  });
}

/**
 * The preconditioned exponential integrator as a plugin, for data std
 * `sigmaData` (the registered `'exp-integrator-edm'` uses 1, i.e. normalised data).
 *
 * @example
 * ```ts
 * registerSolver(edmExpIntegrator(0.5)); // name 'exp-integrator-edm@0.5'
 * ```
 */
export function edmExpIntegrator(sigmaData = 1): SolverPlugin<undefined> {
  assertNumber('sigmaData', sigmaData, { greaterThan: 0 });
  return oneStep(
    sigmaData === 1 ? 'exp-integrator-edm' : `exp-integrator-edm@${sigmaData}`,
    1,
    1,
    EXP_INTEGRATOR,
    `exponential integrator with the EDM output frozen (exact for N(0, ${sigmaData}² I) data)`,
    (x, t, s, model) => edmExpIntegratorStep(x, t, s, model, sigmaData),
  );
}

/** Capabilities of the built-in one-step ODE solvers: all of them step onto the data end themselves. */
const RUNGE_KUTTA: SolverCapabilities = { family: 'runge-kutta', handlesDataEnd: true, stochastic: false, adaptive: false };
const EXP_INTEGRATOR: SolverCapabilities = { family: 'exp-integrator', handlesDataEnd: true, stochastic: false, adaptive: false };

function oneStep(
  name: string,
  order: number,
  nfePerStep: number,
  capabilities: SolverCapabilities,
  description: string,
  fn: (x: Tensor, t: number, s: number, model: FieldModel) => Tensor,
): SolverPlugin<undefined> {
  return {
    name,
    order,
    nfePerStep,
    description,
    contract: 2,
    capabilities,
    step: (x, t, s, model): SolverStepResult<undefined> => ({ x: fn(x, t, s, model), state: undefined }),
  };
}

/** The Euler solver plugin (`'euler'`, order 1, 1 NFE/step). */
export const euler: SolverPlugin<undefined> = oneStep('euler', 1, 1, RUNGE_KUTTA, 'explicit Euler on the velocity', eulerStep);

/** The Heun solver plugin (`'heun'`, order 2, 2 NFE/step). */
export const heun: SolverPlugin<undefined> = oneStep('heun', 2, 2, RUNGE_KUTTA, 'Heun (explicit trapezoid) on the velocity', heunStep);

/** The exponential-integrator solver plugin (`'exp-integrator'`, order 1, 1 NFE/step). */
export const expIntegrator: SolverPlugin<undefined> = oneStep(
  'exp-integrator',
  1,
  1,
  EXP_INTEGRATOR,
  'exponential integrator (DDIM/DEIS): linear part exact, denoiser frozen',
  expIntegratorStep,
);

/** The preconditioned exponential integrator for normalised data (`'exp-integrator-edm'`, σ_d = 1, order 1, 1 NFE/step). */
export const expIntegratorEdm: SolverPlugin<undefined> = edmExpIntegrator(1);
