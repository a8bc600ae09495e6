import * as tf from '@tensorflow/tfjs-core';
import { characteristicTeacherOptionsSchema, distillerOptionsSchema, parseOptions } from './options';
import type { Scalar, Tensor } from '@tensorflow/tfjs-core';
import {
  assertNumber,
  CheckpointError,
  ConfigError,
  denoiserMatchingLoss,
  getInterpolant,
  interpolants,
  Rng,
  sampleTrainingTimeBatch,
  ShapeError,
  solverCapabilities,
  solvers,
  parseConfig,
  tausLike,
  timeBatch,
  timeGrid,
  timesLike,
  ValueRangeError,
  type Dataset,
  type FieldModel,
  type Interpolant,
  type SolverPlugin,
  type TimeBatch,
  uniformBatch,
} from '@charlearn/core';
import { createNetwork, type Network, type NetworkSpec } from '@charlearn/nets';
import { packState, unpackPrefixed, type TrainerCheckpoint } from './checkpoint';
import { distillConfigSchema, type DistillConfig, type DistillConfigInput, type DistillLosses } from './config';
import { characteristicMap, twoTimeDenoiser, type FlowMap } from './denoisers';
import type { EmaNetwork } from './ema';
import { TrainingState } from './training-state';
import { assertGradientsRegistered, namedGradients, prepareUpdate, type PreparedUpdate, type UpdateStats } from './optim-step';
import { drawPairPlan, type PairPlan } from './pairs';
import { RolloutCache, rolloutCacheSettings, validateRolloutCacheConfig, type RolloutCacheConfig, type RolloutChunkSolver } from './rollout-cache';
import { solveGridIntervals, teacherFieldModel, type RolloutTask } from './rollout-task';
import { estimateDataMean, sampleFlowMap, type GeneratorTimes } from './sampling';
import { learningRateAt } from './schedule';

/** One distillation step's figures. */
export interface DistillStepStats {
  readonly step: number;
  /** Total loss `L_char + w·L_dsm`. */
  readonly loss: number;
  readonly fit: number;
  readonly semigroup: number;
  readonly ctm: number;
  readonly dsm: number;
  /** The DSM weight used (adaptive or fixed). */
  readonly dsmWeight: number;
  readonly gradNorm: number;
  readonly lr: number;
  /** Teacher steps n of this batch and the teacher NFE spent. */
  readonly teacherSteps: number;
  readonly teacherNfe: number;
}

/** The weights must train something: `fit + semigroup + ctm > 0`. */
function validateLosses(l: DistillLosses): void {
  if (l.fit + l.semigroup + l.ctm <= 0) {
    throw new ConfigError('config key \'distill.losses\': at least one of fit, semigroup, ctm must be > 0', 'distill.losses');
  }
}

/** Identity in the forward pass, zero gradient (tfjs has no stop_gradient op). */
function stopGradient(x: Tensor): Tensor {
  return tf.customGrad((...args: (Tensor | tf.GradSaveFunc)[]) => ({
    value: tf.clone(args[0] as Tensor),
    gradFunc: (dy: Tensor) => tf.zerosLike(dy),
  }))(x);
}

function meanSquare(a: Tensor, b: Tensor): Scalar {
  return tf.mean(tf.square(tf.sub(a, b))) as Scalar;
}

/**
 * The frozen side of characteristic distillation: the validated settings, the teacher as a
 * {@link FieldModel}, its solver, the time grid and the teacher's rollouts along it. It allocates no
 * tensors (the teacher stays the caller's), so a distiller and the `characteristic` one-step objective
 * share it without copies of the student.
 *
 * @example
 * ```ts
 * const frozen = new CharacteristicTeacher({ teacher: teacherNet, dataset, config: { gridSize: 8 } });
 * const xt = tf.randomNormal([16, 2]);          // points at time grid[0]
 * const { x, nfe } = frozen.rollout(xt, 0, 3); // three teacher solver steps from grid[0] to grid[3]
 * ```
 */
export class CharacteristicTeacher {
  readonly teacher: Network;
  readonly interpolant: Interpolant;
  readonly config: DistillConfig;
  readonly sigmaData: number;
  /** Karras (or uniform) grid of `gridSize` times in [eps0, 1 − eps1], with t = 1 appended. */
  readonly grid: readonly number[];
  readonly teacherField: FieldModel;
  readonly solver: SolverPlugin;

