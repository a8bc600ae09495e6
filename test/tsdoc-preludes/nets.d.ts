/** Free variables of the @charlearn/nets TSDoc examples (see _common.d.ts). */
import type * as tfc from '@tensorflow/tfjs-core';
import type { NamedArrays, NetworkSpec } from '@charlearn/nets';

export * from './_common';
/** Image-shaped network input `[batch, h, w, c]` and activations. */
export declare const xIn: tfc.Tensor4D;
export declare const x: tfc.Tensor4D;
export declare const h: tfc.Tensor4D;
/** Token sequences `[batch, tokens, width]`. */
export declare const tokens: tfc.Tensor3D;
/** Layer parameters. */
export declare const w: tfc.Tensor, b: tfc.Tensor, gamma: tfc.Tensor, beta: tfc.Tensor, wQkv: tfc.Tensor2D, bQkv: tfc.Tensor1D;
export declare const freqs: tfc.Tensor1D;
export declare const batch: number;
export declare const loss: () => tfc.Scalar;
export declare const vars: tfc.Variable[];
export declare const spec: NetworkSpec;
export declare const weights: NamedArrays;
export declare const file: string;
export { promises as fs } from 'node:fs';
