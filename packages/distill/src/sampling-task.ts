import { ConfigError, getInterpolant } from '@charlearn/core';
import type { Network, NetworkSpec } from '@charlearn/nets';
import { characteristicMap, type FlowMap } from './denoisers';

/**
 * What sampling replicas evaluate, as plain JSON (it crosses to a worker thread): the characteristic generator
 * `characteristicMap(net, interpolant, sigmaData)` of the two-time network `network` (a `createNetwork` spec) on the
 * interpolant registered as `interpolant`.
 *
 * @example
 * ```ts
 * const task = characteristicSamplingTask(student, 'follmer', dataset.sigmaData);
 * // { kind: 'characteristic-map', network: { kind: 'mlp', dim: 2, twoTime: true, ... }, interpolant: 'follmer', sigmaData: 1 }
 * ```
 */
export interface SamplingTask {
  readonly kind: 'characteristic-map';
  readonly network: NetworkSpec;
  readonly interpolant: string;
  readonly sigmaData: number;
}

/**
 * The sampling task of a generator network, for `startSamplingReplicas` (`@charlearn/distill/node`).
 *
 * @param net - the two-time generator network, or anything with its `config` (the spec the replicas rebuild).
 * @param interpolant - the interpolant's registered name (a replica looks it up with `getInterpolant`).
 * @param sigmaData - the data scale of the EDM preconditioning (default 1, as `characteristicMap`'s).
 * @example
 * ```ts
 * import { characteristicSamplingTask, startSamplingReplicas } from '@charlearn/distill/node';
 * const replicas = await startSamplingReplicas({ replicas: 2, task: characteristicSamplingTask(student, 'follmer') });
 * ```
 */
export function characteristicSamplingTask(net: Pick<Network, 'config'>, interpolant: string, sigmaData = 1): SamplingTask {
  return { kind: 'characteristic-map', network: net.config, interpolant, sigmaData };
}

/**
 * The flow map of a {@link SamplingTask} on `net` (built on the current thread): the same function on the calling
 * thread and in each replica, so that every shard is sampled alike. Throws a `ConfigError` for an unknown kind or
 * interpolant.
 *
 * @returns `g(x, t, s, tauT?, tauS?)`, `x: [batch, ...sampleShape]` → `[batch, ...sampleShape]`.
 */
export function samplingTaskMap(task: SamplingTask, net: Network): FlowMap {
  if (task.kind !== 'characteristic-map') {
    throw new ConfigError(`unknown sampling task kind '${String((task as { kind: unknown }).kind)}' (known: characteristic-map)`, 'task.kind');
  }
  return characteristicMap(net, getInterpolant(task.interpolant, 'task.interpolant'), task.sigmaData);
}