  constructor(options: { teacher: Network; dataset: Dataset; config?: DistillConfigInput; interpolant?: string | Interpolant }) {
    parseOptions(characteristicTeacherOptionsSchema, options, 'CharacteristicTeacher');
    const { teacher, dataset } = options;
    const config = parseConfig(distillConfigSchema, options.config, 'distill');
    this.config = config;
    validateLosses(config.losses);
    validateRolloutCacheConfig(rolloutCacheSettings(config.rolloutCache, 0));
    this.solver = solvers.resolve(config.teacherSolver, 'distill.teacherSolver');
    if (solverCapabilities(this.solver).stochastic) {
      throw new ValueRangeError(`distill.teacherSolver '${this.solver.name}' is stochastic; characteristic pairs follow the teacher's ODE: use a deterministic solver`, 'distill.teacherSolver');
    }
    if (teacher.twoTime) throw new ShapeError('the teacher must be a one-time network', 'teacher');
    if (dataset.sampleShape.join(',') !== teacher.sampleShape.join(',')) {
      throw new ShapeError(`dataset samples have shape [${dataset.sampleShape.join(', ')}] but the teacher expects [${teacher.sampleShape.join(', ')}]`, 'dataset');
    }
    this.interpolant = getInterpolant(options.interpolant);
    this.teacher = teacher;
    this.sigmaData = dataset.sigmaData;
    this.grid = [...timeGrid({ steps: config.gridSize - 1, eps0: config.eps0, eps1: config.eps1, spacing: config.gridSpacing ?? 'karras', rho: config.rho ?? 3 }), 1];
    this.teacherField = teacherFieldModel(teacher, this.interpolant, this.sigmaData);
  }

  /**
   * The frozen teacher's characteristic from grid index `i` over `n` grid intervals: `n` solver steps. An
   * interval into t = 1 is the solver's own step when it declares `handlesDataEnd` (every built-in does; an
   * exponential-integrator step to σ = 0 is the denoise), and the teacher's denoise `D(x, grid[last − 1])` for
   * the others (`sample()` decides, from the solver's capabilities).
   */
  /**
   * A {@link RolloutCache} of this teacher's trajectories over the grid, each from `α_{t_0} x1 + σ_{t_0} z` at
   * `grid[0]` (data from `dataset`) and solved interval by interval with {@link CharacteristicTeacher.rollout}, so a
   * cached pair is exactly a rollout's output. It allocates nothing until its first `advance`.
   */
  rolloutCache(dataset: Dataset, config: RolloutCacheConfig & { seed: number }): RolloutCache {
    const { alpha, sigma } = this.interpolant.at(this.grid[0]!);
    return new RolloutCache({
      grid: this.grid,
      sampleShape: this.teacher.sampleShape,
      dataset,
      config,
      seed: config.seed,
      solveInterval: (x, i) => this.rollout(x, i, 1).x,
      startPoint: (x1, z) => tf.add(tf.mul(x1, alpha), tf.mul(z, sigma)),
    });
  }

  rollout(xt: Tensor, i: number, n: number): { x: Tensor; nfe: number } {
    return solveGridIntervals(this.solver, this.teacherField, this.grid, xt, i, n);
  }
}

/**
 * Distills a frozen one-time teacher into the characteristic generator
 * `g(t, s, x)` (arXiv 2405.05512): a two-time network initialised from the
 * teacher (so `g` starts as one teacher exponential-integrator step), trained
 * on characteristic pairs from `n` teacher solver steps on the time grid, with
 * the fitting loss, the semi-group penalty, the public code's composed
 * consistency loss, and the diagonal denoiser loss with the adaptive weight.
 *
 * @example
 * ```ts
 * const distiller = new CharacteristicDistiller({ teacher: teacherNet, dataset, seed: 0 }); // e.g. a TeacherTrainer's ema.network
 * for (let i = 0; i < 2000; i++) distiller.trainStep();
 * const x = distiller.sample(priorSample([1000, 2], 1), 1); // one network evaluation
 * ```
 */
