import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '@tensorflow/tfjs-core';
import { EMA_UPDATE_KERNEL } from '@charlearn/core';
import type { Network } from '@charlearn/nets';
import { emaDecayAt } from './schedule';

/**
 * An exponential moving average of a network's weights, kept in a clone of
 * the network (so the average can be evaluated like any network).
 *
 * @example
 * ```ts
 * const ema = new EmaNetwork(net);
 * ema.update(net, 1, 0.999);      // after each optimiser step (here step 1)
 * ema.network.apply(x, cNoise);
 * ```
 */
export class EmaNetwork {
  /** The averaged network. */
  readonly network: Network;

  constructor(source: Network) {
    this.network = source.clone();
  }

  /** `θ_ema ← d·θ_ema + (1 − d)·θ` with `d = min(ema, (1 + step)/(10 + step))`. */
  update(source: Network, step: number, ema: number): void {
    const d = emaDecayAt(step, ema);
    const src = source.namedVariables();
    const dst = this.network.namedVariables();
    const fused = tf.getKernel(EMA_UPDATE_KERNEL, tf.getBackend()) !== undefined;
    tf.tidy(() => {
      for (const [name, v] of Object.entries(dst)) {
        const s = src[name];
        if (!s) continue;
        // one kernel a variable where the backend has it (the same bits as the op chain)
        if (fused && v.dtype === 'float32' && s.dtype === 'float32') v.assign(tf.engine().runKernel(EMA_UPDATE_KERNEL, { ema: v, x: s }, { decay: d }) as Tensor);
        else v.assign(tf.add(tf.mul(v, d), tf.mul(s, 1 - d)));
      }
    });
  }

  dispose(): void {
    this.network.dispose();
  }
}
