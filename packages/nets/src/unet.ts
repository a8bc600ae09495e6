import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Tensor2D, Tensor4D, Variable } from '@tensorflow/tfjs-core';
import { Rng } from '@charlearn/core';
import { ImageNetwork } from './image-network';
import { xavierUniform } from './init';
import { conv2dSame, downsample2x, dropout, groupNorm, linear, selfAttention, silu, upsample2x } from './layers';
import type { NamedArrays } from './network';
import { initialTimeMlp, sPathFrom } from './time-mlp';
import { resolveUnetConfig, unetPlan, unetWeightShapes, type UnetConfig, type UnetSpec, type UnetStep } from './unet-config';
import { shapeSize } from './weights';

/** True for the layers that start at zero (see {@link initialUnetWeights}). */
function startsAtZero(name: string): boolean {
  return name === 'out/w' || name.endsWith('/conv2/w') || name.endsWith('/proj/w');
}

/**
 * Seeded initial U-Net weights (DDPM++'s scheme, see {@link Unet}):
 *
 * - convolutions and linears: Xavier-uniform (fan-in/fan-out `k²·cin`,
 *   `k²·cout` for a k x k conv), biases 0, GroupNorm `gamma = 1`, `beta = 0`;
 * - **zero**: the output conv `out/w` (with `out/b = 0`, `F = 0` at start,
 *   so under EDM preconditioning `D = c_skip·x + c_out·F` is `c_skip·x`,
 *   the best linear denoiser of σ_d-scaled data, and the EDM-weighted loss
 *   starts at its unit-variance value instead of being inflated by a
 *   random `F`; EDM initialises the same layers at ~1e-5), the second conv
 *   of every residual block `{name}/conv2/w` and the output projection of
 *   every attention block `{name}/proj/w` (DDPM++'s `init_scale = 0`): every
 *   block starts as its (scaled) skip path, so depth does not blow up the
 *   initial activations;
 * - the `s` path of a two-time net: `temb_s/w0`, `temb_s/b0` copied from
 *   `temb`, `temb_s/w1`, `temb_s/b1` zero (the network equals its one-time
 *   counterpart).
 *
 * Draws from `Rng(seed)` in the order of {@link unetWeightShapes} (zero and
 * constant arrays draw nothing; the `s` path draws nothing), so
 * `createUnet({ ...c, twoTime: true })` equals `createUnet(c).toTwoTime()`.
 *
 * @example
 * ```ts
 * const w = initialUnetWeights(resolveUnetConfig({ sampleShape: [8, 8, 1], channels: 8 }));
 * w['out/w']?.values.every((v) => v === 0); // true
 * ```
 */
export function initialUnetWeights(spec: UnetSpec): NamedArrays {
  const shapes = unetWeightShapes({ ...spec, twoTime: false });
  const rng = new Rng(spec.seed);
  const out: NamedArrays = initialTimeMlp(rng, spec.timeEmbeddingDim, spec.embedDim);
  for (const [name, shape] of Object.entries(shapes)) {
    if (name.startsWith('temb/')) continue;
    const n = shapeSize(shape);
    let values: Float32Array;
    if (name.endsWith('/g')) values = new Float32Array(n).fill(1);
    else if (name.endsWith('/b') || startsAtZero(name)) values = new Float32Array(n);
    else if (shape.length === 4) values = xavierUniform(rng, shape[0]! * shape[1]! * shape[2]!, shape[0]! * shape[1]! * shape[3]!, n);
    else values = xavierUniform(rng, shape[0]!, shape[1]!, n);
    out[name] = { shape, values };
  }
  return spec.twoTime ? { ...out, ...sPathFrom(out) } : out;
}

