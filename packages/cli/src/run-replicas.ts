import { availableParallelism } from 'node:os';
import { ConfigError } from '@charlearn/core';
import { teacherGradientTask, type CharacteristicGenerator } from '@charlearn/distill';
import { characteristicSamplingTask, startGradientReplicas, startSamplingReplicas, type GradientReplicas, type SamplingReplicas } from '@charlearn/distill/node';
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
