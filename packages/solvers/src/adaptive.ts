import * as tf from '@tensorflow/tfjs-core';
import type { Scalar, Tensor } from '@tensorflow/tfjs-core';
import { assertNumber, CharlearnError, tausLike, timesLike, type FieldModel, type SolverPlugin, type SolverStepResult, type SolverTolerance } from '@charlearn/core';

/** An adaptive solver ran out of its NFE budget, or its step size underflowed, before the end of an interval. */
export class StepBudgetError extends CharlearnError {
  /** Model evaluations spent when it stopped. */
  readonly nfe: number;
  /** The time it had reached. */
  readonly reached: number;
  constructor(message: string, nfe: number, reached: number) {
    super(message, 'maxNfe');
    this.name = 'StepBudgetError';
    this.nfe = nfe;
    this.reached = reached;
  }
}

/** Options of {@link dopri5}. */
export interface Dopri5Options {
  /** Absolute tolerance (default 1e-5: float32 arithmetic leaves ~1e-7). */
  atol?: number;
  /** Relative tolerance (default 1e-5). */
  rtol?: number;
  /** Most model evaluations one `step` (one grid interval) may spend (default 10,000); a {@link StepBudgetError} beyond. */
  maxNfe?: number;
  /** Safety factor of the step-size controller (default 0.9). */
  safety?: number;
}

/** What a {@link dopri5} step carries to the next interval: the last proposed sub-step size. */
export interface Dopri5State {
  /** The step size the controller proposed last; `NaN` before the first step (then it is chosen from the field). */
  readonly h: number;
}