/**
 * A DDPM++-style U-Net as the raw network `F(xIn, c_noise(t)[, c_noise(s)])`
 * for images `xIn [batch, H, W, C]` (NHWC). Build it with {@link createUnet}
 * or `createNetwork({ kind: 'unet', ... })`.
 *
 * Design (the program is {@link unetPlan}; the names {@link unetWeightShapes}):
 * - **time**: `c_noise` → sinusoidal embedding (E) → Linear → SiLU → Linear
 *   (T = `embedDim`) → SiLU, then one Linear(T → cout) per residual block,
 *   added after its first conv. **Two-time**: `c_noise(s)` goes through its
 *   own time MLP (`temb_s/*`, last layer zero at start), added to the `t`
 *   embedding before the SiLU, so the two-time net starts equal to the
 *   one-time net for every `cNoiseS`.
 * - **residual block**: GroupNorm → SiLU → conv3x3 → + time projection →
 *   GroupNorm → SiLU → dropout → conv3x3, plus the skip (1x1 conv = matMul
 *   over channels when the width changes), scaled by 1/√2 (DDPM++'s
 *   `skip_rescale`).
 * - **attention block**: GroupNorm → fused qkv projection (one matMul
 *   `[b·hw, c] × [c, 3c]`) → multi-head `softmax(QKᵀ/√d) V` → output
 *   projection (zero at start) → residual, scaled by 1/√2.
 * - **resampling**: parameter-free 2x2 average pooling down and nearest
 *   upsampling (reshape + broadcast), each followed by residual blocks;
 *   every conv is stride 1 'same', so all of it trains on wasm.
 * - **init**: {@link initialUnetWeights} (output conv zero: `D = c_skip·x`
 *   at start).
 * - **dropout**: the config's rate is applied only between
 *   {@link Unet.setDropout}`(rng)` and `setDropout(null)`; masks come from
 *   seeds drawn from that `Rng`, so runs are reproducible. Off by default
 *   (and in clones).
 *
 * @example
 * ```ts
 * const net = createUnet({ sampleShape: [28, 28, 1], channels: 32, channelMult: [1, 2, 2], attentionResolutions: [7] });
 * const f = net.apply(xIn, cNoise);                 // xIn [b, 28, 28, 1], cNoise [b] → [b, 28, 28, 1]
 * const g = net.toTwoTime();                        // g.apply(xIn, cNoise, cNoiseS) == f at start
 * ```
 */
export class Unet extends ImageNetwork<UnetSpec> {
  readonly kind = 'unet';
  protected readonly lastLayerName = 'out/w';
  private readonly plan: readonly UnetStep[];
  private dropoutRng: Rng | null = null;

  private constructor(spec: UnetSpec, vars: Record<string, Variable>) {
    super(spec, vars);
    this.plan = unetPlan(spec);
  }

  /**
   * A new U-Net: `weights` given (checked like {@link Unet.setWeights}) or
   * seeded initial weights ({@link initialUnetWeights}).
   *
   * @example
   * ```ts
   * const net = createUnet({ sampleShape: [8, 8, 1], channels: 8 });
   * const copy = Unet.create(net.config, net.getWeights());
   * ```
   */
  static create(config: UnetConfig, weights?: NamedArrays): Unet {
    const spec = resolveUnetConfig(config);
    const vars = ImageNetwork.variablesFor(unetWeightShapes(spec), weights ?? initialUnetWeights(spec));
    return new Unet(spec, vars);
  }

  /**
   * Turns dropout on (`rng`: each residual block draws its mask seed from
   * it on every `apply`) or off (`null`, the default). Has no effect when
   * the config's `dropout` is 0.
   *
   * @example
   * ```ts
   * const net = createUnet({ sampleShape: [28, 28, 1], dropout: 0.1 });
   * net.setDropout(new Rng(1)); // training
   * net.setDropout(null);       // evaluation
   * ```
   */
  setDropout(rng: Rng | null): void {
    this.assertLive();
    this.dropoutRng = rng;
  }

  protected shapes(spec: UnetSpec): Record<string, number[]> {
    return unetWeightShapes(spec);
  }

  protected rebuild(spec: UnetSpec, vars: Record<string, Variable>): Unet {
    return new Unet(spec, vars);
  }

