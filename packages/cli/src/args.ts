/**
 * Command-line parsing for
 * `charlearn <command> [--config file] [--set key=value ...] [--resume]
 * [--backend name] [--out dir] [--quick] [--help]`, on top of `node:util`
 * `parseArgs`. Repeated `--set` flags become a dotted-key overrides object for
 * `loadRunConfig`.
 *
 * @example
 * ```ts
 * import { parseCliArgs } from './args';
 * const args = parseCliArgs(['train', '--set', 'teacher.steps=100', '--quick']);
 * // { command: 'train', overrides: { 'teacher.steps': 100 }, quick: true, ... }
 * ```
 * @packageDocumentation
 */
import { parseArgs } from 'node:util';
import { ConfigError } from '@charlearn/core';
import { parse as parseYaml } from 'yaml';
import { closestMatch } from '@charlearn/core';

/** Bad command-line usage (unknown flag or command, missing value, malformed `--set`). `parameter` is the flag. */
export class UsageError extends ConfigError {
  constructor(message: string, parameter?: string) {
    super(message, parameter);
    this.name = 'UsageError';
  }
}

/** Description of one flag. */
export interface FlagSpec {
  type: 'string' | 'boolean';
  /** One-letter alias (`-h`). */
  short?: string;
  /** May be given several times (values collected into an array). */
  multiple?: boolean;
  /** Placeholder for the value in help text (`file`, `key=value`). */
  valueName?: string;
  /** One-line help. */
  description: string;
}

/** The flags every command accepts. */
export const BASE_FLAGS = {
  config: { type: 'string', short: 'c', valueName: 'file', description: 'run config (.json, .yaml, .yml)' },
  set: {
    type: 'string',
    multiple: true,
    valueName: 'key=value',
    description: 'override a config key, e.g. --set teacher.steps=100 (repeatable)',
  },
  resume: { type: 'boolean', description: 'continue from the latest checkpoint in the run directory' },
  backend: { type: 'string', valueName: 'name', description: 'TensorFlow.js backend (e.g. wasm, cpu)' },
  out: { type: 'string', short: 'o', valueName: 'dir', description: 'output directory (config key outDir)' },
  quick: { type: 'boolean', description: 'a fast, small run (for smoke tests)' },
  help: { type: 'boolean', short: 'h', description: 'show help' },
} as const satisfies Readonly<Record<string, FlagSpec>>;

/** Options of {@link parseCliArgs}. */
export interface ParseCliArgsOptions {
  /** Valid command names; when given, an unknown command is a {@link UsageError} (with a suggestion). */
  commands?: readonly string[];
  /** Extra flags (e.g. per command); their values land in {@link CliArgs.flags}. */
  extraFlags?: Readonly<Record<string, FlagSpec>>;
}

/** Parsed command line. */
export interface CliArgs {
  /** First positional argument, if any. */
  command: string | undefined;
  /** Remaining positional arguments. */
  positionals: string[];
  /** `--config` path. */
  config: string | undefined;
  /** `--set key=value` pairs, values parsed (numbers, booleans, null, JSON / flow arrays). */
  overrides: Record<string, unknown>;
  resume: boolean;
  backend: string | undefined;
  out: string | undefined;
  quick: boolean;
  help: boolean;
  /** Values of `extraFlags` that were given. */
  flags: Record<string, string | boolean | string[]>;
}

const NUMBER_RE = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/**
 * Parse the value part of `--set key=value`: `true` / `false`, `null`,
 * decimal numbers (`100`, `1e-3`, `-0.5`), JSON (`[1,2]`, `{"a":1}`, `"quoted"`),
 * YAML flow lists (`[euler, heun]`); anything else stays a string.
 *
 * @throws UsageError for a malformed `[...]` / `{...}` value
 * @example
 * ```ts
 * parseOverrideValue('100');          // 100
 * parseOverrideValue('[euler,heun]'); // ['euler', 'heun']
 * parseOverrideValue('adaptive');     // 'adaptive'
 * ```
 */
export function parseOverrideValue(text: string, key = 'value'): unknown {
  const t = text.trim();
  if (t === 'true') return true;
  if (t === 'false') return false;
  if (t === 'null') return null;
  if (NUMBER_RE.test(t)) return Number(t);
  if (t.startsWith('[') || t.startsWith('{') || t.startsWith('"')) {
    try {
      return JSON.parse(t) as unknown;
    } catch {
      if (t.startsWith('"')) throw new UsageError(`--set ${key}: malformed quoted string ${text}`, '--set');
      try {
        return parseYaml(t) as unknown;
      } catch (e) {
        const why = (e instanceof Error ? (e.message.split('\n')[0] ?? '') : String(e)).replace(/ at line \d+, column \d+:?$/, '');
        throw new UsageError(`--set ${key}: cannot parse ${text} as a list or object (${why})`, '--set');
      }
    }
  }
  return text;
}

const KEY_RE = /^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)*$/;

/**
 * Split `key=value` into the dotted key and the parsed value.
 *
 * @throws UsageError when there is no `=` or the key is not a dotted name
 * @example
 * ```ts
 * parseSetFlag('teacher.steps=100'); // ['teacher.steps', 100]
 * ```
 */
