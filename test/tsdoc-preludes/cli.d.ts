/** Free variables of the @charlearn/cli TSDoc examples (see _common.d.ts). */
export * from './_common';
