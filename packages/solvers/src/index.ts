/**
 * @packageDocumentation
 * `@charlearn/solvers`: Euler, Heun and the exponential integrator as pure
 * step functions and registered solver plugins, and the {@link sample}
 * driver. `@charlearn/solvers/testing` holds the conformance suite for
 * third-party solver plugins.
 *
 * @module @charlearn/solvers
 */
import { solvers, type SolverPlugin } from '@charlearn/core';
import { dopri5Default } from './adaptive';
import { euler, expIntegrator, expIntegratorEdm, heun } from './steps';

export {
  euler,
  heun,
  expIntegrator,
  expIntegratorEdm,
  edmExpIntegrator,
  eulerStep,
  heunStep,
  expIntegratorStep,
  edmExpIntegratorStep,
} from './steps';
export { dopri5, dopri5Step, dopri5Default, StepBudgetError, type Dopri5Options, type Dopri5State } from './adaptive';
export { sample, countingModel, type SampleOptions, type SampleResult, type StepInfo } from './sample';
export { solvers, registerSolver, type SolverPlugin, type SolverStepResult, type FieldModel } from '@charlearn/core';

for (const p of [euler, heun, expIntegrator, expIntegratorEdm, dopri5Default] as SolverPlugin[]) if (!solvers.has(p.name)) solvers.register(p);
