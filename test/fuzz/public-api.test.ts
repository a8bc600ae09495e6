/**
 * Property tests (fast-check) over the public functions of every package:
 * wrong types, out-of-range numbers, unknown plugin names, NaN, Inf, empty and
 * wrong-shaped tensors and arrays. Every case must end in a named charlearn
 * error whose message names its parameter, or in a finite result with no
 * leaked tensors (see ./harness). Tiny shapes, cpu backend.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import fc from 'fast-check';
import { stringify as toYaml } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, it } from 'vitest';
import {
  GaussianMixture,
  Rng,
  denoiserMatchingLoss,
  edmCoefficients,
  edmDenoiser,
  getInterpolant,
  interpolants,
  priorSample,
  sampleTrainingTimes,
  solvers,
  timeGrid,
  type Denoiser,
  type FieldModel,
  type Interpolant,
} from '@charlearn/core';
import { registerAllGradients } from '@charlearn/backend-wasm';
import { edmExpIntegratorStep, eulerStep, expIntegratorStep, heunStep, sample } from '@charlearn/solvers';
import { datasetFromArray, getTarget } from '@charlearn/data';
import { exactW2, mmdRbf, sinkhornW2 } from '@charlearn/metrics';
import { createMlp, createNetwork, decodeTensors, encodeTensors, loadNetwork, saveNetwork, type Network } from '@charlearn/nets';
import { CharacteristicDistiller, TeacherTrainer, characteristicMap, sampleFlowMap } from '@charlearn/distill';
import { loadRunConfig } from '@charlearn/cli';
import {
  FUZZ_SEED,
  badNumber,
  expectNamedOrFinite,
  hasNonFiniteTensor,
  junk,
  maybeBad,
  show,
  summary,
  tensorSpec,
  totals,
  withTensors,
} from './harness';

/** Failures of the current test: every target of a test runs, then the test fails listing them all. */
const failures: string[] = [];
afterEach(() => {
  const found = failures.splice(0);
  if (found.length) throw new Error(`${found.length} fuzz targets failed:\n\n${found.join('\n\n')}`);
});

/** fast-check property over `arb` (`numRuns` cases, fixed seed); each case checked by {@link expectNamedOrFinite}. */
function fuzz<T>(label: string, arb: fc.Arbitrary<T>, numRuns: number, call: (args: T) => unknown, options: { noParameter?: string[] } = {}): void {
  totals.targets++;
  if (process.env.FUZZ_TRACE) process.stderr.write(`fuzz ${label}\n`);
  const r = fc.check(
    fc.property(arb, (args) => {
      expectNamedOrFinite(label, () => withTensors(args, call), { ...options, allowNonFinite: hasNonFiniteTensor(args) });
    }),
    { numRuns, seed: FUZZ_SEED, endOnFailure: true },
  );
  if (r.failed) failures.push(`${label}(${show(r.counterexample?.[0])})\n  ${String((r.errorInstance as Error | undefined)?.message ?? r.errorInstance).replace(/\n/g, '\n  ')}`);
}

const time = fc.double({ min: 0, max: 1, noNaN: true });
const innerTime = fc.double({ min: 0.01, max: 0.99, noNaN: true });
const name = fc.oneof(fc.constantFrom('follmer', 'linear', 'cosine', 'euler', 'heun', 'mlp', 'swiss-roll', 'gmm'), fc.string({ maxLength: 8 }));
let gmm: GaussianMixture;
let model: FieldModel;
let tmp: string;

