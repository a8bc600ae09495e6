/**
 * Crash-safe file writes and checked reads.
 *
 * `writeFileAtomic` writes to a temporary file next to the target, fsyncs it,
 * renames it over the target and fsyncs the directory, so a reader sees either
 * the old file or the complete new one, never a partial write.
 *
 * Part of `@charlearn/distill/node` (Node only); `@charlearn/cli` re-exports it for its run folders.
 *
 * @example
 * ```ts
 * import { writeFileAtomic, readFileChecked } from '@charlearn/distill/node';
 * await writeFileAtomic('out/run/config.json', JSON.stringify({ steps: 100 }));
 * const bytes = await readFileChecked('out/run/teacher.ckpt', 'a teacher checkpoint');
 * ```
 * @packageDocumentation
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CheckpointError, ConfigError, type CharlearnError } from '@charlearn/core';
import { errnoCode, nodeFs, type FsLayer } from './fs-layer';

/** One piece of file content. */
export type FileChunk = Uint8Array | string;

/** What {@link writeFileAtomic} accepts: bytes, text, or a (possibly async) sequence of chunks. */
export type AtomicData = FileChunk | Iterable<FileChunk> | AsyncIterable<FileChunk>;

/**
 * The PID a temp-file name of {@link tempPathFor} carries, or `undefined` for another name.
 *
 * @example
 * ```ts
 * tempFilePid('.teacher.ckpt.4242.0a1b2c3d.tmp'); // 4242
 * ```
 */
