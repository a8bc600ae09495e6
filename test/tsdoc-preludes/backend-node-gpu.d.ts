/** Free variables of the @charlearn/backend-node-gpu TSDoc examples (see _common.d.ts). */
export * from './_common';
export { createRequire } from 'node:module';
