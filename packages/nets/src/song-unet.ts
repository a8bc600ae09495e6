import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, Tensor1D, Tensor2D, Tensor4D, Variable } from '@tensorflow/tfjs-core';
import { CheckpointError, Rng, shapeSize, type NamedArrays } from '@charlearn/core';
import { downsample2x, groupNorm, silu, upsample2x } from './layers';
import type { Network } from './network';
import {
  groupCount,
  hasSkip,
  resolveSongUnetConfig,
  songUnetBuffers,
  songUnetPlan,
  songUnetWeightShapes,
  type SongUnetConfig,
  type SongUnetSpec,
  type SongUnetStep,
} from './song-unet-config';
import { copyVariables, VariablesNetwork } from './variables-network';

const SKIP_SCALE = Math.SQRT1_2;

/** The reference `weight_init` scale (`init_weight`) of a parameter by its name: 1e-5 for the zero-initialised convs, √0.2 for qkv. */
function initScale(name: string): number {
  if (/\.(conv1|proj)\.weight$/.test(name) || /_aux_conv\.weight$/.test(name)) return 1e-5;
  if (name.endsWith('.qkv.weight')) return Math.sqrt(0.2);
  return 1;
}

/**
 * Seeded initial weights with the reference initialisation: xavier-uniform
 * linear and conv weights (fans `in·k²`, `out·k²`) times `init_weight`
 * (1e-5 for `conv1`, `proj` and the output conv, √0.2 for `qkv`), zero
 * biases, GroupNorm scale 1 and shift 0. Two-time: `map_layer*_s` copy
 * `map_layer*` and every `affine_s` is zero, so `g(t, s, ·)` starts equal to
 * the one-time network for every `s`.
 *
 * @example
 * ```ts
 * const w = initialSongUnetWeights(resolveSongUnetConfig({ sampleShape: [8, 8, 1], modelChannels: 8, channelMult: [1, 2], numBlocks: 1 }));
 * ```
 */
export function initialSongUnetWeights(spec: SongUnetSpec): NamedArrays {
  const rng = new Rng(spec.seed);
  const out: NamedArrays = {};
  for (const [name, shape] of Object.entries(songUnetWeightShapes({ ...spec, twoTime: false }))) {
    const n = shapeSize(shape);
    const isNorm = shape.length === 1 && !name.endsWith('.bias');
    let values: Float32Array;
    if (isNorm) values = new Float32Array(n).fill(1);
    else if (name.endsWith('.bias')) values = new Float32Array(n);
    else {
      const k2 = shape.length === 4 ? shape[2]! * shape[3]! : 1;
      const a = Math.sqrt(6 / (shape[1]! * k2 + shape[0]! * k2)) * initScale(name);
      values = rng.uniformArray(n, -a, a);
    }
    out[name] = { shape, values };
  }
  return spec.twoTime ? { ...out, ...secondTimeFrom(out, spec) } : out;
}

/** The two-time parameters made from one-time weights: `map_layer*_s` copies, `affine_s` zeros. */
function secondTimeFrom(oneTime: NamedArrays, spec: SongUnetSpec): NamedArrays {
  const out: NamedArrays = {};
  for (const [name, shape] of Object.entries(songUnetWeightShapes({ ...spec, twoTime: true }))) {
    if (name in oneTime) continue;
    const source = oneTime[name.replace(/^map_layer(\d)_s\./, 'map_layer$1.')];
    out[name] = { shape, values: name.startsWith('map_layer') && source ? source.values.slice() : new Float32Array(shapeSize(shape)) };
  }
  return out;
}

/**
 * EDM's DDPM++ `SongUNet` with the parameter names and shapes of the
 * characteristic-generator reference code (`network.py`, `UNet` with
 * `traj_mode` for the two-time generator), so that its PyTorch
 * `state_dict()` loads here (see {@link fromTorchStateDict}) and gives the
 * same outputs. Input and output are NHWC (`xIn [batch, H, W, C]`) as in
 * the rest of charlearn; weights stay in PyTorch's layout and are
 * transposed inside `apply`. `cNoise` is the reference's `c_noise`
 * (`999·t_ref`, i.e. charlearn's `edmCoefficients(...).cNoise`).
 *
 * Choose it to exchange teachers and generators with the reference code
 * (or any EDM DDPM++ checkpoint of this layout) and for paper-scale
 * settings; choose `unet` for networks trained only in charlearn, where its
 * wasm kernels and fewer blocks make a training step cheaper.
 *
 * @example
 * ```ts
 * const net = createSongUnet({ sampleShape: [28, 28, 1] });   // the reference's MNIST teacher
 * const g = net.toTwoTime();                                    // equals net at start, for any s
 * ```
 */
export class SongUnet extends VariablesNetwork<SongUnetSpec> {
  readonly kind = 'songunet';
  protected readonly lastLayerName: string;
  private readonly plan: readonly SongUnetStep[];
  private readonly posFreqs: Tensor2D;

