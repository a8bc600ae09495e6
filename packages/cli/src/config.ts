/**
 * Configuration: a small declarative schema helper (validation + defaults +
 * inferred TypeScript types), config-file loading (JSON / YAML) with precise
 * errors, and the charlearn run config ({@link RunConfig}).
 *
 * Every problem is a `ConfigError` whose `parameter` is the dotted key path
 * (`teacher.lr`, `eval.teacherNfe[2]`).
 *
 * @example
 * ```ts
 * import { loadRunConfig, describeConfigSchema } from './config';
 * const cfg = loadRunConfig('run.yaml', { 'teacher.steps': 100 });
 * console.log(cfg.teacher.steps, cfg.distill.losses.dsm);
 * console.log(describeConfigSchema());
 * ```
 * @packageDocumentation
 */
import { extname } from 'node:path';
import { parseDocument } from 'yaml';
import { configDepth, MAX_CONFIG_DEPTH } from './config-limits';
import { ConfigError } from '@charlearn/core';
import { GENERATOR_STARTS, type GeneratorStart, type TeacherConfig, type TrainingConfig } from '@charlearn/distill';
import { readFileCheckedSync } from './atomic';

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/**
 * Levenshtein edit distance (case-insensitive).
 *
 * @example
 * ```ts
 * editDistance('stpes', 'steps'); // 2
 * ```
 */
export function editDistance(a: string, b: string): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * The candidate closest to `name` by edit distance, if it is close enough to be
 * a plausible typo (distance ≤ max(2, ⌊length/3⌋), or one is a prefix of the other).
 *
 * @example
 * ```ts
 * closestMatch('batchsize', ['steps', 'batchSize']); // 'batchSize'
 * closestMatch('zzz', ['steps']);                    // undefined
 * ```
 */
export function closestMatch(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(name, c);
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  if (best === undefined) return undefined;
  const lname = name.toLowerCase();
  const lbest = best.toLowerCase();
  const prefix = lname.length >= 3 && (lbest.startsWith(lname) || lname.startsWith(lbest));
  return bestD <= Math.max(2, Math.floor(name.length / 3)) || prefix ? best : undefined;
}

/** A short, quoted rendering of a config value for error messages. */
function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return `${JSON.stringify(value)} (string)`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  let s: string;
  try {
    s = JSON.stringify(value) ?? String(value);
  } catch {
    s = String(value);
  }
  if (s.length > 60) s = `${s.slice(0, 57)}...`;
  return `${s} (${Array.isArray(value) ? 'array' : typeof value})`;
}

