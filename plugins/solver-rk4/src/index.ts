/**
 * @packageDocumentation
 * `@charlearn/solver-rk4`: solver plugins for charlearn, published the way a
 * third party would (depends on `@charlearn/core` only; tfjs is a peer).
 * Importing the package registers `'rk4/classic'` (classic Runge–Kutta,
 * order 4, 4 NFE/step) and `'rk4/dpmpp-2m'` (DPM-Solver++(2M),
 * order 2, 1 NFE/step, an exponential integrator) in the shared solver
 * registry; `'solver-rk4/dpmpp-2m'` stays as a deprecated alias.
 *
 * @example
 * ```ts
 * import '@charlearn/solver-rk4';
 * import { sample } from '@charlearn/solvers';
 * const { x } = sample({ solver: 'rk4/classic', model, xInit, timeGrid: { steps: 8 } });
 * ```
 *
 * @module @charlearn/solver-rk4
 */
import { registerRk4 } from './register';

export { rk4, rk4Step } from './rk4';
export { dpmpp2m, dpmpp2mDeprecatedAlias, dpmpp2mStep, type Dpmpp2mState } from './dpmpp-2m';
export { registerRk4 } from './register';

registerRk4();