  protected forward(x: Tensor4D, emb: Tensor2D): Tensor4D {
    const v = this.vars;
    const groups = this.config.groups;
    const temb = silu(emb);
    const stack: Tensor4D[] = [];
    let h = x;
    for (const step of this.plan) {
      switch (step.op) {
        case 'in':
          h = conv2dSame(h, v['in/w']!, v['in/b']!);
          break;
        case 'push':
          stack.push(h);
          break;
        case 'res':
          if (step.concatSkip) h = tf.concat([h, stack.pop()!], 3);
          h = this.resBlock(h, temb, step.name, step.cin !== step.cout);
          break;
        case 'attn':
          h = this.attentionBlock(h, step.name);
          break;
        case 'down':
          h = downsample2x(h);
          break;
        case 'up':
          h = upsample2x(h);
          break;
        case 'out':
          h = conv2dSame(silu(groupNorm(h, v['out/norm/g']!, v['out/norm/b']!, groups)) as Tensor4D, v['out/w']!, v['out/b']!);
          break;
      }
    }
    return h;
  }

  /** `(skip(x) + conv2(drop(act(norm2(conv1(act(norm1(x))) + proj(temb)))))) / √2`. */
  private resBlock(x: Tensor4D, temb: Tensor, n: string, projectSkip: boolean): Tensor4D {
    const v = this.vars;
    const { groups, dropout: rate } = this.config;
    const b = x.shape[0];
    const cout = v[`${n}/conv1/b`]!.shape[0]!;
    let h = conv2dSame(silu(groupNorm(x, v[`${n}/norm1/g`]!, v[`${n}/norm1/b`]!, groups)) as Tensor4D, v[`${n}/conv1/w`]!, v[`${n}/conv1/b`]!);
    h = tf.add(h, tf.reshape(linear(temb, v[`${n}/temb/w`]!, v[`${n}/temb/b`]!), [b, 1, 1, cout]));
    let a = silu(groupNorm(h, v[`${n}/norm2/g`]!, v[`${n}/norm2/b`]!, groups));
    if (this.dropoutRng && rate > 0) a = dropout(a, rate, this.dropoutRng.nextUint32());
    h = conv2dSame(a as Tensor4D, v[`${n}/conv2/w`]!, v[`${n}/conv2/b`]!);
    const skip = projectSkip ? linear(x, v[`${n}/skip/w`]!, v[`${n}/skip/b`]!) : x;
    return tf.mul(tf.add(skip, h), Math.SQRT1_2) as Tensor4D;
  }

  /** `(x + proj(attention(qkv(norm(x))))) / √2` over the `h·w` positions. */
  private attentionBlock(x: Tensor4D, n: string): Tensor4D {
    const v = this.vars;
    const [b, h, w, c] = x.shape;
    const normed = tf.reshape(groupNorm(x, v[`${n}/norm/g`]!, v[`${n}/norm/b`]!, this.config.groups), [b * h * w, c]);
    const o = selfAttention(linear(normed, v[`${n}/qkv/w`]!, v[`${n}/qkv/b`]!), b, h * w, this.config.heads);
    const proj = tf.reshape(linear(o, v[`${n}/proj/w`]!, v[`${n}/proj/b`]!), [b, h, w, c]);
    return tf.mul(tf.add(x, proj), Math.SQRT1_2) as Tensor4D;
  }
}

/**
 * Creates a {@link Unet} from a config (defaults: channels 32, channelMult
 * `[1, 2, 2]`, 1 residual block a level, attention in the middle only,
 * 1 head, dropout 0, 8 groups, `embedDim = 4·channels`,
 * `timeEmbeddingDim = channels`, one-time, seed 0).
 *
 * @example
 * ```ts
 * const net = createUnet({ sampleShape: [28, 28, 1], channels: 32, channelMult: [1, 2, 2], numResBlocks: 2, attentionResolutions: [7] });
 * net.parameterCount();
 * ```
 */
export function createUnet(config: UnetConfig): Unet {
  return Unet.create(config);
}
