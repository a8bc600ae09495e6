/** Free variables of the @charlearn/cli TSDoc examples (see _common.d.ts). */
import type { Target2D } from '@charlearn/data';
import type { CharacteristicDistiller, OneStepTrainer, TeacherTrainer } from '@charlearn/distill';
import type { RunConfig } from '../../packages/cli/src/config';
import type { LineSeries } from '@charlearn/plots';
import type { RunContext } from '../../packages/cli/src/runtime';

export * from './_common';
/** The plots' points: row-major `[n·2]` (`[x0, y0, x1, y1, ...]`), data and a model's samples. */
export declare const data: Float32Array, samples: Float32Array;
/** ODE paths, one row-major `[steps·2]` array per start point. */
export declare const trajectories: Float32Array[];
/** Curves of a loss chart. */
export declare const series: LineSeries[];
/** Pixels in [0, 1], flat NHWC `[64·28·28]`. */
export declare const pixels: Float32Array;
/** An open run (see openRun). */
export declare const ctx: RunContext;
/** A teacher being trained. */
export declare const teacherTrainer: TeacherTrainer;
/** A one-step generator being trained (method drifting, wflow...). */
export declare const trainer: OneStepTrainer;
/** A loaded run config (see loadRunConfig) and its 2-D target. */
export declare const config: RunConfig;
export declare const target: Target2D;
/** A distilled characteristic generator (see CharacteristicDistiller). */
export declare const distiller: CharacteristicDistiller;
/** The run's image data (see loadRunData). */
export declare const imagesData: import('../../packages/cli/src/run-data').ImagesData;
/** Images as pixels in [0, 1], flat NHWC `[64·28·28]`: real ones and a sampler's. */
export declare const dataPixels: Float32Array, samplePixels: Float32Array;
/** A file or folder of a run, and bytes to write there. */
export declare const path: string, dir: string, bytes: Uint8Array;
/** Checkpoints as read back (see readCheckpoint); `resumed` is the one a phase continues from. */
export declare const ckpt: import('@charlearn/distill').TrainerCheckpoint, resumed: import('@charlearn/distill').TrainerCheckpoint;
/** A phase's checkpoint slot (see PhaseCheckpoint.open). */
export declare const slot: import('../../packages/cli/src/phase-checkpoint').PhaseCheckpoint;
/** The run's history (see readHistory). */
export declare const runHistory: import('../../packages/cli/src/commands/history').RunHistory;
