import * as tf from '@tensorflow/tfjs-core';
import { oneStepTrainerOptionsSchema, parseOptions } from '../options';
import type { Scalar, Tensor } from '@tensorflow/tfjs-core';
import { CheckpointError, parseConfig, ShapeError, type Dataset } from '@charlearn/core';
import { createNetwork, type JsonObject, type NamedArrays, type Network, type NetworkSpec } from '@charlearn/nets';
import { packState, unpackPrefixed, type TrainerCheckpoint } from '../checkpoint';
import { oneStepConfigSchema, type TrainingConfig, type TrainingConfigInput } from '../config';
import type { EmaNetwork } from '../ema';
import { applyUpdate, assertGradientsRegistered, namedGradients } from '../optim-step';
import { learningRateAt } from '../schedule';
import { TrainingState } from '../training-state';
import { characteristicObjective } from './characteristic';
import { objectives, type ObjectiveContext, type OneStepGenerator, type OneStepObjective, type OneStepObjectivePlugin } from './objective';
import { TEACHER_FREE_OBJECTIVES } from './teacher-free';

/** Registers the built-in objectives that are not registered yet (a third party's plugin of the same name stays). */
export function registerBuiltinObjectives(): void {
  for (const p of [characteristicObjective, ...TEACHER_FREE_OBJECTIVES]) if (!objectives.has(p.name)) objectives.register(p);
}

/**
 * The names of the registered one-step objectives, built-ins included.
 *
 * @example
 * ```ts
 * listObjectives(); // ['characteristic', 'drifting', 'drifting-conservative', 'wflow']
 * ```
 */
export function listObjectives(): string[] {
  registerBuiltinObjectives();
  return objectives.list();
}

/** One step's figures: the loss, the objective's logged numbers, the gradient norm and the learning rate. */
export interface OneStepStats {
  readonly step: number;
  readonly loss: number;
  readonly gradNorm: number;
  readonly lr: number;
  /** Everything the objective logged (scalars and numbers), by name. */
  readonly values: Readonly<Record<string, number>>;
}

/** Options of {@link OneStepTrainer}. */
export interface OneStepTrainerOptions {
  /** A registered objective's name, or a plugin object. */
  objective: string | OneStepObjectivePlugin;
  /** The objective's options (validated by it; errors name `objective.<name>.<key>`). */
  objectiveOptions?: Readonly<Record<string, unknown>>;
  dataset: Dataset;
  /** The network to train; default: the objective's `initialNetwork()`. */
  net?: Network;
  /** Frozen networks for the objective, e.g. `{ teacher }`. */
  networks?: Readonly<Record<string, Network>>;
  config?: TrainingConfigInput;
  seed?: number;
  /** Restoring: arrays the objective saved. */
  savedResources?: NamedArrays;
}

/**
 * Trains a one-step generator with any registered objective: per step a data batch and a prior batch from the
 * seeded RNG, the objective's prepared loss differentiated w.r.t. the network, then {@link applyUpdate} (global-norm
 * clipping, `NonFiniteError` on NaN/Inf before touching the weights, Adam with linear warm-up) and the EMA update.
 * Its state ({@link TrainingState} + the objective's name, options and frozen resources) checkpoints and resumes
 * exactly. Unknown objective names throw `UnknownPluginError` listing the registered ones.
 *
 * @example
 * ```ts
 * import { createMlp } from '@charlearn/nets';
 * const trainer = new OneStepTrainer({ objective: 'drifting', net: createMlp({ dim: 2, hidden: [256, 256, 256] }), dataset, seed: 0 });
 * for (let i = 0; i < 1000; i++) trainer.trainStep();
 * const x = trainer.sample(tf.randomNormal([2000, 2])); // one network evaluation (EMA weights)
 * ```
 */
export class OneStepTrainer {
  readonly objective: OneStepObjective;
  readonly dataset: Dataset;
  readonly config: TrainingConfig;
  private readonly state: TrainingState;
  private readonly trainGenerator: OneStepGenerator;

  constructor(options: OneStepTrainerOptions) {
    parseOptions(oneStepTrainerOptionsSchema, options, 'OneStepTrainer');
    const { dataset, seed = 0 } = options;
    this.config = parseConfig(oneStepConfigSchema, options.config, 'onestep');
    registerBuiltinObjectives();
    const plugin = objectives.resolve(options.objective, 'objective');
    const context: ObjectiveContext = {
      dataset,
      ...(options.networks ? { networks: options.networks } : {}),
      ...(options.savedResources ? { savedResources: options.savedResources } : {}),
    };
    const objectiveOptions = plugin.optionsSchema ? parseConfig(plugin.optionsSchema, options.objectiveOptions ?? {}, plugin.name) : (options.objectiveOptions ?? {});
    this.objective = plugin.create(objectiveOptions, context);
    const net = options.net ?? this.objective.initialNetwork?.();
    if (!net) throw new ShapeError(`the '${plugin.name}' objective has no initial network: pass options.net`, 'net');
    this.objective.validateNetwork(net);
    this.dataset = dataset;
    this.state = new TrainingState(net, seed);
    this.trainGenerator = this.objective.generator(net);
  }

