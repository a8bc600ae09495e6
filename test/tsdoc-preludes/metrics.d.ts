/** Free variables of the @charlearn/metrics TSDoc examples (see _common.d.ts). */
export * from './_common';