export class CharacteristicDistiller {
  readonly teacher: Network;
  readonly dataset: Dataset;
  readonly interpolant: Interpolant;
  readonly config: DistillConfig;
  readonly sigmaData: number;
  readonly grid: readonly number[];
  readonly teacherField: FieldModel;
  /** The frozen side (settings, teacher field, solver, grid, rollouts). */
  readonly frozen: CharacteristicTeacher;
  private readonly state: TrainingState;
  private readonly lastLayerName: string;
  private readonly ownsTeacher: boolean;
  /** The teacher trajectories pairs are read from when `pairSource` is `'rollout-cache'`. */
  private readonly cache: RolloutCache | null;
  /** The data mean for the mean-shifting sampler starts, estimated on first use. */
  private meanCache: Tensor | undefined;

  constructor(options: {
    teacher: Network;
    dataset: Dataset;
    config?: DistillConfigInput;
    interpolant?: string | Interpolant;
    seed?: number;
    /** A student to continue from (e.g. restored); default: `teacher.toTwoTime()`. */
    student?: Network;
    /** `dispose()` also disposes `teacher` (default false: the caller keeps it; `fromCheckpoint` sets it). */
    ownsTeacher?: boolean;
  }) {
    parseOptions(distillerOptionsSchema, options, 'CharacteristicDistiller');
    const { teacher, dataset, seed = 0 } = options;
    assertNumber('seed', seed, { integer: true, min: 0, max: 0xffffffff });
    // everything that can throw on bad input runs before the student and its state allocate tensors
    this.frozen = new CharacteristicTeacher({
      teacher,
      dataset,
      ...(options.config !== undefined ? { config: options.config } : {}),
      ...(options.interpolant !== undefined ? { interpolant: options.interpolant } : {}),
    });
    const cacheConfig = this.frozen.config.pairSource === 'rollout-cache' ? rolloutCacheSettings(this.frozen.config.rolloutCache, seed) : null;
    // The cache's seed is part of the config, so a checkpoint rebuilds the same trajectories.
    this.config = cacheConfig ? { ...this.frozen.config, rolloutCache: cacheConfig } : this.frozen.config;
    this.interpolant = this.frozen.interpolant;
    this.sigmaData = this.frozen.sigmaData;
    this.grid = this.frozen.grid;
    this.teacherField = this.frozen.teacherField;
    this.teacher = teacher;
    this.ownsTeacher = options.ownsTeacher === true;
    this.dataset = dataset;
    const student = options.student ?? teacher.toTwoTime();
    if (!student.twoTime) throw new ShapeError('the student must be a two-time network', 'student');
    this.state = new TrainingState(student, seed);
    this.cache = cacheConfig ? this.frozen.rolloutCache(dataset, cacheConfig) : null;
    const last = student.lastLayerWeight();
    this.lastLayerName = Object.entries(student.namedVariables()).find(([, v]) => v === last)?.[0] ?? '';
  }

  /** The two-time network being trained. */
  get student(): Network {
    return this.state.net;
  }

  /** Its exponential moving average (the target of the consistency loss, and the sampler). */
  get ema(): EmaNetwork {
    return this.state.ema;
  }

  /** Steps taken so far. */
  get step(): number {
    return this.state.step;
  }

  /**
   * What a rollout worker needs to solve this distiller's cache chunks elsewhere (`startRolloutWorker` of
   * `@charlearn/distill/node`): the teacher's spec, interpolant, data scale, solver and grid as a {@link RolloutTask},
   * and the shape of a chunk. Throws a `ConfigError` naming `pairSource` when pairs are drawn on the fly (no cache),
   * and one naming `interpolant` when the distiller's interpolant is not the one registered under its name (a worker
   * looks it up by name).
   */
  rolloutTask(): RolloutTask & { readonly chunkRows: number; readonly sampleShape: readonly number[] } {
    const cache = this.requireCache('rolloutTask');
    if (!interpolants.has(this.interpolant.name) || interpolants.get(this.interpolant.name) !== this.interpolant) {
      throw new ConfigError(`interpolant '${this.interpolant.name}' is not the one registered under that name: register it (interpolants.register) so a worker can look it up`, 'interpolant');
    }
    return {
      kind: 'teacher-rollout',
      network: this.teacher.config,
      interpolant: this.interpolant.name,
      sigmaData: this.sigmaData,
      solver: this.frozen.solver.name,
      grid: [...this.grid],
      chunkRows: cache.chunkSize,
      sampleShape: [...this.teacher.sampleShape],
    };
  }