function keyLabel(path: string): string {
  return path ? `config key '${path}'` : 'config';
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// ---------------------------------------------------------------------------
// Schema helper
// ---------------------------------------------------------------------------

/**
 * A validator for one config value. `parse` checks `value` (found at dotted
 * `path`), fills defaults and returns the typed result, or throws `ConfigError`.
 */
export interface Schema<T> {
  /** Type as shown in errors and `--help`, e.g. `integer >= 1`. */
  readonly type: string;
  /** One-line description for `--help`. */
  readonly doc: string | undefined;
  /** Whether a missing value is allowed (it then takes {@link Schema.defaultValue}). */
  readonly hasDefault: boolean;
  /** The value used when the key is missing (only meaningful with `hasDefault`). */
  readonly defaultValue: T | undefined;
  /** For object schemas: the field schemas. */
  readonly fields: Readonly<Record<string, Schema<unknown>>> | undefined;
  parse(value: unknown, path: string): T;
}

/** The TypeScript type a schema produces. */
export type Infer<S> = S extends Schema<infer T> ? T : never;

/** A record of field schemas, the argument of {@link object}. */
export type Shape = Readonly<Record<string, Schema<unknown>>>;

/** The parsed type of an object {@link Shape}. */
export type InferShape<S extends Shape> = { -readonly [K in keyof S]: Infer<S[K]> };

/** Options every schema builder takes. */
export interface BaseOptions {
  /** One-line description shown by {@link describeSchema}. */
  doc?: string;
}

function leaf<T>(type: string, doc: string | undefined, check: (v: unknown, path: string) => T): Schema<T> {
  return {
    type,
    doc,
    hasDefault: false,
    defaultValue: undefined,
    fields: undefined,
    parse(value, path) {
      if (value === undefined) throw new ConfigError(`${keyLabel(path)} is required (expected ${type})`, path);
      return check(value, path);
    },
  };
}

function mismatch(path: string, type: string, value: unknown): ConfigError {
  return new ConfigError(`${keyLabel(path)}: expected ${type}, got ${show(value)}`, path);
}

/** Bounds of {@link number} and {@link int}. */
export interface NumberOptions extends BaseOptions {
  /** Inclusive lower bound. */
  min?: number;
  /** Inclusive upper bound. */
  max?: number;
  /** Exclusive lower bound (value must be greater). */
  exclusiveMin?: number;
  /** Exclusive upper bound (value must be smaller). */
  exclusiveMax?: number;
}

function rangeText(o: NumberOptions): string {
  const lo = o.exclusiveMin !== undefined ? { v: o.exclusiveMin, open: true } : o.min !== undefined ? { v: o.min, open: false } : undefined;
  const hi = o.exclusiveMax !== undefined ? { v: o.exclusiveMax, open: true } : o.max !== undefined ? { v: o.max, open: false } : undefined;
  if (lo && hi) return ` in ${lo.open ? '(' : '['}${lo.v}, ${hi.v}${hi.open ? ')' : ']'}`;
  if (lo) return ` ${lo.open ? '>' : '>='} ${lo.v}`;
  if (hi) return ` ${hi.open ? '<' : '<='} ${hi.v}`;
  return '';
}

function inRange(v: number, o: NumberOptions): boolean {
  return (
    (o.min === undefined || v >= o.min) &&
    (o.max === undefined || v <= o.max) &&
    (o.exclusiveMin === undefined || v > o.exclusiveMin) &&
    (o.exclusiveMax === undefined || v < o.exclusiveMax)
  );
}

/**
 * A finite number, optionally bounded.
 *
 * @example
 * ```ts
 * const lr = number({ exclusiveMin: 0 });        // type 'number > 0'
 * const ema = number({ min: 0, exclusiveMax: 1 }); // type 'number in [0, 1)'
 * ```
 */
export function number(options: NumberOptions = {}): Schema<number> {
  const type = `number${rangeText(options)}`;
  return leaf(type, options.doc, (v, path) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || !inRange(v, options)) throw mismatch(path, type, v);
    return v;
  });
}

/**
 * An integer, optionally bounded.
 *
 * @example
 * ```ts
 * const steps = int({ min: 1 }); // type 'integer >= 1'
 * ```
 */
export function int(options: NumberOptions = {}): Schema<number> {
  const type = `integer${rangeText(options)}`;
  return leaf(type, options.doc, (v, path) => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || !inRange(v, options)) throw mismatch(path, type, v);
    return v;
  });
}

/** Options of {@link string}. */
export interface StringOptions extends BaseOptions {
  /** The allowed values. */
  oneOf?: readonly string[];
  /** Minimum length (default 0). */
  minLength?: number;
}

/**
 * A string; with `oneOf`, one of the listed literals (and typed as their union).
 *
 * @example
 * ```ts
 * const act = string({ oneOf: ['silu', 'relu'] }); // Schema<'silu' | 'relu'>
 * const name = string({ minLength: 1 });           // Schema<string>
 * ```
 */
export function string<const O extends readonly string[]>(options: StringOptions & { oneOf: O }): Schema<O[number]>;
export function string(options?: StringOptions): Schema<string>;
export function string(options: StringOptions = {}): Schema<string> {
  const oneOf = options.oneOf;
  const minLength = options.minLength ?? 0;
  const type = oneOf
    ? oneOf.map((o) => `'${o}'`).join(' | ')
    : minLength > 0
      ? `string (non-empty)`
      : 'string';
  return leaf(type, options.doc, (v, path) => {
    if (typeof v !== 'string' || v.length < minLength) throw mismatch(path, type, v);
    if (oneOf && !oneOf.includes(v)) {
      const near = closestMatch(v, oneOf);
      throw new ConfigError(
        `${keyLabel(path)}: expected one of ${oneOf.map((o) => `'${o}'`).join(', ')}, got ${show(v)}${
          near ? `; did you mean '${near}'?` : ''
        }`,
        path,
      );
    }
    return v;
  });
}

/**
 * `true` or `false`.
 *
 * @example
 * ```ts
 * const resume = optional(boolean(), false);
 * ```
 */
