import * as tf from '@tensorflow/tfjs-core';
import { parseOptions, teacherTrainerOptionsSchema } from './options';
import {
  assertNumber,
  CheckpointError,
  fieldModelFromDenoiser,
  getInterpolant,
  parseConfig,
  sampleTrainingTimeBatch,
  ShapeError,
  type Dataset,
  type Denoiser,
  type FieldModel,
  type Interpolant,
} from '@charlearn/core';
import { createNetwork, type Network, type NetworkSpec } from '@charlearn/nets';
import { networkDenoiser } from './denoisers';
import type { EmaNetwork } from './ema';
import { TrainingState } from './training-state';
import { assertGradientsRegistered, namedGradients, prepareUpdate, type PreparedUpdate, type UpdateStats } from './optim-step';
import { learningRateAt } from './schedule';
import { teacherConfigSchema, type TeacherConfig, type TeacherConfigInput } from './config';
import { packState, type TrainerCheckpoint } from './checkpoint';
import { assertTaskMatches, teacherGradientTask, teacherTaskLoss, type ShardedGradients } from './sharded-gradients';

/** One step's figures. */
export interface TeacherStepStats {
  readonly step: number;
  readonly loss: number;
  readonly gradNorm: number;
  readonly lr: number;
}

/**
 * Trains a one-time network as an EDM-preconditioned denoiser by weighted
 * denoiser matching (`w = 1/c_out²`): Adam with linear warm-up, gradient
 * clipping by global norm, EMA with `decay = min(ema, (1+step)/(10+step))`.
 * Deterministic for a seed; its state checkpoints and resumes exactly.
 *
 * @example
 * ```ts
 * import { createMlp } from '@charlearn/nets';
 * const trainer = new TeacherTrainer({ net: createMlp({ dim: 2, hidden: [256, 256, 256] }), dataset, seed: 0 });
 * for (let i = 0; i < 4000; i++) trainer.trainStep();
 * const field = trainer.fieldModel();      // EMA teacher, for solvers
 * ```
 */
export class TeacherTrainer {
  readonly dataset: Dataset;
  readonly interpolant: Interpolant;
  readonly config: TeacherConfig;
  readonly sigmaData: number;
  private readonly state: TrainingState;
  private readonly replicas: ShardedGradients | undefined;

  /**
   * @param options.gradients - gradient replicas (`startGradientReplicas` of `@charlearn/distill/node`, started with
   *   `teacherGradientTask(net, interpolant, dataset.sigmaData)`): each step's batch is split over them (data-parallel
   *   training on several threads); the numbers equal one thread's to float32 rounding. The caller closes them.
   */
  constructor(options: { net: Network; dataset: Dataset; config?: TeacherConfigInput; interpolant?: string | Interpolant; seed?: number; gradients?: ShardedGradients }) {
    parseOptions(teacherTrainerOptionsSchema, options, 'TeacherTrainer');
    const { net, dataset, seed = 0 } = options;
    assertNumber('seed', seed, { integer: true, min: 0, max: 0xffffffff });
    this.config = parseConfig(teacherConfigSchema, options.config, 'teacher');
    this.interpolant = getInterpolant(options.interpolant);
    if (net.twoTime) throw new ShapeError('the teacher must be a one-time network (twoTime: false)', 'net');
    if (dataset.sampleShape.join(',') !== net.sampleShape.join(',')) {
      throw new ShapeError(`dataset samples have shape [${dataset.sampleShape.join(', ')}] but the network expects [${net.sampleShape.join(', ')}]`, 'dataset');
    }
    this.dataset = dataset;
    this.sigmaData = dataset.sigmaData;
    if (options.gradients) {
      assertTaskMatches(options.gradients, teacherGradientTask(net, this.interpolant.name, this.sigmaData));
      if (this.config.batchSize < options.gradients.replicas) {
        throw new ShapeError(`teacher.batchSize ${this.config.batchSize} is smaller than the ${options.gradients.replicas} gradient replicas (each needs at least one row)`, 'teacher.batchSize');
      }
    }
    this.replicas = options.gradients;
    this.state = new TrainingState(net, seed);
  }

  /** The network being trained. */
  get net(): Network {
    return this.state.net;
  }

  /** Its exponential moving average (used for sampling and distillation). */
  get ema(): EmaNetwork {
    return this.state.ema;
  }

