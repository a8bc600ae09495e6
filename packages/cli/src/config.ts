/**
 * The charlearn run config ({@link RunConfig}), composed from the libraries' schemas: `data` from
 * `@charlearn/data`, `model` from the network-kind registry of `@charlearn/nets` (the section is the schema of
 * `model.kind`), `teacher`, `distill`, `onestep` and one section per registered objective (its `optionsSchema`) from
 * `@charlearn/distill`; only the run's own keys (name, outDir, seed, backend, plugins, eval, ...) are written here.
 * Config files are JSON or YAML; `--set key=value` overrides are dotted keys. Every problem is a `ConfigError`
 * whose `parameter` is the dotted key, with the library's own text.
 *
 * @example
 * ```ts
 * import { loadRunConfig, describeRunConfig } from './config';
 * const cfg = loadRunConfig('run.yaml', { 'teacher.steps': 100 });
 * console.log(cfg.teacher.steps, cfg.distill.losses.dsm);
 * console.log(describeRunConfig());
 * ```
 * @packageDocumentation
 */
import { extname } from 'node:path';
import * as v from 'valibot';
import { parseDocument } from 'yaml';
import { configDepth, MAX_CONFIG_DEPTH } from './config-limits';
import {
  ConfigError,
  configEntries,
  configSection,
  describeConfig,
  integerSchema,
  parseConfig,
  sectionEntries,
  setting,
  showConfigValue as show,
  type ConfigEntry,
} from '@charlearn/core';
import { dataConfigSchema, DEFAULT_PIXEL_RANGE, isImageDataName } from '@charlearn/data';
import { distillConfigSchema, GENERATOR_STARTS, listObjectives, objectives, oneStepConfigSchema, teacherConfigSchema } from '@charlearn/distill';
import { getNetworkKind, listNetworkKinds } from '@charlearn/nets';
import { DEFAULT_WASM_THREADS, MAX_WASM_THREADS } from '@charlearn/backend-wasm';
import { readFileCheckedSync } from './atomic';

function keyLabel(path: string): string {
  return path ? `config key '${path}'` : 'config';
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A config file could not be parsed; `line` / `column` are 1-based. */
export class ConfigParseError extends ConfigError {
  readonly file: string;
  readonly line: number | undefined;
  readonly column: number | undefined;
  constructor(message: string, file: string, line?: number, column?: number) {
    super(message, undefined);
    this.name = 'ConfigParseError';
    this.file = file;
    this.line = line;
    this.column = column;
  }
}

/** Config text formats. */
export type ConfigFormat = 'json' | 'yaml';

function lineColumnAt(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split('\n');
  return { line: lines.length, column: (lines[lines.length - 1]?.length ?? 0) + 1 };
}

/**
 * Parse config text. Errors are {@link ConfigParseError}s with 1-based line and column.
 *
 * @example
 * ```ts
 * parseConfigText('teacher:\n  steps: 10\n', 'yaml'); // { teacher: { steps: 10 } }
 * ```
 */
export function parseConfigText(text: string, format: ConfigFormat, source = '<config>'): unknown {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  if (format === 'json') {
    try {
      return checkedDepth(JSON.parse(body) as unknown, source);
    } catch (e) {
      if (e instanceof ConfigParseError) throw e;
      const msg = e instanceof Error ? e.message : String(e);
      const lc = /line (\d+) column (\d+)/.exec(msg);
      const pos = /position (\d+)/.exec(msg);
      const at = lc
        ? { line: Number(lc[1]), column: Number(lc[2]) }
        : pos
          ? lineColumnAt(body, Number(pos[1]))
          : lineColumnAt(body, body.length);
      const reason = msg.replace(/\s*\(line \d+ column \d+\)/, '').replace(/ in JSON at position \d+/, '');
      throw new ConfigParseError(
        `cannot parse JSON config ${source} at line ${at.line}, column ${at.column}: ${reason}`,
        source,
        at.line,
        at.column,
      );
    }
  }
  const doc = parseDocument(body, { prettyErrors: true, uniqueKeys: true });
  const err = doc.errors[0];
  if (err) {
    const lp = err.linePos?.[0];
    const where = lp ? ` at line ${lp.line}, column ${lp.col}` : '';
    const reason = (err.message.split('\n')[0] ?? err.message).replace(/ at line \d+, column \d+:?$/, '');
    throw new ConfigParseError(`cannot parse YAML config ${source}${where}: ${reason}`, source, lp?.line, lp?.col);
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 }) as unknown;
  } catch (e) {
    // yaml throws a ReferenceError when aliases expand past maxAliasCount (the "billion laughs" document).
    const why = e instanceof Error ? e.message : String(e);
    throw new ConfigParseError(`cannot parse YAML config ${source}: its aliases expand too much (${why}); write the values out instead of nesting aliases`, source);
  }
  return checkedDepth(value, source);
}