  /** The network being trained. */
  get net(): Network {
    return this.state.net;
  }

  /** Its exponential moving average (what {@link OneStepTrainer.sample} uses). */
  get ema(): EmaNetwork {
    return this.state.ema;
  }

  /** Steps taken so far. */
  get step(): number {
    return this.state.step;
  }

  /** The one-step map of the EMA network (default) or the online one. */
  generator(useEma = true): OneStepGenerator {
    return useEma ? this.objective.generator(this.ema.network) : this.trainGenerator;
  }

  /** One-step samples from prior noise `z: [batch, ...dims]` (EMA weights by default). */
  sample(z: Tensor, useEma = true): Tensor {
    return this.generator(useEma)(z);
  }

  /** One optimiser step; throws `NonFiniteError` (naming the quantity and the step) on a NaN/Inf. */
  trainStep(): OneStepStats {
    assertGradientsRegistered();
    const { batchSize, lr, warmupSteps, gradClip, ema } = this.config;
    const { rng } = this.state;
    const lrNow = learningRateAt(this.step, lr, warmupSteps, { kind: this.config.lrDecay, steps: this.config.steps });
    const data = this.dataset.sample(batchSize, rng);
    const prior = rng.normalTensor([batchSize, ...this.dataset.sampleShape]);
    let prepared: ReturnType<OneStepObjective['prepare']> | undefined;
    try {
      prepared = this.objective.prepare({ net: this.net, ema: this.ema.network, generator: this.trainGenerator, data, prior, step: this.step, rng });
      const { value, grads } = namedGradients(prepared.loss, this.net.namedVariables());
      const scalars: Record<string, Scalar> = { loss: value, ...prepared.scalars?.() };
      const stats = applyUpdate({ grads, scalars, adam: this.state.adam, lr: lrNow, gradClip, step: this.step });
      this.ema.update(this.net, this.step, ema);
      this.state.step++;
      return { step: this.step, loss: stats.values.loss!, gradNorm: stats.gradNorm, lr: lrNow, values: { ...stats.values, ...prepared.logs } };
    } finally {
      prepared?.dispose();
      tf.dispose([data, prior]);
    }
  }

  /** Everything needed to resume: weights, EMA, Adam moments, RNG, step, config, and the objective (name, options, frozen resources). */
  checkpoint(): TrainerCheckpoint {
    const { meta, groups } = this.state.save('net');
    return packState(
      {
        kind: 'onestep',
        ...meta,
        objective: this.objective.name,
        objectiveOptions: this.objective.options,
        config: { ...this.config },
        network: this.net.config,
        dataset: this.dataset.name,
      } as TrainerCheckpoint['meta'],
      { ...groups, resource: this.objective.resources?.() ?? {} },
    );
  }

  /** Restores a {@link OneStepTrainer.checkpoint} of the same objective; `CheckpointError` on a mismatch. */
  restore(checkpoint: TrainerCheckpoint): void {
    if (checkpoint.meta.kind !== 'onestep') throw new CheckpointError(`expected a one-step checkpoint, got '${String(checkpoint.meta.kind)}'`);
    if (checkpoint.meta.objective !== this.objective.name) {
      throw new CheckpointError(`the checkpoint was trained with objective '${String(checkpoint.meta.objective)}', this trainer uses '${this.objective.name}'`);
    }
    this.state.restore(checkpoint, 'net');
  }

  /** Rebuilds a trainer from a checkpoint (network from its saved spec, the objective from its saved options and resources). */
  static fromCheckpoint(checkpoint: TrainerCheckpoint, dataset: Dataset, options: { networks?: Readonly<Record<string, Network>> } = {}): OneStepTrainer {
    if (checkpoint.meta.kind !== 'onestep') throw new CheckpointError(`expected a one-step checkpoint, got '${String(checkpoint.meta.kind)}'`);
    const net = createNetwork(checkpoint.meta.network as unknown as NetworkSpec);
    const trainer = new OneStepTrainer({
      objective: String(checkpoint.meta.objective),
      objectiveOptions: (checkpoint.meta.objectiveOptions ?? {}) as JsonObject,
      dataset,
      net,
      ...(options.networks ? { networks: options.networks } : {}),
      config: checkpoint.meta.config as TrainingConfigInput,
      savedResources: unpackPrefixed(checkpoint.arrays, 'resource'),
    });
    trainer.restore(checkpoint);
    return trainer;
  }

  /** Frees the network, its EMA, the optimiser state and what the objective owns. */
  dispose(): void {
    this.state.dispose();
    this.objective.dispose?.();
  }
}
