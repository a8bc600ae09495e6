import { ConfigError, createRegistry, requireMember, type Registry } from '@charlearn/core';
import { Mlp } from './mlp';
import type { MlpConfig } from './mlp-config';
import { Dit } from './dit';
import type { DitConfig } from './dit-config';
import { Unet } from './unet';
import type { UnetConfig } from './unet-config';
import { SongUnet } from './song-unet';
import type { SongUnetConfig } from './song-unet-config';
import type { Network, NetworkSpec } from './network';

/**
 * Builds a network of one kind from its spec. `seed`, when given, replaces
 * the spec's own seed (the initial weights are a function of spec + seed).
 */
export type NetworkFactory = (spec: NetworkSpec, seed?: number) => Network;

/** A registered network kind (the registry entry behind {@link registerNetworkKind}). */
export interface NetworkKind {
  /** The `kind` of the specs it builds, e.g. `'mlp'`. */
  readonly name: string;
  /** The factory. */
  readonly create: NetworkFactory;
}

function validateKind(p: unknown, parameter: string): asserts p is NetworkKind {
  requireMember(p, 'name', 'string', parameter);
  requireMember(p, 'create', 'function', parameter);
}

/**
 * The shared registry of network kinds (lives in `@charlearn/core`'s
 * process-wide store, so ESM and CJS copies of this package agree).
 */
export const networkKinds: Registry<NetworkKind> = createRegistry<NetworkKind>('network kind', validateKind);

const builtins: readonly NetworkKind[] = [
  { name: 'mlp', create: (spec, seed) => Mlp.create({ ...(spec as unknown as MlpConfig), ...(seed === undefined ? {} : { seed }) }) },
  { name: 'unet', create: (spec, seed) => Unet.create({ ...(spec as unknown as UnetConfig), ...(seed === undefined ? {} : { seed }) }) },
  { name: 'songunet', create: (spec, seed) => SongUnet.create({ ...(spec as unknown as SongUnetConfig), ...(seed === undefined ? {} : { seed }) }) },
  { name: 'dit', create: (spec, seed) => Dit.create({ ...(spec as unknown as DitConfig), ...(seed === undefined ? {} : { seed }) }) },
];

/** Registers the built-in kinds on first use (no import side effects). */
function ensureBuiltins(): void {
  for (const k of builtins) if (!networkKinds.has(k.name)) networkKinds.register(k);
}

/**
 * Registers a network architecture under `kind`, so that
 * {@link createNetwork} (and `loadNetwork`) can rebuild it from a spec.
 * Replacing an existing kind warns unless `override` is set.
 *
 * @example
 * ```ts
 * registerNetworkKind('my-pkg/resmlp', (spec, seed) => new ResMlp(spec, seed));
 * const net = createNetwork({ kind: 'my-pkg/resmlp', width: 128 });
 * ```
 */
export function registerNetworkKind(kind: string, factory: NetworkFactory, options: { override?: boolean } = {}): void {
  ensureBuiltins();
  if (typeof kind !== 'string' || kind.length === 0) throw new ConfigError('kind must be a non-empty string', 'kind');
  if (typeof factory !== 'function') throw new ConfigError(`factory for network kind '${kind}' must be a function (spec, seed?) => Network`, 'factory');
  networkKinds.register({ name: kind, create: factory }, options);
}

/**
 * Builds a network from its JSON spec by `spec.kind` (`'mlp'`, `'unet'`,
 * `'dit'` built in).
 * `seed` overrides `spec.seed`. Unknown kinds throw `UnknownPluginError`
 * listing the registered ones; a bad spec throws the architecture's
 * config errors naming the key.
 *
 * @example
 * ```ts
 * const net = createNetwork({ kind: 'mlp', dim: 2, hidden: [256, 256, 256] }, 42);
 * const same = createNetwork(net.config);  // same architecture and initial weights
 * ```
 */
export function createNetwork(spec: NetworkSpec, seed?: number): Network {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw new ConfigError('spec must be an object { kind, ...config }', 'spec');
  }
  if (typeof spec.kind !== 'string') throw new ConfigError(`spec.kind must be a string such as 'mlp', got ${JSON.stringify(spec.kind)}`, 'spec.kind');
  ensureBuiltins();
  return networkKinds.get(spec.kind, 'spec.kind').create(spec, seed);
}

/**
 * The registered network kinds.
 *
 * @example
 * ```ts
 * listNetworkKinds(); // ['mlp', 'unet', 'dit']
 * ```
 */
export function listNetworkKinds(): string[] {
  ensureBuiltins();
  return networkKinds.list();
}