  /**
   * Solves the rollout cache's chunks on `solver` from the next refresh on (`startRolloutWorker` attaches one; `null`
   * solves them on this thread again). The trajectories, and so every step's numbers, are the same either way when the
   * solver keeps {@link RolloutChunkSolver}'s contract. Throws a `ConfigError` naming `pairSource` without a cache.
   */
  setRolloutChunkSolver(solver: RolloutChunkSolver | null): void {
    this.requireCache('setRolloutChunkSolver').setChunkSolver(solver);
  }

  /** The rollout cache's chunk solver ({@link CharacteristicDistiller.setRolloutChunkSolver}), or null: solved on this thread, or no cache. */
  get rolloutChunkSolver(): RolloutChunkSolver | null {
    return this.cache?.chunkSolver ?? null;
  }

  private requireCache(method: string): RolloutCache {
    if (!this.cache) throw new ConfigError(`${method} needs pairs from the rollout cache (distill.pairSource: 'rollout-cache'); this distiller draws them on the fly`, 'pairSource');
    return this.cache;
  }

  private get rng(): Rng {
    return this.state.rng;
  }

  /** The flow map of the EMA student (default) or the online one. */
  flowMap(useEma = true): FlowMap {
    return characteristicMap(useEma ? this.ema.network : this.student, this.interpolant, this.sigmaData);
  }

  /**
   * Samples from prior noise `z: [batch, ...dims]` with `steps` network evaluations (1 = one step). `times`
   * defaults to the config's `eps0`, `eps1` and the `'prior'` start; a `start` that shifts by the data mean
   * uses {@link estimateDataMean} of the dataset unless `times.dataMean` is given.
   */
  sample(z: Tensor, steps = 1, times: GeneratorTimes = {}): Tensor {
    const merged: GeneratorTimes = { eps0: this.config.eps0, eps1: this.config.eps1, ...times };
    if ((merged.start ?? 'prior') !== 'prior' && merged.dataMean === undefined) {
      this.meanCache ??= estimateDataMean(this.dataset);
      merged.dataMean = this.meanCache;
    }
    return sampleFlowMap(this.flowMap(), z, steps, merged);
  }

  /** The frozen teacher's characteristic from grid index `i` over `n` grid intervals ({@link CharacteristicTeacher.rollout}). */
  teacherRollout(xt: Tensor, i: number, n: number): { x: Tensor; nfe: number } {
    return this.frozen.rollout(xt, i, n);
  }

  /** One distillation step; throws `NonFiniteError` (with the step) on a NaN/Inf loss. */
  trainStep(): DistillStepStats {
    const { update, finish } = this.beginStep();
    return finish(update.readSync());
  }

  /**
   * {@link CharacteristicDistiller.trainStep} with an asynchronous device read (`await data()`): the same
   * numbers, for backends that cannot read synchronously (WebGPU without a canvas).
   */
  async trainStepAsync(): Promise<DistillStepStats> {
    const { update, finish } = this.beginStep();
    return finish(await update.read());
  }

