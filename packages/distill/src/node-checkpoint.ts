/**
 * Checkpoint files (Node only): {@link saveCheckpoint} writes a {@link TrainerCheckpoint} durably (temp file, fsync,
 * rename, the replaced file kept as {@link previousCheckpointPath}); {@link loadCheckpoint} / {@link readCheckpoint}
 * read and verify one (format version, CRC-32, kind, step), refusing a damaged file with a `CheckpointError` that
 * names its path.
 *
 * @example
 * ```ts
 * import { loadCheckpoint, saveCheckpoint } from '@charlearn/distill/node';
 * await saveCheckpoint('out/roll/teacher.ckpt', teacherTrainer.checkpoint());
 * const ckpt = await loadCheckpoint('out/roll/teacher.ckpt', 'teacher');
 * ```
 * @packageDocumentation
 */
import { CheckpointError, decodeTensors, encodeTensors, type JsonObject } from '@charlearn/core';
import type { TrainerCheckpoint } from './checkpoint';
import { keepPreviousCopy, readFileChecked, writeFileAtomic } from './atomic';
import type { FsLayer } from './fs-layer';

/** The kinds of checkpoint the built-in trainers save (`meta.kind`): `TeacherTrainer`, `CharacteristicDistiller`, `OneStepTrainer`. */
export type CheckpointKind = 'teacher' | 'distill' | 'onestep';

/** Options of {@link saveCheckpoint}. */
export interface SaveCheckpointOptions {
  /** The file-system layer (default `node:fs/promises`); a test passes one that fails or pauses. */
  fs?: FsLayer;
}

/**
 * Where {@link saveCheckpoint} keeps the previous checkpoint of `path`:
 * `teacher.ckpt` → `teacher.prev.ckpt` (other names get `.prev` appended).
 *
 * @example
 * ```ts
 * previousCheckpointPath('out/roll/teacher.ckpt'); // 'out/roll/teacher.prev.ckpt'
 * previousCheckpointPath('out/roll/state.bin');    // 'out/roll/state.bin.prev'
 * ```
 */
export function previousCheckpointPath(path: string): string {
  return path.endsWith('.ckpt') ? `${path.slice(0, -'.ckpt'.length)}.prev.ckpt` : `${path}.prev`;
}

/**
 * Encodes a trainer checkpoint (format version + CRC-32, see `encodeTensors`) and writes it atomically (temp file,
 * fsync, rename, directory fsync). The checkpoint it replaces is kept as {@link previousCheckpointPath} (linked just
 * before the rename, so a write that fails changes nothing), so one good earlier checkpoint survives even if the
 * newest file is later damaged.
 *
 * @example
 * ```ts
 * await saveCheckpoint('out/roll/teacher.ckpt', teacherTrainer.checkpoint());
 * // a second save keeps the first as out/roll/teacher.prev.ckpt
 * ```
 */
export async function saveCheckpoint(path: string, checkpoint: TrainerCheckpoint, options: SaveCheckpointOptions = {}): Promise<void> {
  const bytes = encodeTensors(checkpoint.arrays, checkpoint.meta as unknown as JsonObject);
  await writeFileAtomic(path, bytes, { ...options, beforeRename: async () => void (await keepPreviousCopy(path, previousCheckpointPath(path), options)) });
}

/**
 * Reads and verifies one checkpoint file (no fallback), of the given `kind` when one is given.
 * Missing, truncated, corrupt (CRC-32), other-version or other-kind files are a `CheckpointError` naming the path.
 *
 * @example
 * ```ts
 * const ckpt = await readCheckpoint('out/roll/teacher.ckpt', 'teacher');
 * ckpt.meta.step; // 4000
 * ```
 */
export async function readCheckpoint(path: string, kind?: CheckpointKind): Promise<TrainerCheckpoint> {
  const bytes = await readFileChecked(path, kind ? `a ${kind} checkpoint` : 'a checkpoint', { kind: 'checkpoint' });
  let decoded: ReturnType<typeof decodeTensors>;
  try {
    decoded = decodeTensors(bytes);
  } catch (e) {
    if (e instanceof CheckpointError) throw new CheckpointError(e.message, path);
    throw e;
  }
  const meta = decoded.meta as TrainerCheckpoint['meta'];
  if (kind !== undefined && meta.kind !== kind) throw new CheckpointError(`expected a ${kind} checkpoint, found '${String(meta.kind)}'`, path);
  if (typeof meta.kind !== 'string') throw new CheckpointError(`checkpoint metadata has no kind (got ${JSON.stringify(meta.kind)})`, path);
  if (!Number.isInteger(meta.step) || meta.step < 0) throw new CheckpointError(`checkpoint metadata has no valid step (got ${JSON.stringify(meta.step)})`, path);
  return { meta, arrays: decoded.arrays };
}

/** Options of {@link loadCheckpoint}. */
export interface LoadCheckpointOptions {
  /**
   * When the checkpoint is unusable, load the previous one
   * ({@link previousCheckpointPath}) instead, with a warning through `log`.
   * Default `false`: refuse, and name the intact previous checkpoint in the error.
   */
  fallbackToPrevious?: boolean;
  /** Where the fallback warning goes (default: a line on stderr). */
  log?: (message: string) => void;
}

/**
 * Reads and verifies a trainer checkpoint (of the given `kind` when one is given). An unusable
 * file is a `CheckpointError` naming its path; if the previous checkpoint
 * kept by {@link saveCheckpoint} is intact, the message says so (and its
 * step), or with `fallbackToPrevious` that checkpoint is loaded instead and a
 * warning is logged.
 *
 * @example
 * ```ts
 * const teacher = TeacherTrainer.fromCheckpoint(await loadCheckpoint('out/roll/teacher.ckpt', 'teacher'), dataset);
 * const resumed = await loadCheckpoint('out/roll/teacher.ckpt', 'teacher', { fallbackToPrevious: true, log: console.warn });
 * ```
 */
export async function loadCheckpoint(path: string, kind?: CheckpointKind, options: LoadCheckpointOptions = {}): Promise<TrainerCheckpoint> {
  try {
    return await readCheckpoint(path, kind);
  } catch (e) {
    if (!(e instanceof CheckpointError)) throw e;
    const prevPath = previousCheckpointPath(path);
    let prev: TrainerCheckpoint;
    try {
      prev = await readCheckpoint(prevPath, kind);
    } catch {
      throw e;
    }
    const reason = e.message.endsWith(` (${path})`) ? e.message.slice(0, -` (${path})`.length) : e.message;
    if (options.fallbackToPrevious) {
      const log = options.log ?? ((m: string) => process.stderr.write(`${m}\n`));
      log(`warning: ${path} is unusable (${reason}); falling back to the previous checkpoint ${prevPath} (step ${prev.meta.step})`);
      return prev;
    }
    throw new CheckpointError(`${reason}; the previous checkpoint ${prevPath} (step ${prev.meta.step}) is intact: copy it over the file to resume from there`, path);
  }
}
