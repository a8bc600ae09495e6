/** Free variables of the @charlearn/distill TSDoc examples (see _common.d.ts). */
import type * as tfc from '@tensorflow/tfjs-core';
import type { Network } from '@charlearn/nets';
import type { Adam, CharacteristicDistiller, OneStepObjectivePlugin, TeacherTrainer } from '@charlearn/distill';

export * from './_common';
/** A trained one-time teacher (e.g. a TeacherTrainer's `ema.network`) and a two-time student network. */
export declare const teacherNet: Network, student: Network;
/** One optimiser step's inputs: gradients by variable name, the Adam state, the loss. */
export declare const grads: Record<string, tfc.Tensor>;
export declare const adam: Adam;
export declare const loss: tfc.Scalar;
/** A second point set `[m, dim]` (data, or another batch) to compare, transport or drift `x` against. */
export declare const y: tfc.Tensor2D;
/** A second, independent batch of generated samples `[n, dim]` (W-Flow's `x'`). */
export declare const generated2: tfc.Tensor2D;
/** An image batch `[batch, 28, 28, 1]`. */
export declare const images: tfc.Tensor4D;
/** A user's one-step objective plugin. */
export declare const myObjectivePlugin: OneStepObjectivePlugin;
/** A user's velocity field: generated points `x` and a data batch, both `[batch, ...dims]`, to a velocity shaped like `x`. */
export declare function myField(x: tfc.Tensor, data: tfc.Tensor): tfc.Tensor;
/** A teacher trainer part-way through training (its `checkpoint()` is what `saveCheckpoint` writes). */
export declare const teacherTrainer: TeacherTrainer;
/** A characteristic distiller with pairs from its rollout cache (`pairSource: 'rollout-cache'`). */
export declare const distiller: CharacteristicDistiller;
