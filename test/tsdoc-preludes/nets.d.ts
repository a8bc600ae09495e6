/** Free variables of the @charlearn/nets TSDoc examples (see _common.d.ts). */
import type * as tfc from '@tensorflow/tfjs-core';
import type { NamedArrays, Network, NetworkSpec } from '@charlearn/nets';

export * from './_common';
/** Image-shaped network input `[batch, h, w, c]` and activations. */
export declare const xIn: tfc.Tensor4D;
export declare const x: tfc.Tensor4D;
export declare const h: tfc.Tensor4D;
/** Token sequences `[batch, tokens, width]`. */
export declare const tokens: tfc.Tensor3D;
/** Layer parameters. */
export declare const w: tfc.Tensor, b: tfc.Tensor, gamma: tfc.Tensor, beta: tfc.Tensor, wQkv: tfc.Tensor2D, bQkv: tfc.Tensor1D;
/** Cached sinusoidal frequencies `[1, half]` (see sinusoidalFrequencies). */
export declare const freqs: tfc.Tensor2D;
export declare const batch: number;
/** A training loss of a network (on some batch). */
export declare const loss: (net: Network) => tfc.Scalar;
/** A network's variables by name (see Network.namedVariables). */
export declare const vars: Record<string, tfc.Variable>;
export declare const spec: NetworkSpec;
export declare const weights: NamedArrays;
/** A file the user picked (browser `File`). */
export declare const file: File;
/** A user's network class (see registerNetworkKind). */
export declare const ResMlp: new (spec: NetworkSpec, seed?: number) => Network;
