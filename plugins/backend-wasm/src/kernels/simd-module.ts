import { SIMD_WASM_BASE64 } from './simd-binary';

/**
 * charlearn's 128-bit SIMD kernels module (scripts/simd-wat.mjs, assembled into simd-binary.ts): a small WebAssembly
 * module with its own memory, holding the GEMM of `gemm.ts` with its panel packers and the Adam update of `adam.ts`.
 * The kernels copy their operands from the tfjs wasm heap into this memory (a `TypedArray.set`, memcpy speed), run,
 * and copy the results back. Instantiated once per thread, on first use; its memory grows to the largest call's
 * need and keeps that size.
 */

/** Packs the full `width`-column panels of a row-major `[rows, cols]` matrix (byte addresses). */
type PanelPacker = (src: number, dst: number, rows: number, cols: number) => void;

/** The module's exports and a float view of its memory. */
export interface SimdModule {
  readonly memory: WebAssembly.Memory;
  readonly gemm: (a: number, rowStride: number, kStride: number, bp: number, c: number, rowBlocks: number, colBlocks: number, k: number, ldc: number) => void;
  readonly panels4: PanelPacker;
  readonly panels8: PanelPacker;
  /** The full 8-row panels of a row-major `[n, k]` matrix, transposed (byte addresses). */
  readonly gather8: (src: number, dst: number, n: number, k: number) => void;
  /** Adam in place over `n` floats (rounded up to 4) at the byte addresses of x, m, v, g. */
  readonly adam: (x: number, m: number, v: number, g: number, n: number, beta1: number, beta2: number, c1: number, c2: number, stepSize: number, epsilon: number, gradScale: number) => void;
  view: Float32Array;
}

let loaded: SimdModule | null | undefined;

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(new ArrayBuffer(binary.length));
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** The instantiated module, or null where WebAssembly SIMD is not available (the callers fall back). */
export function simdModule(): SimdModule | null {
  if (loaded !== undefined) return loaded;
  try {
    const bytes = decodeBase64(SIMD_WASM_BASE64);
    if (!WebAssembly.validate(bytes)) {
      loaded = null;
      return loaded;
    }
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
    const x = instance.exports as unknown as Omit<SimdModule, 'view'>;
    loaded = { memory: x.memory, gemm: x.gemm, panels4: x.panels4, panels8: x.panels8, gather8: x.gather8, adam: x.adam, view: new Float32Array(x.memory.buffer) };
  } catch {
    loaded = null;
  }
  return loaded;
}

/** The module's memory as floats, at least `floats` long (grows it when needed; earlier views are then stale). */
export function reserveFloats(m: SimdModule, floats: number): Float32Array {
  const bytes = floats * 4;
  if (m.memory.buffer.byteLength < bytes) {
    m.memory.grow(Math.ceil((bytes - m.memory.buffer.byteLength) / 65536));
    m.view = new Float32Array(m.memory.buffer);
  }
  return m.view;
}