export function tempFilePid(name: string): number | undefined {
  const m = /\.(\d+)\.[0-9a-f]{8}\.tmp$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/**
 * Temp-file name used for `target`: same directory, hidden, unique per process and call.
 *
 * @example
 * ```ts
 * tempPathFor('out/roll/teacher.ckpt'); // 'out/roll/.teacher.ckpt.4242.0a1b2c3d.tmp'
 * ```
 */
export function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

function toBytes(c: FileChunk): Uint8Array {
  return typeof c === 'string' ? Buffer.from(c, 'utf8') : c;
}

function isAsyncIterable(d: unknown): d is AsyncIterable<FileChunk> {
  return typeof d === 'object' && d !== null && Symbol.asyncIterator in d;
}

/** fsync a directory so the rename itself is durable; silently skipped where the OS refuses (Windows). */
function fsyncDirSync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // EISDIR / EPERM / EINVAL on platforms without directory fsync: nothing more we can do.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Options of {@link writeFileAtomic} and {@link keepPreviousCopy}. */
export interface AtomicWriteOptions {
  /** The file-system layer (default: `node:fs/promises`); a test passes one that fails or pauses. */
  fs?: FsLayer;
  /**
   * {@link writeFileAtomic}: runs after the new content is complete and synced in the temp file, just before the
   * rename (a checkpoint keeps its previous copy here, so a write that fails changes nothing).
   */
  beforeRename?: () => Promise<void>;
}

/**
 * Whether `name` (a file name, no directory) is one of the temp files {@link tempPathFor} makes:
 * `.<target>.<pid>.<8 hex>.tmp`.
 *
 * @example
 * ```ts
 * isTempFileName('.teacher.ckpt.4242.0a1b2c3d.tmp'); // true
 * isTempFileName('teacher.ckpt');                     // false
 * ```
 */
export function isTempFileName(name: string): boolean {
  return /^\..+\.\d+\.[0-9a-f]{8}\.tmp$/.test(name);
}

/**
 * Removes the temp files {@link writeFileAtomic} and {@link keepPreviousCopy} leave when a process dies mid-write
 * (only names matching {@link isTempFileName}, and not those `keep` spares; the caller must hold the folder's lock,
 * so no live writer owns them). Returns the names removed.
 *
 * @example
 * ```ts
 * const removed = await removeStaleTempFiles('out/roll'); // ['.teacher.ckpt.4242.0a1b2c3d.tmp']
 * ```
 */
export async function removeStaleTempFiles(dir: string, options: AtomicWriteOptions & { keep?: (name: string) => boolean } = {}): Promise<string[]> {
  const fs = options.fs ?? nodeFs;
  const removed: string[] = [];
  for (const name of await fs.readdir(dir)) {
    if (!isTempFileName(name) || options.keep?.(name)) continue;
    try {
      await fs.unlink(join(dir, name));
      removed.push(name);
    } catch (e) {
      if (errnoCode(e) !== 'ENOENT') throw e;
    }
  }
  return removed;
}

/**
 * Atomically replace `path` with `data` (creating parent directories).
 *
 * If producing or writing the data (or `beforeRename`) fails, the temp file is
 * removed, the previous content of `path` (if any) is untouched, and the
 * error is rethrown.
 *
 * @example
 * ```ts
 * await writeFileAtomic('out/weights.bin', new Uint8Array([1, 2, 3, 4]));
 * await writeFileAtomic('out/log.txt', ['line 1\n', 'line 2\n']);
 * ```
 */
export async function writeFileAtomic(path: string, data: AtomicData, options: AtomicWriteOptions = {}): Promise<void> {
  const fs = options.fs ?? nodeFs;
  const dir = dirname(path);
  await fs.mkdir(dir, { recursive: true });
  const tmp = tempPathFor(path);
  const fh = await fs.open(tmp, 'wx', 0o666);
  let renamed = false;
  try {
    const write = async (c: FileChunk): Promise<void> => {
      const b = toBytes(c);
      let off = 0;
      while (off < b.length) off += (await fh.write(b, off, b.length - off)).bytesWritten;
    };
    if (typeof data === 'string' || data instanceof Uint8Array) await write(data);
    else if (isAsyncIterable(data)) for await (const c of data) await write(c);
    else for (const c of data) await write(c);
    await fh.sync();
    await fh.close();
    await options.beforeRename?.();
    await fs.rename(tmp, path);
    renamed = true;
  } finally {
    if (!renamed) {
      await fh.close().catch(() => undefined);
      await fs.unlink(tmp).catch(() => undefined);
    }
  }
  fsyncDirSync(dir);
}

/** Whether `a` and `b` are two names of one file (hard links to the same inode). */
async function sameFile(fs: FsLayer, a: string, b: string): Promise<boolean> {
  try {
    const [sa, sb] = await Promise.all([fs.stat(a), fs.stat(b)]);
    return sa.ino === sb.ino && sa.dev === sb.dev;
  } catch {
    return false;
  }
}

/**
 * Keeps a copy of `path` (if it exists) as `previousPath`, atomically: a hard
 * link (or, where links are unsupported, a copy) to a temp name, renamed over
 * `previousPath`. Since {@link writeFileAtomic} only ever renames new files
 * into place, the link keeps the old content after `path` is replaced.
 * When the two names already are one file (a write after the last keep failed),
 * nothing is done: POSIX `rename` between two links of one file is a no-op that
 * would leave the temp link behind. Returns whether there was a file to keep.
 *
 * @example
 * ```ts
 * await writeFileAtomic('out/run/teacher.ckpt', bytes, {
 *   beforeRename: async () => void (await keepPreviousCopy('out/run/teacher.ckpt', 'out/run/teacher.prev.ckpt')),
 * });
 * ```
 */
export async function keepPreviousCopy(path: string, previousPath: string, options: AtomicWriteOptions = {}): Promise<boolean> {
  const fs = options.fs ?? nodeFs;
  if (await sameFile(fs, path, previousPath)) return true;
  const tmp = tempPathFor(previousPath);
  try {
    await fs.link(path, tmp);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return false;
    try {
      await fs.copyFile(path, tmp);
    } catch (e2) {
      await fs.unlink(tmp).catch(() => undefined);
      if (errnoCode(e2) === 'ENOENT') return false;
      throw e2;
    }
  }
  try {
    await fs.rename(tmp, previousPath);
  } catch (e) {
    await fs.unlink(tmp).catch(() => undefined);
    throw e;
  }
  // Defensive: a rename between two links of one file leaves the source; never leave it behind.
  await fs.unlink(tmp).catch(() => undefined);
  fsyncDirSync(dirname(previousPath));
  return true;
}

/**
 * Synchronous {@link writeFileAtomic} (for exit handlers and small files).
 *
 * @example
 * ```ts
 * writeFileAtomicSync('out/run/state.json', JSON.stringify({ step: 100 }));
 * ```
 */
export function writeFileAtomicSync(path: string, data: FileChunk | Iterable<FileChunk>): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  const tmp = tempPathFor(path);
  let fd: number | undefined = openSync(tmp, 'wx', 0o666);
  let renamed = false;
  try {
    const chunks: Iterable<FileChunk> = typeof data === 'string' || data instanceof Uint8Array ? [data] : data;
    for (const c of chunks) {
      const b = toBytes(c);
      let off = 0;
      while (off < b.length) off += writeSync(fd, b, off, b.length - off);
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
    renamed = true;
  } finally {
    if (!renamed) {
      if (fd !== undefined) {
        try {
          closeSync(fd);
        } catch {
          /* already closed */
        }
      }
      try {
        unlinkSync(tmp);
      } catch {
        /* never created or already gone */
      }
    }
  }
  fsyncDirSync(dir);
}

/** Which error class {@link readFileChecked} throws. */
export type ReadErrorKind = 'checkpoint' | 'config';

/** Options of {@link readFileChecked}. */
export interface ReadFileCheckedOptions {
  /** `'checkpoint'` (default) throws `CheckpointError`, `'config'` throws `ConfigError`. */
  kind?: ReadErrorKind;
  /** The parameter / flag the path came from (e.g. `'--config'`), recorded on the error. */
  parameter?: string;
}

function readError(path: string, what: string, e: unknown, options: ReadFileCheckedOptions): CharlearnError {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const reason =
    code === 'ENOENT'
      ? `no such file`
      : code === 'EISDIR'
        ? `it is a directory, not a file`
        : code === 'EACCES' || code === 'EPERM'
          ? `permission denied`
          : code === 'ENOTDIR'
            ? `a parent of it is not a directory`
            : e instanceof Error
              ? e.message
              : String(e);
  const msg = `cannot read ${what}: ${reason}`;
  if (options.kind === 'config') return new ConfigError(`${msg} (${path})`, options.parameter);
  return new CheckpointError(msg, path, options.parameter);
}

/**
 * Read a whole file, turning a missing/unreadable file into a clear
 * `CheckpointError` (or `ConfigError` with `kind: 'config'`) that names the
 * path and what was expected there.
 *
 * @example
 * ```ts
 * const bytes = await readFileChecked('out/run/teacher.ckpt', 'a teacher checkpoint');
 * // CheckpointError: cannot read a teacher checkpoint: no such file (out/run/teacher.ckpt)
 * ```
 */
export async function readFileChecked(path: string, what: string, options: ReadFileCheckedOptions = {}): Promise<Uint8Array> {
  try {
    return new Uint8Array(await nodeFs.readFile(path));
  } catch (e) {
    throw readError(path, what, e, options);
  }
}

/**
 * Synchronous {@link readFileChecked}.
 *
 * @example
 * ```ts
 * const text = new TextDecoder().decode(readFileCheckedSync('run.yaml', 'a run config', { kind: 'config' }));
 * ```
 */
export function readFileCheckedSync(path: string, what: string, options: ReadFileCheckedOptions = {}): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw readError(path, what, e, options);
  }
}
