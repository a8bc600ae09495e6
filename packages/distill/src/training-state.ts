import { CheckpointError, Rng } from '@charlearn/core';
import type { NamedArrays, Network } from '@charlearn/nets';
import { Adam } from './adam';
import { unpackPrefixed, type TrainerCheckpoint } from './checkpoint';
import { EmaNetwork } from './ema';

/**
 * What a trainer mutates while it trains: the network, its EMA, the Adam
 * moments, the RNG and the step count. Saving and restoring it is what makes
 * a resumed run continue exactly where an uninterrupted one would be.
 *
 * @example
 * ```ts
 * const state = new TrainingState(net, 0);      // seed 0
 * const { meta, groups } = state.save('net');
 * const checkpoint = packState({ kind: 'teacher', ...meta }, groups);
 * state.restore(checkpoint, 'net');
 * ```
 */
export class TrainingState {
  readonly net: Network;
  readonly ema: EmaNetwork;
  readonly adam: Adam;
  rng: Rng;
  /** Steps taken so far. */
  step = 0;

  constructor(net: Network, seed: number) {
    this.net = net;
    this.ema = new EmaNetwork(net);
    this.adam = new Adam(net.namedVariables());
    this.rng = new Rng(seed);
  }

  /** Metadata (step, RNG with NaN as null for JSON, Adam count) and array groups, the network under `netPrefix`. */
  save(netPrefix: string): { meta: { step: number; rng: (number | null)[]; adamCount: number }; groups: Record<string, NamedArrays> } {
    const adam = this.adam.getState();
    return {
      meta: { step: this.step, rng: this.rng.state().map((v) => (Number.isNaN(v) ? null : v)), adamCount: adam.count },
      groups: { [netPrefix]: this.net.getWeights(), ema: this.ema.network.getWeights(), adam: adam.arrays },
    };
  }

  /** Restores what {@link TrainingState.save} wrote; `CheckpointError` on a mismatch. */
  restore(checkpoint: TrainerCheckpoint, netPrefix: string): void {
    const { meta, arrays } = checkpoint;
    if (!Array.isArray(meta.rng)) throw new CheckpointError('checkpoint metadata has no RNG state');
    this.net.setWeights(unpackPrefixed(arrays, netPrefix));
    this.ema.network.setWeights(unpackPrefixed(arrays, 'ema'));
    this.adam.setState({ arrays: unpackPrefixed(arrays, 'adam'), count: Number(meta.adamCount) });
    this.rng = Rng.fromState(meta.rng as number[]);
    this.step = Number(meta.step);
  }

  dispose(): void {
    this.net.dispose();
    this.ema.dispose();
    this.adam.dispose();
  }
}
