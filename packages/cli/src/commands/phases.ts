import { existsSync } from 'node:fs';
import { CheckpointError, ConfigError } from '@charlearn/core';
import { CharacteristicDistiller, TeacherTrainer, type DistillStepStats, type TeacherStepStats } from '@charlearn/distill';
import { writeFileAtomic } from '../atomic';
import { cacheVariablesForSyncRead } from '../backends';
import { evaluateRun, type EvalMetrics } from '../evaluate';
import { evaluateImageRun, type ImageEvalMetrics } from '../evaluate-images';
import { createRunNetwork, describeRunNetwork } from '../run-network';
import { saveFigurePng } from '../figures';
import { loadCheckpoint, pointsTarget, runFiles, runPath, saveCheckpoint, type RunContext } from '../runtime';
import { runTrainingLoop } from '../training-loop';
import { readHistory, writeHistory } from './history';
import { formatNumber } from '../progress';

/** `charlearn train`: teacher training, resumable. */
export async function trainTeacher(ctx: RunContext, options: { resume: boolean }): Promise<TeacherTrainer> {
  const { config } = ctx;
  const path = runPath(ctx, runFiles.teacher);
  const history = readHistory(ctx);
  let trainer: TeacherTrainer;
  if (options.resume && existsSync(path)) {
    trainer = TeacherTrainer.fromCheckpoint(await loadCheckpoint(path, 'teacher'), ctx.dataset);
    history.teacher = history.teacher.filter((p) => p.step <= trainer.step);
    ctx.log(`resuming the teacher from ${path} at step ${trainer.step}`);
  } else {
    if (options.resume) ctx.log(`no teacher checkpoint at ${path}: starting from scratch`);
    const net = createRunNetwork(config, ctx.dataset.sampleShape);
    try {
      trainer = new TeacherTrainer({ net, dataset: ctx.dataset, config: config.teacher, interpolant: ctx.interpolant, seed: config.seed });
    } catch (e) {
      net.dispose();
      throw e;
    }
    history.teacher = [];
    ctx.log(`teacher: ${describeRunNetwork(config, net)}, ${config.teacher.steps} steps, batch ${config.teacher.batchSize}, ${ctx.dataset.name}, ${ctx.interpolant.name}, backend ${ctx.backend}`);
  }
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
      await saveCheckpoint(path, trainer.checkpoint());
      await writeHistory(ctx, history);
    },
    checkpointPath: path,
    history: history.teacher,
  });
  ctx.log(`teacher checkpoint: ${path}`);
  return trainer;
}

/** `charlearn distill`: characteristic-generator distillation from the run's teacher, resumable. */
export async function distillGenerator(ctx: RunContext, options: { resume: boolean }): Promise<CharacteristicDistiller> {
  const { config } = ctx;
  const path = runPath(ctx, runFiles.generator);
  const history = readHistory(ctx);
  let distiller: CharacteristicDistiller;
  if (options.resume && existsSync(path)) {
    distiller = CharacteristicDistiller.fromCheckpoint(await loadCheckpoint(path, 'distill'), ctx.dataset);
    history.distill = history.distill.filter((p) => p.step <= distiller.step);
    ctx.log(`resuming distillation from ${path} at step ${distiller.step}`);
  } else {
    const teacherPath = runPath(ctx, runFiles.teacher);
    if (!existsSync(teacherPath)) {
      throw new CheckpointError(`distillation needs a trained teacher: run 'charlearn train' with the same config (and name) first`, teacherPath);
    }
    const teacherCkpt = await loadCheckpoint(teacherPath, 'teacher');
    if (Number(teacherCkpt.meta.step) < config.teacher.steps) {
      ctx.log(`warning: the teacher stopped at step ${teacherCkpt.meta.step} of ${config.teacher.steps} (resume it with 'charlearn train --resume')`);
    }
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
      await saveCheckpoint(path, distiller.checkpoint());
      await writeHistory(ctx, history);
    },
    checkpointPath: path,
    history: history.distill,
  });
  ctx.log(`generator checkpoint: ${path}`);
  return distiller;
}

/** Loads the run's generator checkpoint. */
export async function loadGenerator(ctx: RunContext): Promise<CharacteristicDistiller> {
  const path = runPath(ctx, runFiles.generator);
  if (!existsSync(path)) throw new CheckpointError(`no generator checkpoint: run 'charlearn distill' with the same config (and name) first`, path);
  return CharacteristicDistiller.fromCheckpoint(await loadCheckpoint(path, 'distill'), ctx.dataset);
}

/** `charlearn eval`: metrics.json and samples.png for the run's generator and teacher (W2 in 2-D, the feature-net FD on images). */
export async function evaluateGenerator(ctx: RunContext, distiller: CharacteristicDistiller): Promise<EvalMetrics | ImageEvalMetrics> {
  if (ctx.data.kind === 'images') return evaluateImageRun(ctx, { kind: 'characteristic', distiller });
  ctx.log(`evaluating on ${ctx.config.eval.samples} samples (exact W2 against held-out data)`);
  const { metrics, figure } = evaluateRun({ distiller, target: pointsTarget(ctx, 'the W2 evaluation'), config: ctx.config, backend: ctx.backend, log: ctx.log });
  await writeFileAtomic(runPath(ctx, runFiles.metrics), JSON.stringify(metrics, null, 2) + '\n');
  await saveFigurePng(runPath(ctx, runFiles.samples), figure);
  ctx.log(`wrote ${runPath(ctx, runFiles.metrics)} and ${runPath(ctx, runFiles.samples)}`);
  return metrics;
}

/** Validates that names in the config exist before any training starts. */
export function assertKnownName(kind: string, name: string, known: readonly string[], parameter: string): void {
  if (!known.includes(name)) throw new ConfigError(`${parameter}: unknown ${kind} '${name}'; known: ${known.join(', ')}`, parameter);
}
