/**
 * One process at a time per run folder: `charlearn` holds `<run>/.lock` (JSON: pid, host, start time, command)
 * while it works there. The lock file is written to a temp name and hard-linked into place, so it appears
 * complete or not at all, and two processes cannot both create it. A lock whose process is gone (same host, PID not
 * running) is taken over with a warning; a live one is a {@link RunLockedError} naming its PID.
 *
 * @example
 * ```ts
 * const lock = await acquireRunLock('out/roll', { command: 'train', log: console.error });
 * try {
 *   // work in the folder
 * } finally {
 *   lock.release();
 * }
 * ```
 * @packageDocumentation
 */
import { readFileSync, unlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { CharlearnError } from '@charlearn/core';
import { tempPathFor } from './atomic';
import { errnoCode, nodeFs, type FsLayer } from './fs-layer';

/** The lock file's name inside the run folder. */
export const LOCK_FILE = '.lock';

/** What the lock file holds. */
export interface LockInfo {
  readonly pid: number;
  readonly host: string;
  /** ISO time the holder took the lock. */
  readonly started: string;
  /** The holder's command line (`charlearn train -c run.yaml`). */
  readonly command: string;
}

/** Another live process holds the run folder's lock. */
export class RunLockedError extends CharlearnError {
  /** The holder's PID. */
  readonly pid: number;
  /** The lock file. */
  readonly path: string;
  constructor(message: string, pid: number, path: string) {
    super(message, 'name');
    this.name = 'RunLockedError';
    this.pid = pid;
    this.path = path;
  }
}

/** A held lock. */
export interface RunLock {
  readonly path: string;
  readonly info: LockInfo;
  /** Removes the lock file if it is still ours (idempotent, synchronous so that exit handlers can call it). */
  release(): void;
}

/** Options of {@link acquireRunLock}. */
export interface AcquireLockOptions {
  /** Recorded in the lock file for the error another process gets. */
  command: string;
  /** Where the takeover warning goes. */
  log: (message: string) => void;
  fs?: FsLayer;
  /** Whether a PID is running (default: `process.kill(pid, 0)`). */
  isAlive?: (pid: number) => boolean;
}

/**
 * Whether process `pid` exists on this host (`kill(pid, 0)`: `EPERM` means it exists but is someone else's).
 *
 * @example
 * ```ts
 * isProcessAlive(process.pid); // true
 * ```
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errnoCode(e) === 'EPERM';
  }
}

function parseLock(text: string): LockInfo | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockInfo>;
    if (typeof v.pid === 'number' && Number.isInteger(v.pid) && v.pid > 0 && typeof v.host === 'string') {
      return { pid: v.pid, host: v.host, started: String(v.started ?? '?'), command: String(v.command ?? '?') };
    }
  } catch {
    // fall through
  }
  return undefined;
}

/** The errors of `link` on a file system without hard links. */
const NO_HARD_LINKS = ['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV'];

/** Creates `path` holding `text` only if it does not exist: a temp file hard-linked into place (EEXIST if taken). */
async function createExclusive(fs: FsLayer, path: string, text: string): Promise<void> {
  const tmp = tempPathFor(path);
  await fs.writeFile(tmp, text, { flag: 'wx' });
  try {
    await fs.link(tmp, path);
  } catch (e) {
    if (!NO_HARD_LINKS.includes(errnoCode(e) ?? '')) throw e;
    // No hard links here (some network and FAT file systems): an O_EXCL create, written at once.
    const fh = await fs.open(path, 'wx');
    try {
      await fh.writeFile(text);
    } finally {
      await fh.close();
    }
  } finally {
    await fs.unlink(tmp).catch(() => undefined);
  }
}

/**
 * Takes the run folder's lock, taking over one left by a dead process (with a warning through `log`).
 *
 * @throws RunLockedError when a live process (or one on another host, which cannot be checked) holds it
 * @example
 * ```ts
 * const lock = await acquireRunLock(ctx.dir, { command: 'charlearn train', log: ctx.log });
 * ```
 */
export async function acquireRunLock(dir: string, options: AcquireLockOptions): Promise<RunLock> {
  const fs = options.fs ?? nodeFs;
  const isAlive = options.isAlive ?? isProcessAlive;
  const path = join(dir, LOCK_FILE);
  const info: LockInfo = { pid: process.pid, host: hostname(), started: new Date().toISOString(), command: options.command };
  const text = JSON.stringify(info) + '\n';
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await createExclusive(fs, path, text);
      return heldLock(path, info, text);
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') continue; // our temp file went (a holder cleaning the folder): try again
      if (errnoCode(e) !== 'EEXIST') throw e;
    }
    let held: string;
    try {
      held = String(await fs.readFile(path, 'utf8'));
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') continue; // released meanwhile: try again
      throw e;
    }
    const holder = parseLock(held);
    if (holder && holder.host !== info.host) {
      throw new RunLockedError(
        `the run folder ${dir} is locked by PID ${holder.pid} on host '${holder.host}' (${holder.command}, since ${holder.started}); if that process is gone, remove ${path}`,
        holder.pid,
        path,
      );
    }
    if (holder && isAlive(holder.pid)) {
      throw new RunLockedError(
        `the run folder ${dir} is in use by PID ${holder.pid} (${holder.command}, since ${holder.started}): wait for it to finish, stop it, or use another --set name=...`,
        holder.pid,
        path,
      );
    }
    // Stale: move it aside atomically, so that two processes taking it over cannot remove each other's new lock.
    const aside = tempPathFor(path);
    try {
      await fs.rename(path, aside);
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') continue;
      throw e;
    }
    const moved = String(await fs.readFile(aside, 'utf8').catch(() => ''));
    if (moved !== held) {
      // Someone else took it over between our read and the rename: put theirs back and retry.
      await fs.link(aside, path).catch(() => undefined);
      await fs.unlink(aside).catch(() => undefined);
      continue;
    }
    await fs.unlink(aside).catch(() => undefined);
    options.log(
      holder
        ? `warning: took over the lock of PID ${holder.pid} (${holder.command}, since ${holder.started}), which is no longer running`
        : `warning: replaced an unreadable lock file ${path}`,
    );
  }
  throw new RunLockedError(`could not take the lock ${path}: other processes keep taking it; try again`, 0, path);
}

/** A held lock, released by `release()` or, at the latest, when the process exits (also on `process.exit`). */
function heldLock(path: string, info: LockInfo, text: string): RunLock {
  let released = false;
  const onExit = (): void => lock.release();
  const lock: RunLock = {
    path,
    info,
    release(): void {
      if (released) return;
      released = true;
      process.off('exit', onExit);
      try {
        // Only remove it if it is still ours (a user may have removed it and another run taken it).
        const current = readFileSync(path, 'utf8');
        if (current === text) unlinkSync(path);
      } catch {
        // already gone
      }
    },
  };
  process.on('exit', onExit);
  return lock;
}
