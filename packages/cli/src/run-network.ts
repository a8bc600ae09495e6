/**
 * The run's network from `model`: the section is the settings of the network kind `model.kind` (any registered kind,
 * plugins included), turned into a spec by `@charlearn/nets` with the data's sample shape and the run's seed. Errors
 * the network raises keep its own text.
 */
import { createNetwork, networkSpecFromOptions, type Network, type NetworkSpec } from '@charlearn/nets';
import type { RunConfig } from './config';

/**
 * The `@charlearn/nets` spec of the run's network for samples of shape `sampleShape` (`[2]`, `[28, 28, 1]`).
 *
 * @example
 * ```ts
 * runNetworkSpec(defaultRunConfig(), [2]); // { kind: 'mlp', hidden: [256, 256, 256], ..., dim: 2, seed: 0 }
 * ```
 */
export function runNetworkSpec(config: Pick<RunConfig, 'model' | 'seed'>, sampleShape: readonly number[]): NetworkSpec {
  const { kind, ...options } = config.model;
  return networkSpecFromOptions(kind, options, sampleShape, config.seed);
}

/**
 * Builds the run's network ({@link runNetworkSpec}).
 *
 * @example
 * ```ts
 * const net = createRunNetwork(config, [28, 28, 1]);
 * net.parameterCount();
 * ```
 */
export function createRunNetwork(config: Pick<RunConfig, 'model' | 'seed'>, sampleShape: readonly number[]): Network {
  return createNetwork(runNetworkSpec(config, sampleShape));
}

/**
 * A short description of the run's network for log lines: `mlp {"hidden":[256,256,256],...} (199,682 parameters)`.
 *
 * @example
 * ```ts
 * ctx.log(`teacher: ${describeRunNetwork(config, net)}`);
 * ```
 */
export function describeRunNetwork(config: Pick<RunConfig, 'model'>, net: Network): string {
  const { kind, ...options } = config.model;
  const settings = Object.entries(options)
    .filter(([, value]) => value !== null)
    .map(([key, value]) => `${key} ${JSON.stringify(value)}`)
    .join(', ');
  return `${kind} (${settings}; ${net.parameterCount().toLocaleString('en-US')} parameters)`;
}
