/**
 * The file-system calls a run makes, as one object (the library's, from `@charlearn/distill/node`, re-exported): the
 * cli's writers take it as a parameter, so that a caller (a test) can pass a layer that fails (ENOSPC, EACCES, EROFS)
 * or pauses at a chosen call, without anything in the package reading test switches from the environment.
 *
 * @example
 * ```ts
 * import { nodeFs, type FsLayer } from './fs-layer';
 * const full: FsLayer = { ...nodeFs, open: async () => { throw Object.assign(new Error('ENOSPC'), { code: 'ENOSPC' }); } };
 * ```
 * @packageDocumentation
 */
export { nodeFs, errnoCode, type FsLayer } from '@charlearn/distill/node';