beforeAll(async () => {
  await tf.setBackend('cpu');
  registerAllGradients();
  gmm = new GaussianMixture({ means: [[-1, 0], [1, 0.5]], std: 0.3 });
  model = gmm.fieldModel('follmer');
  tmp = mkdtempSync(join(tmpdir(), 'charlearn-fuzz-'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
  console.log(summary());
});

describe('@charlearn/core', () => {
  it('interpolants: getInterpolant, at(t), coefficients(t)', () => {
    fuzz('getInterpolant', maybeBad(name, 1), 60, (n) => getInterpolant(n as string, 'interpolant').name.length);
    for (const ip of interpolants.list().map((n) => getInterpolant(n))) {
      // t = 1 excluded: there σ = 0 and the Föllmer path's σ' is −∞ by definition
      fuzz(`${ip.name}.at`, maybeBad(innerTime).filter((t) => t !== 1), 40, (t) => ip.at(t as number));
      // times in [0, 1) (tensor values are not scanned at entry: see harness allowNonFinite); wrong shapes, dtypes, disposed tensors
      fuzz(`${ip.name}.coefficients`, tensorSpec([null]).map((s) => ({ ...s, fill: 'unit' as const })), 25, (t) => {
        const c = ip.coefficients(t as unknown as tf.Tensor1D);
        return [c.alpha, c.sigma, c.dAlpha, c.dSigma];
      });
    }
  });

  it('timeGrid', () => {
    const options = fc.record(
      { steps: maybeBad(fc.integer({ min: 1, max: 20 })), spacing: maybeBad(fc.constantFrom('uniform', 'karras')), rho: maybeBad(fc.double({ min: 0.5, max: 9, noNaN: true })), eps0: maybeBad(fc.double({ min: 0, max: 0.4, noNaN: true })), eps1: maybeBad(fc.double({ min: 0, max: 0.4, noNaN: true })) },
      { requiredKeys: [] },
    );
    fuzz('timeGrid', maybeBad(options, 6), 150, (o) => timeGrid(o as Parameters<typeof timeGrid>[0]));
  });

  it('Rng, priorSample, sampleTrainingTimes', () => {
    const seed = maybeBad(fc.integer({ min: 0, max: 2 ** 31 - 1 }));
    const shape = maybeBad(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 3 }));
    fuzz('new Rng', seed, 60, (s) => new Rng(s as number).uniform());
    fuzz('Rng.fromState', maybeBad(fc.array(fc.oneof(fc.integer(), fc.constant(NaN), fc.constant(null)), { maxLength: 6 }), 1), 60, (s) => Rng.fromState(s as number[]).uniform());
    fuzz('rng.normalTensor', shape, 60, (s) => new Rng(1).normalTensor(s as number[]));
    fuzz('rng.uniformTensor', fc.tuple(shape, maybeBad(fc.constant(-1)), maybeBad(fc.constant(2))), 60, ([s, lo, hi]) => new Rng(1).uniformTensor(s as number[], lo as number, hi as number));
    fuzz('rng.int', maybeBad(fc.integer({ min: 1, max: 100 })), 60, (n) => new Rng(1).int(n as number));
    fuzz('rng.normalArray', maybeBad(fc.integer({ min: 0, max: 10 })), 40, (n) => new Rng(1).normalArray(n as number));
    fuzz('priorSample', fc.tuple(shape, seed), 60, ([s, sd]) => priorSample(s as number[], sd as number));
    fuzz('sampleTrainingTimes', fc.tuple(maybeBad(fc.integer({ min: 1, max: 4 })), maybeBad(fc.constant(0)), maybeBad(fc.constant(0.001))), 60, ([b, e0, e1]) =>
      sampleTrainingTimes(b as number, new Rng(2), { eps0: e0 as number, eps1: e1 as number }),
    );
  });

  it('GaussianMixture', () => {
    const spec = fc.record({ means: maybeBad(fc.constant([[0, 0], [1, 1]]), 2), std: maybeBad(fc.double({ min: 0.05, max: 2, noNaN: true })), weights: maybeBad(fc.constant([1, 2])) }, { requiredKeys: ['means'] });
    fuzz('new GaussianMixture', maybeBad(spec, 6), 100, (s) => new GaussianMixture(s as never).components);
    fuzz('gmm.denoisePoint', fc.tuple(maybeBad(fc.constant([0.2, -0.1])), maybeBad(innerTime), maybeBad(fc.constantFrom('follmer', 'linear'))), 80, ([x, t, ip]) =>
      gmm.denoisePoint(x as number[], t as number, ip as string),
    );
    fuzz('gmm.sampleTensor', fc.tuple(maybeBad(fc.integer({ min: 1, max: 4 })), maybeBad(fc.constant('rng'), 4)), 60, ([n, r]) => gmm.sampleTensor(n as number, (r === 'rng' ? new Rng(3) : r) as Rng));
    fuzz('gmm.denoise', fc.tuple(tensorSpec([2, 2], { badFill: false }), tensorSpec([2], { badFill: false }).map((s) => ({ ...s, fill: 'unit' as const }))), 60, ([x, t]) =>
      gmm.denoise(x as unknown as tf.Tensor, t as unknown as tf.Tensor1D),
    );
    fuzz('gmm.exactFlow', fc.tuple(maybeBad(fc.constant([0.1, 0.2])), maybeBad(fc.constant(0.1)), maybeBad(fc.constant(0.9)), maybeBad(fc.integer({ min: 1, max: 8 }))), 60, ([p, t0, t1, steps]) =>
      gmm.exactFlow(p as number[], t0 as number, t1 as number, { steps: steps as number }),
    );
  });

  it('edm: edmCoefficients, edmDenoiser; denoiserMatchingLoss', () => {
    const raw = (x: tf.Tensor): tf.Tensor => tf.mul(x, 0.5);
    fuzz('edmCoefficients', fc.tuple(tensorSpec([null]).map((s) => ({ ...s, fill: 'unit' as const })), maybeBad(fc.constantFrom('follmer', 'linear')), maybeBad(fc.double({ min: 0.1, max: 3, noNaN: true }))), 60, ([t, ip, sd]) => {
      const c = edmCoefficients(t as unknown as tf.Tensor1D, getInterpolantOrJunk(ip), sd as number);
      return Object.values(c);
    });
    fuzz('edmDenoiser', fc.tuple(maybeBad(fc.constant('follmer')), maybeBad(fc.constant(1))), 40, ([ip, sd]) => typeof edmDenoiser(raw, getInterpolantOrJunk(ip), sd as number));
    const den: Denoiser = (x) => tf.mul(x, 0.9);
    fuzz(
      'denoiserMatchingLoss',
      fc.record({ x1: tensorSpec([2, 2]), z: tensorSpec([2, 2]), t: tensorSpec([2]).map((s) => (s.fill === 'normal' ? { ...s, fill: 'unit' as const } : s)), sigmaData: maybeBad(fc.constant(1)), weighting: maybeBad(fc.constantFrom('edm', 'none')) }),
      120,
      (i) => denoiserMatchingLoss({ ...(i as object), denoiser: den, interpolant: getInterpolant('linear') } as never),
    );
  });

  it('registries: unknown names and non-plugins', () => {
    fuzz('solvers.get', maybeBad(name, 1), 60, (n) => solvers.get(n as string, 'solver').name);
    fuzz('solvers.resolve', maybeBad(fc.record({ name: maybeBad(fc.constant('x')), order: maybeBad(fc.constant(1)), nfePerStep: maybeBad(fc.constant(1)) })), 60, (p) => solvers.resolve(p as never, 'solver').name);
    fuzz('interpolants.resolve', maybeBad(fc.record({ name: maybeBad(fc.constant('x')), at: junk })), 40, (p) => interpolants.resolve(p as never, 'interpolant').name);
  });
});