/** `value`, or a `ConfigParseError` when it nests deeper than {@link MAX_CONFIG_DEPTH}. */
function checkedDepth(value: unknown, source: string): unknown {
  const depth = configDepth(value, MAX_CONFIG_DEPTH);
  if (depth > MAX_CONFIG_DEPTH) throw new ConfigParseError(`config ${source} nests more than ${MAX_CONFIG_DEPTH} levels deep: a run config is a few levels deep (check the file)`, source);
  return value;
}

/**
 * Read and parse a `.json`, `.yaml` or `.yml` config file (any top-level value).
 *
 * @throws ConfigError for a missing file or an unsupported extension; ConfigParseError for bad syntax
 * @example
 * ```ts
 * const raw = readConfigFile('configs/swiss-roll.yaml');
 * ```
 */
export function readConfigFile(path: string): unknown {
  const ext = extname(path).toLowerCase();
  const format: ConfigFormat | undefined = ext === '.json' ? 'json' : ext === '.yaml' || ext === '.yml' ? 'yaml' : undefined;
  if (!format) {
    throw new ConfigError(`unsupported config file extension '${ext || '(none)'}' (${path}); use .json, .yaml or .yml`, 'config');
  }
  const bytes = readFileCheckedSync(path, 'a config file', { kind: 'config', parameter: 'config' });
  return parseConfigText(new TextDecoder().decode(bytes), format, path);
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'prototype', 'constructor']);

/**
 * Return a copy of `target` with `value` set at the dotted `key`
 * (`'teacher.steps'`), creating intermediate objects; `undefined` deletes the key.
 *
 * @throws ConfigError for an empty segment or when an intermediate value is not an object
 * @example
 * ```ts
 * setDotted({ teacher: { lr: 1 } }, 'teacher.steps', 5); // { teacher: { lr: 1, steps: 5 } }
 * ```
 */
export function setDotted(target: Readonly<Record<string, unknown>>, key: string, value: unknown): Record<string, unknown> {
  const parts = key.split('.');
  if (parts.some((p) => p === '' || FORBIDDEN_KEYS.has(p))) {
    throw new ConfigError(`invalid config key '${key}' (expected dotted names like 'teacher.steps')`, key);
  }
  const root: Record<string, unknown> = { ...target };
  let node = root;
  for (let i = 0; i < parts.length - 1; i++) {
    const p = parts[i]!;
    const child = node[p];
    if (child === undefined || child === null) {
      node[p] = {};
    } else if (isPlainObject(child)) {
      node[p] = { ...child };
    } else {
      const at = parts.slice(0, i + 1).join('.');
      throw new ConfigError(`cannot set '${key}': '${at}' is ${show(child)}, not an object`, at);
    }
    node = node[p] as Record<string, unknown>;
  }
  const last = parts[parts.length - 1]!;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return root;
}

/** The first function or symbol in `value` (found at dotted `path`), with its path. */
function findNonData(value: unknown, path: string, seen: Set<object>): { path: string; value: unknown } | undefined {
  if (typeof value === 'function' || typeof value === 'symbol') return { path, value };
  if (typeof value !== 'object' || value === null || seen.has(value)) return undefined;
  seen.add(value);
  for (const [k, child] of Object.entries(value)) {
    const found = findNonData(child, Array.isArray(value) ? `${path}[${k}]` : path ? `${path}.${k}` : k, seen);
    if (found) return found;
  }
  return undefined;
}

/** A deep copy of a config value found at dotted `path`; one that cannot be copied as data (a function...) → `ConfigError` naming its key. */
function cloneConfigValue(value: unknown, path: string, where: string): unknown {
  try {
    return structuredClone(value);
  } catch (e) {
    const bad = findNonData(value, path, new Set()) ?? { path, value };
    const what = typeof bad.value === 'function' ? 'a function' : typeof bad.value === 'symbol' ? 'a symbol' : show(bad.value);
    const why = e instanceof Error ? e.message : String(e);
    throw new ConfigError(`${keyLabel(bad.path)}: expected plain data (object, array, string, number, boolean or null), got ${what}${where} (${why})`, bad.path);
  }
}

