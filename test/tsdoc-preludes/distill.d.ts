/** Free variables of the @charlearn/distill TSDoc examples (see _common.d.ts). */
import type * as tfc from '@tensorflow/tfjs-core';
import type { Network } from '@charlearn/nets';
import type { Adam } from '@charlearn/distill';

export * from './_common';
/** A trained one-time teacher (e.g. a TeacherTrainer's `ema.network`) and a two-time student network. */
export declare const teacherNet: Network, student: Network;
/** One optimiser step's inputs: gradients by variable name, the Adam state, the loss. */
export declare const grads: Record<string, tfc.Tensor>;
export declare const adam: Adam;
export declare const loss: tfc.Scalar;
