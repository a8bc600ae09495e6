/**
 * Solver contract v2 across packages: the distiller reads a solver's declared
 * capabilities instead of its name. The DPM-Solver++(2M) plugin of
 * @charlearn/solver-rk4 declares the exponential-integrator family and that
 * it steps onto t = 1, so the teacher protocol and the characteristic pairs
 * treat it as they treat the built-in 'exp-integrator'; the same solver with
 * its declaration removed (a v1 plugin) gets the defaults (a plain solver that
 * the driver finishes with a denoise).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@charlearn/backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { GaussianMixture, priorSample, Rng, solverCapabilities, timeGrid, TypeMismatchError, useBackend, ValueRangeError, type Dataset, type SolverPlugin } from '@charlearn/core';
import { sample } from '@charlearn/solvers';
import { dpmpp2m } from '@charlearn/solver-rk4';
import { createMlp } from '@charlearn/nets';
import { CharacteristicDistiller, sampleTeacher } from '@charlearn/distill';

beforeAll(async () => {
  await useBackend('wasm');
});

const gmm = new GaussianMixture({ means: [[-1.2, 0], [1.2, 0.4], [0, -1.2]], std: 0.3 });
const dataset: Dataset = { name: 'test-gmm', sampleShape: [2], sigmaData: 1, sample: (n: number, rng: Rng) => gmm.sampleTensor(n, rng) };

/** The same solver written to contract v1: no declaration, so the defaults apply. */
const { capabilities: _dropped, contract: _v, ...v1Fields } = dpmpp2m;
const dpmppV1: SolverPlugin = { ...(v1Fields as SolverPlugin), name: 'test/dpmpp-2m-v1' };

/** Wraps a plugin so that every (t, s) it is asked to step is recorded. */
function recording(plugin: SolverPlugin, name: string): { plugin: SolverPlugin; calls: [number, number][] } {
  const calls: [number, number][] = [];
  return {
    calls,
    plugin: { ...plugin, name, step: (x, t, s, m, st, ctx) => (calls.push([t, s]), plugin.step(x, t, s, m, st, ctx)) },
  };
}

describe('the distiller treats DPM-Solver++(2M) as the exponential integrator it declares', () => {
  it('declares exp-integrator and the data end; the v1 copy gets the defaults', () => {
    expect(solverCapabilities(dpmpp2m)).toMatchObject({ family: 'exp-integrator', handlesDataEnd: true });
    expect(solverCapabilities(dpmppV1)).toEqual({ family: 'other', handlesDataEnd: false, stochastic: false, adaptive: false });
  });

  it('sampleTeacher: nfe steps straight to t = 1 like the built-in, not nfe − 1 steps and a denoise', () => {
    const field = gmm.fieldModel('follmer');
    const z = priorSample([64, 2], 3);
    const nfe = 6;
    const builtIn = sampleTeacher(field, z, 'exp-integrator', nfe);
    const declared = sampleTeacher(field, z, dpmpp2m, nfe);
    const v1 = sampleTeacher(field, z, dpmppV1, nfe);
    expect([builtIn.steps, builtIn.nfe]).toEqual([nfe, nfe]);
    expect([declared.steps, declared.nfe]).toEqual([nfe, nfe]);
    expect([v1.steps, v1.nfe]).toEqual([nfe - 1, nfe]); // the plain-solver protocol: 5 steps to 1 − eps1 + a denoise
    // ...and it is that path: the Karras ρ = 7 grid from 0 to exactly 1, DPM-Solver++ stepping onto t = 1 itself.
    const rec = recording(dpmpp2m, 'test/dpmpp-rec');
    const direct = sample({ solver: rec.plugin, model: field, xInit: z, timeGrid: timeGrid({ steps: nfe, eps1: 0, spacing: 'karras', rho: 7 }) });
    expect(rec.calls[rec.calls.length - 1]![1]).toBe(1);
    expect(Array.from(declared.x.dataSync())).toEqual(Array.from(direct.x.dataSync()));
    tf.dispose([z, builtIn.x, declared.x, v1.x, direct.x]);
  });

  it('distillation pairs: the solver steps onto t = 1 itself (1 NFE an interval), the v1 copy is finished with a denoise', () => {
    const config = { batchSize: 16, gridSize: 4, pairGroups: 1 };
    const declared = recording(dpmpp2m, 'test/dpmpp-rec-declared');
    const v1 = recording(dpmppV1, 'test/dpmpp-rec-v1');
    const run = (plugin: SolverPlugin): boolean => {
      const d = new CharacteristicDistiller({ teacher: createMlp({ dim: 2, hidden: [16, 16], timeEmbeddingDim: 8, seed: 1 }), ownsTeacher: true, dataset, seed: 2, config: { ...config, teacherSolver: plugin } });
      let nfeEqualsSteps = true;
      for (let k = 0; k < 12; k++) {
        const s = d.trainStep();
        nfeEqualsSteps &&= s.teacherNfe === s.teacherSteps;
      }
      d.dispose();
      return nfeEqualsSteps;
    };
    // Both spend 1 NFE an interval (the denoise is 1 NFE too)...
    expect(run(declared.plugin)).toBe(true);
    expect(run(v1.plugin)).toBe(true);
    // ...but only the declared solver was asked to step onto t = 1; the v1 one never sees s = 1.
    expect(declared.calls.some(([, s]) => s === 1)).toBe(true);
    expect(v1.calls.some(([, s]) => s === 1)).toBe(false);
    expect(v1.calls.length).toBeGreaterThan(0);
  });

  it('stochastic solvers: sampleTeacher takes their rng (and names it when missing); the distiller refuses them for pairs', () => {
    const field = gmm.fieldModel('follmer');
    const z = priorSample([32, 2], 4);
    const a = sampleTeacher(field, z, 'ancestral', 8, { rng: new Rng(1) });
    const b = sampleTeacher(field, z, 'ancestral', 8, { rng: new Rng(1) });
    expect([a.steps, a.nfe]).toEqual([8, 8]); // an exponential integrator by declaration: straight to t = 1
    expect(Array.from(a.x.dataSync())).toEqual(Array.from(b.x.dataSync()));
    expect(() => sampleTeacher(field, z, 'ancestral', 8)).toThrow(TypeMismatchError);
    const teacher = createMlp({ dim: 2, hidden: [8], timeEmbeddingDim: 4, seed: 1 });
    expect(() => new CharacteristicDistiller({ teacher, dataset, config: { teacherSolver: 'euler-maruyama' } })).toThrow(ValueRangeError);
    expect(() => new CharacteristicDistiller({ teacher, dataset, config: { teacherSolver: 'euler-maruyama' } })).toThrow(/stochastic/);
    tf.dispose([z, a.x, b.x]);
    teacher.dispose();
  });
});