  private beginStep(): { update: PreparedUpdate; finish: (stats: UpdateStats) => DistillStepStats } {
    assertGradientsRegistered();
    const { batchSize, pairGroups, losses, lr, warmupSteps, gradClip, ema } = this.config;
    const lrNow = learningRateAt(this.step, lr, warmupSteps, { kind: this.config.lrDecay, steps: this.config.steps });
    const plan = drawPairPlan(this.rng, this.grid.length, batchSize, pairGroups, this.config.fullJumpShare);
    const shape = [batchSize, ...this.dataset.sampleShape];
    const cacheNfe = this.cache ? this.cache.advance(this.step) : 0;
    const cache = this.cache;
    const x1 = this.dataset.sample(batchSize, this.rng);
    const z = this.rng.normalTensor(shape);
    const terms = characteristicLosses({
      ...(cache ? { pairs: (start: number, n: number, size: number) => cache.pairs(start, n, size, this.rng) } : {}),
      student: this.student,
      ema: this.ema.network,
      interpolant: this.interpolant,
      sigmaData: this.sigmaData,
      config: this.config,
      grid: this.grid,
      rollout: (xt, i, n) => this.teacherRollout(xt, i, n),
      rng: this.rng,
      plan,
      x1,
      z,
    });
    const { charLoss, dsmLoss, parts, teacherNfe } = terms;
    try {
      const vars = this.student.namedVariables();
      const charG = namedGradients(charLoss, vars);
      let grads = charG.grads;
      let dsmValue: Scalar | null = null;
      let weight: Scalar;
      const wantDsm = losses.dsm === 'adaptive' || losses.dsm > 0;
      if (wantDsm) {
        const dsmG = namedGradients(dsmLoss, vars);
        dsmValue = dsmG.value;
        weight =
          losses.dsm === 'adaptive'
            ? (tf.tidy(() => {
                const gc = charG.grads[this.lastLayerName]!;
                const gd = dsmG.grads[this.lastLayerName]!;
                return tf.clipByValue(tf.div(tf.norm(gc), tf.add(tf.norm(gd), 1e-4)), 0, 1e4);
              }) as Scalar)
            : tf.scalar(losses.dsm);
        const combined: Record<string, Tensor> = {};
        for (const name of Object.keys(vars)) {
          const a = charG.grads[name];
          const b = dsmG.grads[name];
          combined[name] = a && b ? tf.tidy(() => tf.add(a, tf.mul(b, weight))) : tf.clone((a ?? b)!);
        }
        tf.dispose([...Object.values(charG.grads), ...Object.values(dsmG.grads)]);
        grads = combined;
      } else {
        weight = tf.scalar(0);
      }
      const totalLoss = tf.tidy(() => (dsmValue ? tf.add(charG.value, tf.mul(dsmValue, weight)) : tf.clone(charG.value))) as Scalar;
      const scalars: Record<string, Scalar> = {
        loss: totalLoss,
        fit: parts.fit ?? tf.scalar(0),
        semigroup: parts.semigroup ?? tf.scalar(0),
        ctm: parts.ctm ?? tf.scalar(0),
        dsm: dsmValue ?? tf.scalar(0),
        dsmWeight: weight,
      };
      charG.value.dispose();
      const update = prepareUpdate({ grads, scalars, adam: this.state.adam, lr: lrNow, gradClip, step: this.step });
      const finish = (stats: UpdateStats): DistillStepStats => {
        this.ema.update(this.student, this.step, ema);
        this.state.step++;
        const v = stats.values;
        return {
          step: this.step,
          loss: v.loss!,
          fit: v.fit!,
          semigroup: v.semigroup!,
          ctm: v.ctm!,
          dsm: v.dsm!,
          dsmWeight: v.dsmWeight!,
          gradNorm: stats.gradNorm,
          lr: lrNow,
          teacherSteps: plan.n,
          teacherNfe: teacherNfe + cacheNfe,
        };
      };
      return { update, finish };
    } finally {
      terms.dispose();
      tf.dispose([x1, z]);
    }
  }

  /** Everything needed to resume, teacher weights included (a distillation checkpoint is self-contained). */
  checkpoint(): TrainerCheckpoint {
    const { meta, groups } = this.state.save('student');
    const { teacherSolver, ...rest } = this.config;
    return packState(
      {
        kind: 'distill',
        ...meta,
        interpolant: this.interpolant.name,
        config: { ...rest, teacherSolver: typeof teacherSolver === 'string' ? teacherSolver : teacherSolver.name },
        teacherNetwork: this.teacher.config as unknown as Record<string, unknown>,
        network: this.student.config as unknown as Record<string, unknown>,
        dataset: this.dataset.name,
      },
      { teacher: this.teacher.getWeights(), ...groups },
    );
  }

  /** Restores a {@link CharacteristicDistiller.checkpoint} (teacher, student, EMA, optimiser, RNG, step). */
  restore(checkpoint: TrainerCheckpoint): void {
    const { meta, arrays } = checkpoint;
    if (meta.kind !== 'distill') throw new CheckpointError(`expected a distill checkpoint, got '${String(meta.kind)}'`);
    this.teacher.setWeights(unpackPrefixed(arrays, 'teacher'));
    this.state.restore(checkpoint, 'student');
  }