  private constructor(spec: SongUnetSpec, vars: Record<string, Variable>) {
    super(spec, spec.sampleShape, vars);
    this.plan = songUnetPlan(spec);
    const res = spec.sampleShape[0];
    this.lastLayerName = `dec.${res}x${res}_aux_conv.weight`;
    const half = spec.modelChannels / 2;
    const f = Float32Array.from({ length: half }, (_, i) => (1 / spec.maxPeriod) ** (i / (half - 1)));
    this.posFreqs = tf.keep(tf.tensor2d(f, [1, half]));
  }

  /**
   * A new SongUNet: `weights` given (names and shapes of
   * {@link songUnetWeightShapes}, checked) or the seeded reference
   * initialisation ({@link initialSongUnetWeights}).
   *
   * @example
   * ```ts
   * const net = createSongUnet({ sampleShape: [8, 8, 1], modelChannels: 8, channelMult: [1, 2], numBlocks: 1, attnResolutions: [4] });
   * const copy = SongUnet.create(net.config, net.getWeights());
   * ```
   */
  static create(config: SongUnetConfig | SongUnetSpec, weights?: NamedArrays): SongUnet {
    const spec = resolveSongUnetConfig(config);
    return new SongUnet(spec, VariablesNetwork.variablesFor(songUnetWeightShapes(spec), weights ?? initialSongUnetWeights(spec)));
  }

  protected shapes(spec: SongUnetSpec): Record<string, number[]> {
    return songUnetWeightShapes(spec);
  }

  protected rebuild(spec: SongUnetSpec, vars: Record<string, Variable>): SongUnet {
    return new SongUnet(spec, vars);
  }

  apply(xIn: Tensor, cNoise: Tensor1D, cNoiseS?: Tensor1D): Tensor {
    this.checkInputs(xIn, cNoise, cNoiseS);
    return tf.tidy(() => {
      const emb = this.embedding(cNoise, '');
      const embS = cNoiseS ? this.embedding(cNoiseS, '_s') : null;
      const skips: Tensor4D[] = [];
      let x = xIn as Tensor4D;
      let tmp: Tensor4D | null = null;
      let out: Tensor4D | null = null;
      for (const step of this.plan) {
        if (step.kind === 'conv') {
          x = this.conv(x, step.name);
          skips.push(x);
        } else if (step.kind === 'block') {
          if (step.concat) x = tf.concat([x, skips.pop()!], 3);
          x = this.block(x, emb, embS, step);
          if (step.name.startsWith('enc.')) skips.push(x);
        } else if (step.kind === 'auxNorm') tmp = this.norm(x, step.name);
        else out = this.conv(silu(tmp!) as Tensor4D, step.name);
      }
      return out!;
    });
  }

  /** `silu(map_layer1(silu(map_layer0([sin, cos](c·freqs)))))`: the reference mapping network. */
  private embedding(c: Tensor1D, suffix: string): Tensor2D {
    const arg = tf.matMul(tf.reshape(c, [-1, 1]), this.posFreqs);
    const pos = tf.concat([tf.sin(arg), tf.cos(arg)], 1);
    const h = silu(this.linear(pos, `map_layer0${suffix}`));
    return silu(this.linear(h, `map_layer1${suffix}`)) as Tensor2D;
  }

  private linear(x: Tensor, name: string): Tensor2D {
    return tf.add(tf.matMul(x as Tensor2D, this.vars[`${name}.weight`]!, false, true), this.vars[`${name}.bias`]!) as Tensor2D;
  }

  /** A PyTorch conv (`[out, in, k, k]`, padding k//2) on NHWC input. */
  private conv(x: Tensor4D, name: string): Tensor4D {
    const w = tf.transpose(this.vars[`${name}.weight`]!, [2, 3, 1, 0]) as Tensor4D;
    return tf.add(tf.conv2d(x, w, 1, 'same'), this.vars[`${name}.bias`]!) as Tensor4D;
  }

  private norm(x: Tensor4D, name: string): Tensor4D {
    return groupNorm(x, this.vars[`${name}.weight`]!, this.vars[`${name}.bias`]!, groupCount(x.shape[3]));
  }