export function boolean(options: BaseOptions = {}): Schema<boolean> {
  return leaf('boolean', options.doc, (v, path) => {
    if (typeof v !== 'boolean') throw mismatch(path, 'boolean', v);
    return v;
  });
}

/** Options of {@link array}. */
export interface ArrayOptions extends BaseOptions {
  /** Minimum number of items (default 0). */
  minLength?: number;
}

/**
 * An array whose items all match `of`; items are reported as `path[i]`.
 *
 * @example
 * ```ts
 * const hidden = array(int({ min: 1 }), { minLength: 1 }); // Schema<number[]>
 * ```
 */
export function array<T>(of: Schema<T>, options: ArrayOptions = {}): Schema<T[]> {
  const minLength = options.minLength ?? 0;
  const type = `array of ${of.type}${minLength > 0 ? ` (at least ${minLength})` : ''}`;
  return leaf(type, options.doc, (v, path) => {
    if (!Array.isArray(v)) throw mismatch(path, type, v);
    if (v.length < minLength) {
      throw new ConfigError(`${keyLabel(path)}: expected at least ${minLength} item(s), got ${show(v)}`, path);
    }
    return v.map((item, i) => of.parse(item, `${path}[${i}]`));
  });
}

/**
 * Makes `schema` optional: a missing key takes a (deep) copy of `defaultValue`.
 *
 * @example
 * ```ts
 * const steps = optional(int({ min: 1 }), 4000);
 * steps.parse(undefined, 'teacher.steps'); // 4000
 * ```
 */
export function optional<T>(schema: Schema<T>, defaultValue: T): Schema<T> {
  return {
    ...schema,
    hasDefault: true,
    defaultValue,
    parse(value, path) {
      return value === undefined ? structuredClone(defaultValue) : schema.parse(value, path);
    },
  };
}

/**
 * `schema` or `null`.
 *
 * @example
 * ```ts
 * const name = optional(nullable(string()), null); // Schema<string | null>
 * ```
 */
export function nullable<T>(schema: Schema<T>): Schema<T | null> {
  const type = `${schema.type} | null`;
  return {
    ...schema,
    type,
    defaultValue: schema.defaultValue,
    parse(value, path) {
      if (value === null) return null;
      if (value === undefined && !schema.hasDefault) throw new ConfigError(`${keyLabel(path)} is required (expected ${type})`, path);
      try {
        return schema.parse(value, path);
      } catch (e) {
        if (e instanceof ConfigError && e.parameter === path) throw mismatch(path, type, value);
        throw e;
      }
    },
  };
}

/**
 * The first of `schemas` that accepts the value.
 *
 * @example
 * ```ts
 * const dsm = union(string({ oneOf: ['adaptive'] }), number({ min: 0 })); // Schema<'adaptive' | number>
 * ```
 */
export function union<const S extends readonly Schema<unknown>[]>(...schemas: S): Schema<Infer<S[number]>> {
  const type = schemas.map((s) => s.type).join(' | ');
  return leaf(type, undefined, (v, path) => {
    for (const s of schemas) {
      try {
        return s.parse(v, path) as Infer<S[number]>;
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
      }
    }
    throw mismatch(path, type, v);
  });
}

/** Options of {@link object}. */
export interface ObjectOptions extends BaseOptions {
  /** Accept keys that are not in the shape (kept as they are; default false: unknown keys are errors). */
  allowUnknown?: boolean;
}

/**
 * An object with the given fields. Unknown keys are errors (naming the
 * closest known key); missing keys take their defaults. When every field has
 * a default, the object itself may be missing (or `null`) and is filled entirely.
 *
 * @example
 * ```ts
 * const teacher = object({ steps: optional(int({ min: 1 }), 4000), lr: optional(number({ exclusiveMin: 0 }), 1e-3) });
 * teacher.parse({ steps: 10 }, 'teacher'); // { steps: 10, lr: 0.001 }
 * type Teacher = Infer<typeof teacher>;   // { steps: number; lr: number }
 * ```
 */
