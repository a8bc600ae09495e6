/** Free variables of the @charlearn/solvers TSDoc examples (see _common.d.ts). */
import type { GaussianMixture } from '@charlearn/core';

export * from './_common';
/** A Gaussian mixture target. */
export declare const gmm: GaussianMixture;
/** Samples from a solver, flat `n·dim` (row-major). */
export declare const samples: Float32Array;
