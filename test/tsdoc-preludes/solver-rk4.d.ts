/** Free variables of the @charlearn/solver-rk4 TSDoc examples (see _common.d.ts). */
export * from './_common';
export { sample } from '@charlearn/solvers';
