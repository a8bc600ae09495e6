import * as tf from '@tensorflow/tfjs-core';
import type { Scalar, Tensor } from '@tensorflow/tfjs-core';
import { createRegistry, PluginContractError, type ConfigSectionSchema, requireMember, ShapeError, type Dataset, type Registry, type Rng, uniformBatch } from '@charlearn/core';
import type { JsonObject, NamedArrays, Network } from '@charlearn/nets';

/** A one-step generator `z ↦ x`: `z: [batch, ...dims]` prior samples to `[batch, ...dims]` samples, one network evaluation, differentiable. */
export type OneStepGenerator = (z: Tensor) => Tensor;

/** What an objective gets for one training step. */
export interface ObjectiveBatch {
  /** The network being trained (its variables are what the loss is differentiated against). */
  readonly net: Network;
  /** Its EMA (a frozen target for objectives that want one). */
  readonly ema: Network;
  /** The objective's one-step map of {@link ObjectiveBatch.net}. */
  readonly generator: OneStepGenerator;
  /** Data batch `[batch, ...dims]`. */
  readonly data: Tensor;
  /** Prior batch `z ~ N(0, I)`, `[batch, ...dims]`. */
  readonly prior: Tensor;
  /** Steps taken before this one. */
  readonly step: number;
  /** The trainer's seeded RNG for any further draws (checkpointed with the trainer). */
  readonly rng: Rng;
}

/** One prepared step: the loss closure the trainer differentiates, plus what to log. */
export interface ObjectiveStep {
  /** The scalar loss to minimise; called inside the gradient tape (do stop-gradient work before, in `prepare`). */
  loss(): Scalar;
  /** Scalars to log that the loss closure produced (ownership passes to the trainer); called after the tape. */
  scalars?(): Record<string, Scalar>;
  /** Numbers computed while preparing (e.g. Sinkhorn iterations), logged as they are. */
  readonly logs?: Readonly<Record<string, number>>;
  /** Frees what `prepare` created (targets, inputs). */
  dispose(): void;
}

/**
 * A one-step training objective: turns (generator, data batch, prior batch, step) into a scalar loss. Created by a
 * {@link OneStepObjectivePlugin} for one run; may own frozen resources (the characteristic generator's teacher).
 */
export interface OneStepObjective {
  /** The plugin's name. */
  readonly name: string;
  /** JSON options that, with {@link OneStepObjective.resources}, rebuild it (saved in checkpoints). */
  readonly options: JsonObject;
  /** The one-step map of a network this objective trains. */
  generator(net: Network): OneStepGenerator;
  /** Throws `ShapeError` unless `net` fits (one- or two-time, sample shape). */
  validateNetwork(net: Network): void;
  /** A network to start from when the caller gives none (e.g. the teacher made two-time). */
  initialNetwork?(): Network;
  /** Prepares one step: draws and stop-gradient targets outside the tape, and the loss closure. */
  prepare(batch: ObjectiveBatch): ObjectiveStep;
  /** Frozen arrays to store in checkpoints (e.g. the teacher's weights). */
  resources?(): NamedArrays;
  /** Frees what the objective owns (not the trained network). */
  dispose?(): void;
}

/** What a plugin may use to build its objective. */
export interface ObjectiveContext {
  /** The training data (shape, σ_data, name). */
  readonly dataset: Dataset;
  /** Frozen networks handed over by role, e.g. `{ teacher }`. */
  readonly networks?: Readonly<Record<string, Network>>;
  /** Arrays an earlier objective's {@link OneStepObjective.resources} returned (restoring from a checkpoint). */
  readonly savedResources?: NamedArrays;
}

/**
 * A named, registrable one-step objective. `create` validates its options (errors name `objective.<name>.<key>`)
 * before any tensor math.
 *
 * @example
 * ```ts
 * registerObjective({
 *   name: 'my/mean-match',
 *   description: 'match the batch mean',
 *   create: (options, ctx) => teacherFreeObjective('my/mean-match', {}, ctx, (x, batch) => ({
 *     velocity: tf.broadcastTo(tf.sub(tf.mean(batch.data, 0, true), tf.mean(x, 0, true)), x.shape),
 *   })),
 * });
 * new OneStepTrainer({ objective: 'my/mean-match', net, dataset });
 * ```
 */
export interface OneStepObjectivePlugin {
  readonly name: string;
  /** One line for help texts. */
  readonly description: string;
  /**
   * The schema of its options (a `configSection` of `setting`s, defaults included): `OneStepTrainer` and the CLI
   * parse the options with it before `create`, so unknown keys name the closest valid one (`<name>.<key>`) and
   * `charlearn help` lists them. Without one, the options reach `create` unchecked.
   */
  readonly optionsSchema?: ConfigSectionSchema;
  create(options: Readonly<Record<string, unknown>>, context: ObjectiveContext): OneStepObjective;
}

function validateObjectivePlugin(plugin: unknown, parameter: string): asserts plugin is OneStepObjectivePlugin {
  requireMember(plugin, 'name', 'string', parameter);
  requireMember(plugin, 'description', 'string', parameter);
  requireMember(plugin, 'create', 'function', parameter);
  if ((plugin as { name: string }).name.length === 0) throw new PluginContractError(`${parameter}.name must not be empty`, parameter);
}

