/** Free variables of the @charlearn/plots TSDoc examples (see _common.d.ts). */
import type { Panel } from '@charlearn/plots';
import type { Target2D } from '@charlearn/data';

export * from './_common';
/** Plot panels. */
export declare const panels: Panel[];
/** A 2-D target. */
export declare const target: Target2D;
/** Rows of panels. */
export declare const rowA: Panel[], rowB: Panel[];