export function object<S extends Shape>(shape: S, options: ObjectOptions = {}): Schema<InferShape<S>> {
  const keys = Object.keys(shape);
  const allDefault = keys.every((k) => shape[k]!.hasDefault);
  const parse = (value: unknown, path: string): InferShape<S> => {
    if (value === undefined && !allDefault) {
      throw new ConfigError(`${keyLabel(path)} is required (expected object)`, path);
    }
    const src: unknown = value === undefined || value === null ? {} : value;
    if (!isPlainObject(src)) throw mismatch(path, 'object', value);
    const join = (k: string): string => (path ? `${path}.${k}` : k);
    if (!options.allowUnknown) {
      for (const k of Object.keys(src)) {
        if (Object.prototype.hasOwnProperty.call(shape, k)) continue;
        const near = closestMatch(k, keys);
        throw new ConfigError(
          `unknown ${keyLabel(join(k))}${near ? `; did you mean '${join(near)}'?` : ''} (${
            path ? `keys of '${path}'` : 'top-level keys'
          }: ${keys.join(', ')})`,
          join(k),
        );
      }
    }
    const out: Record<string, unknown> = options.allowUnknown ? { ...src } : {};
    for (const k of keys) out[k] = shape[k]!.parse(src[k], join(k));
    return out as InferShape<S>;
  };
  const defaultValue = allDefault ? parse({}, '') : undefined;
  return { type: 'object', doc: options.doc, hasDefault: allDefault, defaultValue, fields: shape, parse };
}

/** The schema builders as one namespace: `schema.object({...})`, `schema.int({ min: 1 })`, .... */
export const schema = { object, int, number, string, array, boolean, optional, nullable, union } as const;

/** One row of {@link describeSchema}. */
export interface SchemaEntry {
  /** Dotted key path. */
  key: string;
  type: string;
  /** The default, JSON-encoded; `undefined` when the key is required. */
  default: string | undefined;
  doc: string | undefined;
}

/**
 * Flatten an object schema into one entry per leaf key.
 *
 * @example
 * ```ts
 * schemaEntries(runConfigSchema).find((e) => e.key === 'teacher.steps');
 * // { key: 'teacher.steps', type: 'integer >= 1', default: '4000', doc: ... }
 * ```
 */
export function schemaEntries(s: Schema<unknown>, prefix = ''): SchemaEntry[] {
  if (s.fields) {
    return Object.entries(s.fields).flatMap(([k, f]) => schemaEntries(f, prefix ? `${prefix}.${k}` : k));
  }
  return [
    {
      key: prefix,
      type: s.type,
      default: s.hasDefault ? JSON.stringify(s.defaultValue) : undefined,
      doc: s.doc,
    },
  ];
}

/**
 * A text table of an object schema's keys, defaults, types and docs (for `--help`),
 * one key per line: `key  default  type - doc` (`required` where there is no default).
 *
 * @example
 * ```ts
 * console.log(describeSchema(runConfigSchema));
 * ```
 */
export function describeSchema(s: Schema<unknown>): string {
  const rows = schemaEntries(s);
  const kw = Math.max(...rows.map((r) => r.key.length));
  const dw = Math.max(...rows.map((r) => (r.default ?? 'required').length));
  return rows
    .map((r) => `  ${r.key.padEnd(kw)}  ${(r.default ?? 'required').padEnd(dw)}  ${r.type}${r.doc ? ` - ${r.doc}` : ''}`)
    .join('\n');
}

// ---------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------

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

/**
 * Validate `raw` against an object schema after applying dotted `overrides`;
 * errors caused by an override or coming from a file say so.
 *
 * @example
 * ```ts
 * const cfg = loadConfig(runConfigSchema, 'run.yaml', { 'teacher.steps': 100 });
 * ```
 */
export function loadConfig<T>(
  s: Schema<T>,
  source: string | Readonly<Record<string, unknown>> | undefined,
  overrides: Readonly<Record<string, unknown>> = {},
): T {
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
  try {
    return s.parse(merged, '');
  } catch (e) {
    if (!(e instanceof ConfigError) || e.parameter === undefined) throw e;
    const param = e.parameter;
    const fromOverride = Object.keys(overrides).find(
      (k) => param === k || param.startsWith(`${k}.`) || param.startsWith(`${k}[`),
    );
    const where = fromOverride !== undefined
      ? ` (from --set ${fromOverride}=${JSON.stringify(overrides[fromOverride])})`
      : file
        ? ` (in ${file})`
        : '';
    throw new ConfigError(`${e.message}${where}`, param);
  }
}