/**
 * The shared registry of one-step objectives (on the `globalThis` registry store of `@charlearn/core`, like solvers).
 *
 * @example
 * ```ts
 * objectives.list(); // ['characteristic', 'drifting', 'drifting-conservative', 'wflow', ...]
 * ```
 */
export const objectives: Registry<OneStepObjectivePlugin> = createRegistry<OneStepObjectivePlugin>('one-step objective', validateObjectivePlugin);

/**
 * Registers a one-step objective plugin (warns when the name is taken, unless `override`).
 *
 * @example
 * ```ts
 * registerObjective(myObjectivePlugin);
 * ```
 */
export function registerObjective(plugin: OneStepObjectivePlugin, options?: { override?: boolean }): OneStepObjectivePlugin {
  return objectives.register(plugin, options);
}

/**
 * The plugin registered as `name`; `UnknownPluginError` listing the registered ones otherwise.
 *
 * @example
 * ```ts
 * getObjective('wflow').description;
 * ```
 */
export function getObjective(name: string, parameter = 'objective'): OneStepObjectivePlugin {
  return objectives.get(name, parameter);
}

/** c_noise the teacher-free generators feed their network (a fixed time input: the generator has no time). */
export const ONE_STEP_C_NOISE = 0;

/**
 * The teacher-free one-step generator of a one-time network: `G(z) = z + F(z, c_noise)` with a fixed `c_noise`
 * ({@link ONE_STEP_C_NOISE}; the generator has no time, so the time input is a constant). The skip connection makes
 * the freshly initialised generator (whose last layer starts at zero) the identity, i.e. the prior N(0, I), which has
 * the first two moments of normalised data; without it every sample starts at the same point and the kernel drifts
 * cannot tell the samples apart. No EDM preconditioning (there is no noise level). The constant time goes in as a
 * `uniformBatch`, so a built-in network computes its time features once a batch.
 *
 * @example
 * ```ts
 * import { createMlp } from '@charlearn/nets';
 * const G = plainGenerator(createMlp({ dim: 2, hidden: [256, 256, 256] }));
 * const x = G(z); // [batch, 2]
 * ```
 */
export function plainGenerator(net: Network, cNoise = ONE_STEP_C_NOISE): OneStepGenerator {
  return (z) => tf.tidy(() => tf.add(z, net.apply(z, uniformBatch(z.shape[0]!, cNoise))));
}

/**
 * `Σ_i ‖x_i − target_i‖² / batch`: the stop-gradient regression of drifting and W-Flow. Its gradient w.r.t. `x` is
 * `2(x − target)/batch`, i.e. `−2V/batch` for `target = sg[x + V]`. `x`, `target`: `[batch, ...dims]`.
 *
 * @example
 * ```ts
 * const G = plainGenerator(net);
 * const x0 = G(z);
 * const target = tf.add(x0, laplaceDrift({ x: x0, positives: data })); // sg[x + V]: computed before the gradient tape
 * const loss = regressionToTarget(G(z), target);                        // inside the tape: gradient −2V/batch
 * ```
 */
export function regressionToTarget(x: Tensor, target: Tensor): Scalar {
  return tf.tidy(() => tf.div(tf.sum(tf.square(tf.sub(x, target))), x.shape[0]!) as Scalar);
}

/** A velocity field of a teacher-free objective at the generated batch `x`, with numbers to log. */
export type VelocityField = (x: Tensor, batch: ObjectiveBatch) => { velocity: Tensor; logs?: Record<string, number> };

/**
 * Builds a teacher-free objective from a velocity field: per step, `x0 = G(z)` outside the tape, `V = field(x0)`,
 * `target = x0 + V`, and the loss `‖G(z) − sg[target]‖²/batch` (gradient `−2V/batch` at the generator output). The
 * generator is {@link plainGenerator}; the network must be one-time with the data's sample shape. Logs `driftRms`.
 *
 * @example
 * ```ts
 * registerObjective({
 *   name: 'my/field',
 *   description: 'generated points pushed along myField',
 *   create: (options, ctx) => teacherFreeObjective('my/field', {}, ctx, (x, b) => ({ velocity: myField(x, b.data) })),
 * });
 * ```
 */
export function teacherFreeObjective(name: string, options: JsonObject, context: ObjectiveContext, field: VelocityField): OneStepObjective {
  const sampleShape = context.dataset.sampleShape;
  return {
    name,
    options,
    generator: (net) => plainGenerator(net),
    validateNetwork(net) {
      if (net.twoTime) throw new ShapeError(`the '${name}' generator must be a one-time network (twoTime: false)`, 'net');
      if (net.sampleShape.join(',') !== sampleShape.join(',')) {
        throw new ShapeError(`the network's samples have shape [${net.sampleShape.join(', ')}] but the data's are [${sampleShape.join(', ')}]`, 'net');
      }
    },
    prepare(batch) {
      const x0 = batch.generator(batch.prior);
      let target: Tensor;
      let logs: Record<string, number>;
      try {
        const out = field(x0, batch);
        const rms = tf.tidy(() => tf.sqrt(tf.mean(tf.square(out.velocity))));
        logs = { driftRms: rms.dataSync()[0]!, ...out.logs };
        rms.dispose();
        target = tf.add(x0, out.velocity);
        out.velocity.dispose();
      } finally {
        x0.dispose();
      }
      return {
        loss: () => regressionToTarget(batch.generator(batch.prior), target),
        logs,
        dispose: () => target.dispose(),
      };
    },
  };
}
