/**
 * The trained characteristic generator alone, from a distillation checkpoint: its EMA network and the flow map
 * `g(t, s, x)` for one- and few-step sampling. Sampling never runs the teacher's solver, so this needs neither the
 * teacher nor the solver (nor the plugin that registered it) the generator was distilled with.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import { CheckpointError, getInterpolant, type Interpolant } from '@charlearn/core';
import { createNetwork, type Network, type NetworkSpec } from '@charlearn/nets';
import { unpackPrefixed, type TrainerCheckpoint } from './checkpoint';
import { characteristicMap } from './denoisers';
import { sampleFlowMap, type GeneratorTimes } from './sampling';

/** A characteristic generator ready to sample; `dispose()` frees its network. */
export interface CharacteristicGenerator {
  /** The two-time EMA network `g` is built from. */
  readonly network: Network;
  readonly interpolant: Interpolant;
  /** The data scale of the EDM preconditioning `g` was built with. */
  readonly sigmaData: number;
  /** The checkpoint's time grid ends, the defaults of {@link CharacteristicGenerator.sample}'s `times`. */
  readonly times: { readonly eps0: number; readonly eps1: number };
  /**
   * `z: [batch, ...dims]` prior noise → samples with `steps` network evaluations (1 = one step). `times` overrides
   * the checkpoint's `eps0`/`eps1` and chooses the start (`start`, with `dataMean` for the shifting starts).
   */
  sample(z: Tensor, steps?: number, times?: GeneratorTimes): Tensor;
  dispose(): void;
}

/**
 * The generator of a {@link CharacteristicDistiller} checkpoint (its EMA weights), for a data set of `sigmaData`.
 *
 * @throws CheckpointError for a checkpoint of another kind or without the generator's network
 * @example
 * ```ts
 * const checkpoint = new CharacteristicDistiller({ teacher: teacherNet, dataset }).checkpoint();
 * const g = loadCharacteristicGenerator(checkpoint, dataset.sigmaData);
 * const x = g.sample(priorSample([1000, 2], 0)); // one network evaluation
 * g.dispose();
 * ```
 */
export function loadCharacteristicGenerator(checkpoint: TrainerCheckpoint, sigmaData: number): CharacteristicGenerator {
  const { meta, arrays } = checkpoint;
  if (meta.kind !== 'distill') throw new CheckpointError(`expected a distill checkpoint (the characteristic generator), got '${String(meta.kind)}'`);
  if (typeof meta.network !== 'object' || meta.network === null) throw new CheckpointError("the checkpoint records no generator network ('network')");
  const interpolant = getInterpolant(String(meta.interpolant), 'interpolant');
  const config = (meta.config ?? {}) as { eps0?: number; eps1?: number };
  const times = { eps0: config.eps0 ?? 1e-3, eps1: config.eps1 ?? 1e-3 };
  const network = createNetwork(meta.network as unknown as NetworkSpec);
  try {
    network.setWeights(unpackPrefixed(arrays, 'ema'));
  } catch (e) {
    network.dispose();
    throw e;
  }
  const g = characteristicMap(network, interpolant, sigmaData);
  return { network, interpolant, sigmaData, times, sample: (z, steps = 1, overrides = {}) => sampleFlowMap(g, z, steps, { ...times, ...overrides }), dispose: () => network.dispose() };
}