function getInterpolantOrJunk(ip: unknown): Interpolant {
  return (typeof ip === 'string' ? getInterpolant(ip) : ip) as Interpolant;
}

describe('@charlearn/solvers', () => {
  const step = fc.tuple(tensorSpec([null, 2]), maybeBad(fc.constant(0.2)), maybeBad(fc.constant(0.6)), maybeBad(fc.constant('model'), 5));
  const steps = { eulerStep, heunStep, expIntegratorStep, edmExpIntegratorStep } as const;
  it('each step function', () => {
    for (const [label, fn] of Object.entries(steps)) {
      fuzz(label, step, 50, ([x, t, s, m]) => fn(x as unknown as tf.Tensor, t as number, s as number, (m === 'model' ? model : m) as FieldModel));
    }
  });

  it('sample()', () => {
    const grid = fc.oneof(fc.constant([0, 0.5, 0.9]), fc.record({ steps: maybeBad(fc.integer({ min: 1, max: 4 })), eps1: maybeBad(fc.constant(0.01)) }), fc.array(badNumber, { maxLength: 4 }), junk);
    fuzz(
      'sample',
      fc.record({ solver: maybeBad(fc.oneof(fc.constantFrom('euler', 'heun', 'exp-integrator', 'exp-integrator-edm'), name), 4), xInit: tensorSpec([null, 2]), timeGrid: grid, model: maybeBad(fc.constant('model'), 6) }),
      150,
      (o) => {
        const r = sample({ ...(o as object), model: (o as { model: unknown }).model === 'model' ? model : (o as { model: unknown }).model } as never);
        return r.x;
      },
    );
  });
});