/** A run config's raw sources: the file (if any) and the dotted overrides, merged into one plain object. */
export interface RawConfig {
  /** The file the base config came from, if any. */
  readonly file: string | undefined;
  /** The merged object (file or object, then overrides), deep-copied. */
  readonly merged: Record<string, unknown>;
  readonly overrides: Readonly<Record<string, unknown>>;
}

/**
 * Reads the base config (a file path, an object, or nothing) and applies dotted `overrides` on a deep copy.
 *
 * @throws ConfigError naming the file or key; ConfigParseError for bad syntax
 * @example
 * ```ts
 * mergeConfigSources('run.yaml', { 'teacher.steps': 100 }).merged.teacher; // { ..., steps: 100 }
 * ```
 */
export function mergeConfigSources(
  source: string | Readonly<Record<string, unknown>> | undefined,
  overrides: Readonly<Record<string, unknown>> = {},
): RawConfig {
  const file = typeof source === 'string' ? source : undefined;
  let raw: unknown = file !== undefined ? readConfigFile(file) : (source ?? {});
  if (raw === null || raw === undefined) raw = {};
  if (!isPlainObject(raw)) {
    throw new ConfigError(`config${file ? ` file ${file}` : ''} must be a mapping of keys to values, got ${show(raw)}`, '');
  }
  if (!isPlainObject(overrides)) {
    throw new ConfigError(`'overrides' must be an object of dotted keys to values (e.g. { 'teacher.steps': 100 }), got ${show(overrides)}`, 'overrides');
  }
  let merged = cloneConfigValue(raw, '', file ? ` (in ${file})` : '') as Record<string, unknown>;
  for (const [k, v] of Object.entries(overrides)) merged = setDotted(merged, k, cloneConfigValue(v, k, ` (from overrides['${k}'])`));
  return { file, merged, overrides };
}

/**
 * Runs `parse` on the merged config; a `ConfigError` it throws gets where the bad value came from appended:
 * ` (from --set key=value)` or ` (in run.yaml)` (the library's text itself is kept as it is).
 *
 * @example
 * ```ts
 * import { parseConfig } from '@charlearn/core';
 * import { teacherConfigSchema } from '@charlearn/distill';
 * const raw = mergeConfigSources('run.yaml');
 * const teacher = locateConfigErrors(raw, () => parseConfig(teacherConfigSchema, raw.merged.teacher, 'teacher'));
 * ```
 */
export function locateConfigErrors<T>(raw: RawConfig, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (!(e instanceof ConfigError) || e.parameter === undefined) throw e;
    const param = e.parameter;
    const fromOverride = Object.keys(raw.overrides).find((k) => param === k || param.startsWith(`${k}.`) || param.startsWith(`${k}[`) || k.startsWith(`${param}.`));
    const where = fromOverride !== undefined ? ` (from --set ${fromOverride}=${JSON.stringify(raw.overrides[fromOverride])})` : raw.file ? ` (in ${raw.file})` : '';
    throw new ConfigError(`${e.message}${where}`, param);
  }
}

// ---------------------------------------------------------------------------
// The run config
// ---------------------------------------------------------------------------

/** The most `replicas` a run may ask for. */
export const MAX_GRADIENT_REPLICAS = 16;

const nonEmpty = v.pipe(v.string(), v.minLength(1));

