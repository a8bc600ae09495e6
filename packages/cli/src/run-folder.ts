/**
 * Where a run lives and how a command takes its folder: `name` is one path segment under `outDir` (or `runDir`
 * names the folder itself), the folder is created with named errors for the OS failures, locked for the process
 * ({@link acquireRunLock}), and cleared of the temp files a killed writer left.
 *
 * @example
 * ```ts
 * const folder = resolveRunFolder({ ...defaultRunConfig(), name: 'roll' });
 * // { name: 'roll', dir: '<cwd>/out/roll' }
 * ```
 * @packageDocumentation
 */
import { basename, dirname, resolve } from 'node:path';
import { ConfigError } from '@charlearn/core';
import { removeStaleTempFiles, tempFilePid } from './atomic';
import { resolveRunName, type RunConfig } from './config';
import { asRunFolderError, RunFolderError, withRunFolderErrors } from './fs-errors';
import { errnoCode, nodeFs, type FsLayer } from './fs-layer';
import { acquireRunLock, isProcessAlive, type RunLock } from './lock';

/** The longest run name: well below the 255 bytes file systems allow for one name. */
export const MAX_RUN_NAME_LENGTH = 100;

/**
 * Checks that `name` is one path segment of letters, digits, `-`, `_` and `.` (not starting with `.`), at most
 * {@link MAX_RUN_NAME_LENGTH} characters: a `ConfigError` naming `name` otherwise (a folder elsewhere is `runDir`).
 *
 * @example
 * ```ts
 * assertRunName('roll-1.b');        // ok
 * assertRunName('../../tmp/escape'); // ConfigError: name: ... one folder name ...
 * ```
 */
export function assertRunName(name: string): void {
  if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(name)) {
    throw new ConfigError(
      `name: '${name}' is not a run name: use one folder name of letters, digits, '-', '_' and '.' (not starting with '.'); to put the run in another folder set runDir (e.g. --set runDir=/data/runs/roll)`,
      'name',
    );
  }
  if (name.length > MAX_RUN_NAME_LENGTH) {
    throw new ConfigError(`name: ${name.length} characters is too long for a run name (at most ${MAX_RUN_NAME_LENGTH})`, 'name');
  }
}

/** The parts of the run config that place the run. */
export type RunPlacement = Pick<RunConfig, 'name' | 'outDir' | 'data'> & { runDir?: string | null };

/**
 * The run's name and absolute folder: `runDir` when set (its last segment is the name), otherwise
 * `outDir/<name>` with `name` checked by {@link assertRunName} (or derived from the target and the time).
 *
 * @example
 * ```ts
 * resolveRunFolder({ ...defaultRunConfig(), runDir: '/data/roll' }); // { name: 'roll', dir: '/data/roll' }
 * ```
 */
export function resolveRunFolder(config: RunPlacement, now: Date = new Date()): { name: string; dir: string } {
  if (config.runDir) {
    const dir = resolve(config.runDir);
    if (config.name !== null && config.name !== basename(dir)) {
      throw new ConfigError(`name '${config.name}' and runDir '${config.runDir}' disagree: set one of them (runDir's last folder is the run's name)`, 'runDir');
    }
    return { name: basename(dir), dir };
  }
  const name = resolveRunName(config, now);
  assertRunName(name);
  return { name, dir: resolve(config.outDir, name) };
}

/** The nearest existing ancestor of `path` (or `path` itself). */
async function nearestExisting(fs: FsLayer, path: string): Promise<{ path: string; isDirectory: boolean } | undefined> {
  for (let p = path; ; p = dirname(p)) {
    try {
      return { path: p, isDirectory: (await fs.stat(p)).isDirectory() };
    } catch (e) {
      const code = errnoCode(e);
      if (code === 'ENOTDIR') continue;
      if (code !== 'ENOENT') return undefined;
    }
    if (dirname(p) === p) return undefined;
  }
}

/**
 * Creates the run folder (and its parents); a file in the way, a read-only or unwritable parent, a name too long
 * → {@link RunFolderError} saying which path and what to do.
 *
 * @example
 * ```ts
 * await createRunFolder('/tmp/out/roll');
 * ```
 */
export async function createRunFolder(dir: string, fs: FsLayer = nodeFs): Promise<void> {
  const existing = await nearestExisting(fs, dir);
  if (existing && !existing.isDirectory) {
    throw new RunFolderError(
      `cannot create the run folder ${dir}: ${existing.path} is a file, not a folder; pass --out a folder (or a path that does not exist yet)`,
      'ENOTDIR',
      existing.path,
      'outDir',
    );
  }
  await withRunFolderErrors('create the run folder', dir, () => fs.mkdir(dir, { recursive: true }));
}

/** A run folder taken by this process. */
export interface OpenedRunFolder {
  readonly lock: RunLock;
  /** Stale temp files removed at start. */
  readonly removedTempFiles: readonly string[];
}

/**
 * Creates and locks the run folder, then removes the temp files killed writers left there (with a log line).
 *
 * @example
 * ```ts
 * const { lock } = await takeRunFolder('/tmp/out/roll', { command: 'charlearn train', log: console.error });
 * lock.release();
 * ```
 */
export async function takeRunFolder(dir: string, options: { command: string; log: (m: string) => void; fs?: FsLayer }): Promise<OpenedRunFolder> {
  const fs = options.fs ?? nodeFs;
  await createRunFolder(dir, fs);
  const lock = await withRunFolderErrors('lock the run folder', dir, () => acquireRunLock(dir, { command: options.command, log: options.log, fs }));
  try {
    // Spare the temp files of other live processes: a second command's lock attempt writes one before it is refused.
    const live = (name: string): boolean => {
      const pid = tempFilePid(name);
      return pid !== undefined && pid !== process.pid && isProcessAlive(pid);
    };
    const removed = await removeStaleTempFiles(dir, { fs, keep: live });
    if (removed.length) options.log(`removed ${removed.length} stale temp file(s) of an interrupted write: ${removed.join(', ')}`);
    return { lock, removedTempFiles: removed };
  } catch (e) {
    lock.release();
    throw asRunFolderError(e, 'clean the run folder', dir) ?? e;
  }
}
