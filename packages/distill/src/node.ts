/**
 * `@charlearn/distill/node`: checkpoint files and the crash-safe file writes under them (Node only: it reads and
 * writes files). {@link saveCheckpoint} / {@link loadCheckpoint} save and load a trainer's checkpoint durably, so a
 * library user or an example resumes training without `@charlearn/cli`.
 *
 * @example
 * ```ts
 * import { loadCheckpoint, saveCheckpoint } from '@charlearn/distill/node';
 * await saveCheckpoint('out/roll/teacher.ckpt', teacherTrainer.checkpoint());
 * const teacher = TeacherTrainer.fromCheckpoint(await loadCheckpoint('out/roll/teacher.ckpt', 'teacher'), dataset);
 * ```
 * `startGradientReplicas` starts worker threads that compute a trainer's gradients on shards of each batch
 * (data-parallel training over the cores; docs/threads.md); `startSamplingReplicas` samples a generator's batch of
 * noise in shards over worker threads (`characteristicSamplingTask` says what they evaluate); `startRolloutWorker`
 * solves a distiller's next rollout-cache chunk on a worker thread while this one trains.
 * @packageDocumentation
 */
export * from './node-checkpoint';
export * from './atomic';
export * from './fs-layer';
export * from './gradient-replicas';
export * from './sampling-task';
export * from './sampling-replicas';
export * from './rollout-solver';
