import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@charlearn/core';
import type { Target2D } from '@charlearn/data';
import { CharacteristicDistiller, TeacherTrainer, sampleTeacher } from '@charlearn/distill';
import { createMlp } from '@charlearn/nets';

/** Sizes and step counts of a browser run. */
export interface RunSettings {
  readonly teacherSteps: number;
  readonly distillSteps: number;
  readonly batchSize: number;
  readonly hidden: readonly number[];
  /** Points in the live plot (and in a "sample" draw). */
  readonly plotPoints: number;
  /** Redraw the plot every this many steps. */
  readonly plotEvery: number;
}

/** What the progress display shows. */
export interface Progress {
  phase: 'idle' | 'teacher' | 'distill' | 'done' | 'stopped' | 'error';
  step: number;
  total: number;
  loss: number;
  stepsPerSecond: number;
}

/** Callbacks of {@link runTraining}. */
export interface RunHooks {
  onProgress(p: Progress): void;
  /** New one-step samples `[n, 2]` (flattened). */
  onSamples(xy: Float32Array): void;
  /** True to stop after the current chunk. */
  shouldStop(): boolean;
}

/** Lets the browser paint and handle input between chunks of synchronous training steps. */
function nextFrame(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** A trained pair (teacher, generator) that can draw one-step samples. */
export class BrowserRun {
  teacher: TeacherTrainer | undefined;
  distiller: CharacteristicDistiller | undefined;
  private sampleSeed = 1000;

  constructor(
    readonly target: Target2D,
    readonly settings: RunSettings,
  ) {}

  /** One-step samples `[n, 2]` from fixed noise: the generator once distillation started, else the teacher's 1-NFE step. */
  async oneStepSamples(n = this.settings.plotPoints, seed = 7): Promise<Float32Array> {
    const z = new Rng(seed).normalTensor([n, 2]);
    try {
      let x: tf.Tensor;
      if (this.distiller) x = this.distiller.sample(z, 1);
      else if (this.teacher) x = sampleTeacher(this.teacher.fieldModel(), z, 'exp-integrator', 1).x;
      else throw new Error('nothing trained yet');
      const data = (await x.data()) as Float32Array;
      x.dispose();
      return data;
    } finally {
      z.dispose();
    }
  }

  /** Fresh one-step samples (new noise each call). */
  sampleFresh(n = this.settings.plotPoints): Promise<Float32Array> {
    return this.oneStepSamples(n, this.sampleSeed++);
  }

  dispose(): void {
    this.distiller?.dispose();
    this.teacher?.dispose();
    this.distiller = undefined;
    this.teacher = undefined;
  }
}

async function phase(
  name: 'teacher' | 'distill',
  total: number,
  step: () => number,
  run: BrowserRun,
  hooks: RunHooks,
): Promise<boolean> {
  const { plotEvery } = run.settings;
  let done = 0;
  let loss = Number.NaN;
  while (done < total) {
    if (hooks.shouldStop()) return false;
    const n = Math.min(plotEvery, total - done);
    const t0 = performance.now();
    for (let i = 0; i < n; i++) loss = step();
    done += n;
    const rate = (n * 1000) / Math.max(1e-3, performance.now() - t0);
    hooks.onProgress({ phase: name, step: done, total, loss, stepsPerSecond: rate });
    hooks.onSamples(await run.oneStepSamples());
    await nextFrame();
  }
  return true;
}

/**
 * Trains the teacher, then distils it, on the current tfjs backend,
 * reporting progress and fresh one-step samples every `plotEvery` steps.
 *
 * @example
 * ```ts
 * const run = new BrowserRun(getTarget('8gaussians'), settings);
 * await runTraining(run, { onProgress, onSamples, shouldStop: () => false });
 * ```
 */
export async function runTraining(run: BrowserRun, hooks: RunHooks): Promise<Progress['phase']> {
  const { teacherSteps, distillSteps, batchSize, hidden } = run.settings;
  const teacher = new TeacherTrainer({
    net: createMlp({ dim: 2, hidden: [...hidden] }),
    dataset: run.target,
    seed: 0,
    config: { steps: teacherSteps, batchSize, warmupSteps: Math.min(100, Math.floor(teacherSteps / 5)) },
  });
  run.teacher = teacher;
  if (!(await phase('teacher', teacherSteps, () => teacher.trainStep().loss, run, hooks))) return 'stopped';
  const distiller = new CharacteristicDistiller({
    teacher: teacher.ema.network,
    dataset: run.target,
    seed: 1,
    config: { steps: distillSteps, batchSize: Math.min(batchSize, 256), warmupSteps: Math.min(50, Math.floor(distillSteps / 5)), gridSize: 12 },
  });
  run.distiller = distiller;
  if (!(await phase('distill', distillSteps, () => distiller.trainStep().loss, run, hooks))) return 'stopped';
  return 'done';
}
