import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@charlearn/core';
import type { Target2D } from '@charlearn/data';
import { CharacteristicDistiller, TeacherTrainer, sampleTeacher } from '@charlearn/distill';
import { createMlp } from '@charlearn/nets';
import { webRunConfigs } from './run-config.mjs';

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
  /** True to stop before the next step. */
  shouldStop(): boolean;
}

/** Longest stretch of training (ms) between two yields to the browser (paint, input: the Stop button). */
const YIELD_EVERY_MS = 50;

/**
 * Hands control back to the browser for one task, so it can paint and handle
 * input: `scheduler.yield()` where it exists (Chromium 129+), else a
 * `MessageChannel` message (unlike `setTimeout(0)`, not clamped to 4 ms when nested).
 */
function yieldToBrowser(): Promise<void> {
  const scheduler = (globalThis as { scheduler?: { yield?: () => Promise<void> } }).scheduler;
  if (typeof scheduler?.yield === 'function') return scheduler.yield();
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/**
 * A trained pair (teacher, generator) that can draw one-step samples, and
 * the loss of every step taken (for the page and the end-to-end test).
 */
export class BrowserRun {
  teacher: TeacherTrainer | undefined;
  distiller: CharacteristicDistiller | undefined;
  /** The loss of every training step so far, per phase. */
  readonly losses: { readonly teacher: number[]; readonly distill: number[] } = { teacher: [], distill: [] };
  private sampleSeed = 1000;

  constructor(
    readonly target: Target2D,
    readonly settings: RunSettings,
  ) {}

  /**
   * One-step samples `[n, 2]` (flattened) from fixed noise: the generator once
   * distillation started, else the teacher's 1-NFE step. Read with `await data()`
   * (no synchronous GPU read: works on WebGPU anywhere).
   */
  async oneStepSamples(n = this.settings.plotPoints, seed = 7): Promise<Float32Array> {
    const z = new Rng(seed).normalTensor([n, 2]);
    try {
      let x: tf.Tensor;
      if (this.distiller) x = this.distiller.sample(z, 1);
      else if (this.teacher) x = sampleTeacher(this.teacher.fieldModel(), z, 'exp-integrator', 1).x;
      else throw new Error('nothing trained yet');
      try {
        return (await x.data()) as Float32Array;
      } finally {
        x.dispose();
      }
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

/**
 * Runs `total` steps of one phase: `step()` is an asynchronous training step
 * (`trainStepAsync`: one `await data()` a step), progress and fresh one-step
 * samples every `plotEvery` steps, a yield to the browser at least every
 * {@link YIELD_EVERY_MS} ms. False when stopped.
 */
async function phase(
  name: 'teacher' | 'distill',
  total: number,
  step: () => Promise<number>,
  run: BrowserRun,
  hooks: RunHooks,
): Promise<boolean> {
  const { plotEvery } = run.settings;
  const losses = run.losses[name];
  let done = 0;
  let loss = Number.NaN;
  let lastYield = performance.now();
  while (done < total) {
    const n = Math.min(plotEvery, total - done);
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      if (hooks.shouldStop()) return false;
      loss = await step();
      losses.push(loss);
      if (performance.now() - lastYield > YIELD_EVERY_MS) {
        await yieldToBrowser();
        lastYield = performance.now();
      }
    }
    done += n;
    const rate = (n * 1000) / Math.max(1e-3, performance.now() - t0);
    hooks.onProgress({ phase: name, step: done, total, loss, stepsPerSecond: rate });
    hooks.onSamples(await run.oneStepSamples());
    await yieldToBrowser();
    lastYield = performance.now();
  }
  return true;
}

/**
 * Trains the teacher, then distils it, on the current tfjs backend, with
 * asynchronous loss reads (`trainStepAsync`, so WebGPU trains even where it
 * cannot read synchronously), reporting progress and fresh one-step samples
 * every `plotEvery` steps. Seeds are fixed: the same settings give the same
 * losses on every backend, up to float32 rounding.
 *
 * @example
 * ```ts
 * const run = new BrowserRun(getTarget('8gaussians'), settings);
 * await runTraining(run, { onProgress, onSamples, shouldStop: () => false });
 * ```
 */
export async function runTraining(run: BrowserRun, hooks: RunHooks): Promise<Progress['phase']> {
  const { teacherSteps, distillSteps, hidden } = run.settings;
  const configs = webRunConfigs(run.settings);
  const teacher = new TeacherTrainer({
    net: createMlp({ dim: 2, hidden: [...hidden] }),
    dataset: run.target,
    seed: 0,
    config: configs.teacher,
  });
  run.teacher = teacher;
  if (!(await phase('teacher', teacherSteps, async () => (await teacher.trainStepAsync()).loss, run, hooks))) return 'stopped';
  const distiller = new CharacteristicDistiller({
    teacher: teacher.ema.network,
    dataset: run.target,
    seed: 1,
    config: configs.distill,
  });
  run.distiller = distiller;
  if (!(await phase('distill', distillSteps, async () => (await distiller.trainStepAsync()).loss, run, hooks))) return 'stopped';
  return 'done';
}