  /** Rebuilds a distiller from a checkpoint (networks from their saved specs). */
  static fromCheckpoint(checkpoint: TrainerCheckpoint, dataset: Dataset): CharacteristicDistiller {
    const teacher = createNetwork(checkpoint.meta.teacherNetwork as unknown as NetworkSpec);
    let student: Network | undefined;
    let d: CharacteristicDistiller | undefined;
    try {
      student = createNetwork(checkpoint.meta.network as unknown as NetworkSpec);
      d = new CharacteristicDistiller({
        teacher,
        dataset,
        student,
        ownsTeacher: true,
        config: checkpoint.meta.config as DistillConfigInput,
        interpolant: String(checkpoint.meta.interpolant),
      });
      d.restore(checkpoint);
      return d;
    } catch (e) {
      // Nothing half-built stays allocated: the distiller (student, EMA, moments) or what was made before it.
      if (d) d.dispose();
      else {
        student?.dispose();
        teacher.dispose();
      }
      throw e;
    }
  }

  /** Frees the student, its EMA and Adam moments, and the teacher when this distiller owns it (`ownsTeacher`, or built by `fromCheckpoint`). */
  dispose(): void {
    this.state.dispose();
    this.cache?.dispose();
    this.meanCache?.dispose();
    this.meanCache = undefined;
    if (this.ownsTeacher) this.teacher.dispose();
  }
}

/** The loss closures {@link characteristicLosses} builds for one batch; `dispose()` frees its tensors. */
export interface CharacteristicLossTerms {
  /** `w_fit·L_fit + w_sg·L_sg + w_ctm·L_ctm`, for the gradient tape. */
  readonly charLoss: () => Scalar;
  /** The diagonal denoiser loss on `D_θ(x_t, t, t)`, for the gradient tape. */
  readonly dsmLoss: () => Scalar;
  /** The unweighted terms the last `charLoss()` call produced (kept; the caller owns them). */
  readonly parts: Record<string, Scalar>;
  /** Teacher network evaluations spent on the pairs. */
  readonly teacherNfe: number;
  dispose(): void;
}

/**
 * Builds one batch of the characteristic generator's losses (shared by {@link CharacteristicDistiller} and the
 * `characteristic` one-step objective): characteristic pairs `x_t → Φ^teacher_{t→u}(x_t)` for the pair `plan`, from
 * data `x1` and noise `z` (`[batch, ...dims]`, owned by the caller), the composed-consistency target through `ema`,
 * and the DSM inputs; draws from `rng` in the distiller's order.
 *
 * @example
 * ```ts
 * const d = new CharacteristicDistiller({ teacher: teacherNet, dataset });
 * const { student, interpolant, sigmaData, config, grid } = d;
 * const plan = drawPairPlan(rng, grid.length, config.batchSize, config.pairGroups);
 * const rollout = (xt: tf.Tensor, i: number, n: number) => d.teacherRollout(xt, i, n);
 * const terms = characteristicLosses({ student, ema: d.ema.network, interpolant, sigmaData, config, grid, rollout, rng, plan, x1, z });
 * const { value, grads } = namedGradients(terms.charLoss, student.namedVariables());
 * terms.dispose();
 * ```
 */
