import { NonFiniteError } from '@charlearn/core';
import { createProgress, type ProgressFields } from './progress';
import { InterruptedError, type StopRequest } from './signals';

/** What a training loop records every `logEvery` steps. */
export interface HistoryPoint {
  readonly step: number;
  readonly [key: string]: number;
}

/** Options of {@link runTrainingLoop}. */
export interface TrainingLoopOptions<S extends { step: number; loss: number }> {
  label: string;
  /** Steps already done (a resumed run starts there). */
  startStep: number;
  /** Step to stop at. */
  totalSteps: number;
  /** One step; may be asynchronous (`trainStepAsync`: one awaited read, for backends without synchronous reads). */
  trainStep: () => S | Promise<S>;
  /** Fields shown on the progress line. */
  fields: (stats: S) => ProgressFields;
  /** Numbers recorded into the history. */
  record: (stats: S) => Record<string, number>;
  logEvery: number;
  /** Steps between checkpoints (0: only at the end). */
  checkpointEvery: number;
  save: () => Promise<void>;
  /** Where the last good checkpoint is, for the error message (used when `resumeAdvice` is not given). */
  checkpointPath?: string;
  /** What a NaN/Inf stop says about resuming: the checkpoint of this run that exists, or that none was written yet. */
  resumeAdvice?: () => string;
  /** SIGINT/SIGTERM: when a signal has arrived, the loop finishes its step, saves and throws an `InterruptedError`. */
  stop?: StopRequest;
  history: HistoryPoint[];
}

/**
 * Runs training steps with a progress display (loss, steps/s, ETA), records
 * a history, checkpoints every `checkpointEvery` steps and at the end, and
 * turns a NaN/Inf into an error that says where the last good checkpoint is. With `stop`, a SIGINT/SIGTERM
 * ends the loop after the current step with a checkpoint and an `InterruptedError`.
 */
export async function runTrainingLoop<S extends { step: number; loss: number }>(options: TrainingLoopOptions<S>): Promise<void> {
  const { label, startStep, totalSteps, trainStep, fields, record, logEvery, checkpointEvery, save, checkpointPath, history, stop } = options;
  const advice = options.resumeAdvice ?? (() => `the last good checkpoint is ${checkpointPath ?? '(none)'} (resume with --resume)`);
  const progress = createProgress({ total: totalSteps, label });
  const disarm = stop?.arm();
  let step = startStep;
  try {
    while (step < totalSteps) {
      const stats = await trainStep();
      step = stats.step;
      progress.update(step, fields(stats));
      if (step % logEvery === 0 || step === totalSteps) history.push({ step, ...record(stats) });
      if (stop?.signal && step < totalSteps) {
        await save();
        throw new InterruptedError(`${label}: stopped by ${stop.signal} at step ${step} of ${totalSteps}; checkpoint written`, stop.signal, step);
      }
      if (checkpointEvery > 0 && step % checkpointEvery === 0 && step < totalSteps) await save();
    }
    progress.done();
    await save();
  } catch (e) {
    progress.done();
    if (e instanceof NonFiniteError) {
      throw new NonFiniteError(`${e.message}; ${advice()}`, e.parameter, e.step);
    }
    throw e;
  } finally {
    disarm?.();
  }
}
