import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Tensor2D, Tensor4D, Variable } from '@tensorflow/tfjs-core';
import { Rng } from '@charlearn/core';
import { ditWeightShapes, resolveDitConfig, type DitConfig, type DitSpec } from './dit-config';
import { ImageNetwork } from './image-network';
import { xavierUniform } from './init';
import { geluTanh, layerNormNoAffine, linear, selfAttention, silu, sinCosPositions2d } from './layers';
import type { NamedArrays } from './network';
import { initialTimeMlp, sPathFrom } from './time-mlp';
import { shapeSize } from './weights';

/** True for the arrays that start at zero (see {@link initialDitWeights}). */
function startsAtZero(name: string): boolean {
  return /\/b[01]?$/.test(name) || name.endsWith('/ada/w') || name === 'final/w';
}

/**
 * Seeded initial DiT weights (DiT's scheme):
 *
 * - every linear (patch embedding, qkv, projections, MLP): Xavier-uniform,
 *   biases 0;
 * - **adaLN-Zero**: every modulation layer `block{i}/ada/*`,
 *   `final/ada/*` is zero, so each block's gates are 0 (the block is the
 *   identity) and the final layer only normalises;
 * - the output linear `final/w`, `final/b` **zero**: `F = 0` at start, so
 *   `D = c_skip·x` under EDM preconditioning (see {@link initialUnetWeights});
 * - the `s` path of a two-time net as for the U-Net (copied first layer,
 *   zero last layer).
 *
 * Draws from `Rng(seed)` in the order of {@link ditWeightShapes}; the `s`
 * path draws nothing, so `createDit({ ...c, twoTime: true })` equals
 * `createDit(c).toTwoTime()`.
 *
 * @example
 * ```ts
 * const w = initialDitWeights(resolveDitConfig({ sampleShape: [8, 8, 1], hidden: 16, heads: 2 }));
 * w['final/w']?.values.every((v) => v === 0); // true
 * ```
 */
export function initialDitWeights(spec: DitSpec): NamedArrays {
  const shapes = ditWeightShapes({ ...spec, twoTime: false });
  const rng = new Rng(spec.seed);
  const out: NamedArrays = initialTimeMlp(rng, spec.timeEmbeddingDim, spec.hidden);
  for (const [name, shape] of Object.entries(shapes)) {
    if (name.startsWith('temb/')) continue;
    const n = shapeSize(shape);
    const values = startsAtZero(name) ? new Float32Array(n) : xavierUniform(rng, shape[0]!, shape[1]!, n);
    out[name] = { shape, values };
  }
  return spec.twoTime ? { ...out, ...sPathFrom(out) } : out;
}

/**
 * A Diffusion Transformer (DiT, adaLN-Zero) as the raw network
 * `F(xIn, c_noise(t)[, c_noise(s)])` for images `xIn [batch, H, W, C]`.
 * Build it with {@link createDit} or `createNetwork({ kind: 'dit', ... })`.
 *
 * Design (D = `hidden`, p = `patchSize`, N = `HW/p²` tokens):
 * - **patchify**: `[b, H, W, C]` → `[b·N, p²C]` by reshape + one rank-4
 *   transpose, Linear(p²C → D), plus a fixed 2-D sin-cos position
 *   embedding `[N, D]` (cached);
 * - **conditioning** `c = temb(c_noise(t)) [+ temb_s(c_noise(s))]`
 *   (`[b, D]`, each a sinusoidal embedding → Linear → SiLU → Linear; the
 *   `s` path's last layer starts at zero);
 * - **block** (× `depth`): `SiLU(c)` → Linear(D → 6D) = shift, scale, gate
 *   for attention and MLP; `h += gate_a·Attn(LN(h)·(1 + scale_a) + shift_a)`,
 *   `h += gate_m·MLP(LN(h)·(1 + scale_m) + shift_m)`, LN without affine,
 *   attention with one fused qkv matMul, MLP D → `mlpRatio·D` → D with
 *   GELU (tanh) or SiLU;
 * - **final**: `SiLU(c)` → Linear(D → 2D) = shift, scale;
 *   Linear(LN(h)·(1 + scale) + shift) → `[b·N, p²C]` → unpatchify.
 * - **init**: {@link initialDitWeights} (adaLN and output zero).
 *
 * @example
 * ```ts
 * const net = createDit({ sampleShape: [28, 28, 1], patchSize: 4, hidden: 128, depth: 4, heads: 4 });
 * const f = net.apply(xIn, cNoise);  // [b, 28, 28, 1]
 * ```
 */
export class Dit extends ImageNetwork<DitSpec> {
  readonly kind = 'dit';
  protected readonly lastLayerName = 'final/w';
  private readonly positions: Tensor2D;

  private constructor(spec: DitSpec, vars: Record<string, Variable>) {
    super(spec, vars);
    const [h, w] = spec.sampleShape;
    const p = spec.patchSize;
    this.positions = tf.keep(tf.tensor2d(sinCosPositions2d(h / p, w / p, spec.hidden), [(h / p) * (w / p), spec.hidden]));
  }

