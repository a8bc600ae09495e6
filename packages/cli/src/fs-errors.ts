/**
 * Operating-system errors of a run's file writes as named errors that say what happened and what to do:
 * disk full, read-only file system, permission denied, a path component that is a file, a name too long.
 *
 * @example
 * ```ts
 * try {
 *   await writeFileAtomic(path, bytes);
 * } catch (e) {
 *   throw asRunFolderError(e, 'write the teacher checkpoint', path) ?? e;
 * }
 * ```
 * @packageDocumentation
 */
import { CharlearnError } from '@charlearn/core';
import { errnoCode } from './fs-layer';

/** A file-system failure in a run folder, with the OS `code` (`'ENOSPC'`, `'EROFS'`, ...) and the path. */
export class RunFolderError extends CharlearnError {
  /** The OS error code. */
  readonly code: string;
  /** The file or folder involved. */
  readonly path: string;
  constructor(message: string, code: string, path: string, parameter?: string) {
    super(message, parameter);
    this.name = 'RunFolderError';
    this.code = code;
    this.path = path;
  }
}

/** What each handled OS error means and what to do about it. */
const ADVICE: Readonly<Record<string, { what: string; todo: string }>> = {
  ENOSPC: { what: 'no space left on the device', todo: 'free disk space (or pass --out on another disk), then run the same command again' },
  EDQUOT: { what: 'the disk quota is exceeded', todo: 'free space within your quota (or pass --out elsewhere), then run the same command again' },
  EROFS: { what: 'the file system is read-only', todo: 'pass --out a writable folder' },
  EACCES: { what: 'permission denied', todo: 'pass --out a folder you can write to, or fix its permissions' },
  EPERM: { what: 'operation not permitted', todo: 'pass --out a folder you can write to, or fix its permissions' },
  ENOTDIR: { what: 'a component of the path is a file, not a folder', todo: 'pass --out a folder (or a path that does not exist yet)' },
  EEXIST: { what: 'a component of the path is a file, not a folder', todo: 'pass --out a folder (or a path that does not exist yet)' },
  ENAMETOOLONG: { what: 'the path (or a name in it) is too long for the file system', todo: 'use a shorter `name` or --out' },
  EMFILE: { what: 'too many open files', todo: 'raise the open-file limit (ulimit -n) and run again' },
  EIO: { what: 'an I/O error on the device', todo: 'check the disk, then run the same command again' },
};

/**
 * The {@link RunFolderError} for an OS error `e` met while trying to `action` (`'write the teacher checkpoint'`)
 * at `path`; `undefined` when `e` is not an OS error this module handles (rethrow it). `after` is appended (what
 * state the run is left in, e.g. which checkpoint is unchanged).
 *
 * @example
 * ```ts
 * asRunFolderError(Object.assign(new Error('x'), { code: 'ENOSPC' }), 'write history.json', 'out/r/history.json');
 * // RunFolderError: cannot write history.json: no space left on the device (out/r/history.json); free disk space ...
 * ```
 */
export function asRunFolderError(e: unknown, action: string, path: string, after = ''): RunFolderError | undefined {
  if (e instanceof CharlearnError) return undefined;
  const code = errnoCode(e);
  const advice = code ? ADVICE[code] : undefined;
  if (!code || !advice) return undefined;
  const where = (e as NodeJS.ErrnoException).path ?? path;
  return new RunFolderError(`cannot ${action}: ${advice.what} (${code}, ${where})${after ? `; ${after}` : ''}; ${advice.todo}`, code, where, 'outDir');
}

/**
 * Runs `fn`, turning a handled OS error into a {@link RunFolderError} (see {@link asRunFolderError}).
 *
 * @example
 * ```ts
 * await withRunFolderErrors('create the run folder', dir, () => nodeFs.mkdir(dir, { recursive: true }));
 * ```
 */
export async function withRunFolderErrors<T>(action: string, path: string, fn: () => Promise<T>, after = ''): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw asRunFolderError(e, action, path, after) ?? e;
  }
}
