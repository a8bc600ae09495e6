import { solvers, type SolverPlugin } from '@charlearn/core';
import { dpmpp2m, dpmpp2mDeprecatedAlias } from './dpmpp-2m';
import { rk4 } from './rk4';

/**
 * Registers this package's solvers (`'rk4/classic'`, `'rk4/dpmpp-2m'`, and
 * `'solver-rk4/dpmpp-2m'`, the deprecated v1 name of the latter) in the shared registry of `@charlearn/core`. Idempotent: a name that is
 * already taken (by an earlier call, or by the ESM and CJS copies of this
 * package both being loaded) is left as it is, without a warning. Importing
 * the package calls it; call it again after `solvers.unregister(...)`.
 *
 * @returns the plugins registered under the two current names now.
 *
 * @example
 * ```ts
 * import { registerRk4 } from '@charlearn/solver-rk4';
 * registerRk4();
 * solvers.has('rk4/classic'); // true
 * ```
 */
export function registerRk4(): readonly SolverPlugin[] {
  for (const p of [rk4, dpmpp2m, dpmpp2mDeprecatedAlias] as SolverPlugin[]) if (!solvers.has(p.name)) solvers.register(p);
  return [solvers.get(rk4.name), solvers.get(dpmpp2m.name)];
}
