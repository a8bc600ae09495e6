import * as tf from '@tensorflow/tfjs-core';
import type { Scalar } from '@tensorflow/tfjs-core';
import { ConfigError, ShapeError } from '@charlearn/core';
import { createNetwork, type JsonObject, type NetworkSpec } from '@charlearn/nets';
import { prefixed, unpackPrefixed } from '../checkpoint';
import { characteristicMap } from '../denoisers';
import { CharacteristicTeacher, characteristicLosses } from '../distiller';
import type { DistillConfig } from '../config';
import { drawPairPlan } from '../pairs';
import { rolloutCacheSettings } from '../rollout-cache';
import { sampleFlowMap } from '../sampling';
import type { OneStepObjectivePlugin } from './objective';

/**
 * `characteristic`: the characteristic generator's losses (fit + semi-group + composed consistency + a fixed-weight
 * DSM term, {@link characteristicLosses}) as a one-step objective. Its frozen resource is the teacher: pass it as
 * `context.networks.teacher` (it is saved in checkpoints and restored from `context.savedResources`). Options: any
 * {@link DistillConfig} keys except the trainer's own (steps, batchSize, lr, ...) plus `interpolant`; the adaptive DSM
 * weight needs two gradient tapes and stays with {@link CharacteristicDistiller}. The trained network is the
 * two-time student (initially the teacher made two-time); its one-step map is `g(eps0, 1, z)`. The pair plan is
 * drawn after the trainer's data and prior batches, so the random stream differs from the distiller's.
 *
 * Ownership: a teacher passed as `context.networks.teacher` stays the caller's; one rebuilt from
 * `context.savedResources` (e.g. by `OneStepTrainer.fromCheckpoint`) is the objective's and `dispose()` frees it.
 * The frozen side (validated settings, time grid, teacher field, rollouts) is a {@link CharacteristicTeacher}, the
 * one a `CharacteristicDistiller` uses; it holds no tensors of its own.
 *
 * @example
 * ```ts
 * const trainer = new OneStepTrainer({ objective: 'characteristic', dataset, networks: { teacher: teacherNet } });
 * ```
 */
export const characteristicObjective: OneStepObjectivePlugin = {
  name: 'characteristic',
  description: 'characteristic generator (arXiv 2405.05512): fit + semi-group losses on teacher characteristics',
  create(options, context) {
    const { interpolant = 'follmer', teacherNetwork, ...rest } = options as Partial<DistillConfig> & { interpolant?: string; teacherNetwork?: NetworkSpec };
    if (typeof interpolant !== 'string') throw new ConfigError('objective.characteristic.interpolant must be a name', 'objective.characteristic.interpolant');
    let teacher = context.networks?.teacher;
    // A teacher rebuilt here from saved resources belongs to the objective (freed by dispose); a handed-over one does not.
    const ownsTeacher = !teacher;
    if (!teacher) {
      if (!teacherNetwork || !context.savedResources) {
        throw new ShapeError("the 'characteristic' objective needs a trained teacher: pass networks.teacher", 'networks.teacher');
      }
      teacher = createNetwork(teacherNetwork);
      teacher.setWeights(unpackPrefixed(context.savedResources, 'teacher'));
    }
    if (rest.losses?.dsm === 'adaptive') {
      throw new ConfigError("objective.characteristic.losses.dsm: 'adaptive' needs two gradient tapes; use a number or CharacteristicDistiller", 'objective.characteristic.losses.dsm');
    }
    // Validates the settings and holds the frozen teacher's field, solver, grid and rollouts (no tensors of its own).
    let holder: CharacteristicTeacher;
    try {
      holder = new CharacteristicTeacher({ teacher, dataset: context.dataset, config: rest, interpolant });
    } catch (e) {
      if (ownsTeacher) teacher.dispose();
      throw e;
    }
    const config = holder.config;
    const frozen = teacher;
    // Pairs from cached teacher trajectories (`pairSource: 'rollout-cache'`); its seed is saved with the options.
    const cacheConfig = config.pairSource === 'rollout-cache' ? rolloutCacheSettings(config.rolloutCache, 0) : null;
    const cache = cacheConfig ? holder.rolloutCache(context.dataset, cacheConfig) : null;
    const { teacherSolver, steps: _s, batchSize: _b, lr: _l, warmupSteps: _w, gradClip: _g, ema: _e, ...kept } = config;
    const saved: JsonObject = {
      ...(kept as unknown as JsonObject),
      teacherSolver: typeof teacherSolver === 'string' ? teacherSolver : teacherSolver.name,
      interpolant: holder.interpolant.name,
      teacherNetwork: frozen.config,
      ...(cacheConfig ? { rolloutCache: cacheConfig as unknown as JsonObject } : {}),
    };
    return {
      name: 'characteristic',
      options: saved,
      generator: (net) => {
        const g = characteristicMap(net, holder.interpolant, holder.sigmaData);
        return (z) => sampleFlowMap(g, z, 1, { eps0: config.eps0, eps1: config.eps1 });
      },
      validateNetwork(net) {
        if (!net.twoTime) throw new ShapeError("the 'characteristic' generator must be a two-time network (teacher.toTwoTime())", 'net');
        if (net.sampleShape.join(',') !== frozen.sampleShape.join(',')) throw new ShapeError(`the network's sample shape [${net.sampleShape.join(', ')}] differs from the teacher's`, 'net');
      },
      initialNetwork: () => frozen.toTwoTime(),
      prepare(batch) {
        const batchSize = batch.data.shape[0]!;
        const plan = drawPairPlan(batch.rng, holder.grid.length, batchSize, config.pairGroups, config.fullJumpShare);
        const cacheNfe = cache ? cache.advance(batch.step) : 0;
        const terms = characteristicLosses({
          ...(cache ? { pairs: (start: number, n: number, size: number) => cache.pairs(start, n, size, batch.rng) } : {}),
          student: batch.net,
          ema: batch.ema,
          interpolant: holder.interpolant,
          sigmaData: holder.sigmaData,
          config: { ...config, batchSize },
          grid: holder.grid,
          rollout: (xt, i, n) => holder.rollout(xt, i, n),
          rng: batch.rng,
          plan,
          x1: batch.data,
          z: batch.prior,
        });
        const dsm = config.losses.dsm as number;
        return {
          loss: () => (dsm > 0 ? (tf.add(terms.charLoss(), tf.mul(terms.dsmLoss(), dsm)) as Scalar) : terms.charLoss()),
          scalars: () => ({ ...terms.parts }),
          logs: { teacherSteps: plan.n, teacherNfe: terms.teacherNfe + cacheNfe },
          dispose: () => terms.dispose(),
        };
      },
      resources: () => prefixed('teacher', frozen.getWeights()),
      dispose: () => {
        cache?.dispose();
        if (ownsTeacher) frozen.dispose();
      },
    };
  },
};
