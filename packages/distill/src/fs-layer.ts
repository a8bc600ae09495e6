/**
 * The file-system calls a run makes, as one object: the atomic writer, `saveCheckpoint` and the cli's run-folder writers take it as a parameter, so that a caller (a
 * test) can pass a layer that fails (ENOSPC, EACCES, EROFS) or pauses at a chosen call, without anything in the
 * package reading test switches from the environment.
 *
 * @example
 * ```ts
 * import { nodeFs, type FsLayer } from '@charlearn/distill/node';
 * const full: FsLayer = { ...nodeFs, open: async () => { throw Object.assign(new Error('ENOSPC'), { code: 'ENOSPC' }); } };
 * ```
 * @packageDocumentation
 */
import * as fsp from 'node:fs/promises';

/** The subset of `node:fs/promises` the run folder, its lock and the atomic writer use. */
export type FsLayer = Pick<
  typeof fsp,
  'mkdir' | 'open' | 'rename' | 'link' | 'unlink' | 'copyFile' | 'readFile' | 'writeFile' | 'stat' | 'lstat' | 'readdir'
>;

/**
 * The real file system (`node:fs/promises`).
 *
 * @example
 * ```ts
 * const slow: FsLayer = { ...nodeFs, rename: async (from, to) => { await new Promise((r) => setTimeout(r, 10)); await nodeFs.rename(from, to); } };
 * ```
 */
export const nodeFs: FsLayer = {
  mkdir: fsp.mkdir,
  open: fsp.open,
  rename: fsp.rename,
  link: fsp.link,
  unlink: fsp.unlink,
  copyFile: fsp.copyFile,
  readFile: fsp.readFile,
  writeFile: fsp.writeFile,
  stat: fsp.stat,
  lstat: fsp.lstat,
  readdir: fsp.readdir,
};

/**
 * The `code` of a Node system error (`'ENOENT'`, `'ENOSPC'`, ...), or `undefined`.
 *
 * @example
 * ```ts
 * errnoCode(Object.assign(new Error('disk full'), { code: 'ENOSPC' })); // 'ENOSPC'
 * ```
 */
export function errnoCode(e: unknown): string | undefined {
  const code = (e as NodeJS.ErrnoException | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}
