/**
 * The teacher-free path of `charlearn train` (`method: drifting | drifting-conservative | wflow | <plugin>`): the
 * one-step generator `G(z) = z + F(z, 0)` trained directly by `OneStepTrainer`, checkpointed as the run's
 * `generator.ckpt` (kind `onestep`), resumable, and evaluated by the same W2 protocol as the characteristic generator.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Tensor } from '@tensorflow/tfjs-core';
import { CharlearnError, CheckpointError, decodeTensors } from '@charlearn/core';
import { listObjectives, OneStepTrainer, type OneStepStats } from '@charlearn/distill';
import { writeFileAtomic } from '../atomic';
import type { RunConfig } from '../config';
import { evaluateOneStep, type OneStepMetrics } from '../evaluate';
import { evaluateImageRun, type ImageEvalMetrics } from '../evaluate-images';
import { createRunNetwork, describeRunNetwork } from '../run-network';
import { saveFigurePng } from '../figures';
import { formatNumber } from '../progress';
import { assertStepFits } from '../memory-estimate';
import { importCheckpointPlugins } from '../plugins';
import { loadCheckpoint, pointsReference, runFiles, runPath, type RunContext } from '../runtime';
import { runTrainingLoop } from '../training-loop';
import { writeHistory } from './history';
import { beginPhase, cliRecord, resumedHistory, writeRunConfig } from './phase-start';
import { assertSameData } from './phases';

/** The method whose `train` is teacher training followed by `charlearn distill`. */
export const CHARACTERISTIC_METHOD = 'characteristic';

/**
 * Whether `method` trains the generator without a teacher (anything but `'characteristic'`).
 *
 * @example
 * ```ts
 * isTeacherFree('wflow');          // true
 * isTeacherFree('characteristic'); // false
 * ```
 */
export function isTeacherFree(method: string): boolean {
  return method !== CHARACTERISTIC_METHOD;
}

/**
 * The names `method` may take: the registered one-step objectives (built-ins first).
 *
 * @example
 * ```ts
 * knownMethods(); // ['characteristic', 'drifting', 'drifting-conservative', 'wflow']
 * ```
 */
export function knownMethods(): string[] {
  return listObjectives();
}

/**
 * The objective options of `method` from its config section (the section named after the objective, validated by
 * the objective's own `optionsSchema` when the config was loaded); `{}` when there is none.
 *
 * @example
 * ```ts
 * objectiveOptionsFor(loadRunConfig({ wflow: { epsilon: 0.1 } }), 'wflow'); // { epsilon: 0.1, tol: 0.001, maxIter: 200, eta: 1 }
 * ```
 */
export function objectiveOptionsFor(config: RunConfig, method: string): Record<string, unknown> {
  const section = config[method];
  return typeof section === 'object' && section !== null ? { ...(section as Record<string, unknown>) } : {};
}

/** A trained one-step generator of a run and how long its training took. */
export interface TrainedOneStep {
  readonly trainer: OneStepTrainer;
  /** Training wall time summed over every (resumed) invocation. */
  readonly wallSeconds: number;
}

/** Wall seconds stored with the checkpoint (so a resumed run reports its total). */
const WALL_KEY = 'wallSeconds';

function newTrainer(ctx: RunContext): OneStepTrainer {
  const { config } = ctx;
  const net = createRunNetwork(config, ctx.dataset.sampleShape);
  try {
    return new OneStepTrainer({ objective: config.method, objectiveOptions: objectiveOptionsFor(config, config.method), net, dataset: ctx.dataset, config: config.onestep, seed: config.seed + 1 });
  } catch (e) {
    net.dispose();
    throw e;
  }
}

/**
 * `charlearn train` for a teacher-free method: trains (or with `resume`, continues) the run's one-step generator with
 * progress output, history, atomic checkpoints every `checkpointEvery` updates, and a `NonFiniteError` that names the
 * last good checkpoint. The caller disposes the returned trainer.
 *
 * @example
 * ```ts
 * const { trainer, wallSeconds } = await trainOneStep(ctx, { resume: false });
 * ```
 */