/** The run's own settings (everything the libraries do not build). */
const runEntries = {
  name: setting(v.nullable(nonEmpty), null, 'run name: one folder name under outDir (letters, digits, - _ .); null: derived from target + timestamp'),
  outDir: setting(nonEmpty, 'out', 'directory for runs (checkpoints, plots, logs)'),
  runDir: setting(v.nullable(nonEmpty), null, 'the run folder itself, any path (instead of outDir/name; its last folder is the name)'),
  seed: setting(integerSchema({ min: 0 }), 0, 'random seed'),
  backend: setting(nonEmpty, 'wasm', 'TensorFlow.js backend (any registered name)'),
  threads: setting(
    v.union([v.literal('auto'), integerSchema({ min: 1, max: MAX_WASM_THREADS })]),
    DEFAULT_WASM_THREADS,
    "threads of the wasm backend (1: single-threaded SIMD; 2+: the threaded SIMD binary, docs/threads.md; 'auto': one a core); other backends ignore it",
  ),
  replicas: setting(
    v.union([v.literal('auto'), integerSchema({ min: 1, max: MAX_GRADIENT_REPLICAS })]),
    1,
    "data-parallel work on the wasm backend over worker threads: teacher training (each computes the gradient of one shard of the batch) and charlearn sample (each samples chunks of the rows) (1: one thread; 'auto': one a core, at most 4; docs/threads.md)",
  ),
  rolloutWorker: setting(
    v.boolean(),
    true,
    "distillation from the rollout cache: solve its next chunk on a worker thread while this one trains (the same trajectories bit for bit; used on wasm with threads: 1 and >= 2 cores; false: on this thread)",
  ),
  plugins: setting(v.array(nonEmpty), [], 'packages or paths to import before the config is checked (solvers, objectives, network kinds, backends); paths are relative to the config file'),
  interpolant: setting(nonEmpty, 'follmer', 'interpolant (follmer | linear | cosine | plugin)'),
  method: setting(nonEmpty, 'characteristic', "how 'train' makes the one-step generator: characteristic (teacher, then distill) | a registered objective (drifting, wflow, ...)"),
  eval: configSection({
    samples: setting(integerSchema({ min: 1 }), 2000, 'samples per evaluation'),
    teacherSolvers: setting(v.array(nonEmpty), ['euler', 'heun', 'exp-integrator'], 'teacher solvers to compare'),
    teacherNfe: setting(v.array(integerSchema({ min: 1 })), [1, 2, 5, 10, 20, 100], 'teacher NFE budgets'),
    fewSteps: setting(v.array(integerSchema({ min: 1 })), [1, 2, 4, 8], 'student step counts'),
    neighbours: setting(
      integerSchema({ min: 1 }),
      8,
      "the exact W2's initial candidate edges per point (time only: every value gives the certified optimum; 8 takes about a third less than 24 on the demo, docs/tuning.md)",
    ),
    start: setting(
      v.picklist(GENERATOR_STARTS),
      'prior',
      "how sample/eval start the generator from z: prior (z as is) | reference (the reference code's z - eps0*E[x1]) | noise-step (z + eps0*E[x1])",
    ),
  }),
  checkpointEvery: setting(integerSchema({ min: 0 }), 500, 'steps between checkpoints (0: only at the end)'),
  logEvery: setting(integerSchema({ min: 1 }), 50, 'steps between log lines'),
};

/**
 * The `plugins` of merged config sources (checked like any key), to import before the rest is parsed.
 *
 * @example
 * ```ts
 * configPlugins(mergeConfigSources('run.yaml')); // ['my-solver', './local-plugin.mjs']
 * ```
 */
export function configPlugins(raw: RawConfig): string[] {
  return locateConfigErrors(raw, () => parseConfig(runEntries.plugins, raw.merged.plugins, 'plugins'));
}

/** `model.kind`: any registered network kind (the registry's list, plugins included). */
function modelKindSetting() {
  return setting(v.picklist(listNetworkKinds()), 'mlp', 'network kind: mlp (2-D points) | unet | dit (images) | a plugin kind; the other model.* keys are its settings');
}

/** The `model` section for network kind `kind`: `kind` plus the kind's own settings. */
export function modelSchema(kind: string) {
  const options = getNetworkKind(kind).options;
  return options ? configSection({ kind: modelKindSetting(), ...sectionEntries(options) }) : v.optional(v.looseObject({ kind: modelKindSetting() }), {});
}

/** One section per registered objective (its options schema; without one, any object). The characteristic method is configured by `distill`. */
function objectiveSections(): Record<string, ReturnType<typeof configSection> | v.GenericSchema> {
  const out: Record<string, v.GenericSchema> = {};
  for (const name of listObjectives()) {
    if (name === 'characteristic') continue;
    const plugin = objectives.get(name);
    out[name] = plugin.optionsSchema ?? v.optional(v.record(v.string(), v.unknown()), {});
  }
  return out;
}

/**
 * The whole run config's schema for network kind `kind`, composed from the libraries' schemas and the registries
 * as they are now (load plugins first).
 *
 * @example
 * ```ts
 * parseConfig(runConfigSchema('mlp'), {}, '').model; // { kind: 'mlp', hidden: [256, 256, 256], ... }
 * ```
 */
