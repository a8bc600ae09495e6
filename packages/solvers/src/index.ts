/**
 * @packageDocumentation
 * `@charlearn/solvers`: Euler, Heun, the exponential integrators, adaptive
 * Dormand–Prince 5(4) and two stochastic samplers (Euler–Maruyama, ancestral)
 * as pure step functions and registered solver plugins, and the {@link sample}
 * driver. `@charlearn/solvers/testing` holds the conformance suite for
 * third-party solver plugins.
 *
 * @module @charlearn/solvers
 */
import { solvers, type SolverPlugin } from '@charlearn/core';
import { dopri5Default } from './adaptive';
import { ancestralDefault, eulerMaruyamaDefault } from './stochastic';
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
export { ancestral, ancestralStep, ancestralDefault, eulerMaruyama, eulerMaruyamaStep, eulerMaruyamaDefault } from './stochastic';
export { sample, countingModel, type SampleOptions, type SampleResult, type StepInfo } from './sample';
export { solvers, registerSolver, type SolverPlugin, type SolverStepResult, type FieldModel } from '@charlearn/core';

for (const p of [euler, heun, expIntegrator, expIntegratorEdm, dopri5Default, eulerMaruyamaDefault, ancestralDefault] as SolverPlugin[]) if (!solvers.has(p.name)) solvers.register(p);
