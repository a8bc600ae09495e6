/**
 * Free variables shared by the TSDoc examples of every package (see
 * test/tsdoc-examples.test.ts). A package's prelude re-exports this file and
 * adds its own; a name declared there wins over the one here.
 */
import type * as tfc from '@tensorflow/tfjs-core';
import type { Dataset, FieldModel, Rng, SolverPlugin } from '@charlearn/core';
import type { Network } from '@charlearn/nets';

/** A batch of points `[batch, dim]` (2-D in most examples). */
export declare const x: tfc.Tensor2D;
/** Start points / prior samples `[batch, dim]`. */
export declare const x0: tfc.Tensor2D;
export declare const xInit: tfc.Tensor2D;
/** Data points `[batch, dim]`. */
export declare const x1: tfc.Tensor2D;
/** Noise `[batch, dim]`. */
export declare const z: tfc.Tensor2D;
/** Times, one per row `[batch]`. */
export declare const t: tfc.Tensor1D;
/** A seeded random stream. */
export declare const rng: Rng;
/** A velocity/denoiser field. */
export declare const model: FieldModel;
/** A user's solver plugin. */
export declare const mySolver: SolverPlugin;
/** A data set. */
export declare const dataset: Dataset;
/** A network (MLP, U-Net...). */
export declare const net: Network;
/** Generated and reference samples `[n, dim]`. */
export declare const generated: tfc.Tensor2D;
export declare const data: tfc.Tensor2D;
export declare const heldOut: tfc.Tensor2D;
/** Network inputs: `xIn` `[batch, ...dims]`, noise conditioning `cNoise` `[batch]`. */
export declare const xIn: tfc.Tensor2D;
export declare const cNoise: tfc.Tensor1D;
export declare const cNoiseS: tfc.Tensor1D;
/** Raw file bytes. */
export declare const bytes: Uint8Array;
/** Test-runner globals (vitest / jest style). */
export declare function it(name: string, fn: () => unknown): void;
export declare function expect(value: unknown): { toBe(v: unknown): void; toEqual(v: unknown): void; toBeLessThan(v: number): void; toBeGreaterThan(v: number): void };
