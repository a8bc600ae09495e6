/**
 * @packageDocumentation
 * `@charlearn/cli`: the `charlearn` command (`demo`, `train`, `distill`,
 * `sample`, `eval`) and its building blocks: the run config schema, the
 * evaluation protocol, PNG plots, progress display, atomic checkpoints.
 *
 * @example
 * ```ts
 * import { main } from '@charlearn/cli';
 * await main(['demo', '--quick']);
 * ```
 *
 * @module @charlearn/cli
 */
export { main, COMMANDS, type MainOptions } from './cli';
export { evaluateRun, exactEndPoints, targetReference, type EvalMetrics, type W2Reference } from './evaluate';
export { evaluateImageRun, generateImages, IMAGE_EVAL_CHUNK, type ImageEvalMetrics, type ImageEvalSubject } from './evaluate-images';
export { loadRunData, loadImageSplit, assertModelFitsFile, type RunData, type PointsData, type ImagesData, type FileData, type ImageFileData } from './run-data';
export { createRunNetwork, runNetworkSpec, describeRunNetwork } from './run-network';
import * as nodeCheckpoints from '@charlearn/distill/node';

export {
  openRun,
  pointsTarget,
  pointsReference,
  runFiles,
  runPath,
  type OpenRunOptions,
  type RunContext,
} from './runtime';
export { recordedRun, runRecord, runRecordJson, type RunRecord, type PixelRange } from './run-record';
/**
 * @deprecated Import it from `@charlearn/distill/node` (the library's checkpoint files); this re-export stays so
 * existing code keeps working.
 * @example
 * ```ts
 * import { saveCheckpoint } from '@charlearn/distill/node';
 * await saveCheckpoint('out/roll/teacher.ckpt', teacherTrainer.checkpoint());
 * ```
 */
export const saveCheckpoint: typeof nodeCheckpoints.saveCheckpoint = nodeCheckpoints.saveCheckpoint;
/**
 * @deprecated Import it from `@charlearn/distill/node`; this re-export stays so existing code keeps working.
 * @example
 * ```ts
 * import { loadCheckpoint } from '@charlearn/distill/node';
 * const ckpt = await loadCheckpoint('out/roll/teacher.ckpt', 'teacher');
 * ```
 */
export const loadCheckpoint: typeof nodeCheckpoints.loadCheckpoint = nodeCheckpoints.loadCheckpoint;
/**
 * @deprecated Import it from `@charlearn/distill/node`; this re-export stays so existing code keeps working.
 * @example
 * ```ts
 * import { readCheckpoint } from '@charlearn/distill/node';
 * const ckpt = await readCheckpoint('out/roll/generator.ckpt', 'distill');
 * ```
 */
export const readCheckpoint: typeof nodeCheckpoints.readCheckpoint = nodeCheckpoints.readCheckpoint;
/**
 * @deprecated Import it from `@charlearn/distill/node`; this re-export stays so existing code keeps working.
 * @example
 * ```ts
 * import { previousCheckpointPath } from '@charlearn/distill/node';
 * previousCheckpointPath('out/roll/teacher.ckpt'); // 'out/roll/teacher.prev.ckpt'
 * ```
 */
export const previousCheckpointPath: typeof nodeCheckpoints.previousCheckpointPath = nodeCheckpoints.previousCheckpointPath;
/** @deprecated Import it from `@charlearn/distill/node`; this re-export stays so existing code keeps working. */
export type LoadCheckpointOptions = nodeCheckpoints.LoadCheckpointOptions;
export { runTrainingLoop, type HistoryPoint, type TrainingLoopOptions } from './training-loop';
export { CONFIG_PRESETS, DEMO_PRESET, MNIST_PRESET, FASHION_MNIST_PRESET, MNIST_DIT_PRESET, QUICK_OVERRIDES, QUICK_IMAGE_OVERRIDES, QUICK_MODEL_OVERRIDES, quickOverrides } from './presets';
export { cpuBackend } from './cpu-backend';
export {
  loadRunConfig,
  defaultRunConfig,
  describeRunConfig,
  runConfigEntries,
  resolveRunName,
  runConfigSchema,
  modelSchema,
  checkDataAndModel,
  mergeConfigSources,
  parseRunConfig,
  locateConfigErrors,
  type RunConfig,
  type ModelConfig,
  type RawConfig,
} from './config';
export { parseCliArgs, UsageError, type CliArgs } from './args';
export { createProgress, formatDuration, formatNumber, type Progress, type ProgressOptions } from './progress';
export { encodePng } from './png';
// Figures are drawn by @charlearn/plots; the CLI only writes them.
export { saveFigurePng, savePixelsPng } from './figures';
export { writeFileAtomic, writeFileAtomicSync, readFileChecked, keepPreviousCopy, isTempFileName, removeStaleTempFiles, tempFilePid, tempPathFor, type AtomicWriteOptions } from './atomic';
export { nodeFs, errnoCode, type FsLayer } from './fs-layer';
export { RunFolderError, asRunFolderError } from './fs-errors';
export { acquireRunLock, isProcessAlive, RunLockedError, LOCK_FILE, type LockInfo, type RunLock, type AcquireLockOptions } from './lock';
export { assertRunName, resolveRunFolder, createRunFolder, takeRunFolder, MAX_RUN_NAME_LENGTH, type RunPlacement, type OpenedRunFolder } from './run-folder';
export { PhaseCheckpoint, RunExistsError, cliMeta, type CliCheckpointMeta, type PhaseRecord, type GoodCheckpoint, type PhaseCheckpointOptions } from './phase-checkpoint';
export { configDifferences, formatDifferences, legacyRecordedConfig, unreadSections, withoutPlacement, RESUMABLE_KEYS, RESUMABLE_KEYS_HELP, type ConfigDifference, type ResumePhase } from './resume-check';
export { ResumeMismatchError } from './commands/phase-start';
export { installStopHandlers, resumeCommand, InterruptedError, SIGNAL_EXIT_CODES, type StopRequest, type StopSignal, type StopHandlerOptions } from './signals';
export { estimateStepBytes, assertStepFits, backendMemoryLimit, activationFloatsPerSample, type EstimatedPhase } from './memory-estimate';
