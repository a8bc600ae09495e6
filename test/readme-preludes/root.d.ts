/** Free variables of the root README's later blocks: names an earlier block of the README defines. */
import type { SolverPlugin } from '@charlearn/core';

/** The midpoint solver plugin of "Writing a solver plugin". */
export declare const midpoint: SolverPlugin;
