import { existsSync } from 'node:fs';
import { CheckpointError, ConfigError, DataFileError } from '@charlearn/core';
import { CharacteristicDistiller, loadCharacteristicGenerator, TeacherTrainer, type CharacteristicGenerator, type DistillStepStats, type TeacherStepStats, type TrainerCheckpoint } from '@charlearn/distill';
import { writeFileAtomic } from '../atomic';
import { cacheVariablesForSyncRead } from '../backends';
import { evaluateRun, type EvalMetrics } from '../evaluate';
import { evaluateImageRun, type ImageEvalMetrics } from '../evaluate-images';
import { createRunNetwork, describeRunNetwork } from '../run-network';
import { saveFigurePng } from '../figures';
import { assertStepFits } from '../memory-estimate';
import { loadCheckpoint, pointsReference, recordedRun, runFiles, runPath, type RunContext } from '../runtime';
import { importCheckpointPlugins } from '../plugins';
import { runTrainingLoop } from '../training-loop';
import { writeHistory } from './history';
import { assertConfigMatches, beginPhase, cliRecord, recordedRunConfig, ResumeMismatchError, resumedHistory, writeRunConfig } from './phase-start';
import { formatNumber } from '../progress';
import { recordedDataUnits } from './data-units';
import { startDistillRolloutWorker, startTeacherReplicas } from '../run-replicas';
import type { NetworkSpec } from '@charlearn/nets';
import type { RolloutWorker } from '@charlearn/distill/node';

/** `charlearn train`: teacher training, resumable. */
export async function trainTeacher(ctx: RunContext, options: { resume: boolean }): Promise<TeacherTrainer> {
  const { config } = ctx;
  const { slot, resumed, history } = await beginPhase(ctx, { file: runFiles.teacher, kind: 'teacher', resume: options.resume });
  const path = slot.path;
  let trainer: TeacherTrainer;
  let replicas: Awaited<ReturnType<typeof startTeacherReplicas>> = undefined;
  if (resumed) {
    replicas = await startTeacherReplicas(ctx, resumed.meta.network as unknown as NetworkSpec);
    try {
      trainer = TeacherTrainer.fromCheckpoint(resumed, ctx.dataset, replicas ? { gradients: replicas } : {});
    } catch (e) {
      await replicas?.close();
      throw e;
    }
    history.teacher = resumedHistory(resumed, history.teacher);
    ctx.log(`resuming the teacher from ${slot.lastGood?.path ?? path} at step ${trainer.step}`);
  } else {
    if (options.resume) ctx.log(`no teacher checkpoint at ${path}: starting from scratch`);
    assertStepFits(config, 'teacher', ctx.dataset.sampleShape, ctx.backend);
    const net = createRunNetwork(config, ctx.dataset.sampleShape);
    try {
      replicas = await startTeacherReplicas(ctx, net.config);
      trainer = new TeacherTrainer({ net, dataset: ctx.dataset, config: config.teacher, interpolant: ctx.interpolant, seed: config.seed, ...(replicas ? { gradients: replicas } : {}) });
    } catch (e) {
      net.dispose();
      await replicas?.close();
      throw e;
    }
    history.teacher = [];
    ctx.log(`teacher: ${describeRunNetwork(config, net)}, ${config.teacher.steps} steps, batch ${config.teacher.batchSize}, ${ctx.dataset.name}, ${ctx.interpolant.name}, backend ${ctx.backend}`);
  }
  try {
    await writeRunConfig(ctx);
    await runTrainingLoop<TeacherStepStats>({
      label: 'teacher',
      startStep: trainer.step,
      totalSteps: config.teacher.steps,
      trainStep: () => trainer.trainStepAsync(),
      fields: (s) => ({ loss: formatNumber(s.loss), lr: formatNumber(s.lr) }),
      record: (s) => ({ loss: s.loss, gradNorm: s.gradNorm }),
      logEvery: config.logEvery,
      checkpointEvery: config.checkpointEvery,
      save: async () => {
        await cacheVariablesForSyncRead();
        await slot.save(trainer.checkpoint(), cliRecord(ctx, history.teacher));
        await writeHistory(ctx, history);
      },
      resumeAdvice: () => slot.describeForResume(),
      ...(ctx.stop ? { stop: ctx.stop } : {}),
      history: history.teacher,
    });
  } catch (e) {
    trainer.dispose();
    throw e;
  } finally {
    await replicas?.close();
  }
  ctx.log(`teacher checkpoint: ${path}`);
  return trainer;
}