export async function trainOneStep(ctx: RunContext, options: { resume: boolean }): Promise<TrainedOneStep> {
  const { config } = ctx;
  const { slot, resumed, history } = await beginPhase(ctx, { file: runFiles.generator, kind: 'onestep', resume: options.resume });
  const path = slot.path;
  let trainer: OneStepTrainer;
  let wallBefore = 0;
  if (resumed) {
    if (resumed.meta.objective !== config.method) {
      throw new CheckpointError(`the run's generator was trained with method '${String(resumed.meta.objective)}', the config says '${config.method}'`, path);
    }
    trainer = OneStepTrainer.fromCheckpoint(resumed, ctx.dataset);
    wallBefore = Number(resumed.meta[WALL_KEY] ?? 0);
    history.onestep = resumedHistory(resumed, history.onestep ?? []);
    ctx.log(`resuming the ${config.method} generator from ${slot.lastGood?.path ?? path} at step ${trainer.step}`);
  } else {
    if (options.resume) ctx.log(`no generator checkpoint at ${path}: starting from scratch`);
    assertStepFits(config, 'onestep', ctx.dataset.sampleShape, ctx.backend);
    trainer = newTrainer(ctx);
    history.onestep = [];
    const o = config.onestep;
    ctx.log(`${config.method}: one-step generator G(z) = z + F(z, 0), ${describeRunNetwork(config, trainer.net)}, ${o.steps} updates, batch ${o.batchSize}, lr ${o.lr}, options ${JSON.stringify(trainer.objective.options)}, ${ctx.dataset.name}, backend ${ctx.backend}`);
  }
  const t0 = performance.now();
  const wall = (): number => wallBefore + (performance.now() - t0) / 1000;
  try {
    await writeRunConfig(ctx);
    await runTrainingLoop<OneStepStats>({
      label: config.method,
      startStep: trainer.step,
      totalSteps: config.onestep.steps,
      trainStep: () => trainer.trainStep(),
      fields: (s) => ({ loss: formatNumber(s.loss), drift: formatNumber(s.values.driftRms ?? NaN) }),
      record: (s) => ({ ...s.values, gradNorm: s.gradNorm, lr: s.lr }),
      logEvery: config.logEvery,
      checkpointEvery: config.checkpointEvery,
      save: async () => {
        const ckpt = trainer.checkpoint();
        await slot.save({ meta: { ...ckpt.meta, [WALL_KEY]: wall() }, arrays: ckpt.arrays }, cliRecord(ctx, history.onestep ?? []));
        await writeHistory(ctx, history);
      },
      resumeAdvice: () => slot.describeForResume(),
      ...(ctx.stop ? { stop: ctx.stop } : {}),
      history: history.onestep,
    });
  } catch (e) {
    trainer.dispose();
    throw e;
  }
  ctx.log(`generator checkpoint: ${path}`);
  return { trainer, wallSeconds: wall() };
}

/**
 * Loads the run's teacher-free generator (`generator.ckpt` of kind `onestep`); `CheckpointError` when there is none.
 *
 * @example
 * ```ts
 * const { trainer } = await loadOneStep(ctx);
 * const x = trainer.sample(z); // [n, 2]
 * ```
 */
export async function loadOneStep(ctx: RunContext): Promise<TrainedOneStep> {
  const path = runPath(ctx, runFiles.generator);
  if (!existsSync(path)) throw new CheckpointError(`no generator checkpoint: run 'charlearn train --method ${ctx.config.method}' with the same config (and name) first`, path);
  const ckpt = await loadCheckpoint(path, 'onestep');
  assertSameData(ctx, ckpt, path);
  await importCheckpointPlugins(ckpt, path);
  return { trainer: OneStepTrainer.fromCheckpoint(ckpt, ctx.dataset), wallSeconds: Number(ckpt.meta[WALL_KEY] ?? 0) };
}

/**
 * Whether the run's `generator.ckpt` was trained by a teacher-free method (a checkpoint of kind `onestep`), so that
 * `sample` and `eval` find the right generator even when the config's `method` was left at its default. `false`
 * when there is no readable checkpoint (loading it then reports the problem).
 *
 * @example
 * ```ts
 * if (isTeacherFree(ctx.config.method) || hasOneStepGenerator(ctx)) await loadOneStep(ctx);
 * ```
 */
export function hasOneStepGenerator(ctx: RunContext): boolean {
  const path = runPath(ctx, runFiles.generator);
  if (!existsSync(path)) return false;
  try {
    return decodeTensors(readFileSync(path)).meta.kind === 'onestep';
  } catch {
    return false;
  }
}

/**
 * `charlearn eval` for a teacher-free run: metrics.json and samples.png; {@link OneStepMetrics} (exact W2) on a 2-D
 * target, {@link ImageEvalMetrics} (the feature-net FD and sample grids) on image data.
 *
 * @example
 * ```ts
 * const m = await evaluateOneStepRun(ctx, await loadOneStep(ctx));
 * const ratio = 'metric' in m ? m.fd.oneStep / m.fd.floor : m.w2.oneStep / m.w2.floor;
 * ```
 */
export async function evaluateOneStepRun(ctx: RunContext, trained: TrainedOneStep): Promise<OneStepMetrics | ImageEvalMetrics> {
  const { trainer } = trained;
  if (ctx.data.kind === 'images') return evaluateImageRun(ctx, { kind: 'onestep', trainer, wallSeconds: trained.wallSeconds });
  ctx.log(`evaluating on ${ctx.config.eval.samples} samples (exact W2 against held-out data)`);
  const { metrics, figure } = evaluateOneStep({
    generator: (z: Tensor) => trainer.sample(z),
    method: trainer.objective.name,
    target: pointsReference(ctx, 'the W2 evaluation'),
    config: ctx.config,
    backend: ctx.backend,
    training: { steps: trainer.step, batchSize: trainer.config.batchSize, wallSeconds: trained.wallSeconds },
    log: ctx.log,
  });
  await writeFileAtomic(runPath(ctx, runFiles.metrics), JSON.stringify(metrics, null, 2) + '\n', { fs: ctx.fs });
  await saveFigurePng(runPath(ctx, runFiles.samples), figure);
  ctx.log(`wrote ${runPath(ctx, runFiles.metrics)} and ${runPath(ctx, runFiles.samples)}`);
  return metrics;
}

/**
 * Throws a `CharlearnError` (parameter `method`) for `charlearn distill` on a teacher-free run.
 *
 * @example
 * ```ts
 * assertDistillable(config); // ok for method 'characteristic'
 * ```
 */
export function assertDistillable(config: RunConfig): void {
  if (isTeacherFree(config.method)) {
    throw new CharlearnError(`method '${config.method}' has no teacher to distill: 'charlearn train --method ${config.method}' trains its one-step generator directly`, 'method');
  }
}
