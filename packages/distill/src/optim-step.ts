import * as tf from '@tensorflow/tfjs-core';
import type { Scalar, Tensor, Variable } from '@tensorflow/tfjs-core';
import { CharlearnError, NonFiniteError } from '@charlearn/core';
import type { Adam } from './adam';

/** Throws a clear error when no gradient functions are registered (tfjs-core's own builds register none). */
export function assertGradientsRegistered(): void {
  if (!tf.getGradient('BatchMatMul') || !tf.getGradient('Mean')) {
    throw new CharlearnError(
      "no tfjs gradient functions are registered, so nothing can train: select a backend through charlearn (import '@charlearn/backend-wasm'; await useBackend('wasm')) or call registerAllGradients() from @charlearn/backend-wasm",
      'backend',
    );
  }
}

/** Gradients of `lossFn` with respect to `variables`, keyed by the names of `variables`. */
export function namedGradients(lossFn: () => Scalar, variables: Record<string, Variable>): { value: Scalar; grads: Record<string, Tensor> } {
  const names = Object.keys(variables);
  const list = names.map((n) => variables[n]!);
  const byTfName = new Map(list.map((v, i) => [v.name, names[i]!]));
  const { value, grads } = tf.variableGrads(lossFn, list);
  const out: Record<string, Tensor> = {};
  for (const [tfName, g] of Object.entries(grads)) out[byTfName.get(tfName)!] = g;
  return { value, grads: out };
}

/** `sqrt(Σ‖g‖²)` over all gradients, as a scalar tensor. */
export function globalNorm(grads: Record<string, Tensor>): Scalar {
  return tf.tidy(() => tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g))))) as Scalar);
}

/** What {@link applyUpdate} reports (numbers, synced once). */
export interface UpdateStats {
  /** Each named scalar, e.g. `{ loss, fit, dsm }`. */
  readonly values: Record<string, number>;
  /** Global gradient norm before clipping. */
  readonly gradNorm: number;
}

/** The arguments of {@link applyUpdate} / {@link prepareUpdate}. */
export interface UpdateArgs {
  /** Gradients by variable name (disposed by the update). */
  grads: Record<string, Tensor>;
  /** Named scalars to report, e.g. `{ loss, fit }` (disposed by the update). */
  scalars: Record<string, Scalar>;
  adam: Adam;
  lr: number;
  gradClip: number;
  step: number;
}

/**
 * A training step's update, ready to finish once its numbers are read from
 * the device: {@link PreparedUpdate.readSync} (`dataSync`, fine on wasm and
 * cpu) or {@link PreparedUpdate.read} (`await data()`, the only way on
 * backends without synchronous reads, such as WebGPU on some platforms).
 * Exactly one of them must be called; it checks the numbers, clips, applies
 * Adam and disposes the gradients and scalars.
 */
export interface PreparedUpdate {
  readSync(): UpdateStats;
  read(): Promise<UpdateStats>;
}

/**
 * Packs the named scalars and the global gradient norm into one tensor so a
 * step needs one device read; see {@link PreparedUpdate}.
 *
 * @example
 * ```ts
 * const update = prepareUpdate({ grads, scalars: { loss }, adam, lr: 1e-3, gradClip: 1, step: 0 });
 * const { values, gradNorm } = await update.read();   // or update.readSync()
 * ```
 */
export function prepareUpdate(args: UpdateArgs): PreparedUpdate {
  const { grads, scalars } = args;
  const names = Object.keys(scalars);
  let packed: Tensor;
  try {
    packed = tf.tidy(() => tf.stack([...names.map((n) => tf.reshape(scalars[n]!, [])), globalNorm(grads)]));
  } catch (e) {
    tf.dispose(Object.values(grads));
    tf.dispose(Object.values(scalars));
    throw e;
  }
  let done = false;
  const release = (): void => {
    done = true;
    packed.dispose();
    tf.dispose(Object.values(grads));
    tf.dispose(Object.values(scalars));
  };
  const assertOpen = (): void => {
    if (done) throw new CharlearnError('a prepared update can be finished only once', 'update');
  };
  return {
    readSync: () => {
      assertOpen();
      try {
        return finishUpdate(args, names, packed.dataSync());
      } finally {
        release();
      }
    },
    read: async () => {
      assertOpen();
      try {
        return finishUpdate(args, names, await packed.data());
      } finally {
        release();
      }
    },
  };
}

function finishUpdate(args: UpdateArgs, names: readonly string[], numbers: ArrayLike<number>): UpdateStats {
  const { grads, adam, lr, gradClip, step } = args;
  const values: Record<string, number> = {};
  names.forEach((n, i) => (values[n] = numbers[i]!));
  const gradNorm = numbers[names.length]!;
  for (const [n, v] of Object.entries(values)) {
    if (!Number.isFinite(v)) throw new NonFiniteError(`training stopped: ${n} is ${v} at step ${step}`, n, step);
  }
  if (!Number.isFinite(gradNorm)) throw new NonFiniteError(`training stopped: the gradient norm is ${gradNorm} at step ${step}`, 'gradients', step);
  const scale = gradClip > 0 && gradNorm > gradClip ? gradClip / (gradNorm + 1e-6) : 1;
  adam.apply(grads, lr, scale);
  return { values, gradNorm };
}

/**
 * Finishes a training step: reads the named scalars and the gradient norm in
 * one device sync, stops with a {@link NonFiniteError} naming the quantity and
 * the step if any is NaN/Inf (before touching the weights), clips the
 * gradients to global norm `gradClip`, applies Adam at `lr`, and disposes
 * the gradients and scalars. `prepareUpdate(args).readSync()`; use
 * {@link prepareUpdate} with `await read()` on backends without synchronous reads.
 *
 * @example
 * ```ts
 * const { values, gradNorm } = applyUpdate({ grads, scalars: { loss }, adam, lr: 1e-3, gradClip: 1, step: 0 });
 * ```
 */
export function applyUpdate(args: UpdateArgs): UpdateStats {
  return prepareUpdate(args).readSync();
}