export function runConfigSchema(kind = 'mlp') {
  return v.strictObject({
    ...runEntries,
    data: dataConfigSchema,
    model: modelSchema(kind),
    teacher: teacherConfigSchema,
    distill: distillConfigSchema,
    onestep: oneStepConfigSchema,
    ...objectiveSections(),
  });
}

/**
 * The top-level keys a run config may have now (the run's own, the libraries' sections, one per registered objective).
 *
 * @example
 * ```ts
 * runConfigKeys().includes('wflow'); // true
 * ```
 */
export function runConfigKeys(): string[] {
  return Object.keys(runConfigSchema('mlp').entries);
}

type RunSchemaOutput = v.InferOutput<ReturnType<typeof runConfigSchema>>;

/** The `model` section: `kind` and that kind's settings (see `@charlearn/nets`' kind schemas). */
export type ModelConfig = { kind: string } & Record<string, unknown>;

/**
 * The validated charlearn run configuration (all defaults filled in). Its type comes from the same schemas:
 * `teacher`, `distill`, `onestep` are `@charlearn/distill`'s, `data` is `@charlearn/data`'s; each objective's
 * options sit under its name (`config.wflow`, `config['my-pkg/objective']`).
 *
 * @example
 * ```ts
 * const cfg: RunConfig = defaultRunConfig();
 * cfg.teacher.steps; // 4000
 * ```
 */
export type RunConfig = Omit<RunSchemaOutput, 'model'> & { model: ModelConfig } & { readonly [objective: string]: unknown };

/** The raw `model.kind` of a merged config, checked against the registry (default `'mlp'`). */
function modelKindOf(raw: RawConfig): string {
  const model = raw.merged.model;
  const kind = isPlainObject(model) ? model.kind : undefined;
  return locateConfigErrors(raw, () => parseConfig(modelKindSetting(), kind, 'model.kind'));
}

/**
 * Load, default-fill and validate a run config from a file path (`.json`, `.yaml`, `.yml`), an object, or nothing
 * (all defaults), then apply dotted overrides such as `{ 'teacher.steps': 100 }` (validated like file values).
 * Plugins a config names must be imported first (see `loadRunPlugins`), so their kinds and options are known.
 *
 * @throws ConfigError naming the dotted key for every problem; ConfigParseError for bad syntax
 * @example
 * ```ts
 * const cfg = loadRunConfig('run.yaml', { 'teacher.steps': 100, backend: 'cpu' });
 * const quick = loadRunConfig({ data: { target: 'gmm' } });
 * ```
 */
export function loadRunConfig(
  pathOrObject?: string | Readonly<Record<string, unknown>>,
  overrides: Readonly<Record<string, unknown>> = {},
): RunConfig {
  return parseRunConfig(mergeConfigSources(pathOrObject, overrides));
}

/**
 * Validates merged config sources ({@link mergeConfigSources}) into a {@link RunConfig}.
 *
 * @example
 * ```ts
 * const config = parseRunConfig(mergeConfigSources('run.yaml'));
 * ```
 */
export function parseRunConfig(raw: RawConfig): RunConfig {
  const kind = modelKindOf(raw);
  const config = locateConfigErrors(raw, () => parseConfig(runConfigSchema(kind), raw.merged, '')) as unknown as RunConfig;
  checkDataAndModel(config);
  return config;
}

/**
 * Checks the keys that depend on each other, with a `ConfigError` naming the key and what to set:
 * `model.kind` `mlp` trains points, `unet` and `dit` train image data; `data.dir` applies to Fashion-MNIST
 * only and `data.limit` / `data.flip` to image data sets only (a value that would be ignored is an error); image
 * runs need `data.limit` and `eval.samples` of at least 2 (the FD fits a covariance).
 *
 * @example
 * ```ts
 * checkDataAndModel(loadRunConfig({ data: { target: 'mnist' }, model: { kind: 'unet' } })); // ok
 * ```
 */
