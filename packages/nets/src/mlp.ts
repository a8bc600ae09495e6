import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Tensor1D, Variable } from '@tensorflow/tfjs-core';
import { isUniformBatch, Rng } from '@charlearn/core';
import { biasActivated, dense, denseActivated } from './dense';
import { sinusoidalEmbedding } from './embedding';
import { activationGainSquared, fanInUniform } from './init';
import { mlpWeightShapes, resolveMlpConfig, type MlpConfig, type MlpSpec } from './mlp-config';
import type { NamedArrays } from './network';
import type { TimePath } from './time-mlp';
import { copyVariables, VariablesNetwork } from './variables-network';
import { shapeSize } from './weights';

/**
 * Seeded initial weights of an MLP (see {@link Mlp} for the design):
 *
 * - layers followed by an activation (`in`, `h{i}`, `temb/w0`): fan-in
 *   uniform, He (`gain² = 2`) for relu / silu / gelu, LeCun (`gain² = 1`)
 *   for tanh; the time MLP's linear output `temb/w1`: LeCun; biases 0;
 * - the output layer `out/w`, `out/b`: **zero**. Under EDM preconditioning
 *   `D = c_skip·x + c_out·F`, so `F = 0` is `D = c_skip·x`, the best linear
 *   denoiser for data of std σ_d, and the raw target `(x1 − c_skip·x_t)/c_out`
 *   has unit variance: the initial loss is exactly 1 per dimension instead
 *   of 1 + Var[F_init], and no random initial function has to be unlearned
 *   (EDM itself initialises its output layers at ~1e-5, DiT's adaLN-zero at
 *   0). The first Adam step moves only `out/w`, `out/b` (the other gradients
 *   pass through `out/w = 0`), and from the second step every layer trains;
 *   the training test checks the loss falls quickly;
 * - the `s` path of a two-time net: `temb_s/w0`, `temb_s/b0` copied from
 *   the `t` path (meaningful time features from the start), `temb_s/w1` zero,
 *   so the net equals its one-time counterpart.
 *
 * Draws from `Rng(seed)` in the order temb/w0, temb/w1, in/w, h0/w, ...; a
 * two-time net draws nothing more, so `createMlp({ ...c, twoTime: true })`
 * equals `createMlp(c).toTwoTime()`.
 *
 * @example
 * ```ts
 * const w = initialMlpWeights(resolveMlpConfig({ dim: 2, hidden: [64, 64], seed: 1 }));
 * w['out/w']?.values.every((v) => v === 0); // true
 * ```
 */
export function initialMlpWeights(spec: MlpSpec): NamedArrays {
  const shapes = mlpWeightShapes({ ...spec, twoTime: false });
  const rng = new Rng(spec.seed);
  const gain2 = activationGainSquared(spec.activation);
  const out: NamedArrays = {};
  for (const [name, shape] of Object.entries(shapes)) {
    let values: Float32Array;
    if (name.endsWith('/b') || name === 'temb/b0' || name.startsWith('out/')) values = new Float32Array(shapeSize(shape));
    else values = fanInUniform(rng, shape[0]!, shape[1]!, name === 'temb/w1' ? 1 : gain2);
    out[name] = { shape, values };
  }
  return spec.twoTime ? withSPath(out) : out;
}

/** Adds the zero-output `s` path to one-time MLP weights (see {@link initialMlpWeights}). */
function withSPath(w: NamedArrays): NamedArrays {
  const copy = (name: string) => ({ shape: [...w[name]!.shape], values: w[name]!.values.slice() });
  const w1 = w['temb/w1']!;
  const sPath: NamedArrays = {
    'temb_s/w0': copy('temb/w0'),
    'temb_s/b0': copy('temb/b0'),
    'temb_s/w1': { shape: [...w1.shape], values: new Float32Array(w1.values.length) },
  };
  return { ...w, ...sPath };
}

/**
 * The MLP raw network `F(xIn, c_noise(t)[, c_noise(s)])` for data of
 * dimension `dim` (2-D toys, flattened features). Build it with
 * {@link createMlp} or `createNetwork({ kind: 'mlp', ... })`.
 *
 * Design:
 * - **time**: `c_noise` (= 999·(1 − t)) → sinusoidal embedding
 *   `[sin(c·f_k), cos(c·f_k)]` (E = `timeEmbeddingDim`, cached frequencies)
 *   → Linear(E → T) → act → Linear(T → H0, no bias) → **added to the first
 *   hidden layer's pre-activation**. Costs ~15% of the 3×256 MLP's FLOPs
 *   with the defaults and is strictly more expressive than concatenating
 *   the embedding to `x` (which is the special case without the time MLP).
 * - **two-time**: `c_noise(s)` goes through its own copy of that time MLP
 *   (`temb_s/*`) whose last layer starts at zero; its output is added at the
 *   same place. So a fresh two-time net equals the one-time net for every
 *   `cNoiseS`, and gradients reach `temb_s/w1` at once.
 * - **trunk**: `x W_in + b_in + τ(t) [+ τ_s(s)]` → act → (Linear → act)* →
 *   Linear(H_last → dim). Every Linear is `tf.matMul` with untransposed
 *   operands + bias (`tf.fused.matMul` measured no faster in training on
 *   wasm, see `dense`); SiLU has a hand-written gradient. A Linear + SiLU
 *   (the hidden layers, the time MLP's first layer) is one fused kernel when
 *   the backend has it (`denseActivated`; the wasm plugin does). Gradients
 *   are checked against finite differences in the tests.
 * - **one time for the batch**: when a time input is known to be one value for
 *   the whole batch (`isUniformBatch(cNoise)`: `timesLike` / `tausLike` /
 *   `uniformBatch` in `@charlearn/core`, as solvers and `sampleFlowMap` pass
 *   them), its time MLP runs on one row (`[1, H0]`) and is broadcast; when every
 *   time input is, the rows are folded into the first layer's bias and that
 *   layer is one `denseActivated`. Same numbers as the per-row path to float32
 *   rounding, gradients too; per-row times take the per-row path unchanged.
 *   In one-step sampling of the 3×256 two-time net this removes the two time
 *   paths' ~24% of the FLOPs.
 * - **init**: see {@link initialMlpWeights} (output layer zero).
 *
 * @example
 * ```ts
 * const net = createMlp({ dim: 2, hidden: [256, 256, 256], seed: 7 });
 * const f = net.apply(xIn, cNoise);      // xIn [b, 2], cNoise [b] → [b, 2]
 * const denoiser = edmDenoiser((x, c) => net.apply(x, c), follmer);
 * ```
 */