describe('@charlearn/data', () => {
  it('2-D targets and their samplers', () => {
    fuzz('getTarget', maybeBad(fc.oneof(fc.constantFrom('swiss-roll', '8gaussians', 'checkerboard', 'two-moons', 'gmm'), name), 2), 60, (n) => getTarget(n as string).name.length);
    fuzz('target.sample', fc.tuple(fc.constantFrom('swiss-roll', '8gaussians', 'checkerboard', 'two-moons', 'gmm'), maybeBad(fc.integer({ min: 1, max: 5 })), maybeBad(fc.constant('rng'), 4)), 80, ([n, k, r]) =>
      getTarget(n).sample(k as number, (r === 'rng' ? new Rng(4) : r) as Rng),
    );
  });

  it('datasetFromArray', () => {
    const rows = fc.array(fc.array(fc.oneof({ weight: 6, arbitrary: fc.double({ min: -5, max: 5, noNaN: true }) }, { weight: 1, arbitrary: badNumber }), { minLength: 0, maxLength: 3 }), { maxLength: 4 });
    const flat = fc.array(fc.oneof({ weight: 6, arbitrary: fc.double({ min: -5, max: 5, noNaN: true }) }, { weight: 1, arbitrary: badNumber }), { maxLength: 7 }).map((a) => Float32Array.from(a));
    fuzz(
      'datasetFromArray',
      fc.tuple(maybeBad(fc.oneof(rows, flat)), maybeBad(fc.integer({ min: 1, max: 3 })), maybeBad(fc.record({ normalise: maybeBad(fc.boolean()), name: maybeBad(fc.constant('ds')) }, { requiredKeys: [] }))),
      150,
      ([v, d, o]) => {
        const ds = datasetFromArray(v as number[][], d as number, o as never);
        return ds.sample(2, new Rng(5));
      },
    );
  });
});

describe('@charlearn/metrics', () => {
  const points = fc.oneof(
    fc.array(fc.array(fc.oneof({ weight: 8, arbitrary: fc.double({ min: -3, max: 3, noNaN: true }) }, { weight: 1, arbitrary: badNumber }), { minLength: 2, maxLength: 2 }), { maxLength: 5 }),
    fc.array(fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { maxLength: 3 }), { maxLength: 4 }),
    fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { maxLength: 8 }).map((a) => Float64Array.from(a)),
    tensorSpec([null, 2]),
    junk,
  );
  const dim = maybeBad(fc.constant(2), 2);
  it('exactW2, sinkhornW2, mmdRbf', () => {
    fuzz('exactW2', fc.tuple(points, points, fc.record({ dim }, { requiredKeys: [] })), 120, ([a, b, o]) => exactW2(a as never, b as never, o as never));
    fuzz('sinkhornW2', fc.tuple(points, points, fc.record({ dim, epsilon: maybeBad(fc.constant(0.1)) }, { requiredKeys: [] })), 100, ([a, b, o]) => {
      const r = sinkhornW2(a as never, b as never, o as never);
      return r.w2;
    });
    fuzz('mmdRbf', fc.tuple(points, points, fc.record({ dim, bandwidth: maybeBad(fc.oneof(fc.constant(1), fc.constant([0.5, 1]))) }, { requiredKeys: [] })), 120, ([a, b, o]) => mmdRbf(a as never, b as never, o as never));
  });
});

