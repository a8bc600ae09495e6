/** Free variables of the @charlearn/solvers TSDoc examples (see _common.d.ts). */
export * from './_common';
