import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Variable } from '@tensorflow/tfjs-core';
import { ADAM_UPDATE_KERNEL, CheckpointError, type AdamUpdateAttrs } from '@charlearn/core';
import type { NamedArrays } from '@charlearn/nets';

/** Adam hyper-parameters. */
export interface AdamOptions {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/**
 * Adam with bias correction, over a fixed set of named variables. Its state
 * (moments and step count) is plain named arrays, so a checkpoint restores
 * it exactly and a resumed run continues bit for bit.
 *
 * @example
 * ```ts
 * const adam = new Adam(net.namedVariables());
 * adam.apply(grads, 1e-3);          // grads: Record<name, Tensor>
 * const saved = adam.getState();    // { 'm/in/w': ..., 'v/in/w': ... }
 * ```
 */
export class Adam {
  private readonly vars: Record<string, Variable>;
  private readonly m: Record<string, Variable> = {};
  private readonly v: Record<string, Variable> = {};
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;
  /** Number of updates applied. */
  count = 0;

  constructor(variables: Record<string, Variable>, options: AdamOptions = {}) {
    this.vars = variables;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-8;
    for (const [name, v] of Object.entries(variables)) {
      // tidy disposes the zeros the variables are copied from (variables themselves survive a tidy)
      this.m[name] = tf.tidy(() => tf.variable(tf.zerosLike(v), false));
      this.v[name] = tf.tidy(() => tf.variable(tf.zerosLike(v), false));
    }
  }

  /**
   * One update `θ ← θ − lr·m̂/(√v̂ + ε)` with `grads` named like the variables, each multiplied by `gradScale` first
   * (global-norm clipping; default 1). Runs the backend's fused {@link ADAM_UPDATE_KERNEL} when it has one (wasm
   * does: one pass a variable), else the op chain.
   */
  apply(grads: Record<string, Tensor>, lr: number, gradScale = 1): void {
    this.count++;
    const c1 = 1 - Math.pow(this.beta1, this.count);
    const c2 = 1 - Math.pow(this.beta2, this.count);
    const stepSize = (lr * Math.sqrt(c2)) / c1;
    const epsHat = this.epsilon * Math.sqrt(c2);
    const fused = tf.getKernel(ADAM_UPDATE_KERNEL, tf.getBackend()) !== undefined;
    const attrs: AdamUpdateAttrs = { beta1: this.beta1, beta2: this.beta2, stepSize, epsilon: epsHat, gradScale };
    tf.tidy(() => {
      for (const [name, variable] of Object.entries(this.vars)) {
        const raw = grads[name];
        if (!raw) continue;
        const m = this.m[name]!;
        const v = this.v[name]!;
        if (fused) {
          const [x2, m2, v2] = tf.engine().runKernel(ADAM_UPDATE_KERNEL, { x: variable, m, v, g: raw }, attrs as unknown as tf.NamedAttrMap) as Tensor[];
          variable.assign(x2!);
          m.assign(m2!);
          v.assign(v2!);
          continue;
        }
        const g = gradScale === 1 ? raw : tf.mul(raw, gradScale);
        m.assign(tf.add(tf.mul(m, this.beta1), tf.mul(g, 1 - this.beta1)));
        v.assign(tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2)));
        variable.assign(tf.sub(variable, tf.mul(tf.div(m, tf.add(tf.sqrt(v), epsHat)), stepSize)));
      }
    });
  }

  /** Moments as named arrays (`m/<var>`, `v/<var>`) plus the step count. */
  getState(): { arrays: NamedArrays; count: number } {
    const arrays: NamedArrays = {};
    for (const name of Object.keys(this.vars)) {
      arrays[`m/${name}`] = { shape: [...this.m[name]!.shape], values: this.m[name]!.dataSync() as Float32Array };
      arrays[`v/${name}`] = { shape: [...this.v[name]!.shape], values: this.v[name]!.dataSync() as Float32Array };
    }
    return { arrays, count: this.count };
  }

  /** Restores a state saved by {@link Adam.getState}; throws `CheckpointError` on a mismatch. */
  setState(state: { arrays: NamedArrays; count: number }): void {
    for (const name of Object.keys(this.vars)) {
      for (const [prefix, target] of [['m', this.m], ['v', this.v]] as const) {
        const a = state.arrays[`${prefix}/${name}`];
        const t = target[name]!;
        if (!a || a.shape.join(',') !== t.shape.join(',')) {
          throw new CheckpointError(`optimizer state ${prefix}/${name} is missing or has shape [${a?.shape.join(', ') ?? ''}], expected [${t.shape.join(', ')}]`);
        }
        tf.tidy(() => t.assign(tf.tensor(a.values, a.shape)));
      }
    }
    this.count = state.count;
  }

  dispose(): void {
    tf.dispose([...Object.values(this.m), ...Object.values(this.v)]);
  }
}