export function characteristicLosses(args: {
  student: Network;
  ema: Network;
  interpolant: Interpolant;
  sigmaData: number;
  config: DistillConfig;
  grid: readonly number[];
  rollout: (xt: Tensor, i: number, n: number) => { x: Tensor; nfe: number };
  rng: Rng;
  plan: PairPlan;
  x1: Tensor;
  z: Tensor;
  /**
   * Pairs from elsewhere (a {@link RolloutCache}): `size` points at `grid[start]` and the teacher's solution at
   * `grid[start + n]` (the caller gives them up). Default: `x_t` from `x1`, `z` and `n` `rollout` steps.
   */
  pairs?: (start: number, n: number, size: number) => { xt: Tensor; target: Tensor };
}): CharacteristicLossTerms {
  const { student, ema, interpolant, sigmaData, config, grid, rollout, rng, plan, x1, z, pairs } = args;
  const { batchSize, losses } = config;
  const shape = [batchSize, ...x1.shape.slice(1)];
  const keep: Tensor[] = [];
  const track = <T extends Tensor>(t: T): T => {
    keep.push(t);
    return t;
  };
  try {
    // Characteristic pairs: x_t on the grid, the frozen teacher's n solver steps to u.
    const tTimes: number[] = [];
    const uTimes: number[] = [];
    const ctmIndex: number[] = [];
    const xtParts: Tensor[] = [];
    const targetParts: Tensor[] = [];
    let offset = 0;
    let teacherNfe = 0;
    for (const group of plan.groups) {
      const t = grid[group.start]!;
      const u = grid[group.start + plan.n]!;
      if (pairs) {
        const p = pairs(group.start, plan.n, group.size);
        xtParts.push(track(p.xt));
        targetParts.push(track(p.target));
      } else {
        const { alpha, sigma } = interpolant.at(t);
        const xt = track(
          tf.tidy(() =>
            tf.add(
              tf.mul(tf.slice(x1, offset, group.size), alpha),
              tf.mul(tf.slice(z, offset, group.size), sigma),
            ),
          ),
        );
        const r = rollout(xt, group.start, plan.n);
        teacherNfe += r.nfe;
        xtParts.push(xt);
        targetParts.push(track(r.x));
      }
      for (let k = 0; k < group.size; k++) {
        tTimes.push(t);
        uTimes.push(u);
        ctmIndex.push(group.start + plan.n + rng.int(grid.length - group.start - plan.n));
      }
      offset += group.size;
    }
    const xt = track(tf.concat(xtParts, 0));
    const target = track(tf.concat(targetParts, 0));
    // times as t and τ = 1 − t from the host numbers (see timeBatch): precise near the data end
    const timesOf = (values: readonly number[]): TimeBatch => {
      const b = timeBatch(values);
      track(b.t);
      track(b.tau);
      return b;
    };
    const tB = timesOf(tTimes);
    const uB = timesOf(uTimes);
    const sB = timesOf(tTimes.map((t, k) => t + rng.uniform() * (uTimes[k]! - t)));
    const ctmB = timesOf(ctmIndex.map((j) => grid[j]!));
    // s = 1 for the whole batch: a uniform batch, so the networks compute that time path on one row
    const oneB: TimeBatch = { t: track(uniformBatch(batchSize, 1)), tau: track(uniformBatch(batchSize, 0)) };
    const g = characteristicMap(student, interpolant, sigmaData);
    const gTarget = characteristicMap(ema, interpolant, sigmaData);
    // Composed-consistency target (no gradient): g⁻(s, 1, g_θ(u, s, Φ_{t→u}(x_t))).
    const ctmTarget =
      losses.ctm > 0 ? track(tf.tidy(() => gTarget(g(target, uB.t, ctmB.t, uB.tau, ctmB.tau), ctmB.t, oneB.t, ctmB.tau, oneB.tau))) : null;
    // Diagonal denoiser loss inputs.
    const tD = sampleTrainingTimeBatch(batchSize, rng, { eps0: 1e-5, eps1: 1e-5 });
    track(tD.t);
    track(tD.tau);
    const zD = track(rng.normalTensor(shape));
    const D2 = twoTimeDenoiser(student, interpolant, sigmaData);

    const parts: Record<string, Scalar> = {};
    const charLoss = (): Scalar => {
      const gu = g(xt, tB.t, uB.t, tB.tau, uB.tau);
      let total = tf.scalar(0);
      const fit = meanSquare(gu, target);
      parts.fit = tf.keep(tf.clone(fit));
      if (losses.fit > 0) total = tf.add(total, tf.mul(fit, losses.fit));
      if (losses.semigroup > 0) {
        const viaS = g(g(xt, tB.t, sB.t, tB.tau, sB.tau), sB.t, uB.t, sB.tau, uB.tau);
        const sg = meanSquare(viaS, config.semigroupStopGrad ? stopGradient(gu) : gu);
        parts.semigroup = tf.keep(tf.clone(sg));
        total = tf.add(total, tf.mul(sg, losses.semigroup));
      }
      if (losses.ctm > 0 && ctmTarget) {
        const ctm = meanSquare(gTarget(g(xt, tB.t, ctmB.t, tB.tau, ctmB.tau), ctmB.t, oneB.t, ctmB.tau, oneB.tau), ctmTarget);
        parts.ctm = tf.keep(tf.clone(ctm));
        total = tf.add(total, tf.mul(ctm, losses.ctm));
      }
      return total as Scalar;
    };
    const dsmLoss = (): Scalar =>
      denoiserMatchingLoss({ denoiser: (x, t, tau) => D2(x, t, t, tau, tau), x1, z: zD, t: tD.t, tau: tD.tau, interpolant, sigmaData });
    return { charLoss, dsmLoss, parts, teacherNfe, dispose: () => tf.dispose(keep) };
  } catch (e) {
    tf.dispose(keep);
    throw e;
  }
}