describe('@charlearn/nets', () => {
  const spec = fc.record(
    { kind: maybeBad(fc.constantFrom('mlp'), 6), dim: maybeBad(fc.integer({ min: 1, max: 3 })), hidden: maybeBad(fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 2 })), activation: maybeBad(fc.constantFrom('silu', 'relu', 'tanh', 'gelu')), timeEmbeddingDim: maybeBad(fc.constantFrom(2, 4)), twoTime: maybeBad(fc.boolean()) },
    { requiredKeys: ['kind'] },
  );
  it('createNetwork / createMlp', () => {
    fuzz('createNetwork', fc.tuple(maybeBad(spec, 6), maybeBad(fc.integer({ min: 0, max: 9 }))), 120, ([s, seed]) => {
      const net = createNetwork(s as never, seed as number);
      const n = net.parameterCount();
      net.dispose();
      return n;
    });
    fuzz('createMlp', maybeBad(spec, 6), 60, (s) => {
      const net = createMlp(s as never);
      const n = net.parameterCount();
      net.dispose();
      return n;
    });
  });

  it('apply, setWeights', () => {
    let net: Network | undefined;
    let two: Network | undefined;
    try {
      net = createMlp({ dim: 2, hidden: [4], timeEmbeddingDim: 4 });
      two = net.toTwoTime();
      const n1 = net;
      const n2 = two;
      fuzz('mlp.apply', fc.tuple(tensorSpec([null, 2]), tensorSpec([null]), fc.option(tensorSpec([null]), { nil: undefined })), 120, ([x, c, cs]) =>
        n1.apply(x as unknown as tf.Tensor, c as unknown as tf.Tensor1D, cs as unknown as tf.Tensor1D | undefined),
      );
      fuzz('twoTime.apply', fc.tuple(tensorSpec([2, 2], { badFill: false }), tensorSpec([2], { badFill: false }), fc.option(tensorSpec([2], { badFill: false }), { nil: undefined })), 40, ([x, c, cs]) =>
        n2.apply(x as unknown as tf.Tensor, c as unknown as tf.Tensor1D, cs as unknown as tf.Tensor1D | undefined),
      );
      const good = net.getWeights();
      const mutate = fc.oneof(
        junk,
        fc.constant({}),
        fc.constantFrom(...Object.keys(good)).chain((k) =>
          fc.oneof(
            fc.constant({ ...good, [k]: undefined }),
            fc.constant({ ...good, [k]: { shape: [1, 1], values: new Float32Array(1) } }),
            fc.constant({ ...good, [k]: { shape: good[k]!.shape, values: new Float32Array(good[k]!.values.length).fill(NaN) } }),
            junk.map((j) => ({ ...good, [k]: j })),
            fc.constant({ ...good, extra: { shape: [1], values: new Float32Array(1) } }),
          ),
        ),
      );
      fuzz('mlp.setWeights', mutate, 80, (w) => {
        try {
          n1.setWeights(w as never);
          return tf.tidy(() => n1.apply(tf.ones([1, 2]), tf.ones([1]) as tf.Tensor1D).dataSync()[0]);
        } finally {
          n1.setWeights(good);
        }
      });
    } finally {
      net?.dispose();
      two?.dispose();
    }
  });

  it('decodeTensors, loadNetwork on damaged and random bytes', () => {
    const net = createMlp({ dim: 2, hidden: [3], timeEmbeddingDim: 2 });
    const bytes = saveNetwork(net);
    net.dispose();
    const damaged = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc.integer({ min: 0, max: bytes.length - 1 }).map((n) => bytes.slice(0, n)),
      fc.tuple(fc.integer({ min: 0, max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 })).map(([i, x]) => {
        const b = bytes.slice();
        b[i] = b[i]! ^ x;
        return b;
      }),
      junk,
    );
    fuzz('decodeTensors', damaged, 150, (b) => decodeTensors(b as Uint8Array).meta && 0, { noParameter: ['CheckpointError'] });
    fuzz('loadNetwork', damaged, 100, (b) => {
      const n = loadNetwork(b as Uint8Array);
      n.dispose();
      return 0;
    }, { noParameter: ['CheckpointError'] });
    fuzz('encodeTensors', fc.tuple(maybeBad(fc.constant({ w: { shape: [2], values: Float32Array.of(1, 2) } })), maybeBad(fc.record({ step: maybeBad(fc.constant(1)) }))), 60, ([a, m]) => encodeTensors(a as never, m as never).length);
  });
});

