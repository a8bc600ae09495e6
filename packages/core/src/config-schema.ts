/**
 * Config schemas: every library writes the settings of what it builds as one valibot schema (defaults and one-line
 * docs included); this module parses with them into `ConfigError`s that name the dotted key (`teacher.lr`,
 * `eval.teacherNfe[2]`) and, for an unknown key, the closest valid one, and lists a schema's keys, types and defaults
 * for help texts. The CLI composes its run config from the same schemas, so a library constructor and the command
 * report a bad setting with the same text.
 *
 * @example
 * ```ts
 * import * as v from 'valibot';
 * const teacher = configSection({ steps: setting(v.pipe(v.number(), v.integer(), v.minValue(1)), 4000, 'training steps') });
 * parseConfig(teacher, { steps: 10 }, 'teacher');  // { steps: 10 }
 * parseConfig(teacher, { stpes: 10 }, 'teacher');  // ConfigError: unknown config key 'teacher.stpes'; did you mean 'teacher.steps'? ...
 * ```
 * @packageDocumentation
 */
import * as v from 'valibot';
import { ConfigError } from './errors';

/** Any valibot schema a config is written with (synchronous). */
export type ConfigSchema = v.GenericSchema;

/** The object schema of one config section (unknown keys are errors). */
export type ConfigSectionSchema = v.GenericSchema<Record<string, unknown> | undefined, Record<string, unknown>>;

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
 * The candidate closest to `name` by edit distance, if it is close enough to be a plausible typo
 * (distance ≤ max(2, ⌊length/3⌋), or one is a prefix of the other).
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

/**
 * A short, quoted rendering of a config value for error messages: `"x" (string)`, `3`, `[1,2] (array)`.
 *
 * @example
 * ```ts
 * showConfigValue('relu'); // '"relu" (string)'
 * ```
 */
export function showConfigValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return `${JSON.stringify(value)} (string)`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'function') return 'a function';
  let s: string;
  try {
    s = JSON.stringify(value) ?? String(value);
  } catch {
    s = String(value);
  }
  if (s.length > 60) s = `${s.slice(0, 57)}...`;
  return `${s} (${Array.isArray(value) ? 'array' : typeof value})`;
}

/** `config key 'a.b'` (or `config` for the root). */
function keyLabel(path: string): string {
  return path ? `config key '${path}'` : 'config';
}

/** Bounds of {@link numberSetting} and {@link integerSetting}: inclusive `min`/`max`, exclusive `gt`/`lt`. */
export interface ConfigBounds {
  readonly min?: number;
  readonly max?: number;
  readonly gt?: number;
  readonly lt?: number;
}

function bounded(bounds: ConfigBounds) {
  return [
    ...(bounds.min !== undefined ? [v.minValue(bounds.min)] : []),
    ...(bounds.max !== undefined ? [v.maxValue(bounds.max)] : []),
    ...(bounds.gt !== undefined ? [v.gtValue(bounds.gt)] : []),
    ...(bounds.lt !== undefined ? [v.ltValue(bounds.lt)] : []),
  ] as [];
}

/**
 * A finite number within `bounds` (shown as `number > 0`, `number in [0, 1)`).
 *
 * @example
 * ```ts
 * const lr = numberSchema({ gt: 0 });
 * ```
 */
export function numberSchema(bounds: ConfigBounds = {}): v.GenericSchema<number> {
  return v.pipe(v.number(), v.finite(), ...bounded(bounds));
}

/**
 * A safe integer within `bounds` (shown as `integer >= 1`).
 *
 * @example
 * ```ts
 * const steps = integerSchema({ min: 1 });
 * ```
 */
export function integerSchema(bounds: ConfigBounds = {}): v.GenericSchema<number> {
  return v.pipe(v.number(), v.safeInteger(), ...bounded(bounds));
}

/**
 * A setting with a default and a one-line doc (shown by {@link describeConfig}): a missing key takes `defaultValue`.
 *
 * @example
 * ```ts
 * import * as v from 'valibot';
 * const steps = setting(v.pipe(v.number(), v.integer(), v.minValue(1)), 4000, 'training steps');
 * ```
 */
export function setting<S extends ConfigSchema>(schema: S, defaultValue: v.InferInput<S>, doc: string) {
  return v.optional(v.pipe(schema, v.description(doc)), defaultValue as never);
}