/** `charlearn distill`: characteristic-generator distillation from the run's teacher, resumable. */
export async function distillGenerator(ctx: RunContext, options: { resume: boolean }): Promise<CharacteristicDistiller> {
  const { config } = ctx;
  const { slot, resumed, history } = await beginPhase(ctx, { file: runFiles.generator, kind: 'distill', resume: options.resume });
  const path = slot.path;
  let distiller: CharacteristicDistiller;
  let teacherSection: Record<string, unknown> = {};
  if (resumed) {
    await importCheckpointPlugins(resumed, slot.lastGood?.path ?? path);
    distiller = CharacteristicDistiller.fromCheckpoint(resumed, ctx.dataset);
    history.distill = resumedHistory(resumed, history.distill);
    const recorded = recordedRunConfig(resumed);
    if (recorded.teacher !== undefined) teacherSection = { teacher: recorded.teacher };
    ctx.log(`resuming distillation from ${slot.lastGood?.path ?? path} at step ${distiller.step}`);
  } else {
    const teacherPath = runPath(ctx, runFiles.teacher);
    if (!existsSync(teacherPath)) {
      throw new CheckpointError(`distillation needs a trained teacher: run 'charlearn train' with the same config (and name) first`, teacherPath);
    }
    const teacherCkpt = await loadCheckpoint(teacherPath, 'teacher');
    assertConfigMatches(ctx, teacherCkpt, teacherPath, 'use-teacher');
    const recorded = recordedRunConfig(teacherCkpt);
    if (recorded.teacher !== undefined) teacherSection = { teacher: recorded.teacher };
    if (Number(teacherCkpt.meta.step) < config.teacher.steps && teacherCkpt.meta.importedFrom === undefined) {
      ctx.log(`warning: the teacher stopped at step ${teacherCkpt.meta.step} of ${config.teacher.steps} (resume it with 'charlearn train --resume')`);
    }
    assertStepFits(config, 'distill', ctx.dataset.sampleShape, ctx.backend);
    // The frozen teacher is the EMA network; the rest of the teacher trainer (its weights, Adam moments) is freed.
    const teacherTrainer = TeacherTrainer.fromCheckpoint(teacherCkpt, ctx.dataset);
    const teacher = teacherTrainer.ema.network.clone();
    teacherTrainer.dispose();
    try {
      distiller = new CharacteristicDistiller({ teacher, ownsTeacher: true, dataset: ctx.dataset, config: config.distill, interpolant: ctx.interpolant, seed: config.seed + 1 });
    } catch (e) {
      teacher.dispose();
      throw e;
    }
    history.distill = [];
    const l = config.distill.losses;
    ctx.log(`distill: ${config.distill.steps} steps, batch ${config.distill.batchSize}, grid ${config.distill.gridSize}, teacher solver ${config.distill.teacherSolver}, losses fit ${l.fit} semigroup ${l.semigroup} ctm ${l.ctm} dsm ${l.dsm}`);
  }
  let rolloutWorker: RolloutWorker | undefined;
  try {
    await writeRunConfig(ctx, teacherSection);
    rolloutWorker = await startDistillRolloutWorker(ctx, distiller);
    await runTrainingLoop<DistillStepStats>({
      label: 'distill',
      startStep: distiller.step,
      totalSteps: config.distill.steps,
      trainStep: () => distiller.trainStepAsync(),
      fields: (s) => ({ loss: formatNumber(s.loss), fit: formatNumber(s.fit), sg: formatNumber(s.semigroup), n: s.teacherSteps }),
      record: (s) => ({ loss: s.loss, fit: s.fit, semigroup: s.semigroup, ctm: s.ctm, dsm: s.dsm, dsmWeight: s.dsmWeight, gradNorm: s.gradNorm }),
      logEvery: config.logEvery,
      checkpointEvery: config.checkpointEvery,
      save: async () => {
        await cacheVariablesForSyncRead();
        await slot.save(distiller.checkpoint(), cliRecord(ctx, history.distill, teacherSection));
        await writeHistory(ctx, history);
      },
      resumeAdvice: () => slot.describeForResume(),
      ...(ctx.stop ? { stop: ctx.stop } : {}),
      history: history.distill,
    });
  } catch (e) {
    await rolloutWorker?.close();
    distiller.dispose();
    throw e;
  }
  await rolloutWorker?.close();
  ctx.log(`generator checkpoint: ${path}`);
  return distiller;
}

/**
 * Refuses (`ConfigError` naming `data.target`, `data.pixelRange` or `data.sigmaData`) to evaluate or sample a
 * checkpoint trained on other data, or in other data units, than the config's; for a `data.file` run, a
 * `DataFileError` when the file's held-out rows are not those the checkpoint recorded (the file changed since
 * training), so `eval` never measures against rows it trained on.
 *
 * @example
 * ```ts
 * assertSameData(ctx, ckpt, path);
 * ```
 */