// Dormand–Prince 5(4) tableau (Dormand & Prince 1980; Hairer, Nørsett & Wanner, Solving ODEs I, II.5).
const C = [0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1] as const;
const A: readonly (readonly number[])[] = [
  [],
  [1 / 5],
  [3 / 40, 9 / 40],
  [44 / 45, -56 / 15, 32 / 9],
  [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
  [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
];
/** 5th-order weights (also the 7th stage, FSAL). */
const B5 = [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0] as const;
/** B5 − B4 (the embedded 4th-order solution's weights). */
const E = [71 / 57600, 0, -71 / 16695, 71 / 1920, -17253 / 339200, 22 / 525, -1 / 40] as const;

/** `x + h·Σ w_j k_j` over the non-zero weights. */
function combine(x: Tensor, ks: readonly Tensor[], w: readonly number[], h: number): Tensor {
  const terms = ks.map((k, j) => (w[j] ? tf.mul(k, w[j]! * h) : null)).filter((t): t is Tensor => t !== null);
  return tf.add(x, terms.length === 1 ? terms[0]! : tf.addN(terms));
}

/** The value of a scalar computed in `fn`, with every tensor freed. */
function scalarValue(fn: () => Scalar): number {
  const t = tf.tidy(fn);
  const v = t.dataSync()[0]!;
  t.dispose();
  return v;
}

/** RMS over all elements of `err / (atol + rtol·max(|y0|, |y1|))` (torchdiffeq's and scipy's norm). */
function errorRatio(err: Tensor, y0: Tensor, y1: Tensor, tol: SolverTolerance): number {
  return scalarValue(() => {
    const scale = tf.add(tf.mul(tf.maximum(tf.abs(y0), tf.abs(y1)), tol.rtol), tol.atol);
    return tf.sqrt(tf.mean(tf.square(tf.div(err, scale)))) as Scalar;
  });
}

function rms(x: Tensor): number {
  return scalarValue(() => tf.sqrt(tf.mean(tf.square(x))) as Scalar);
}

/**
 * One adaptive Dormand–Prince 5(4) solve `t → s` of `dx/dt = v(x, t)`: sub-steps accepted when the RMS of the
 * embedded error estimate over `atol + rtol·|x|` is ≤ 1, step size `h·min(10, max(0.2, 0.9·ratio^(−1/5)))`,
 * first sub-step chosen from the field (Hairer's rule, 1 NFE) unless `state.h` carries one. 6 NFE per attempted
 * sub-step plus 1 per interval (the first stage; the 7th stage is the next sub-step's first, FSAL). One step size
 * for the whole batch. The velocity is evaluated at `s`, so `s` must be before the data end (σ > 0).
 * `x: [batch, ...dims]` → the same shape.
 *
 * @example
 * ```ts
 * const r = dopri5Step(x0, 0, 0.99, model, { h: Number.NaN }, { atol: 1e-5, rtol: 1e-5, maxNfe: 2000, safety: 0.9 });
 * r.stats.acceptedTimes; // end times of the accepted sub-steps, the last 0.99
 * ```
 */
export function dopri5Step(
  x: Tensor,
  t: number,
  s: number,
  model: FieldModel,
  state: Dopri5State,
  options: Required<Dopri5Options>,
): SolverStepResult<Dopri5State> & { stats: { acceptedTimes: number[]; rejectedSteps: number } } {
  const tol = { atol: options.atol, rtol: options.rtol };
  const span = s - t;
  const acceptedTimes: number[] = [];
  let rejectedSteps = 0;
  let nfe = 0;
  const f = (y: Tensor, time: number): Tensor => {
    if (nfe >= options.maxNfe) {
      throw new StepBudgetError(`dopri5 spent its maxNfe = ${options.maxNfe} model evaluations at t = ${time} before reaching s = ${s}; raise maxNfe or the tolerance (atol ${tol.atol}, rtol ${tol.rtol})`, nfe, time);
    }
    nfe++;
    return tf.tidy(() => model.velocity(y, timesLike(y, time), tausLike(y, time)));
  };
  let y = tf.clone(x);
  let k1 = f(y, t);
  let h = Number.isFinite(state?.h) && state.h > 0 ? state.h : 0;
  try {
    if (h === 0) {
      // Hairer's initial step: h0 = 0.01·‖y‖/‖f‖, then from the change of f over h0 (order 5).
      const d0 = rms(y);
      const d1 = rms(k1);
      const h0 = d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : (0.01 * d0) / d1;
      const y1 = tf.tidy(() => tf.add(y, tf.mul(k1, h0)));
      const f1 = f(y1, t + Math.min(h0, span));
      const d2 = scalarValue(() => tf.div(tf.sqrt(tf.mean(tf.square(tf.sub(f1, k1)))), h0) as Scalar);
      tf.dispose([y1, f1]);
      const h1 = Math.max(d1, d2) <= 1e-15 ? Math.max(1e-6, h0 * 1e-3) : (0.01 / Math.max(d1, d2)) ** (1 / 5);
      h = Math.min(100 * h0, h1);
    }
    let now = t;
    while (now < s) {
      const last = now + h >= s || s - (now + h) < 1e-12 * Math.max(1, Math.abs(s));
      const hStep = last ? s - now : h;
      if (!(hStep > 1e-14 * Math.max(1, Math.abs(now)))) {
        throw new StepBudgetError(`dopri5: step size underflow (${hStep}) at t = ${now}; the field is too stiff or not finite here`, nfe, now);
      }
      const ks: Tensor[] = [k1];
      let y5: Tensor | null = null;
      let k7: Tensor | null = null;
      let ratio = Number.NaN;
      try {
        for (let i = 1; i < 6; i++) {
          const yi = tf.tidy(() => combine(y, ks, A[i]!, hStep));
          ks.push(f(yi, now + C[i]! * hStep));
          yi.dispose();
        }
        y5 = tf.tidy(() => combine(y, ks, B5, hStep));
        k7 = f(y5, now + hStep);
        const all = [...ks, k7];
        const err = tf.tidy(() => tf.mul(tf.addN(all.map((k, j) => tf.mul(k, E[j]!))), hStep));
        ratio = errorRatio(err, y, y5, tol);
        err.dispose();
      } catch (e) {
        tf.dispose([y5, k7].filter((v): v is Tensor => v !== null));
        throw e;
      } finally {
        tf.dispose(ks.slice(1));
      }
      if (ratio <= 1) {
        y.dispose();
        k1.dispose();
        y = y5;
        k1 = k7!;
        now = last ? s : now + hStep;
        acceptedTimes.push(now);
      } else {
        tf.dispose([y5, k7]);
        rejectedSteps++;
      }
      const factor = Number.isFinite(ratio) ? Math.min(10, Math.max(0.2, options.safety * Math.max(ratio, 1e-10) ** -0.2)) : 0.2;
      // after a rejection never grow; a last, clipped step does not shrink the proposal for the next interval
      if (!(ratio <= 1 && last && hStep < h)) h = hStep * (ratio <= 1 ? factor : Math.min(1, factor));
    }
    return { x: y, state: { h }, stats: { acceptedTimes, rejectedSteps } };
  } catch (e) {
    y.dispose();
    throw e;
  } finally {
    k1.dispose();
  }
}

/**
 * The adaptive Dormand–Prince 5(4) solver (`'dopri5'`, order 5, 6 NFE per attempted sub-step): each grid
 * interval is solved to `atol`/`rtol`, so a grid of two times `[t0, t1]` is "solve to tolerance" and more
 * times are output times (dense output at the grid). `sample()` reports the NFE it spent and, through
 * `onStep`, the accepted sub-step times. It does not step onto the data end (the velocity there is 0/0):
 * a grid that ends at t = 1 is finished with the denoise. `sample()` hands back the counted NFE.
 *
 * @example
 * ```ts
 * const { x, nfe } = sample({ solver: dopri5({ atol: 1e-4, rtol: 1e-4 }), model, xInit, timeGrid: [0, 0.999] });
 * ```
 */
export function dopri5(options: Dopri5Options = {}): SolverPlugin<Dopri5State> {
  const { atol = 1e-5, rtol = 1e-5, maxNfe = 10_000, safety = 0.9 } = options;
  assertNumber('atol', atol, { greaterThan: 0 });
  assertNumber('rtol', rtol, { greaterThan: 0 });
  assertNumber('maxNfe', maxNfe, { integer: true, min: 8 });
  assertNumber('safety', safety, { greaterThan: 0, max: 1 });
  const resolved = { atol, rtol, maxNfe, safety };
  return {
    name: 'dopri5',
    order: 5,
    nfePerStep: 6,
    description: `adaptive Dormand–Prince 5(4) on the velocity (atol ${atol}, rtol ${rtol}, maxNfe ${maxNfe})`,
    contract: 2,
    capabilities: { family: 'runge-kutta', handlesDataEnd: false, stochastic: false, adaptive: true },
    tolerance: { atol, rtol },
    withTolerance: (tol) => dopri5({ ...resolved, ...tol }),
    initialState: () => ({ h: Number.NaN }),
    step: (x, t, s, model, state) => dopri5Step(x, t, s, model, state, resolved),
  };
}

/** `'dopri5'` with the default tolerances (atol = rtol = 1e-5, maxNfe 10,000). */
export const dopri5Default: SolverPlugin<Dopri5State> = dopri5();
