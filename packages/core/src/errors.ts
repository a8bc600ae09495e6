/**
 * Typed errors. Every error charlearn throws for bad input names the
 * offending parameter and what was expected, before any tensor math runs.
 *
 * @example
 * ```ts
 * import { CharlearnError, ShapeError } from '@charlearn/core';
 * try { validateSomething(); } catch (e) {
 *   if (e instanceof ShapeError) console.error(e.parameter, e.message);
 * }
 * ```
 */
export class CharlearnError extends Error {
  /** The parameter (or config key) the error is about, when there is one. */
  readonly parameter: string | undefined;
  constructor(message: string, parameter?: string) {
    super(message);
    this.name = 'CharlearnError';
    this.parameter = parameter;
  }
}

/** A tensor or array has the wrong rank, shape or dtype. */
export class ShapeError extends CharlearnError {
  constructor(message: string, parameter?: string) {
    super(message, parameter);
    this.name = 'ShapeError';
  }
}

/** A number is out of its allowed range, not an integer, or not finite. */
export class ValueRangeError extends CharlearnError {
  constructor(message: string, parameter?: string) {
    super(message, parameter);
    this.name = 'ValueRangeError';
  }
}

/** A value has the wrong type (a string where a number was expected, ...). */
export class TypeMismatchError extends CharlearnError {
  constructor(message: string, parameter?: string) {
    super(message, parameter);
    this.name = 'TypeMismatchError';
  }
}

/** No plugin of that kind is registered under that name. */
export class UnknownPluginError extends CharlearnError {
  /** Plugin kind, e.g. `'solver'`, `'interpolant'`, `'backend'`. */
  readonly kind: string;
  /** The names that are registered. */
  readonly available: readonly string[];
  constructor(kind: string, name: string, available: readonly string[], parameter?: string) {
    super(
      `unknown ${kind} '${name}'${parameter ? ` (parameter '${parameter}')` : ''}; registered ${kind}s: ${
        available.length ? available.map((n) => `'${n}'`).join(', ') : '(none)'
      }`,
      parameter,
    );
    this.name = 'UnknownPluginError';
    this.kind = kind;
    this.available = available;
  }
}

/** An object handed over as a plugin does not satisfy its contract. */
export class PluginContractError extends CharlearnError {
  constructor(message: string, parameter?: string) {
    super(message, parameter);
    this.name = 'PluginContractError';
  }
}

/** Two copies of @charlearn/core with incompatible contract versions met in one process. */
export class ContractVersionError extends CharlearnError {
  constructor(message: string) {
    super(message, undefined);
    this.name = 'ContractVersionError';
  }
}

/** A backend was requested that cannot run here; `reason` says why. */
export class BackendUnavailableError extends CharlearnError {
  readonly backend: string;
  readonly reason: string;
  constructor(backend: string, reason: string) {
    super(`backend '${backend}' is not available: ${reason}`, 'backend');
    this.name = 'BackendUnavailableError';
    this.backend = backend;
    this.reason = reason;
  }
}

/** A NaN or Inf appeared where finite numbers are required (data, a loss, a solver state). */
export class NonFiniteError extends CharlearnError {
  /** The training step or solver step at which it was seen, when known. */
  readonly step: number | undefined;
  constructor(message: string, parameter?: string, step?: number) {
    super(message, parameter);
    this.name = 'NonFiniteError';
    this.step = step;
  }
}

/** A checkpoint or weight file is truncated, corrupt, of another format version, or does not fit the model. */
export class CheckpointError extends CharlearnError {
  /** The file path, when the error is about a file. */
  readonly path: string | undefined;
  constructor(message: string, path?: string, parameter?: string) {
    super(path ? `${message} (${path})` : message, parameter);
    this.name = 'CheckpointError';
    this.path = path;
  }
}

/** A configuration file or object has a missing, unknown or invalid key; `parameter` is its dotted path. */
export class ConfigError extends CharlearnError {
  constructor(message: string, parameter?: string) {
    super(message, parameter);
    this.name = 'ConfigError';
  }
}

/**
 * A data file (a data set on disk, or the package that ships one) is missing,
 * unreadable, truncated, of the wrong format, or inconsistent with its
 * companion file; the message names the path and what was expected there.
 *
 * @example
 * ```ts
 * // DataFileError: /data/train-images-idx3-ubyte.gz: expected IDX magic 0x00000803, got 0x00000801
 * try { await loadFashionMnist({ dir: '/data' }); } catch (e) {
 *   if (e instanceof DataFileError) console.error(e.path, e.message);
 * }
 * ```
 */
export class DataFileError extends CharlearnError {
  /** The file (or package) the error is about, when there is one. */
  readonly path: string | undefined;
  constructor(message: string, path?: string, parameter?: string) {
    super(message, parameter);
    this.name = 'DataFileError';
    this.path = path;
  }
}

/**
 * A plugin package (or file) named by a run could not be imported: not installed, not found from where it was looked
 * up, or it threw while loading. The message names the package, who asked for it (`requestedBy`: a config key, a
 * command-line flag or a checkpoint's record) and what to do.
 *
 * @example
 * ```ts
 * // PluginLoadError: cannot import plugin 'my-solver' (config key 'plugins[0]' in run.yaml): ...
 * ```
 */
export class PluginLoadError extends CharlearnError {
  /** The package name or path as it was asked for. */
  readonly plugin: string;
  /** Who asked for it, e.g. `config key 'plugins[0]' in run.yaml`, `--plugin`, `the checkpoint out/run/generator.ckpt`. */
  readonly requestedBy: string;
  constructor(plugin: string, requestedBy: string, reason: string, parameter?: string) {
    super(`cannot import plugin '${plugin}' (${requestedBy}): ${reason}`, parameter);
    this.name = 'PluginLoadError';
    this.plugin = plugin;
    this.requestedBy = requestedBy;
  }
}
