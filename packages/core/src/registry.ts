import { ContractVersionError, PluginContractError, UnknownPluginError } from './errors';

/**
 * Version of the plugin contracts (interpolant, solver, backend). Bumped on a
 * breaking change to any of them. Two copies of `@charlearn/core` in one
 * process (ESM and CJS, or two minor versions) share one registry store as
 * long as their contract versions agree; otherwise a {@link ContractVersionError}
 * names both versions.
 */
export const CONTRACT_VERSION = 1;

const STORE_KEY = Symbol.for('@charlearn/core/registries');

interface RegistryStore {
  readonly contractVersion: number;
  readonly coreVersions: string[];
  readonly registries: Map<string, Map<string, unknown>>;
}

declare const __CHARLEARN_CORE_VERSION__: string | undefined;
const CORE_VERSION = typeof __CHARLEARN_CORE_VERSION__ === 'string' ? __CHARLEARN_CORE_VERSION__ : 'dev';

function store(): RegistryStore {
  const g = globalThis as unknown as Record<symbol, RegistryStore | undefined>;
  let s = g[STORE_KEY];
  if (!s) {
    s = { contractVersion: CONTRACT_VERSION, coreVersions: [CORE_VERSION], registries: new Map() };
    Object.defineProperty(g, STORE_KEY, { value: s, enumerable: false, configurable: true, writable: false });
  } else if (s.contractVersion !== CONTRACT_VERSION) {
    throw new ContractVersionError(
      `two copies of @charlearn/core with incompatible plugin contracts are loaded: ` +
        `contract v${s.contractVersion} (core ${s.coreVersions.join(', ')}) and contract v${CONTRACT_VERSION} (core ${CORE_VERSION}). ` +
        `Deduplicate @charlearn/core (npm ls @charlearn/core) so that all packages use one major version.`,
    );
  } else if (!s.coreVersions.includes(CORE_VERSION)) {
    s.coreVersions.push(CORE_VERSION);
  }
  return s;
}

/** Options of {@link Registry.register}. */
export interface RegisterOptions {
  /** Replace an existing plugin of the same name silently (no warning). */
  override?: boolean;
}

/**
 * A named collection of plugins of one kind, shared by every copy of
 * `@charlearn/core` in the process (the store lives on `globalThis` under a
 * `Symbol.for` key).
 *
 * @example
 * ```ts
 * const solvers = createRegistry<SolverPlugin>('solver', validateSolverPlugin);
 * solvers.register(mySolver);
 * solvers.get('my-pkg/rk4');
 * ```
 */
export interface Registry<T extends { readonly name: string }> {
  /** Plugin kind, used in error messages (`'solver'`, `'backend'`, ...). */
  readonly kind: string;
  /** Registers `plugin` under `plugin.name`; warns when the name is taken (unless `override`). */
  register(plugin: T, options?: RegisterOptions): T;
  /** The plugin named `name`; throws {@link UnknownPluginError} listing what exists. */
  get(name: string, parameter?: string): T;
  /** Whether a plugin named `name` is registered. */
  has(name: string): boolean;
  /** Registered names, in registration order. */
  list(): string[];
  /** Removes a plugin; returns whether it existed. */
  unregister(name: string): boolean;
  /** A name, or a plugin object (validated and returned as is). */
  resolve(nameOrPlugin: string | T, parameter?: string): T;
}

/**
 * Creates (or joins) the shared registry for plugins of `kind`.
 * `validate` throws a {@link PluginContractError} when an object is not a valid plugin.
 */
export function createRegistry<T extends { readonly name: string }>(
  kind: string,
  validate: (plugin: unknown, parameter: string) => asserts plugin is T,
): Registry<T> {
  const map = (): Map<string, T> => {
    const s = store();
    let m = s.registries.get(kind);
    if (!m) {
      m = new Map();
      s.registries.set(kind, m);
    }
    return m as Map<string, T>;
  };
  const registry: Registry<T> = {
    kind,
    register(plugin, options = {}) {
      validate(plugin, kind);
      const m = map();
      const existing = m.get(plugin.name);
      if (existing && existing !== plugin && !options.override) {
        console.warn(`[charlearn] a ${kind} named '${plugin.name}' is already registered; the new one replaces it`);
      }
      m.set(plugin.name, plugin);
      return plugin;
    },
    get(name, parameter) {
      if (typeof name !== 'string') {
        throw new PluginContractError(`${parameter ?? kind} must be a ${kind} name (string) or a ${kind} plugin object`, parameter ?? kind);
      }
      const m = map();
      const p = m.get(name);
      if (!p) throw new UnknownPluginError(kind, name, [...m.keys()], parameter ?? kind);
      return p;
    },
    has: (name) => map().has(name),
    list: () => [...map().keys()],
    unregister: (name) => map().delete(name),
    resolve(nameOrPlugin, parameter) {
      if (typeof nameOrPlugin === 'string') return registry.get(nameOrPlugin, parameter);
      validate(nameOrPlugin, parameter ?? kind);
      return nameOrPlugin;
    },
  };
  return registry;
}

/** Which core versions have joined the shared registry store (diagnostics). */
export function loadedCoreVersions(): readonly string[] {
  return [...store().coreVersions];
}

/** Throws a {@link PluginContractError} unless `obj[key]` has type `type`. */
export function requireMember(obj: unknown, key: string, type: 'string' | 'number' | 'function', what: string): void {
  if (typeof obj !== 'object' || obj === null) {
    throw new PluginContractError(`${what} must be an object, got ${obj === null ? 'null' : typeof obj}`, what);
  }
  const v = (obj as Record<string, unknown>)[key];
  if (typeof v !== type) {
    throw new PluginContractError(`${what}.${key} must be a ${type}, got ${typeof v}`, what);
  }
}