export class Mlp extends VariablesNetwork<MlpSpec> {
  readonly kind = 'mlp';
  protected readonly lastLayerName = 'out/w';

  private constructor(spec: MlpSpec, vars: Record<string, Variable>) {
    super(spec, [spec.dim], vars);
  }

  protected shapes(spec: MlpSpec): Record<string, number[]> {
    return mlpWeightShapes(spec);
  }

  protected rebuild(spec: MlpSpec, vars: Record<string, Variable>): Mlp {
    return new Mlp(spec, vars);
  }

  /**
   * A new MLP: `weights` given (checked like {@link Mlp.setWeights}) or
   * seeded initial weights ({@link initialMlpWeights}).
   *
   * @example
   * ```ts
   * const net = createMlp({ dim: 2, hidden: [64, 64] });
   * const copy = Mlp.create(net.config, net.getWeights());
   * ```
   */
  static create(config: MlpConfig, weights?: NamedArrays): Mlp {
    const spec = resolveMlpConfig(config);
    return new Mlp(spec, VariablesNetwork.variablesFor(mlpWeightShapes(spec), weights ?? initialMlpWeights(spec)));
  }

  apply(xIn: Tensor, cNoise: Tensor1D, cNoiseS?: Tensor1D): Tensor {
    this.checkInputs(xIn, cNoise, cNoiseS);
    const v = this.vars;
    const act = this.config.activation;
    return tf.tidy(() => {
      const times: [Tensor1D, TimePath][] = cNoiseS ? [[cNoise, 'temb'], [cNoiseS, 'temb_s']] : [[cNoise, 'temb']];
      let h: Tensor;
      if (times.every(([c]) => isUniformBatch(c))) {
        // One time for the whole batch: every time feature is one row, folded into the first layer's bias.
        const bias = times.reduce<Tensor>((b, [c, prefix]) => tf.add(b, this.timeFeatures(firstRow(c), prefix)), v['in/b']!);
        h = denseActivated(xIn, v['in/w']!, tf.reshape(bias, [-1]), act);
      } else {
        // Per-row times (a uniform path among them is one row, broadcast over the batch).
        const pre = times.reduce<Tensor>((p, [c, prefix]) => tf.add(p, this.timeFeatures(isUniformBatch(c) ? firstRow(c) : c, prefix)), tf.matMul(xIn, v['in/w']!));
        h = biasActivated(pre, v['in/b']!, act);
      }
      for (let i = 0; i + 1 < this.config.hidden.length; i++) h = denseActivated(h, v[`h${i}/w`]!, v[`h${i}/b`]!, act);
      return dense(h, v['out/w']!, v['out/b']!);
    });
  }

  /** Time MLP of one time: embedding → Linear → act → Linear (no bias), `c [rows]` → `[rows, H0]`. */
  private timeFeatures(c: Tensor1D, prefix: TimePath): Tensor {
    const v = this.vars;
    const emb = sinusoidalEmbedding(c, this.freqs);
    const hid = denseActivated(emb, v[`${prefix}/w0`]!, v[`${prefix}/b0`]!, this.config.activation);
    return tf.matMul(hid, v[`${prefix}/w1`]!);
  }

  toTwoTime(): Mlp {
    this.assertLive();
    if (this.twoTime) return this.clone();
    const spec = resolveMlpConfig({ ...this.config, twoTime: true });
    const v = this.vars;
    const shared = copyVariables(v);
    const vars: Record<string, Variable> = {};
    for (const name of Object.keys(mlpWeightShapes(spec))) {
      if (name === 'temb_s/w0') vars[name] = tf.variable(v['temb/w0']!, true);
      else if (name === 'temb_s/b0') vars[name] = tf.variable(v['temb/b0']!, true);
      else if (name === 'temb_s/w1') vars[name] = tf.tidy(() => tf.variable(tf.zerosLike(v['temb/w1']!), true));
      else vars[name] = shared[name]!;
    }
    return new Mlp(spec, vars);
  }
}

/**
 * Creates an {@link Mlp} from a config (defaults: silu, 64-dim time
 * embedding, time MLP width 64, maxPeriod 10000, one-time, seed 0).
 *
 * @example
 * ```ts
 * const net = createMlp({ dim: 2, hidden: [256, 256, 256] });
 * net.parameterCount(); // 153,410
 * const twoTime = net.toTwoTime();
 * ```
 */
export function createMlp(config: MlpConfig): Mlp {
  return Mlp.create(config);
}

/** The first entry of a uniform time batch `c [batch]`, `[1]` (a slice: no read-back). */
function firstRow(c: Tensor1D): Tensor1D {
  return tf.slice(c, [0], [1]);
}
