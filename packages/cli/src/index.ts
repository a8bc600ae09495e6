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
export { main, COMMANDS } from './cli';
export { evaluateRun, exactEndPoints, type EvalMetrics } from './evaluate';
export { evaluateImageRun, generateImages, IMAGE_EVAL_CHUNK, type ImageEvalMetrics, type ImageEvalSubject } from './evaluate-images';
export { loadRunData, loadImageSplit, type RunData, type PointsData, type ImagesData } from './run-data';
export { createRunNetwork, runNetworkSpec, describeRunNetwork } from './run-network';
export {
  openRun,
  pointsTarget,
  runFiles,
  runPath,
  saveCheckpoint,
  loadCheckpoint,
  readCheckpoint,
  previousCheckpointPath,
  CHECKPOINT_WRITE_DELAY_ENV,
  CHECKPOINT_WRITE_DELAY_SKIP_ENV,
  type LoadCheckpointOptions,
  type RunContext,
} from './runtime';
export { runTrainingLoop, type HistoryPoint, type TrainingLoopOptions } from './training-loop';
export { CONFIG_PRESETS, DEMO_PRESET, MNIST_PRESET, FASHION_MNIST_PRESET, MNIST_DIT_PRESET, QUICK_OVERRIDES, QUICK_IMAGE_OVERRIDES } from './presets';
export { cpuBackend } from './cpu-backend';
export {
  loadRunConfig,
  defaultRunConfig,
  describeConfigSchema,
  resolveRunName,
  runConfigSchema,
  schema,
  checkDataAndModel,
  isImageData,
  DATA_TARGETS,
  IMAGE_DATA,
  MODEL_KINDS,
  type RunConfig,
  type UnetModelConfig,
  type DitModelConfig,
} from './config';
export { parseCliArgs, UsageError, type CliArgs } from './args';
export { createProgress, formatDuration, formatNumber, type Progress, type ProgressOptions } from './progress';
export { encodePng } from './png';
// Figures are drawn by @charlearn/plots; the CLI only writes them.
export { saveFigurePng, savePixelsPng } from './figures';
export { writeFileAtomic, writeFileAtomicSync, readFileChecked, keepPreviousCopy, ATOMIC_WRITE_PAUSE_MARKER, type AtomicWriteOptions } from './atomic';