/**
 * A config section: an object whose unknown keys are errors; when missing it is built from its settings' defaults.
 *
 * @example
 * ```ts
 * import * as v from 'valibot';
 * const losses = configSection({ fit: setting(v.pipe(v.number(), v.minValue(0)), 1, 'weight of the fit loss') });
 * parseConfig(losses, undefined, 'distill.losses'); // { fit: 1 }
 * ```
 */
export function configSection<E extends v.ObjectEntries>(entries: E) {
  return v.optional(v.strictObject(entries), {} as never);
}

interface AnySchema {
  readonly kind: string;
  readonly type: string;
  readonly wrapped?: AnySchema;
  readonly pipe?: readonly AnySchema[];
  readonly entries?: Readonly<Record<string, AnySchema>>;
  readonly item?: AnySchema;
  readonly options?: readonly (AnySchema | string | number)[];
  readonly literal?: unknown;
  readonly requirement?: unknown;
  readonly description?: string;
  readonly message?: unknown;
  readonly default?: unknown;
}

const asAny = (s: unknown): AnySchema => s as AnySchema;
const WRAPPERS = new Set(['optional', 'exact_optional', 'nullish', 'nullable', 'undefinedable', 'non_optional']);

/** The schema inside optional/nullable wrappers (and nothing else). */
function unwrapOptional(s: AnySchema): AnySchema {
  let cur = s;
  while ((cur.type === 'optional' || cur.type === 'exact_optional') && cur.wrapped) cur = cur.wrapped;
  return cur;
}

/** The object entries of a (possibly wrapped) object schema. */
function entriesOf(s: AnySchema | undefined): Readonly<Record<string, AnySchema>> | undefined {
  let cur = s;
  while (cur && WRAPPERS.has(cur.type) && cur.wrapped) cur = cur.wrapped;
  return cur?.entries;
}

/** Every action of a schema's pipe, nested pipes flattened. */
function pipeActions(s: AnySchema): AnySchema[] {
  if (!s.pipe) return [];
  return s.pipe.flatMap((p, i) => (i === 0 ? pipeActions(p) : p.kind === 'schema' ? [...pipeActions(p)] : [p]));
}

function rangeText(actions: readonly AnySchema[]): string {
  const req = (type: string): number | undefined => actions.find((a) => a.type === type)?.requirement as number | undefined;
  const gt = req('gt_value');
  const min = req('min_value');
  const lt = req('lt_value');
  const max = req('max_value');
  const lo = gt !== undefined ? { v: gt, open: true } : min !== undefined ? { v: min, open: false } : undefined;
  const hi = lt !== undefined ? { v: lt, open: true } : max !== undefined ? { v: max, open: false } : undefined;
  if (lo && hi) return ` in ${lo.open ? '(' : '['}${lo.v}, ${hi.v}${hi.open ? ')' : ']'}`;
  if (lo) return ` ${lo.open ? '>' : '>='} ${lo.v}`;
  if (hi) return ` ${hi.open ? '<' : '<='} ${hi.v}`;
  return '';
}

/**
 * The type of a schema as errors and help texts show it: `integer >= 1`, `number in [0, 1)`,
 * `'silu' | 'relu'`, `array of integer >= 1 (at least 1)`, `string (non-empty) | null`.
 *
 * @example
 * ```ts
 * import * as v from 'valibot';
 * describeConfigType(v.pipe(v.number(), v.gtValue(0))); // 'number > 0'
 * ```
 */
export function describeConfigType(schema: unknown): string {
  const s = unwrapOptional(asAny(schema));
  const actions = pipeActions(s);
  const minLength = actions.find((a) => a.type === 'min_length')?.requirement as number | undefined;
  const described = (actions.find((a) => a.type === 'title') as { title?: string } | undefined)?.title;
  switch (s.type) {
    case 'nullable':
    case 'nullish':
      return `${describeConfigType(s.wrapped)} | null`;
    case 'number':
      return `${actions.some((a) => a.type === 'integer' || a.type === 'safe_integer') ? 'integer' : 'number'}${rangeText(actions)}`;
    case 'string':
      return minLength !== undefined && minLength > 0 ? 'string (non-empty)' : 'string';
    case 'boolean':
      return 'boolean';
    case 'picklist':
      return (s.options ?? []).map((o) => `'${String(o)}'`).join(' | ');
    case 'literal':
      return typeof s.literal === 'string' ? `'${s.literal}'` : String(s.literal);
    case 'array':
      return `array of ${describeConfigType(s.item)}${minLength !== undefined && minLength > 0 ? ` (at least ${minLength})` : ''}`;
    case 'union':
      return (s.options ?? []).map((o) => describeConfigType(o)).join(' | ');
    case 'object':
    case 'strict_object':
    case 'loose_object':
      return 'object';
    default:
      return described ?? s.type;
  }
}