  /** A reference `UNetBlock` (`adaptive_scale=False`, `resample_proj=True`, one head, skip scale √½). */
  private block(x: Tensor4D, emb: Tensor2D, embS: Tensor2D | null, step: SongUnetStep & { kind: 'block' }): Tensor4D {
    const n = step.name;
    const resample = (t: Tensor4D): Tensor4D => (step.up ? upsample2x(t) : step.down ? downsample2x(t) : t);
    let h = this.conv(resample(silu(this.norm(x, `${n}.norm0`)) as Tensor4D), `${n}.conv0`);
    let params: Tensor = this.linear(emb, `${n}.affine`);
    if (embS) params = tf.add(params, this.linear(embS, `${n}.affine_s`));
    h = silu(this.norm(tf.add(h, tf.reshape(params, [-1, 1, 1, step.cout])) as Tensor4D, `${n}.norm1`)) as Tensor4D;
    h = this.conv(h, `${n}.conv1`);
    const skip = hasSkip(step) ? this.conv(resample(x), `${n}.skip`) : x;
    h = tf.mul(tf.add(h, skip), SKIP_SCALE) as Tensor4D;
    if (!step.attention) return h;
    const [b, hh, ww, c] = h.shape;
    // qkv channels are interleaved per channel: index 3·c + {0: q, 1: k, 2: v}
    const qkv = tf.reshape(this.conv(this.norm(h, `${n}.norm2`), `${n}.qkv`), [b, hh * ww, c, 3]);
    const [q, k, v] = tf.unstack(qkv, 3) as [Tensor, Tensor, Tensor];
    const w = tf.softmax(tf.matMul(q, tf.div(k, Math.sqrt(c)), false, true));
    const a = tf.reshape(tf.matMul(w, v), [b, hh, ww, c]) as Tensor4D;
    return tf.mul(tf.add(this.conv(a, `${n}.proj`), h), SKIP_SCALE) as Tensor4D;
  }

  toTwoTime(): SongUnet {
    this.assertLive();
    if (this.twoTime) return this.clone();
    const spec = Object.freeze({ ...this.config, twoTime: true });
    const extra = secondTimeFrom(this.getWeights(), spec);
    const vars = { ...copyVariables(this.vars), ...VariablesNetwork.variablesFor(Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, v.shape])), extra) };
    const ordered: Record<string, Variable> = {};
    for (const name of Object.keys(songUnetWeightShapes(spec))) ordered[name] = vars[name]!;
    return new SongUnet(spec, ordered);
  }

  override dispose(): void {
    super.dispose();
    if (!this.posFreqs.isDisposed) this.posFreqs.dispose();
  }
}

/**
 * Creates a {@link SongUnet} (defaults: the reference's MNIST teacher,
 * `modelChannels` 32, `channelMult [1, 2, 2]`, `numBlocks` 4,
 * `attnResolutions [14]`, one-time, seed 0).
 *
 * @example
 * ```ts
 * const net = createSongUnet({ sampleShape: [32, 32, 3], modelChannels: 128, channelMult: [1, 2, 2, 2], attnResolutions: [16] });
 * net.parameterCount();
 * ```
 */
export function createSongUnet(config: SongUnetConfig): SongUnet {
  return SongUnet.create(config);
}

/**
 * The network weights in a PyTorch `state_dict()` of the reference module:
 * checks the constant `*.resample_filter` buffers (each `[1, 1, 2, 2]` of
 * 0.25) and drops them; every other tensor must be a parameter of `spec`
 * (rule: extra tensors are refused, naming them; missing ones and shapes
 * are checked by `setWeights` / `SongUnet.create`, naming the tensor).
 *
 * @example
 * ```ts
 * const { arrays } = readSafetensors(bytes);          // converted from the reference's .pt
 * const spec = resolveSongUnetConfig({ sampleShape: [28, 28, 1] });
 * const net = SongUnet.create(spec, fromTorchStateDict(arrays, spec));
 * ```
 */
export function fromTorchStateDict(arrays: NamedArrays, spec: SongUnetSpec): NamedArrays {
  const buffers = songUnetBuffers(spec);
  const shapes = songUnetWeightShapes(spec);
  const out: NamedArrays = {};
  const extra: string[] = [];
  for (const [name, entry] of Object.entries(arrays)) {
    const buffer = buffers[name];
    if (buffer) {
      if (entry.shape.join() !== buffer.shape.join() || entry.values.some((v) => v !== 0.25)) {
        throw new CheckpointError(`'${name}' must be the [1, 1] resample filter ([1, 1, 2, 2] of 0.25); this network supports no other`, undefined, name);
      }
    } else if (name in shapes) out[name] = entry;
    else extra.push(name);
  }
  if (extra.length) {
    throw new CheckpointError(
      `the state dict has ${extra.length} tensor(s) this ${spec.twoTime ? 'two' : 'one'}-time songunet does not have: ${extra.slice(0, 5).map((k) => `'${k}'`).join(', ')}${extra.length > 5 ? ', ...' : ''} (a two-time generator file for a one-time network? check twoTime and the config)`,
      undefined,
      'weights',
    );
  }
  return out;
}

/**
 * A network's weights as the reference module's `state_dict()`: the
 * parameters plus the constant `resample_filter` buffers, so that
 * `model.load_state_dict(...)` in PyTorch accepts the file strictly.
 *
 * @example
 * ```ts
 * const bytes = writeSafetensors(toTorchStateDict(net), {});
 * ```
 */
export function toTorchStateDict(net: Network): NamedArrays {
  if (net.kind !== 'songunet') throw new CheckpointError(`toTorchStateDict needs a songunet network, got '${net.kind}'`, undefined, 'net');
  return { ...net.getWeights(), ...songUnetBuffers(net.config as unknown as SongUnetSpec) };
}
