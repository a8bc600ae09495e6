/**
 * Crash-safe file writes and checked reads: the library's (`@charlearn/distill/node`), re-exported for the cli's
 * run-folder code, so there is one copy. `writeFileAtomic` writes to a temporary file next to the target, fsyncs
 * it, renames it over the target and fsyncs the directory; its `{ fs, beforeRename }` options work as before.
 *
 * @example
 * ```ts
 * import { writeFileAtomic, readFileChecked } from './atomic';
 * await writeFileAtomic('out/run/config.json', JSON.stringify(defaultRunConfig()));
 * const bytes = await readFileChecked('out/run/teacher.ckpt', 'a teacher checkpoint');
 * ```
 * @packageDocumentation
 */
export {
  writeFileAtomic,
  writeFileAtomicSync,
  readFileChecked,
  readFileCheckedSync,
  keepPreviousCopy,
  isTempFileName,
  removeStaleTempFiles,
  tempFilePid,
  tempPathFor,
  type AtomicData,
  type AtomicWriteOptions,
  type FileChunk,
  type ReadErrorKind,
  type ReadFileCheckedOptions,
} from '@charlearn/distill/node';