// ---------------------------------------------------------------------------
// The run config
// ---------------------------------------------------------------------------

/** Built-in 2-D target distributions (trained with `model.kind: mlp`). */
export const DATA_TARGETS = ['swiss-roll', '8gaussians', 'checkerboard', 'two-moons', 'gmm'] as const;
/** Built-in image data sets (trained with `model.kind: unet | dit`, evaluated by the feature-net FD). */
export const IMAGE_DATA = ['mnist', 'fashion-mnist'] as const;
/** Every value `data.target` takes. */
export const DATA_NAMES = [...DATA_TARGETS, ...IMAGE_DATA] as const;
/** The network families of `model.kind`. */
export const MODEL_KINDS = ['mlp', 'unet', 'dit'] as const;

/**
 * Whether `target` names an image data set ({@link IMAGE_DATA}) rather than a 2-D target.
 *
 * @example
 * ```ts
 * isImageData('mnist');      // true
 * isImageData('swiss-roll'); // false
 * ```
 */
export function isImageData(target: string): target is (typeof IMAGE_DATA)[number] {
  return (IMAGE_DATA as readonly string[]).includes(target);
}
/** Activation functions of the MLP. */
export const ACTIVATIONS = ['silu', 'relu', 'tanh', 'gelu'] as const;

const lr = (d: number): Schema<number> => optional(number({ exclusiveMin: 0, doc: 'peak learning rate (Adam)' }), d);
const eps = (d: number, end: string): Schema<number> =>
  optional(number({ min: 0, exclusiveMax: 0.5, doc: `time-interval cut at t=${end}` }), d);