describe('@charlearn/distill', () => {
  const trainingConfig = fc.record(
    { steps: maybeBad(fc.integer({ min: 1, max: 9 })), batchSize: maybeBad(fc.integer({ min: 1, max: 4 })), lr: maybeBad(fc.constant(1e-3)), warmupSteps: maybeBad(fc.constant(0)), gradClip: maybeBad(fc.constant(1)), ema: maybeBad(fc.constant(0.9)), eps0: maybeBad(fc.constant(1e-3)), eps1: maybeBad(fc.constant(1e-3)) },
    { requiredKeys: [] },
  );
  it('TeacherTrainer and CharacteristicDistiller constructors and configs', () => {
    const target = getTarget('two-moons');
    fuzz('new TeacherTrainer', fc.tuple(maybeBad(trainingConfig, 5), maybeBad(fc.constantFrom('follmer', 'linear'), 4), maybeBad(fc.integer({ min: 0, max: 9 }))), 100, ([config, ip, seed]) => {
      const net = createMlp({ dim: 2, hidden: [3], timeEmbeddingDim: 2 });
      try {
        const t = new TeacherTrainer({ net, dataset: target, config: config as never, interpolant: ip as string, seed: seed as number });
        const s = t.trainStep();
        t.dispose();
        return s.loss;
      } catch (e) {
        net.dispose();
        throw e;
      }
    });
    const distillConfig = trainingConfig.chain((c) =>
      fc.record({ gridSize: maybeBad(fc.integer({ min: 2, max: 4 })), pairGroups: maybeBad(fc.constant(1)), teacherSolver: maybeBad(fc.constantFrom('euler', 'heun', 'nope')), gridSpacing: maybeBad(fc.constantFrom('karras', 'uniform')), losses: maybeBad(fc.record({ fit: maybeBad(fc.constant(1)), dsm: maybeBad(fc.constantFrom(0, 'adaptive')) }, { requiredKeys: [] })) }, { requiredKeys: [] }).map((d) => ({ ...(c as object), ...d })),
    );
    fuzz('new CharacteristicDistiller', fc.tuple(maybeBad(distillConfig, 5), maybeBad(fc.integer({ min: 0, max: 9 }))), 60, ([config, seed]) => {
      const teacher = createMlp({ dim: 2, hidden: [3], timeEmbeddingDim: 2 });
      try {
        const d = new CharacteristicDistiller({ teacher, dataset: target, config: { batchSize: 2, ...(config as object) } as never, seed: seed as number });
        d.dispose();
        return 0;
      } finally {
        teacher.dispose();
      }
    });
  });

  it('sampleFlowMap', () => {
    const net = createMlp({ dim: 2, hidden: [3], timeEmbeddingDim: 2, twoTime: true });
    const g = characteristicMap(net, getInterpolant('follmer'));
    try {
      fuzz('sampleFlowMap', fc.tuple(tensorSpec([null, 2]), maybeBad(fc.integer({ min: 1, max: 4 })), maybeBad(fc.record({ eps0: maybeBad(fc.constant(1e-3)), eps1: maybeBad(fc.constant(1e-3)) }, { requiredKeys: [] }))), 100, ([z, steps, times]) =>
        sampleFlowMap(g, z as unknown as tf.Tensor, steps as number, times as never),
      );
    } finally {
      net.dispose();
    }
  });
});

describe('@charlearn/cli config loader', () => {
  const keys = ['name', 'outDir', 'seed', 'backend', 'data', 'interpolant', 'model', 'teacher', 'distill', 'eval', 'checkpointEvery', 'logEvery', 'stpes', 'teacher.lr'];
  // functions excluded: loadRunConfig structured-clones its input and a function there is a raw DataCloneError (reported for config.ts)
  const value: fc.Arbitrary<unknown> = fc.oneof(junk.filter((v) => typeof v !== 'function'), fc.jsonValue({ maxDepth: 2 }), fc.constant({ steps: 'ten' }), fc.constant({ target: 'mnist' }), fc.constant({ hidden: [0] }), fc.constant({ losses: { dsm: 'sometimes' } }));
  const config = fc.dictionary(fc.constantFrom(...keys), value, { maxKeys: 4 });
  it('loadRunConfig with random objects, unknown keys, wrong types', () => {
    // overrides always a mapping: a null one is a raw TypeError inside config.ts (reported for its owner)
    fuzz('loadRunConfig(object)', fc.tuple(maybeBad(config, 6), fc.dictionary(fc.constantFrom('teacher.steps', 'seed', 'model.hidden', 'nope.key'), value, { maxKeys: 2 })), 250, ([c, o]) =>
      loadRunConfig(c as never, o as never).teacher.steps,
      // a whole config that is not a mapping has no key to name
      { noParameter: ['ConfigError'] },
    );
  });

  it('loadRunConfig with random YAML and JSON files', () => {
    let n = 0;
    fuzz('loadRunConfig(file)', fc.tuple(config, fc.constantFrom('yaml', 'json'), fc.oneof({ weight: 5, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.string({ maxLength: 12 }) })), 150, ([c, ext, garbage]) => {
      const path = join(tmp, `c${n++}.${ext}`);
      writeFileSync(path, (ext === 'yaml' ? toYaml(c) : JSON.stringify(c)) + garbage);
      return loadRunConfig(path).teacher.steps;
    }, { noParameter: ['ConfigParseError', 'ConfigError'] });
  });

  it('ran at least 1,000 cases (totals printed after the suite)', () => {
    if (totals.cases < 1000) throw new Error(`only ${totals.cases} fuzz cases ran`);
  });
});

