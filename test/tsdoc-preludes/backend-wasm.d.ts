/** Free variables of the @charlearn/backend-wasm TSDoc examples (see _common.d.ts). */
export * from './_common';
/** Where an app serves the tfjs-backend-wasm binaries. */
export declare const wasmUrl: string;
export declare const simdUrl: string;
export declare const threadedSimdUrl: string;
