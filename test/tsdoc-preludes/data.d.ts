/** Free variables of the @charlearn/data TSDoc examples (see _common.d.ts). */
import type { Normalisation2D } from '../../packages/data/src/normalisation';

export * from './_common';
/** A loader's result, to validate. */
export declare const set: unknown;
export declare const normalisation: Normalisation2D;