/** The schema of {@link RunConfig}. */
export const runConfigSchema = object({
  name: optional(nullable(string({ minLength: 1, doc: 'run name: one folder name under outDir (letters, digits, - _ .); null: derived from target + timestamp' })), null),
  outDir: optional(string({ minLength: 1, doc: 'directory for runs (checkpoints, plots, logs)' }), 'out'),
  runDir: optional(nullable(string({ minLength: 1, doc: 'the run folder itself, any path (instead of outDir/name; its last folder is the name)' })), null),
  seed: optional(int({ min: 0, doc: 'random seed' }), 0),
  backend: optional(string({ minLength: 1, doc: 'TensorFlow.js backend (any registered name)' }), 'wasm'),
  data: object({
    target: optional(string({ oneOf: DATA_NAMES, doc: 'target: a 2-D distribution, or an image data set (mnist | fashion-mnist)' }), 'swiss-roll'),
    dir: optional(nullable(string({ minLength: 1, doc: "images: folder of the data set's files (fashion-mnist IDX); null: /usr/share/datasets/fashion-mnist" })), null),
    limit: optional(nullable(int({ min: 1, doc: 'images: train on the first `limit` training images; null: all' })), null),
    flip: optional(boolean({ doc: 'images: flip training draws left-right with probability 1/2' }), false),
  }),
  interpolant: optional(string({ minLength: 1, doc: 'interpolant (follmer | linear | cosine | plugin)' }), 'follmer'),
  model: object({
    kind: optional(string({ oneOf: MODEL_KINDS, doc: 'network: mlp (2-D targets) | unet | dit (image data)' }), 'mlp'),
    hidden: optional(array(int({ min: 1 }), { minLength: 1, doc: 'mlp: hidden layer widths' }), [256, 256, 256]),
    activation: optional(string({ oneOf: ACTIVATIONS, doc: 'mlp: hidden activation' }), 'silu'),
    timeEmbeddingDim: optional(int({ min: 1, doc: 'mlp: time embedding size' }), 64),
    unet: object({
      channels: optional(int({ min: 1, doc: 'unet: base channels' }), 16),
      channelMult: optional(array(int({ min: 1 }), { minLength: 1, doc: 'unet: channel multiplier per resolution level' }), [1, 2, 2]),
      numResBlocks: optional(int({ min: 1, doc: 'unet: residual blocks per level' }), 1),
      attentionResolutions: optional(array(int({ min: 1 }), { doc: 'unet: feature-map sizes with self-attention (28x28 input: 28, 14, 7)' }), [7]),
      heads: optional(int({ min: 1, doc: 'unet: attention heads' }), 1),
      dropout: optional(number({ min: 0, exclusiveMax: 1, doc: 'unet: dropout in the residual blocks' }), 0),
      timeEmbeddingDim: optional(nullable(int({ min: 2, doc: "unet: sinusoidal time embedding size (even); null: the network's default" })), null),
    }),
    dit: object({
      patchSize: optional(int({ min: 1, doc: 'dit: patch side (divides the image size)' }), 4),
      hidden: optional(int({ min: 4, doc: 'dit: token width (divisible by heads and by 4)' }), 128),
      depth: optional(int({ min: 1, doc: 'dit: transformer blocks' }), 4),
      heads: optional(int({ min: 1, doc: 'dit: attention heads' }), 4),
      mlpRatio: optional(number({ exclusiveMin: 0, doc: 'dit: MLP width over token width' }), 4),
      timeEmbeddingDim: optional(nullable(int({ min: 2, doc: "dit: sinusoidal time embedding size (even); null: the network's default" })), null),
    }),
  }),
  teacher: object({
    steps: optional(int({ min: 1, doc: 'training steps' }), 4000),
    batchSize: optional(int({ min: 1, doc: 'batch size' }), 512),
    lr: lr(0.001),
    warmupSteps: optional(int({ min: 0, doc: 'linear learning-rate warm-up steps' }), 500),
    gradClip: optional(number({ exclusiveMin: 0, doc: 'global gradient-norm clip' }), 1.0),
    ema: optional(number({ min: 0, exclusiveMax: 1, doc: 'EMA decay of the weights' }), 0.999),
    eps0: eps(1e-5, '0'),
    eps1: eps(1e-5, '1'),
  }),
  distill: object({
    steps: optional(int({ min: 1, doc: 'training steps' }), 2000),
    batchSize: optional(int({ min: 1, doc: 'batch size' }), 256),
    lr: lr(0.001),
    warmupSteps: optional(int({ min: 0, doc: 'linear learning-rate warm-up steps' }), 200),
    gradClip: optional(number({ exclusiveMin: 0, doc: 'global gradient-norm clip' }), 1.0),
    ema: optional(number({ min: 0, exclusiveMax: 1, doc: 'EMA decay of the weights' }), 0.999),
    gridSize: optional(int({ min: 2, doc: 'time-grid points for teacher targets (t = 1 is appended)' }), 20),
    gridSpacing: optional(string({ oneOf: ['karras', 'uniform'] as const, doc: "grid spacing: 'karras' (rho on 1 - t) or 'uniform' (public code)" }), 'karras'),
    rho: optional(number({ exclusiveMin: 0, doc: 'rho of the Karras grid' }), 3),
    eps0: eps(0.001, '0'),
    eps1: eps(0.001, '1'),
    teacherSolver: optional(string({ minLength: 1, doc: 'solver producing teacher targets (registry name)' }), 'exp-integrator-edm'),
    pairGroups: optional(int({ min: 1, doc: 'time-pair groups per batch' }), 4),
    losses: object({
      fit: optional(number({ min: 0, doc: 'weight of the teacher-fit loss' }), 1.0),
      semigroup: optional(number({ min: 0, doc: 'weight of the semigroup loss' }), 0.1),
      ctm: optional(number({ min: 0, doc: 'weight of the CTM loss' }), 0.0),
      dsm: optional(
        { ...union(string({ oneOf: ['adaptive'] }), number({ min: 0 })), doc: "weight of the DSM loss, or 'adaptive'" },
        0,
      ),
    }),
  }),
  method: optional(
    string({ minLength: 1, doc: "how 'train' makes the one-step generator: characteristic (teacher, then distill) | drifting | drifting-conservative | wflow | a registered objective" }),
    'characteristic',
  ),
  onestep: object({
    steps: optional(int({ min: 1, doc: 'teacher-free methods: generator updates' }), 2000),
    batchSize: optional(int({ min: 2, doc: 'teacher-free methods: batch (data and generated points per update)' }), 1024),
    lr: lr(0.001),
    warmupSteps: optional(int({ min: 0, doc: 'linear learning-rate warm-up steps' }), 100),
    gradClip: optional(number({ exclusiveMin: 0, doc: 'global gradient-norm clip' }), 1.0),
    ema: optional(number({ min: 0, exclusiveMax: 1, doc: 'EMA decay of the weights (the sampler uses the EMA)' }), 0.999),
  }),
  drifting: object({
    temperatures: optional(array(number({ exclusiveMin: 0 }), { minLength: 1, doc: 'Laplace temperatures, as fractions of scale' }), [0.02, 0.05, 0.2]),
    scale: optional(nullable(number({ exclusiveMin: 0, doc: 'length unit of the temperatures; null: sqrt(2D) (2 in 2-D)' })), null),
  }),
  'drifting-conservative': object({
    bandwidth: optional(
      { ...union(string({ oneOf: ['median'] }), number({ exclusiveMin: 0 })), doc: "Gaussian bandwidth h, or 'median' (median heuristic every step)" },
      'median',
    ),
    bandwidthScale: optional(number({ exclusiveMin: 0, doc: 'multiplies the bandwidth' }), 1),
  }),
  wflow: object({
    epsilon: optional(number({ exclusiveMin: 0, doc: 'entropic epsilon (squared-distance units)' }), 0.05),
    tol: optional(number({ exclusiveMin: 0, doc: 'Sinkhorn marginal tolerance' }), 1e-3),
    maxIter: optional(int({ min: 1, doc: 'Sinkhorn iterations per plan, at most' }), 200),
    eta: optional(number({ exclusiveMin: 0, doc: 'step of the target G(z) + eta v' }), 1),
  }),
  eval: object({
    samples: optional(int({ min: 1, doc: 'samples per evaluation' }), 2000),
    teacherSolvers: optional(array(string({ minLength: 1 }), { doc: 'teacher solvers to compare' }), [
      'euler',
      'heun',
      'exp-integrator',
    ]),
    teacherNfe: optional(array(int({ min: 1 }), { doc: 'teacher NFE budgets' }), [1, 2, 5, 10, 20, 100]),
    fewSteps: optional(array(int({ min: 1 }), { doc: 'student step counts' }), [1, 2, 4, 8]),
    start: optional(
      string({ oneOf: GENERATOR_STARTS, doc: "how sample/eval start the generator from z: prior (z as is) | reference (the reference code's z - eps0*E[x1]) | noise-step (z + eps0*E[x1])" }),
      'prior',
    ),
  }),
  checkpointEvery: optional(int({ min: 0, doc: 'steps between checkpoints (0: only at the end)' }), 500),
  logEvery: optional(int({ min: 1, doc: 'steps between log lines' }), 50),
});

