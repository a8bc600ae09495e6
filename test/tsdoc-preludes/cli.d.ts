/** Free variables of the @charlearn/cli TSDoc examples (see _common.d.ts). */
import type { TeacherTrainer } from '@charlearn/distill';
import type { Canvas, Panel } from '../../packages/cli/src/plot';
import type { RunContext } from '../../packages/cli/src/runtime';

export * from './_common';
/** The plots' points: row-major `[n·2]` (`[x0, y0, x1, y1, ...]`), data and a model's samples. */
export declare const data: Float32Array, samples: Float32Array;
/** ODE paths, one row-major `[steps·2]` array per start point. */
export declare const trajectories: Float32Array[];
/** Plot panels, and a canvas to draw on. */
export declare const panels: Panel[];
export declare const canvas: Canvas;
/** An open run (see openRun). */
export declare const ctx: RunContext;
/** A teacher being trained. */
export declare const teacherTrainer: TeacherTrainer;
