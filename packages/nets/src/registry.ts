import * as v from 'valibot';
import { ConfigError, configSection, createRegistry, parseConfig, requireMember, sectionEntries, type ConfigSectionSchema, type Registry } from '@charlearn/core';
import { ditOptionsSchema, mlpOptionsSchema, songUnetOptionsSchema, unetOptionsSchema } from './network-options';
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
  /**
   * The schema of the settings a run config sets for this kind (`model.<key>` with `model.kind: <name>`), defaults
   * included; what the data and the run decide (sample shape, seed) is added by {@link NetworkKind.specFor}.
   */
  readonly options?: ConfigSectionSchema;
  /**
   * The spec of a network with these (parsed) options for samples of `sampleShape` (`[2]`, `[28, 28, 1]`) and
   * `seed`. Default: `{ kind, ...options, sampleShape, seed }` with `null` options left out (null: the kind's own default).
   */
  readonly specFor?: (options: Readonly<Record<string, unknown>>, sampleShape: readonly number[], seed: number) => NetworkSpec;
}

/** Options of {@link registerNetworkKind}. */
export interface RegisterNetworkKindOptions {
  /** Replace a registered kind of the same name without a warning. */
  readonly override?: boolean;
  /** {@link NetworkKind.options}. */
  readonly options?: ConfigSectionSchema;
  /** {@link NetworkKind.specFor}. */
  readonly specFor?: NetworkKind['specFor'];
}

/** `options` without its `null` entries (null: "the network's own default"). */
function withoutNulls(options: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== null));
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
  {
    name: 'mlp',
    create: (spec, seed) => Mlp.create({ ...(spec as unknown as MlpConfig), ...(seed === undefined ? {} : { seed }) }),
    options: mlpOptionsSchema,
    specFor: (options, sampleShape, seed) => ({ kind: 'mlp', ...withoutNulls(options), dim: sampleShape.reduce((a, b) => a * b, 1), seed }) as NetworkSpec,
  },
  { name: 'unet', create: (spec, seed) => Unet.create({ ...(spec as unknown as UnetConfig), ...(seed === undefined ? {} : { seed }) }), options: unetOptionsSchema },
  { name: 'dit', create: (spec, seed) => Dit.create({ ...(spec as unknown as DitConfig), ...(seed === undefined ? {} : { seed }) }), options: ditOptionsSchema },
  { name: 'songunet', create: (spec, seed) => SongUnet.create({ ...(spec as unknown as SongUnetConfig), ...(seed === undefined ? {} : { seed }) }), options: songUnetOptionsSchema },
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
export function registerNetworkKind(kind: string, factory: NetworkFactory, options: RegisterNetworkKindOptions = {}): void {
  ensureBuiltins();
  if (typeof kind !== 'string' || kind.length === 0) throw new ConfigError('kind must be a non-empty string', 'kind');
  if (typeof factory !== 'function') throw new ConfigError(`factory for network kind '${kind}' must be a function (spec, seed?) => Network`, 'factory');
  const entry: NetworkKind = {
    name: kind,
    create: factory,
    ...(options.options ? { options: options.options } : {}),
    ...(options.specFor ? { specFor: options.specFor } : {}),
  };
  networkKinds.register(entry, options.override === undefined ? {} : { override: options.override });
}

/**
 * The spec of a network of a registered `kind` from its run-config options (parsed with the kind's schema at
 * `section`, e.g. `'model'`: an unknown key names the closest valid one), for samples of `sampleShape` and `seed`.
 *
 * @throws UnknownPluginError for an unregistered kind; ConfigError for a bad option
 * @example
 * ```ts
 * networkSpecFromOptions('unet', { channels: 16 }, [28, 28, 1], 0); // { kind: 'unet', channels: 16, channelMult: [1, 2, 2], ..., sampleShape: [28, 28, 1], seed: 0 }
 * ```
 */
export function networkSpecFromOptions(kind: string, options: unknown, sampleShape: readonly number[], seed: number, section = 'model'): NetworkSpec {
  ensureBuiltins();
  const entry = networkKinds.get(kind, `${section}.kind`);
  // `kind` is one of the section's keys (as in a run config's `model`), so errors list the same keys there and here.
  const withKind = entry.options ? configSection({ kind: v.optional(v.literal(kind)), ...sectionEntries(entry.options) }) : undefined;
  const given = typeof options === 'object' && options !== null && !Array.isArray(options) ? { kind, ...options } : options;
  const { kind: _kind, ...parsed } = withKind ? parseConfig(withKind, given ?? {}, section) : ((options ?? {}) as Record<string, unknown>);
  return entry.specFor
    ? entry.specFor(parsed, sampleShape, seed)
    : ({ kind, ...withoutNulls(parsed), sampleShape: [...sampleShape], seed } as NetworkSpec);
}

/**
 * A registered network kind (schema included).
 *
 * @example
 * ```ts
 * getNetworkKind('unet').options; // the U-Net's settings schema
 * ```
 */
export function getNetworkKind(kind: string, parameter = 'model.kind'): NetworkKind {
  ensureBuiltins();
  return networkKinds.get(kind, parameter);
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