/** The one-line doc of a setting (its `v.description`), if any. */
function docOf(schema: AnySchema): string | undefined {
  let cur: AnySchema | undefined = schema;
  while (cur) {
    const d = pipeActions(cur).find((a) => a.type === 'description')?.description;
    if (d !== undefined) return d;
    cur = WRAPPERS.has(cur.type) ? cur.wrapped : undefined;
  }
  return undefined;
}

/** The schema found at `keys` below `root` (through wrappers, objects, arrays and unions). */
function schemaAt(root: AnySchema, keys: readonly (string | number)[]): AnySchema | undefined {
  let cur: AnySchema | undefined = root;
  for (const key of keys) {
    if (!cur) return undefined;
    while (cur && WRAPPERS.has(cur.type) && cur.wrapped) cur = cur.wrapped;
    if (!cur) return undefined;
    if (cur.entries) cur = cur.entries[String(key)];
    else if (cur.item) cur = cur.item;
    else if (cur.type === 'union') cur = (cur.options as AnySchema[]).map((o) => schemaAt(o, [key])).find((o) => o !== undefined);
    else return undefined;
  }
  return cur;
}

/** `a.b[2].c` from an issue path below `section`. */
function dottedPath(section: string, path: readonly { type: string; key: unknown }[] | undefined): { path: string; keys: (string | number)[] } {
  let out = section;
  const keys: (string | number)[] = [];
  for (const item of path ?? []) {
    if (item.type === 'array') {
      out += `[${String(item.key)}]`;
      keys.push(Number(item.key));
    } else {
      out = out ? `${out}.${String(item.key)}` : String(item.key);
      keys.push(String(item.key));
    }
  }
  return { path: out, keys };
}

/** The `ConfigError` for the first issue of a failed parse. */
function issueError(root: AnySchema, section: string, issue: v.BaseIssue<unknown>): ConfigError {
  const { path, keys } = dottedPath(section, issue.path as { type: string; key: unknown }[] | undefined);
  const at = schemaAt(root, keys);
  if (issue.type === 'strict_object' && issue.expected === 'never' && keys.length > 0) {
    const parentKeys = keys.slice(0, -1);
    const parent = dottedPath(section, (issue.path ?? []).slice(0, -1) as { type: string; key: unknown }[]).path;
    const container = (issue.path?.[issue.path.length - 1] as { input?: unknown } | undefined)?.input;
    if (Array.isArray(container)) return new ConfigError(`${keyLabel(parent)}: expected object, got ${showConfigValue(container)}`, parent);
    const known = Object.keys(entriesOf(schemaAt(root, parentKeys)) ?? {});
    const join = (k: string): string => (parent ? `${parent}.${k}` : k);
    const near = closestMatch(String(keys[keys.length - 1]), known);
    return new ConfigError(
      `unknown ${keyLabel(path)}${near ? `; did you mean '${join(near)}'?` : ''} (${parent ? `keys of '${parent}'` : 'top-level keys'}: ${known.join(', ')})`,
      path,
    );
  }
  const type = at ? describeConfigType(at) : issue.expected ?? 'a valid value';
  if (issue.input === undefined) return new ConfigError(`${keyLabel(path)} is required (expected ${type})`, path);
  if (issue.type === 'picklist' && at) {
    const options = (unwrapOptional(at).options ?? []).map(String);
    const near = typeof issue.input === 'string' ? closestMatch(issue.input, options) : undefined;
    return new ConfigError(
      `${keyLabel(path)}: expected one of ${options.map((o) => `'${o}'`).join(', ')}, got ${showConfigValue(issue.input)}${near ? `; did you mean '${near}'?` : ''}`,
      path,
    );
  }
  if (issue.type === 'check' || issue.type === 'custom') {
    return new ConfigError(`${keyLabel(path)}: ${issue.message}, got ${showConfigValue(issue.input)}`, path);
  }
  return new ConfigError(`${keyLabel(path)}: expected ${type}, got ${showConfigValue(issue.input)}`, path);
}

