import { availableParallelism } from 'node:os';
import { ConfigError } from '@charlearn/core';
import { teacherGradientTask, type CharacteristicDistiller, type CharacteristicGenerator } from '@charlearn/distill';
import { characteristicSamplingTask, startGradientReplicas, startRolloutWorker, startSamplingReplicas, type GradientReplicas, type RolloutWorker, type SamplingReplicas } from '@charlearn/distill/node';
import type { NetworkSpec } from '@charlearn/nets';
import { importedPluginTargets } from './plugins';
import type { RunContext } from './runtime';

/** `replicas: 'auto'`: one a core, at most this many. */
export const AUTO_REPLICAS_MAX = 4;

/**
 * The run's `replicas` as a count: `'auto'` is one a core (`os.availableParallelism()`), at most
 * {@link AUTO_REPLICAS_MAX}.
 *
 * @example
 * ```ts
 * replicaCount('auto'); // 2 on a 2-core machine
 * ```
 */
export function replicaCount(replicas: number | 'auto'): number {
  return replicas === 'auto' ? Math.max(1, Math.min(AUTO_REPLICAS_MAX, availableParallelism())) : replicas;
}

/**
 * Starts the gradient replicas of a run's teacher training (`replicas` > 1), or returns undefined for one thread.
 * They import the wasm backend and every plugin this process imported, and select the run's backend. Only the
 * wasm backend trains on replicas (the GPU backends have their own parallelism): another backend with `replicas`
 * > 1 is a `ConfigError` naming `replicas`.
 *
 * @param network - the teacher's network spec (a fresh network's `config`, or a checkpoint's `meta.network`).
 */
export async function startTeacherReplicas(ctx: Pick<RunContext, 'config' | 'backend' | 'interpolant' | 'dataset' | 'log'>, network: NetworkSpec): Promise<GradientReplicas | undefined> {
  const count = replicaCount(ctx.config.replicas);
  if (count <= 1) return undefined;
  if (ctx.backend !== 'wasm') {
    throw new ConfigError(`replicas: ${String(ctx.config.replicas)} runs worker threads on the wasm backend; backend '${ctx.backend}' trains on one thread here (set replicas: 1)`, 'replicas');
  }
  const task = teacherGradientTask({ config: network }, ctx.interpolant.name, ctx.dataset.sigmaData);
  const replicas = await startGradientReplicas({ replicas: count, task, backend: 'wasm', modules: ['@charlearn/backend-wasm', ...importedPluginTargets()] });
  ctx.log(`teacher: data-parallel over ${count} replicas (this thread and ${count - 1} worker thread${count > 2 ? 's' : ''}, a shard of ${Math.ceil(ctx.config.teacher.batchSize / count)} rows each)`);
  return replicas;
}

/**
 * Starts the sampling replicas of `charlearn sample` (`replicas` > 1) for the run's characteristic generator, or
 * returns undefined for one thread. Like {@link startTeacherReplicas}: wasm only (another backend with `replicas` > 1
 * is a `ConfigError` naming `replicas`), and the replicas import every plugin this process imported.
 */
export async function startGeneratorReplicas(ctx: Pick<RunContext, 'config' | 'backend' | 'log'>, generator: Pick<CharacteristicGenerator, 'network' | 'interpolant' | 'sigmaData'>): Promise<SamplingReplicas | undefined> {
  const count = replicaCount(ctx.config.replicas);
  if (count <= 1) return undefined;
  if (ctx.backend !== 'wasm') {
    throw new ConfigError(`replicas: ${String(ctx.config.replicas)} runs worker threads on the wasm backend; backend '${ctx.backend}' samples on one thread here (set replicas: 1)`, 'replicas');
  }
  const task = characteristicSamplingTask(generator.network, generator.interpolant.name, generator.sigmaData);
  const replicas = await startSamplingReplicas({ replicas: count, task, backend: 'wasm', modules: ['@charlearn/backend-wasm', ...importedPluginTargets()] });
  ctx.log(`sample: over ${count} replicas (this thread and ${count - 1} worker thread${count > 2 ? 's' : ''})`);
  return replicas;
}

/**
 * Starts the distiller's rollout worker (`startRolloutWorker`): one worker thread that solves the next rollout-cache
 * chunk while this thread trains, the same trajectories bit for bit. Only where it can gain and cannot change the
 * numbers: the run's `rolloutWorker` (default true), pairs from the rollout cache, the wasm backend on one thread
 * (`threads: 1`, whose kernels the worker runs too), and at least 2 cores; otherwise undefined. A worker that cannot
 * start is logged and the cache solves on this thread; so is a chunk the worker failed to solve.
 */
export async function startDistillRolloutWorker(ctx: Pick<RunContext, 'config' | 'backend' | 'log'>, distiller: CharacteristicDistiller): Promise<RolloutWorker | undefined> {
  if (!ctx.config.rolloutWorker || distiller.config.pairSource !== 'rollout-cache' || ctx.backend !== 'wasm' || ctx.config.threads !== 1 || availableParallelism() < 2) return undefined;
  try {
    const worker = await startRolloutWorker({
      distiller,
      backend: 'wasm',
      modules: ['@charlearn/backend-wasm', ...importedPluginTargets()],
      onError: (e) => ctx.log(`distill: the rollout worker failed a chunk (${e.message}); this thread solved it`),
    });
    ctx.log('distill: rollout-cache chunks solved one refresh ahead on a worker thread (the same trajectories)');
    return worker;
  } catch (e) {
    ctx.log(`distill: no rollout worker (${e instanceof Error ? e.message : String(e)}); the cache solves its chunks on this thread`);
    return undefined;
  }
}