  /**
   * A new DiT: `weights` given (checked like {@link Dit.setWeights}) or
   * seeded initial weights ({@link initialDitWeights}).
   *
   * @example
   * ```ts
   * const net = createDit({ sampleShape: [8, 8, 1], hidden: 16, heads: 2 });
   * const copy = Dit.create(net.config, net.getWeights());
   * ```
   */
  static create(config: DitConfig, weights?: NamedArrays): Dit {
    const spec = resolveDitConfig(config);
    const vars = ImageNetwork.variablesFor(ditWeightShapes(spec), weights ?? initialDitWeights(spec));
    return new Dit(spec, vars);
  }

  override dispose(): void {
    super.dispose();
    if (!this.positions.isDisposed) this.positions.dispose();
  }

  protected shapes(spec: DitSpec): Record<string, number[]> {
    return ditWeightShapes(spec);
  }

  protected rebuild(spec: DitSpec, vars: Record<string, Variable>): Dit {
    return new Dit(spec, vars);
  }

  protected forward(x: Tensor4D, emb: Tensor2D): Tensor4D {
    const v = this.vars;
    const { patchSize: p, hidden: d, depth } = this.config;
    const [b, hh, ww, ch] = x.shape;
    const gh = hh / p;
    const gw = ww / p;
    const n = gh * gw;
    // patchify: [b, H, W, C] → [b·gh, p, gw, p·C] → [b·gh, gw, p, p·C] → [b·N, p²C]
    const patches = tf.reshape(tf.transpose(tf.reshape(x, [b * gh, p, gw, p * ch]), [0, 2, 1, 3]), [b * n, p * p * ch]);
    let h = tf.add(tf.reshape(linear(patches, v['patch/w']!, v['patch/b']!), [b, n, d]), this.positions);
    const cond = silu(emb);
    for (let i = 0; i < depth; i++) h = this.block(h, cond, `block${i}`);
    const [shift, scale] = this.modulation(cond, 'final', 2);
    const out = linear(tf.reshape(modulate(layerNormNoAffine(h), shift!, scale!), [b * n, d]), v['final/w']!, v['final/b']!);
    // unpatchify: [b·N, p²C] → [b·gh, gw, p, p·C] → [b·gh, p, gw, p·C] → [b, H, W, C]
    return tf.reshape(tf.transpose(tf.reshape(out, [b * gh, gw, p, p * ch]), [0, 2, 1, 3]), [b, hh, ww, ch]);
  }

  /** `k` modulation vectors `[b, 1, D]` from `SiLU(c) [b, D]` through `{n}/ada`. */
  private modulation(cond: Tensor, n: string, k: number): Tensor[] {
    const [b, d] = cond.shape as [number, number];
    const mod = linear(cond, this.vars[`${n}/ada/w`]!, this.vars[`${n}/ada/b`]!);
    return tf.split(mod, k, 1).map((m) => tf.reshape(m, [b, 1, d]));
  }

  /** One adaLN-Zero block on `h [b, N, D]`. */
  private block(h: Tensor, cond: Tensor, n: string): Tensor {
    const v = this.vars;
    const [b, tokens, d] = h.shape as [number, number, number];
    const [shiftA, scaleA, gateA, shiftM, scaleM, gateM] = this.modulation(cond, n, 6) as [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor];
    const a = tf.reshape(modulate(layerNormNoAffine(h), shiftA, scaleA), [b * tokens, d]);
    const attn = linear(selfAttention(linear(a, v[`${n}/attn/qkv/w`]!, v[`${n}/attn/qkv/b`]!), b, tokens, this.config.heads), v[`${n}/attn/proj/w`]!, v[`${n}/attn/proj/b`]!);
    h = tf.add(h, tf.mul(gateA, tf.reshape(attn, [b, tokens, d])));
    const m = tf.reshape(modulate(layerNormNoAffine(h), shiftM, scaleM), [b * tokens, d]);
    const hidden = linear(m, v[`${n}/mlp/w0`]!, v[`${n}/mlp/b0`]!);
    const act = this.config.activation === 'silu' ? silu(hidden) : geluTanh(hidden);
    const mlp = linear(act, v[`${n}/mlp/w1`]!, v[`${n}/mlp/b1`]!);
    return tf.add(h, tf.mul(gateM, tf.reshape(mlp, [b, tokens, d])));
  }
}

/** `x·(1 + scale) + shift`, `x [b, N, D]`, `shift`, `scale`: `[b, 1, D]`. */
function modulate(x: Tensor, shift: Tensor, scale: Tensor): Tensor {
  return tf.add(tf.mul(x, tf.add(scale, 1)), shift);
}

/**
 * Creates a {@link Dit} from a config (defaults: patch 2, hidden 128,
 * depth 4, 4 heads, mlpRatio 4, GELU-tanh, 256-dim time embedding,
 * one-time, seed 0).
 *
 * @example
 * ```ts
 * const net = createDit({ sampleShape: [28, 28, 1], patchSize: 4, hidden: 128, depth: 4, heads: 4 });
 * net.parameterCount();
 * ```
 */
export function createDit(config: DitConfig): Dit {
  return Dit.create(config);
}
