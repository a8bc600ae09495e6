/** Free variables of the @charlearn/core TSDoc examples (see _common.d.ts). */
import type * as tfc from '@tensorflow/tfjs-core';
import type { Denoiser, Interpolant, SolverPlugin } from '@charlearn/core';
import type { Network } from '@charlearn/nets';

export * from './_common';
export { loadFashionMnist } from '@charlearn/data/images';
/** Per-sample coefficients `[batch]`. */
export declare const alpha: tfc.Tensor1D;
/** A raw network. */
export declare const mlp: Network;
export declare const denoiser: Denoiser;
/** Denoiser output and velocity, `[batch, dim]`. */
export declare const denoised: tfc.Tensor2D;
export declare const v: tfc.Tensor2D;
/** The members of a user's interpolant. */
export declare const at: Interpolant['at'];
export declare const coefficients: Interpolant['coefficients'];
/** A user-supplied value to validate. */
export declare const steps: unknown;
/** A user's plugin validator, and some validation that may throw. */
export declare function validateSolverPlugin(plugin: unknown, parameter: string): asserts plugin is SolverPlugin;
export declare function validateSomething(): void;
/** A file the user picked (browser), and Node's synchronous file reader. */
export declare const file: Blob;
export declare function readFileSync(path: string): Uint8Array;