  /** Steps taken so far. */
  get step(): number {
    return this.state.step;
  }

  /** The denoiser of the EMA network (default) or of the online one. */
  denoiser(useEma = true): Denoiser {
    return networkDenoiser(useEma ? this.ema.network : this.net, this.interpolant, this.sigmaData);
  }

  /** The teacher as a {@link FieldModel} for solvers. */
  fieldModel(useEma = true): FieldModel {
    return fieldModelFromDenoiser(this.denoiser(useEma), this.interpolant);
  }

  /** One optimiser step; throws `NonFiniteError` (with the step) on a NaN/Inf loss. */
  trainStep(): TeacherStepStats {
    const { update, finish } = this.beginStep();
    return finish(update.readSync());
  }

  /**
   * {@link TeacherTrainer.trainStep} with an asynchronous device read (`await data()`): the same
   * numbers, for backends that cannot read synchronously (WebGPU without a canvas).
   */
  async trainStepAsync(): Promise<TeacherStepStats> {
    const { update, finish } = this.beginStep();
    return finish(await update.read());
  }

  private beginStep(): { update: PreparedUpdate; finish: (stats: UpdateStats) => TeacherStepStats } {
    assertGradientsRegistered();
    const { batchSize, eps0, eps1, lr, warmupSteps, gradClip, ema } = this.config;
    const { rng } = this.state;
    const x1 = this.dataset.sample(batchSize, rng);
    const z = rng.normalTensor([batchSize, ...this.dataset.sampleShape]);
    const { t, tau } = sampleTrainingTimeBatch(batchSize, rng, { eps0, eps1 });
    const loss = teacherTaskLoss(this.net, this.interpolant, this.sigmaData);
    const batch = { x1, z, t, tau };
    const lrNow = learningRateAt(this.step, lr, warmupSteps, { kind: this.config.lrDecay, steps: this.config.steps });
    try {
      const variables = this.net.namedVariables();
      const { value, grads } = this.replicas ? this.replicas.gradients(variables, batch, loss) : namedGradients(() => loss(batch), variables);
      const update = prepareUpdate({ grads, scalars: { loss: value }, adam: this.state.adam, lr: lrNow, gradClip, step: this.step });
      const finish = (stats: UpdateStats): TeacherStepStats => {
        this.ema.update(this.net, this.step, ema);
        this.state.step++;
        return { step: this.step, loss: stats.values.loss!, gradNorm: stats.gradNorm, lr: lrNow };
      };
      return { update, finish };
    } finally {
      tf.dispose([x1, z, t, tau]);
    }
  }

  /** Everything needed to resume: weights, EMA, optimiser moments, RNG, step, config. */
  checkpoint(): TrainerCheckpoint {
    const { meta, groups } = this.state.save('net');
    return packState(
      {
        kind: 'teacher',
        ...meta,
        interpolant: this.interpolant.name,
        config: { ...this.config },
        network: this.net.config as unknown as Record<string, unknown>,
        dataset: this.dataset.name,
      },
      groups,
    );
  }

  /** Restores a {@link TeacherTrainer.checkpoint}; the network spec must match. */
  restore(checkpoint: TrainerCheckpoint): void {
    if (checkpoint.meta.kind !== 'teacher') throw new CheckpointError(`expected a teacher checkpoint, got '${String(checkpoint.meta.kind)}'`);
    this.state.restore(checkpoint, 'net');
  }

  /**
   * Rebuilds a trainer from a checkpoint (network from its saved spec).
   *
   * @param options.gradients - gradient replicas for the rebuilt trainer (see the constructor).
   */
  static fromCheckpoint(checkpoint: TrainerCheckpoint, dataset: Dataset, options: { gradients?: ShardedGradients } = {}): TeacherTrainer {
    const net = createNetwork(checkpoint.meta.network as unknown as NetworkSpec);
    let trainer: TeacherTrainer;
    try {
      trainer = new TeacherTrainer({
        net,
        dataset,
        config: checkpoint.meta.config as TeacherConfigInput,
        interpolant: String(checkpoint.meta.interpolant),
        ...(options.gradients ? { gradients: options.gradients } : {}),
      });
    } catch (e) {
      net.dispose();
      throw e;
    }
    trainer.restore(checkpoint);
    return trainer;
  }

  dispose(): void {
    this.state.dispose();
  }
}
