/**
 * What may change when a run is resumed, and what defines it. A checkpoint records the run config it was trained
 * with; `--resume` compares that with the config of the command, key path by key path. The keys in
 * {@link RESUMABLE_KEYS} may change (more steps, other logging, another checkpoint interval, another backend, ...),
 * the sections a phase does not read are ignored ({@link UNREAD_SECTIONS}), and every other key defines the run
 * (network, data, interpolant, method, plugins, seed, the phase's training settings): a difference there refuses
 * the resume. Pure functions over plain config objects, independent of how the config is validated.
 *
 * @example
 * ```ts
 * configDifferences({ teacher: { steps: 20, lr: 1e-3 } }, { teacher: { steps: 40, lr: 1e-2 } }, 'teacher');
 * // [{ key: 'teacher.lr', recorded: 0.001, current: 0.01 }]
 * ```
 * @packageDocumentation
 */

/** A training phase whose checkpoint can be resumed, or `'use-teacher'`: distillation starting from the teacher. */
export type ResumePhase = 'teacher' | 'distill' | 'onestep' | 'use-teacher';

/**
 * Key paths (a key and everything under it) that may differ between the checkpoint's run config and the command's
 * when resuming. Listed in `charlearn help`.
 */
export const RESUMABLE_KEYS: readonly string[] = [
  'teacher.steps',
  'distill.steps',
  'onestep.steps',
  'checkpointEvery',
  'logEvery',
  'eval',
  'backend',
  'threads',
  'replicas',
  'rolloutWorker',
  'name',
  'outDir',
  'runDir',
];

/** One-line reasons shown with {@link RESUMABLE_KEYS} in the help text. */
export const RESUMABLE_KEYS_HELP = 'the total steps (teacher.steps, distill.steps, onestep.steps: continue further), checkpointEvery, logEvery, eval.*, backend, threads, replicas, rolloutWorker, and where the run lives (name, outDir, runDir)';

/** The teacher-free methods' option sections (only the run's own method's section defines a one-step run). */
const METHOD_SECTIONS = ['drifting', 'drifting-conservative', 'wflow'] as const;

/**
 * Top-level sections a phase does not read, so that a difference there does not matter: teacher training reads
 * neither `distill` nor the one-step sections; distillation does not re-read `teacher` (its checkpoint holds the
 * teacher network); a one-step run reads no interpolant, teacher or distill settings, and only its own method's
 * option section; starting distillation from a teacher checkpoint only needs the data, network, interpolant and
 * plugins to agree.
 */
export function unreadSections(phase: ResumePhase, method: string): readonly string[] {
  switch (phase) {
    case 'teacher':
      return ['distill', 'onestep', ...METHOD_SECTIONS];
    case 'distill':
      return ['teacher', 'onestep', ...METHOD_SECTIONS];
    case 'onestep':
      return ['interpolant', 'teacher', 'distill', ...METHOD_SECTIONS.filter((m) => m !== method)];
    case 'use-teacher':
      return ['seed', 'method', 'teacher', 'distill', 'onestep', ...METHOD_SECTIONS];
  }
}

/** A run-defining key whose value differs. */
export interface ConfigDifference {
  /** Dotted key path (`model.hidden`, `data.target`). */
  readonly key: string;
  /** The value the checkpoint's run was trained with. */
  readonly recorded: unknown;
  /** The value the command's config gives. */
  readonly current: unknown;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Whether `key` is `prefix` or lies under it. */
function within(key: string, prefix: string): boolean {
  return key === prefix || key.startsWith(`${prefix}.`);
}

/** Leaf key paths of a plain config object (arrays and `null` are leaves). */
function leaves(value: unknown, prefix: string, out: Map<string, unknown>): Map<string, unknown> {
  if (isPlainObject(value)) {
    for (const [k, v] of Object.entries(value)) leaves(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) {
    out.set(prefix, value);
  }
  return out;
}

/**
 * The run-defining keys where `current` differs from `recorded`, for `phase`. Keys present on one side only are
 * not compared (a checkpoint written before a key existed records nothing for it).
 *
 * @example
 * ```ts
 * configDifferences({ data: { target: 'swiss-roll' }, logEvery: 50 }, { data: { target: 'checkerboard' }, logEvery: 5 }, 'teacher');
 * // [{ key: 'data.target', recorded: 'swiss-roll', current: 'checkerboard' }]
 * ```
 */
export function configDifferences(recorded: unknown, current: unknown, phase: ResumePhase): ConfigDifference[] {
  const method = isPlainObject(current) && typeof current.method === 'string' ? current.method : '';
  const ignored = [...RESUMABLE_KEYS, ...unreadSections(phase, method)];
  const a = leaves(recorded, '', new Map());
  const b = leaves(current, '', new Map());
  const out: ConfigDifference[] = [];
  for (const [key, value] of b) {
    if (!a.has(key) || ignored.some((p) => within(key, p))) continue;
    const was = a.get(key);
    if (JSON.stringify(was) !== JSON.stringify(value)) out.push({ key, recorded: was, current: value });
  }
  return out;
}

/**
 * The differences as lines for an error message: `  model.hidden: checkpoint [64,64], config [256,256,256]`.
 *
 * @example
 * ```ts
 * formatDifferences([{ key: 'teacher.lr', recorded: 0.001, current: 1e38 }]); // '  teacher.lr: checkpoint 0.001, config 1e+38'
 * ```
 */
export function formatDifferences(differences: readonly ConfigDifference[]): string {
  return differences.map((d) => `  ${d.key}: checkpoint ${JSON.stringify(d.recorded)}, config ${JSON.stringify(d.current)}`).join('\n');
}

/** The keys of a checkpoint's metadata that {@link legacyRecordedConfig} reads. */
export interface CheckpointMetaLike {
  readonly [key: string]: unknown;
}

/** The cli's phase config section for a checkpoint kind. */
const SECTION: Readonly<Record<'teacher' | 'distill' | 'onestep', string>> = { teacher: 'teacher', distill: 'distill', onestep: 'onestep' };

/**
 * What a checkpoint written before the run config was recorded tells about its run: the interpolant, the trainer's
 * settings (the phase's config section), the method of a one-step run, and the data target when it names one of
 * `dataNames`.
 *
 * @example
 * ```ts
 * legacyRecordedConfig({ kind: 'teacher', dataset: 'swiss-roll', interpolant: 'follmer', config: { lr: 0.001 } }, ['swiss-roll']);
 * // { interpolant: 'follmer', teacher: { lr: 0.001 }, data: { target: 'swiss-roll' } }
 * ```
 */
export function legacyRecordedConfig(meta: CheckpointMetaLike, dataNames: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const kind = meta.kind;
  if (typeof meta.interpolant === 'string' && kind !== 'onestep') out.interpolant = meta.interpolant;
  if ((kind === 'teacher' || kind === 'distill' || kind === 'onestep') && isPlainObject(meta.config)) out[SECTION[kind]] = meta.config;
  if (kind === 'onestep' && typeof meta.objective === 'string') out.method = meta.objective;
  if (typeof meta.dataset === 'string' && dataNames.includes(meta.dataset)) out.data = { target: meta.dataset };
  return out;
}

/**
 * The run config as a checkpoint records it (`withoutPlacement`: name, outDir and runDir dropped, so that the same
 * run in another folder writes the same bytes).
 *
 * @example
 * ```ts
 * withoutPlacement({ name: 'roll', outDir: 'out', seed: 1 }); // { seed: 1 }
 * ```
 */
export function withoutPlacement(config: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const { name: _n, outDir: _o, runDir: _r, ...rest } = config;
  return rest;
}