/** `model.unet` of {@link RunConfig}: the U-Net's settings (see `@charlearn/nets`' `UnetConfig`). */
export interface UnetModelConfig {
  channels: number;
  channelMult: number[];
  numResBlocks: number;
  attentionResolutions: number[];
  heads: number;
  dropout: number;
  /** `null`: the network's default. */
  timeEmbeddingDim: number | null;
}

/** `model.dit` of {@link RunConfig}: the DiT's settings (see `@charlearn/nets`' `DitConfig`). */
export interface DitModelConfig {
  patchSize: number;
  hidden: number;
  depth: number;
  heads: number;
  mlpRatio: number;
  /** `null`: the network's default. */
  timeEmbeddingDim: number | null;
}

/** Training hyper-parameters shared by the teacher and distillation phases (the trainers' own type). */
export type TrainPhaseConfig = TeacherConfig;

/**
 * The validated charlearn run configuration (all defaults filled in).
 *
 * @example
 * ```ts
 * const cfg: RunConfig = defaultRunConfig();
 * cfg.teacher.steps; // 4000
 * ```
 */
export interface RunConfig {
  /** Run name; `null` means derive it (see {@link resolveRunName}). */
  name: string | null;
  outDir: string;
  /** The run folder itself (absolute or relative to the working directory), instead of `outDir/name`; `null`: unused. */
  runDir: string | null;
  seed: number;
  /** TensorFlow.js backend name. */
  backend: string;
  /** `target`: a 2-D distribution or an image data set; `dir`, `limit`, `flip`: image data only. */
  data: { target: (typeof DATA_NAMES)[number]; dir: string | null; limit: number | null; flip: boolean };
  /** Interpolant name (validated against the registry later). */
  interpolant: string;
  /** The network: `kind` picks the family; `hidden`, `activation`, `timeEmbeddingDim` are the MLP's, `unet` and `dit` the image networks'. */
  model: {
    kind: (typeof MODEL_KINDS)[number];
    hidden: number[];
    activation: (typeof ACTIVATIONS)[number];
    timeEmbeddingDim: number;
    unet: UnetModelConfig;
    dit: DitModelConfig;
  };
  teacher: TrainPhaseConfig;
  distill: TrainPhaseConfig & {
    gridSize: number;
    gridSpacing: 'karras' | 'uniform';
    rho: number;
    /** Solver name (validated against the registry later). */
    teacherSolver: string;
    pairGroups: number;
    losses: { fit: number; semigroup: number; ctm: number; dsm: 'adaptive' | number };
  };
  /** How `train` makes the generator: `'characteristic'` (teacher, then `distill`) or a teacher-free objective's name (validated against the registry later). */
  method: string;
  /** Training settings of the teacher-free methods (`OneStepTrainer`'s). */
  onestep: TrainingConfig;
  /** `drifting` options (`scale: null`: the objective's default). */
  drifting: { temperatures: number[]; scale: number | null };
  /** `drifting-conservative` options. */
  'drifting-conservative': { bandwidth: 'median' | number; bandwidthScale: number };
  /** `wflow` options. */
  wflow: { epsilon: number; tol: number; maxIter: number; eta: number };
  eval: { samples: number; teacherSolvers: string[]; teacherNfe: number[]; fewSteps: number[]; start: GeneratorStart };
  checkpointEvery: number;
  logEvery: number;
}