export function checkDataAndModel(config: Pick<RunConfig, 'data' | 'model' | 'eval'>): void {
  const { data, model } = config;
  const images = data.file === null && isImageDataName(data.target);
  const kind = model.kind;
  const source = data.file !== null ? `data.file '${data.file}'` : `data.target '${data.target}'`;
  if (images && kind === 'mlp') {
    throw new ConfigError(
      `model.kind 'mlp' trains 2-D targets, but data.target '${data.target}' is an image data set: set model.kind to 'unet' or 'dit' (or start from --preset ${data.target})`,
      'model.kind',
    );
  }
  if (data.file === null && !images && (kind === 'unet' || kind === 'dit')) {
    throw new ConfigError(`model.kind '${kind}' is an image network, but ${source} is a 2-D target: set model.kind to 'mlp', or data.target to an image data set (mnist, fashion-mnist)`, 'model.kind');
  }
  if (data.dir !== null && (data.file !== null || data.target !== 'fashion-mnist')) {
    throw new ConfigError(`data.dir is the folder of Fashion-MNIST's IDX files; ${source} reads no folder (set data.dir to null)`, 'data.dir');
  }
  const unitsGiven = data.sigmaData !== null || data.pixelRange[0] !== DEFAULT_PIXEL_RANGE[0] || data.pixelRange[1] !== DEFAULT_PIXEL_RANGE[1];
  // a data.file may hold images: whether its units apply is known once it is read (run-data.ts)
  if (!images && (data.limit !== null || data.flip || (unitsGiven && data.file === null))) {
    const key = data.limit !== null ? 'data.limit' : data.flip ? 'data.flip' : data.sigmaData !== null ? 'data.sigmaData' : 'data.pixelRange';
    throw new ConfigError(`${key} applies to the image data sets; ${source} is not one (remove ${key})`, key);
  }
  if (images && data.limit !== null && data.limit < 2) {
    throw new ConfigError(`data.limit: an image run needs at least 2 training images, got ${data.limit}`, 'data.limit');
  }
  if (images && config.eval.samples < 2) {
    throw new ConfigError(`eval.samples: the feature-net FD fits a covariance and needs at least 2 images, got ${config.eval.samples}`, 'eval.samples');
  }
}

/**
 * A fresh copy of the default run config.
 *
 * @example
 * ```ts
 * defaultRunConfig().distill.losses; // { fit: 1, semigroup: 0.1, ctm: 0, dsm: 0 }
 * ```
 */
export function defaultRunConfig(): RunConfig {
  return loadRunConfig({});
}

/**
 * Every run-config key with its type, default and doc: the run's own keys, then `data`, `model` once per registered
 * network kind (`kind` names it), the trainers' sections and each objective's. Each (kind, key) appears once.
 *
 * @example
 * ```ts
 * runConfigEntries().find((e) => e.key === 'teacher.steps')?.default; // '4000'
 * ```
 */
export function runConfigEntries(): (ConfigEntry & { readonly kind?: string })[] {
  const rows: (ConfigEntry & { kind?: string })[] = [];
  const base = v.strictObject({ ...runEntries, data: dataConfigSchema, model: configSection({ kind: modelKindSetting() }) });
  rows.push(...configEntries(base));
  for (const kind of listNetworkKinds()) {
    const options = getNetworkKind(kind).options;
    if (!options) continue;
    for (const row of configEntries(options, 'model')) {
      rows.push({ ...row, kind, doc: row.doc?.startsWith(`${kind}:`) ? row.doc : `${kind}: ${row.doc ?? ''}` });
    }
  }
  rows.push(...configEntries(teacherConfigSchema, 'teacher'), ...configEntries(distillConfigSchema, 'distill'), ...configEntries(oneStepConfigSchema, 'onestep'));
  for (const [name, schema] of Object.entries(objectiveSections())) rows.push(...configEntries(schema, name).filter((r) => r.key !== name));
  return rows;
}

/**
 * A text listing of every run-config key with its default, type and doc (for `charlearn help`).
 *
 * @example
 * ```ts
 * console.log(describeRunConfig());
 * //   teacher.steps   4000   integer >= 1 - training steps
 * ```
 */
export function describeRunConfig(): string {
  return describeConfig(runConfigEntries());
}

/**
 * The run name: `config.name`, or `<target>-<YYYYMMDD-HHMMSS>` (UTC) when it is `null`.
 *
 * @example
 * ```ts
 * resolveRunName(defaultRunConfig(), new Date('2025-01-02T03:04:05Z')); // 'swiss-roll-20250102-030405'
 * ```
 */
export function resolveRunName(config: Pick<RunConfig, 'name' | 'data'>, now: Date = new Date()): string {
  if (config.name) return config.name;
  const p = (n: number): string => String(n).padStart(2, '0');
  const stamp = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-${p(now.getUTCHours())}${p(
    now.getUTCMinutes(),
  )}${p(now.getUTCSeconds())}`;
  return `${config.data.target}-${stamp}`;
}
