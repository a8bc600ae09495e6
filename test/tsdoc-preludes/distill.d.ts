/** Free variables of the @charlearn/distill TSDoc examples (see _common.d.ts). */
export * from './_common';
