/**
 * The schemas of the trainers' constructor options (besides `config`, which each trainer parses with its own config
 * schema): unknown keys are `ConfigError`s naming the closest valid key, and a missing or wrong network or data set
 * is a `ConfigError` naming the option, in the same text as the CLI's config errors (`parseConfig` of
 * `@charlearn/core`), before anything is allocated.
 *
 * @example
 * ```ts
 * parseOptions(teacherTrainerOptionsSchema, { network: net, dataset }, 'TeacherTrainer');
 * // ConfigError: unknown config key 'TeacherTrainer.network'; did you mean 'TeacherTrainer.net'? (keys of 'TeacherTrainer': net, dataset, config, interpolant, seed, gradients)
 * ```
 * @packageDocumentation
 */
import * as v from 'valibot';
import { integerSchema, parseConfig } from '@charlearn/core';

/**
 * Parses a constructor's `options` with its schema, unknown keys first (so `{ network }` is reported as the
 * misspelt `net`, not as a missing `net`).
 *
 * @throws ConfigError naming `section.key`
 * @example
 * ```ts
 * parseOptions(teacherTrainerOptionsSchema, { net, dataset, seed: 1 }, 'TeacherTrainer');
 * ```
 */
export function parseOptions(schema: v.StrictObjectSchema<v.ObjectEntries, undefined>, options: unknown, section: string): void {
  const keysOnly = v.strictObject(Object.fromEntries(Object.keys(schema.entries).map((k) => [k, v.optional(v.unknown())])));
  parseConfig(keysOnly, options, section);
  parseConfig(schema, options, section);
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null;
const isNetworkLike = (x: unknown): boolean => isObject(x) && Array.isArray(x.sampleShape) && typeof x.twoTime === 'boolean' && typeof x.apply === 'function';
const isDatasetLike = (x: unknown): boolean => isObject(x) && Array.isArray(x.sampleShape) && typeof x.sample === 'function' && typeof x.sigmaData === 'number';

/** A network of `@charlearn/nets` (`createMlp`, `createNetwork`, ...). */
const networkSchema = v.pipe(v.custom(isNetworkLike, 'expected a network of @charlearn/nets (e.g. createMlp(...))'), v.title('Network'));
/** A `Dataset` (`getTarget(...)`, `datasetFromArray(...)`, `imageDataset(...)`). */
const datasetSchema = v.pipe(v.custom(isDatasetLike, 'expected a Dataset (e.g. getTarget(...) or datasetFromArray(...) of @charlearn/data)'), v.title('Dataset'));
/** Checked by the trainer's own config schema. */
const configSchema = v.optional(v.unknown());
/** An interpolant name or object (checked by `getInterpolant`). */
const interpolantSchema = v.optional(v.union([v.string(), v.pipe(v.custom(isObject, 'expected an interpolant name or object'), v.title('Interpolant'))]));
const seedSchema = v.optional(integerSchema({ min: 0, max: 0xffffffff }));
const recordSchema = v.optional(v.pipe(v.custom(isObject, 'expected an object'), v.title('object')));

const isShardedGradients = (x: unknown): boolean => isObject(x) && typeof x.gradients === 'function' && isObject(x.task) && typeof x.replicas === 'number';
/** A `ShardedGradients` (`startGradientReplicas(...)` of `@charlearn/distill/node`). */
const gradientsSchema = v.optional(v.pipe(v.custom(isShardedGradients, 'expected gradient replicas (startGradientReplicas(...) of @charlearn/distill/node)'), v.title('ShardedGradients')));

/** `new TeacherTrainer(options)`. */
export const teacherTrainerOptionsSchema = v.strictObject({ net: networkSchema, dataset: datasetSchema, config: configSchema, interpolant: interpolantSchema, seed: seedSchema, gradients: gradientsSchema });

/** `new CharacteristicTeacher(options)` (the distiller's frozen teacher). */
export const characteristicTeacherOptionsSchema = v.strictObject({ teacher: networkSchema, dataset: datasetSchema, config: configSchema, interpolant: interpolantSchema });

/** `new CharacteristicDistiller(options)`. */
export const distillerOptionsSchema = v.strictObject({
  teacher: networkSchema,
  dataset: datasetSchema,
  config: configSchema,
  interpolant: interpolantSchema,
  seed: seedSchema,
  student: v.optional(networkSchema),
  ownsTeacher: v.optional(v.boolean()),
});

/** `new OneStepTrainer(options)`. */
export const oneStepTrainerOptionsSchema = v.strictObject({
  objective: v.union([v.pipe(v.string(), v.minLength(1)), v.pipe(v.custom(isObject, 'expected an objective name or plugin object'), v.title('OneStepObjectivePlugin'))]),
  objectiveOptions: recordSchema,
  dataset: datasetSchema,
  net: v.optional(networkSchema),
  networks: recordSchema,
  config: configSchema,
  seed: seedSchema,
  savedResources: recordSchema,
});
