import { CheckpointError, decodeTensors, encodeTensors, type JsonObject } from '@charlearn/core';
import type { Network, NetworkSpec } from './network';
import { createNetwork } from './registry';
import { fromTorchStateDict, toTorchStateDict } from './song-unet';
import { resolveSongUnetConfig } from './song-unet-config';

/** The `meta.format` tag of a network file written by {@link saveNetwork}. */
export const NETWORK_FILE_FORMAT = 'charlearn-network';

/**
 * Serialises a network (its spec and weights) with {@link encodeTensors}:
 * `meta = { format: 'charlearn-network', network: net.config, ...extra }`,
 * arrays = `net.getWeights()` (for a `songunet`, its PyTorch `state_dict()`
 * with the constant buffers, so `load_state_dict` accepts the file
 * strictly). `extra` must not use the keys `format` or `network`.
 *
 * @example
 * ```ts
 * import { readFileSync, writeFileSync } from 'node:fs';
 * const bytes = saveNetwork(net, { step: 5000 });
 * writeFileSync('teacher.clw', bytes);          // or a Blob download in the browser
 * const again = loadNetwork(readFileSync('teacher.clw'));
 * ```
 */
export function saveNetwork(net: Network, extra: JsonObject = {}): Uint8Array {
  for (const key of ['format', 'network']) {
    if (key in extra) throw new CheckpointError(`extra metadata must not use the reserved key '${key}'`, undefined, 'extra');
  }
  const arrays = net.kind === 'songunet' ? toTorchStateDict(net) : net.getWeights();
  return encodeTensors(arrays, { ...extra, format: NETWORK_FILE_FORMAT, network: net.config });
}

/**
 * Rebuilds a network saved with {@link saveNetwork}: decodes (checksum and
 * format checked), builds `createNetwork(meta.network)` and sets its
 * weights. Throws `CheckpointError` for a file that is corrupt, is not a
 * network file, or whose weights do not fit the spec.
 *
 * @example
 * ```ts
 * const net = loadNetwork(bytes);
 * net.apply(xIn, cNoise);
 * ```
 */
export function loadNetwork(bytes: Uint8Array): Network {
  const { meta, arrays } = decodeTensors(bytes);
  if (meta.format !== NETWORK_FILE_FORMAT) {
    throw new CheckpointError(`not a network file: meta.format is ${JSON.stringify(meta.format)}, expected '${NETWORK_FILE_FORMAT}' (a training checkpoint? use decodeTensors)`);
  }
  const spec = meta.network;
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec) || typeof (spec as { kind?: unknown }).kind !== 'string') {
    throw new CheckpointError('network file has no valid meta.network spec { kind, ... }');
  }
  let net: Network;
  try {
    net = createNetwork(spec as NetworkSpec);
  } catch (e) {
    throw new CheckpointError(`cannot rebuild the saved network: ${(e as Error).message}`);
  }
  try {
    net.setWeights(net.kind === 'songunet' ? fromTorchStateDict(arrays, resolveSongUnetConfig(net.config)) : arrays);
  } catch (e) {
    net.dispose();
    throw e;
  }
  return net;
}