/**
 * Parses `value` with a config schema found at dotted `section` (`''` for the root): defaults filled, the typed
 * result returned; the first problem is a `ConfigError` naming the dotted key — an unknown key with the closest
 * valid one and the section's keys, a wrong type or range with the expected type and the value received.
 *
 * @throws ConfigError
 * @example
 * ```ts
 * import * as v from 'valibot';
 * const losses = configSection({ fit: setting(v.pipe(v.number(), v.minValue(0)), 1, 'fit weight') });
 * parseConfig(losses, { fit: -1 }, 'distill.losses'); // ConfigError: config key 'distill.losses.fit': expected number >= 0, got -1
 * ```
 */
export function parseConfig<S extends ConfigSchema>(schema: S, value: unknown, section = ''): v.InferOutput<S> {
  const result = v.safeParse(schema, value, { abortEarly: true, abortPipeEarly: true });
  if (result.success) return result.output;
  throw issueError(asAny(schema), section, result.issues[0]);
}

/** One row of {@link configEntries}. */
export interface ConfigEntry {
  /** Dotted key path. */
  readonly key: string;
  /** As {@link describeConfigType} writes it. */
  readonly type: string;
  /** The default, JSON-encoded; `undefined` when the key is required. */
  readonly default: string | undefined;
  readonly doc: string | undefined;
}

/**
 * One entry per leaf setting of an object schema (sections are walked into), with type, JSON default and doc.
 *
 * @example
 * ```ts
 * import * as v from 'valibot';
 * configEntries(configSection({ steps: setting(v.number(), 4000, 'training steps') }), 'teacher');
 * // [{ key: 'teacher.steps', type: 'number', default: '4000', doc: 'training steps' }]
 * ```
 */
export function configEntries(schema: unknown, prefix = ''): ConfigEntry[] {
  const s = asAny(schema);
  const entries = entriesOf(s);
  if (entries && Object.keys(entries).length > 0) {
    return Object.entries(entries).flatMap(([k, f]) => configEntries(f, prefix ? `${prefix}.${k}` : k));
  }
  const hasDefault = s.type === 'optional' || s.type === 'exact_optional' || s.type === 'nullish';
  const dflt = hasDefault ? v.getDefault(schema as v.OptionalSchema<v.GenericSchema, unknown>) : undefined;
  return [{ key: prefix, type: describeConfigType(s), default: hasDefault ? JSON.stringify(dflt ?? null) : undefined, doc: docOf(s) }];
}

/**
 * A text table of config entries for help texts, one key per line: `key  default  type - doc`
 * (`required` where there is no default).
 *
 * @example
 * ```ts
 * const teacher = configSection({ steps: setting(integerSchema({ min: 1 }), 4000, 'training steps') });
 * console.log(describeConfig(configEntries(teacher, 'teacher'))); //   teacher.steps  4000  integer >= 1 - training steps
 * ```
 */
export function describeConfig(rows: readonly ConfigEntry[]): string {
  if (rows.length === 0) return '';
  const kw = Math.max(...rows.map((r) => r.key.length));
  const dw = Math.max(...rows.map((r) => (r.default ?? 'required').length));
  return rows.map((r) => `  ${r.key.padEnd(kw)}  ${(r.default ?? 'required').padEnd(dw)}  ${r.type}${r.doc ? ` - ${r.doc}` : ''}`).join('\n');
}

/**
 * The settings of a config section (the entries of its object schema), to compose a larger section from it.
 *
 * @example
 * ```ts
 * import * as v from 'valibot';
 * const training = configSection({ steps: setting(integerSchema({ min: 1 }), 100, 'training steps') });
 * const teacher = configSection({ ...sectionEntries(training), eps0: setting(numberSchema({ min: 0 }), 1e-5, 'time cut') });
 * ```
 */
export function sectionEntries(schema: unknown): v.ObjectEntries {
  return (entriesOf(asAny(schema)) ?? {}) as unknown as v.ObjectEntries;
}