type Equals<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
/** Compile-time check that the interface and the schema agree. */
export type RunConfigMatchesSchema = Assert<Equals<RunConfig, Infer<typeof runConfigSchema>>>;

/**
 * Load, default-fill and validate a run config from a file path (`.json`,
 * `.yaml`, `.yml`), an object, or nothing (all defaults), then apply dotted
 * overrides such as `{ 'teacher.steps': 100 }` (validated like file values).
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
  const config = loadConfig(runConfigSchema, pathOrObject, overrides);
  checkDataAndModel(config);
  return config;
}

/**
 * Checks the keys that depend on each other, with a `ConfigError` naming the key and what to set:
 * `model.kind` `mlp` trains 2-D targets, `unet` and `dit` train image data; `data.dir` applies to Fashion-MNIST
 * only and `data.limit` / `data.flip` to image data only (a value that would be ignored is an error); image
 * runs need `data.limit` and `eval.samples` of at least 2 (the FD fits a covariance).
 *
 * @example
 * ```ts
 * checkDataAndModel(loadRunConfig({ data: { target: 'mnist' }, model: { kind: 'unet' } })); // ok
 * ```
 */
export function checkDataAndModel(config: Pick<RunConfig, 'data' | 'model' | 'eval'>): void {
  const { data, model } = config;
  const images = isImageData(data.target);
  const kind = model.kind;
  if (images && kind === 'mlp') {
    throw new ConfigError(
      `model.kind 'mlp' trains 2-D targets, but data.target '${data.target}' is an image data set: set model.kind to 'unet' or 'dit' (or start from --preset ${data.target})`,
      'model.kind',
    );
  }
  if (!images && kind !== 'mlp') {
    throw new ConfigError(
      `model.kind '${kind}' is an image network, but data.target '${data.target}' is a 2-D target: set model.kind to 'mlp', or data.target to one of ${IMAGE_DATA.join(', ')}`,
      'model.kind',
    );
  }
  if (data.dir !== null && data.target !== 'fashion-mnist') {
    throw new ConfigError(`data.dir is the folder of Fashion-MNIST's IDX files; data.target '${data.target}' reads no folder (set data.dir to null)`, 'data.dir');
  }
  if (!images && (data.limit !== null || data.flip)) {
    const key = data.limit !== null ? 'data.limit' : 'data.flip';
    throw new ConfigError(`${key} applies to image data; data.target '${data.target}' is a 2-D target (remove ${key})`, key);
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
  return runConfigSchema.parse({}, '');
}

/**
 * A text listing of every run-config key with its type and default, for `--help`.
 *
 * @example
 * ```ts
 * console.log(describeConfigSchema());
 * //   teacher.steps   4000   integer >= 1 - training steps
 * ```
 */
export function describeConfigSchema(): string {
  return describeSchema(runConfigSchema);
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