export function parseSetFlag(text: string): [string, unknown] {
  const eq = text.indexOf('=');
  if (eq < 0) throw new UsageError(`--set expects key=value (e.g. --set teacher.steps=100), got '${text}'`, '--set');
  const key = text.slice(0, eq).trim();
  if (!KEY_RE.test(key)) {
    throw new UsageError(`--set: '${key}' is not a config key (expected dotted names like teacher.steps)`, '--set');
  }
  return [key, parseOverrideValue(text.slice(eq + 1), key)];
}

function flagList(flags: Readonly<Record<string, FlagSpec>>): string {
  return Object.entries(flags)
    .map(([name, f]) => `--${name}${f.short ? ` (-${f.short})` : ''}`)
    .join(', ');
}

/**
 * The flags as help text, one per line.
 *
 * @example
 * ```ts
 * console.log(formatFlagsHelp());
 * //   -c, --config <file>      run config (.json, .yaml, .yml)
 * ```
 */
export function formatFlagsHelp(extraFlags: Readonly<Record<string, FlagSpec>> = {}): string {
  const rows = Object.entries({ ...BASE_FLAGS, ...extraFlags } as Record<string, FlagSpec>).map(([name, f]) => [
    `${f.short ? `-${f.short}, ` : '    '}--${name}${f.type === 'string' ? ` <${f.valueName ?? 'value'}>` : ''}`,
    f.description,
  ] as const);
  const w = Math.max(...rows.map((r) => r[0].length));
  return rows.map(([a, b]) => `  ${a.padEnd(w)}  ${b}`).join('\n');
}

/**
 * Parse `argv` (without `node` and the script, i.e. `process.argv.slice(2)`).
 *
 * @throws UsageError naming the flag for an unknown flag (listing the valid
 *   ones), a missing value, a value given to a boolean flag, a malformed
 *   `--set`, or (with `commands`) an unknown command
 * @example
 * ```ts
 * const a = parseCliArgs(process.argv.slice(2), { commands: ['demo', 'train', 'distill', 'sample', 'eval'] });
 * if (a.help) console.log(formatFlagsHelp());
 * const cfg = loadRunConfig(a.config, { ...a.overrides, ...(a.backend ? { backend: a.backend } : {}) });
 * ```
 */
export function parseCliArgs(argv: readonly string[], options: ParseCliArgsOptions = {}): CliArgs {
  const extra = options.extraFlags ?? {};
  for (const name of Object.keys(extra)) {
    if (name in BASE_FLAGS) throw new UsageError(`extra flag --${name} clashes with a built-in flag`, `--${name}`);
  }
  const specs: Record<string, FlagSpec> = { ...BASE_FLAGS, ...extra };
  const config: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const [name, f] of Object.entries(specs)) {
    config[name] = { type: f.type, ...(f.short ? { short: f.short } : {}), ...(f.multiple ? { multiple: true } : {}) };
  }
  const { tokens } = parseArgs({ args: [...argv], options: config, strict: false, allowPositionals: true, tokens: true });
  const positionals: string[] = [];
  const values: Record<string, (string | boolean)[]> = {};
  for (const tok of tokens) {
    if (tok.kind === 'positional') {
      positionals.push(tok.value);
      continue;
    }
    if (tok.kind !== 'option') continue;
    const spec = specs[tok.name];
    if (!spec) {
      const near = closestMatch(tok.name, Object.keys(specs));
      throw new UsageError(
        `unknown flag ${tok.rawName}${near ? `; did you mean --${near}?` : ''} (valid flags: ${flagList(specs)})`,
        tok.rawName,
      );
    }
    if (spec.type === 'string') {
      if (tok.value === undefined || (!tok.inlineValue && tok.value.startsWith('--'))) {
        throw new UsageError(`flag --${tok.name} needs a value (--${tok.name} <${spec.valueName ?? 'value'}>)`, `--${tok.name}`);
      }
      (values[tok.name] ??= []).push(tok.value);
    } else {
      if (tok.inlineValue) throw new UsageError(`flag --${tok.name} takes no value (got ${tok.rawName}=${tok.value ?? ''})`, `--${tok.name}`);
      (values[tok.name] ??= []).push(true);
    }
  }
  const last = (name: string): string | undefined => {
    const v = values[name];
    const x = v?.[v.length - 1];
    return typeof x === 'string' ? x : undefined;
  };
  const has = (name: string): boolean => (values[name]?.length ?? 0) > 0;

  const overrides: Record<string, unknown> = {};
  for (const s of values['set'] ?? []) {
    if (typeof s !== 'string') continue;
    const [k, v] = parseSetFlag(s);
    overrides[k] = v;
  }

  const command = positionals.shift();
  if (command !== undefined && options.commands && !options.commands.includes(command)) {
    const near = closestMatch(command, options.commands);
    throw new UsageError(
      `unknown command '${command}'${near ? `; did you mean '${near}'?` : ''} (commands: ${options.commands.join(', ')})`,
      'command',
    );
  }

  const flags: Record<string, string | boolean | string[]> = {};
  for (const [name, f] of Object.entries(extra)) {
    const v = values[name];
    if (!v || v.length === 0) continue;
    if (f.type === 'boolean') flags[name] = true;
    else if (f.multiple) flags[name] = v.filter((x): x is string => typeof x === 'string');
    else flags[name] = last(name) ?? '';
  }

  return {
    command,
    positionals,
    config: last('config'),
    overrides,
    resume: has('resume'),
    backend: last('backend'),
    out: last('out'),
    quick: has('quick'),
    help: has('help'),
    flags,
  };
}