export function assertSameData(ctx: RunContext, ckpt: TrainerCheckpoint, path: string): void {
  const rows = recordedRun(ckpt)?.heldOutRows;
  if ((ctx.data.kind === 'file' || ctx.data.kind === 'image-file') && rows && JSON.stringify(rows) !== JSON.stringify(ctx.data.fitted.heldOutRows)) {
    throw new DataFileError(
      `${ctx.data.file}: its held-out rows (data.holdout) are not the ${rows.length} rows the generator ${path} recorded: the file, data.holdout or seed changed since training; set them back, or train a new run`,
      ctx.data.file,
    );
  }
  const recorded = (recordedRunConfig(ckpt).data as { target?: unknown } | undefined)?.target;
  // data.target is not what a data.file run trains on
  const fileRun = ctx.data.kind === 'file' || ctx.data.kind === 'image-file';
  if (!fileRun && recorded !== undefined && recorded !== ctx.config.data.target) {
    throw new ResumeMismatchError(
      `data.target: the run's generator ${path} was trained on '${String(recorded)}', the config says '${ctx.config.data.target}': set data.target to '${String(recorded)}' (or evaluate another run)`,
      'data.target',
    );
  }
  // the data units: samples in other units than the generator's would be mapped to the wrong pixels
  const units = recordedDataUnits(ckpt);
  for (const key of ['pixelRange', 'sigmaData'] as const) {
    const was = units[key];
    const now = ctx.config.data[key];
    if (was === undefined || JSON.stringify(was) === JSON.stringify(now)) continue;
    throw new ResumeMismatchError(
      `data.${key}: the run's generator ${path} was trained with ${JSON.stringify(was)}, the config says ${JSON.stringify(now)}: remove data.${key} from the config (the checkpoint's is then used) or set it to ${JSON.stringify(was)}`,
      `data.${key}`,
    );
  }
}

/**
 * The run's characteristic generator alone (EMA network and flow map), for sampling: it needs neither the teacher
 * nor the solver (or solver plugin) it was distilled with.
 */
export async function loadGeneratorForSampling(ctx: RunContext): Promise<CharacteristicGenerator> {
  const path = runPath(ctx, runFiles.generator);
  if (!existsSync(path)) throw new CheckpointError(`no generator checkpoint: run 'charlearn distill' with the same config (and name) first`, path);
  const ckpt = await loadCheckpoint(path, 'distill');
  assertSameData(ctx, ckpt, path);
  return loadCharacteristicGenerator(ckpt, ctx.dataset.sigmaData);
}

/** Loads the run's generator checkpoint. */
export async function loadGenerator(ctx: RunContext): Promise<CharacteristicDistiller> {
  const path = runPath(ctx, runFiles.generator);
  if (!existsSync(path)) throw new CheckpointError(`no generator checkpoint: run 'charlearn distill' with the same config (and name) first`, path);
  const ckpt = await loadCheckpoint(path, 'distill');
  assertSameData(ctx, ckpt, path);
  await importCheckpointPlugins(ckpt, path);
  return CharacteristicDistiller.fromCheckpoint(ckpt, ctx.dataset);
}

/** `charlearn eval`: metrics.json and samples.png for the run's generator and teacher (W2 in 2-D, the feature-net FD on images). */
export async function evaluateGenerator(ctx: RunContext, distiller: CharacteristicDistiller): Promise<EvalMetrics | ImageEvalMetrics> {
  if (ctx.data.kind === 'images') return evaluateImageRun(ctx, { kind: 'characteristic', distiller });
  ctx.log(`evaluating on ${ctx.config.eval.samples} samples (exact W2 against held-out data)`);
  const { metrics, figure } = await evaluateRun({ distiller, target: pointsReference(ctx, 'the W2 evaluation'), config: ctx.config, backend: ctx.backend, log: ctx.log });
  await writeFileAtomic(runPath(ctx, runFiles.metrics), JSON.stringify(metrics, null, 2) + '\n', { fs: ctx.fs });
  await saveFigurePng(runPath(ctx, runFiles.samples), figure);
  ctx.log(`wrote ${runPath(ctx, runFiles.metrics)} and ${runPath(ctx, runFiles.samples)}`);
  return metrics;
}

/** Validates that names in the config exist before any training starts. */
export function assertKnownName(kind: string, name: string, known: readonly string[], parameter: string): void {
  if (!known.includes(name)) throw new ConfigError(`${parameter}: unknown ${kind} '${name}'; known: ${known.join(', ')}`, parameter);
}
