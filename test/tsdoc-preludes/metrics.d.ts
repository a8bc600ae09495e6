/** Free variables of the @charlearn/metrics TSDoc examples (see _common.d.ts). */
import type * as tfc from '@tensorflow/tfjs-core';
import type { FeatureNet, FeatureNetParams, Points } from '@charlearn/metrics';

export * from './_common';
/** Point sets as {@link toPoints} returns them (`{ data, n, dim }`). */
export declare const a: Points, b: Points;
/** A loaded feature CNN (see `loadFeatureNet`). */
export declare const net: FeatureNet;
/** Images `[n, 28, 28, 1]` in [0, 1]: a batch, the test set, a model's samples. */
export declare const images: tfc.Tensor4D, testImages: tfc.Tensor4D, generatedImages: tfc.Tensor4D, samples: tfc.Tensor4D;
/** Integer class labels `[n]` of `images`. */
export declare const labels: tfc.Tensor1D;
/** The feature CNN's weights as tensors. */
export declare const params: FeatureNetParams;
/** Feature rows `[n, 128]`, as tensors and as flat row-major Float32Arrays. */
export declare const featsA: tfc.Tensor2D, featsB: tfc.Tensor2D, flatA: Float32Array, flatB: Float32Array;
/** Flat row-major 2-D point sets `[n·2]`: held-out data, one-step and teacher samples (the W2 pool's inputs). */
export declare const heldOutFlat: Float32Array, oneStepFlat: Float32Array, teacherFlat: Float32Array;
