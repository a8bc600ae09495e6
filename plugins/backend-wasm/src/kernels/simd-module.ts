import { SIMD_HEAP_RELAXED_WASM_BASE64, SIMD_HEAP_WASM_BASE64, SIMD_RELAXED_WASM_BASE64, SIMD_WASM_BASE64 } from './simd-binary';

/**
 * charlearn's 128-bit SIMD kernels module (scripts/simd-wat.mjs, assembled into simd-binary.ts): a small WebAssembly
 * module with its own memory, holding the GEMM of `gemm.ts` with its panel packers, the Adam update of `adam.ts`,
 * the column sums of `reduce.ts`, the fused dense layer's SiLU epilogue and backward (`dense-silu.ts`), the
 * group-norm passes of `group-norm.ts` and the SiLU gradient of `silu-grad.ts`.
 * The kernels copy their operands from the tfjs wasm heap into this memory (a `TypedArray.set`, memcpy speed), run,
 * and copy the results back. Instantiated once per thread, on first use; its memory grows to the largest call's
 * need and keeps that size.
 *
 * A second build of the same text, the relaxed-SIMD module ({@link relaxedSimdModule}), has a 6 x 8 GEMM microkernel
 * that accumulates with `f32x4.relaxed_madd` (a fused multiply-add where the CPU has FMA: Chrome >= 114, Node >= 21;
 * Node 20 has it behind V8's `--experimental-wasm-relaxed-simd`, which {@link relaxedSimdModule} sets).
 */

/** Packs the full `width`-column panels of a row-major `[rows, cols]` matrix (byte addresses). */
type PanelPacker = (src: number, dst: number, rows: number, cols: number) => void;

/** The module's exports and a float view of its memory. */
export interface SimdModule {
  readonly memory: WebAssembly.Memory;
  readonly gemm: (a: number, rowStride: number, kStride: number, bp: number, c: number, rowBlocks: number, colBlocks: number, k: number, ldc: number) => void;
  /** {@link SimdModule.gemm} adding to the output (`c += op(a) @ b`): a convolution's filter rows accumulate into one tile (`conv2d-gemm.ts`). */
  readonly gemmAcc: (a: number, rowStride: number, kStride: number, bp: number, c: number, rowBlocks: number, colBlocks: number, k: number, ldc: number) => void;
  readonly panels4: PanelPacker;
  readonly panels8: PanelPacker;
  /** Packs a transposed left operand into {@link SimdModule.rows}-row blocks (`panels4` or `panels6`). */
  readonly panelsRows: PanelPacker;
  /** Rows of the GEMM microkernel's block (`gemm`'s `rowBlocks` counts blocks of this many rows). */
  readonly rows: number;
  /** Whether `gemm` accumulates with relaxed SIMD's fused multiply-add (its sums then differ from a mul-then-add's at float32 rounding). */
  readonly fused: boolean;
  /** The full 8-row panels of a row-major `[n, k]` matrix, transposed (byte addresses). */
  readonly gather8: (src: number, dst: number, n: number, k: number) => void;
  /** The column sums of a row-major `[rows, cols]` matrix at `src` into `cols` floats at `dst` (byte addresses; rows added in order). */
  readonly colsum: (src: number, dst: number, rows: number, cols: number) => void;
  /** Per-column sums of products of two row-major `[rows, cols]` blocks into `cols` floats (`cols` a multiple of 4; byte addresses; rows added in order). */
  readonly coldot: (a: number, b: number, dst: number, rows: number, cols: number) => void;
  /** Per-column sums of squared deviations from `cols` floats at `mean` (`cols` a multiple of 4; byte addresses; rows added in order). */
  readonly colsqdev: (src: number, mean: number, dst: number, rows: number, cols: number) => void;
  /** Group-norm forward of a `[rows, cols]` block: `xhat = (x − mean) · rstd`, `y = xhat · gamma + beta`, each a per-column vector (`cols` a multiple of 4; byte addresses). */
  readonly gnforward: (x: number, xhat: number, y: number, mean: number, rstd: number, gamma: number, beta: number, rows: number, cols: number) => void;
  /** Group-norm input gradient of a `[rows, cols]` block: `dx = rstd · ((dy · gamma − m1) − xhat · m2)`, per-column vectors (`cols` a multiple of 4; byte addresses). */
  readonly gnbackward: (dy: number, xhat: number, dx: number, rstd: number, gamma: number, m1: number, m2: number, rows: number, cols: number) => void;
  /** The SiLU input gradient `dx = dy · (s · (1 + x · (1 − s)))` over `n` floats (rounded up to 4; byte addresses). */
  readonly siluInputGrad: (dy: number, x: number, s: number, dx: number, n: number) => void;
  /** Adam in place over `n` floats (rounded up to 4) at the byte addresses of x, m, v, g. */
  readonly adam: (x: number, m: number, v: number, g: number, n: number, beta1: number, beta2: number, c1: number, c2: number, stepSize: number, epsilon: number, gradScale: number) => void;
  /**
   * The dense layer's epilogue in place on a row-major `[rows, ldc]` product at `c` (`ldc` a multiple of 4; byte
   * addresses): `z = c + bias[j]`, `s = σ(z)` written at `s` (same layout), `c = z·σ(z)`; σ by a polynomial exp
   * (max relative error ~2e-7 against float64).
   */
  readonly biasSilu: (c: number, bias: number, s: number, rows: number, ldc: number) => void;
  /** {@link SimdModule.biasSilu} without writing `s` (inference: `c = z·σ(z)` only). */
  readonly biasSiluY: (c: number, bias: number, rows: number, ldc: number) => void;
  /** SiLU's backward over row-major `[rows, cols]` matrices (byte addresses): `dz = dy·(s + y·(1 − s))` and the column sums of `dz` at `db`, one pass. */
  readonly siluGrad: (dy: number, y: number, s: number, dz: number, db: number, rows: number, cols: number) => void;
  view: Float32Array;
}

let loaded: SimdModule | null | undefined;
let loadedRelaxed: SimdModule | null | undefined;

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(new ArrayBuffer(binary.length));
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function instantiate(base64: string, rows: number, fused: boolean): SimdModule | null {
  try {
    const bytes = decodeBase64(base64);
    if (!WebAssembly.validate(bytes)) return null;
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
    const x = instance.exports as unknown as Omit<SimdModule, 'view' | 'panelsRows' | 'rows' | 'fused'> & { panels6?: PanelPacker };
    const panelsRows = rows === 6 ? x.panels6 : x.panels4;
    if (!panelsRows) return null;
    return { memory: x.memory, gemm: x.gemm, gemmAcc: x.gemmAcc, panels4: x.panels4, panels8: x.panels8, panelsRows, rows, fused, gather8: x.gather8, adam: x.adam, colsum: x.colsum, coldot: x.coldot, colsqdev: x.colsqdev, gnforward: x.gnforward, gnbackward: x.gnbackward, siluInputGrad: x.siluInputGrad, biasSilu: x.biasSilu, biasSiluY: x.biasSiluY, siluGrad: x.siluGrad, view: new Float32Array(x.memory.buffer) };
  } catch {
    return null;
  }
}

/** The instantiated module, or null where WebAssembly SIMD is not available (the callers fall back). */
export function simdModule(): SimdModule | null {
  if (loaded === undefined) loaded = instantiate(SIMD_WASM_BASE64, 4, false);
  return loaded;
}

/** V8 in Node 20 validates relaxed SIMD only behind a flag; setting it is safe at any time before a module's compile. */
function enableRelaxedSimdInNode20(): void {
  const proc = (globalThis as { process?: { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown } }).process;
  if (!proc?.versions?.node?.startsWith('20.') || !proc.getBuiltinModule) return;
  const v8 = proc.getBuiltinModule('node:v8') as { setFlagsFromString?: (flags: string) => void } | undefined;
  v8?.setFlagsFromString?.('--experimental-wasm-relaxed-simd');
}

/**
 * The relaxed-SIMD module (6 x 8 fused multiply-add GEMM), or null where the runtime has no relaxed SIMD (the
 * callers then use {@link simdModule}). In Node 20 it first sets V8's `--experimental-wasm-relaxed-simd` flag.
 */
export function relaxedSimdModule(): SimdModule | null {
  if (loadedRelaxed !== undefined) return loadedRelaxed;
  const bytes = decodeBase64(SIMD_RELAXED_WASM_BASE64);
  if (!WebAssembly.validate(bytes)) enableRelaxedSimdInNode20();
  loadedRelaxed = instantiate(SIMD_RELAXED_WASM_BASE64, 6, true);
  return loadedRelaxed;
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

/** The SIMD kernels module's text instantiated on the tfjs wasm heap ({@link heapSimdModule}): byte addresses into it. */
export interface HeapSimdModule {
  /** Copies `rows` segments of `len` bytes from `src` (row stride `srcStride` bytes) to `dst` (stride `dstStride`), a `memory.copy` each. */
  readonly copyrows: (src: number, srcStride: number, dst: number, dstStride: number, rows: number, len: number) => void;
  /** {@link SimdModule.siluGrad} on tensors in place on the heap (byte addresses of `dy`, `y`, `s`, `dz`, `db`). */
  readonly siluGrad: (dy: number, y: number, s: number, dz: number, db: number, rows: number, cols: number) => void;
  /** `out = e·keep + x·take` over exactly `n` floats (byte addresses), each operation rounded to float32. */
  readonly ema: (e: number, x: number, out: number, n: number, keep: number, take: number) => void;
}

const onHeap = new WeakMap<WebAssembly.Memory, HeapSimdModule | null>();

/**
 * The SIMD kernels module on the wasm backend's own memory (`backend.wasm.asm.memory` of tfjs-backend-wasm 4.22's
 * binaries), so that it moves tensors' data in place; one instance per memory. Null where that memory is not
 * reachable or not importable (the threaded binary's memory is shared, this import is not): the callers fall back.
 */
export function heapSimdModule(backend: unknown): HeapSimdModule | null {
  const memory = (backend as { wasm?: { asm?: { memory?: unknown } } } | null)?.wasm?.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) return null;
  const cached = onHeap.get(memory);
  if (cached !== undefined) return cached;
  let module: HeapSimdModule | null = null;
  try {
    const bytes = decodeBase64(SIMD_HEAP_WASM_BASE64);
    if (WebAssembly.validate(bytes)) {
      const x = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports as unknown as HeapSimdModule;
      module = { copyrows: x.copyrows, siluGrad: x.siluGrad, ema: x.ema };
    }
  } catch {
    module = null;
  }
  onHeap.set(memory, module);
  return module;
}

/**
 * The GEMM, its packers and the dense layer's epilogue instantiated on the tfjs wasm heap ({@link heapGemmModule}):
 * the same microkernel as the module of the same `rows` and `fused`, reading and writing tensors in place (byte
 * addresses into the heap). Never grow this memory from here: tfjs's allocator owns it.
 */
export type HeapGemmModule = Pick<SimdModule, 'gemm' | 'panels8' | 'gather8' | 'panelsRows' | 'rows' | 'fused' | 'biasSilu' | 'biasSiluY'> & {
  /** The tfjs heap. */
  readonly memory: WebAssembly.Memory;
};

const gemmOnHeap = new WeakMap<WebAssembly.Memory, { relaxed?: HeapGemmModule | null; baseline?: HeapGemmModule | null }>();

/**
 * The SIMD kernels module's GEMM on the wasm backend's own memory (the single-threaded binary's; see
 * {@link heapSimdModule}): the relaxed-SIMD 6 x 8 build when `relaxed`, else the baseline 4 x 8 one, so that it runs
 * the same microkernel, with the same sums, as {@link relaxedSimdModule} or {@link simdModule}. One instance per
 * memory and build; null where the memory is not reachable or the build does not instantiate (the callers then copy
 * into the module's own memory).
 */
export function heapGemmModule(backend: unknown, relaxed: boolean): HeapGemmModule | null {
  const memory = (backend as { wasm?: { asm?: { memory?: unknown } } } | null)?.wasm?.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) return null;
  let entry = gemmOnHeap.get(memory);
  if (!entry) gemmOnHeap.set(memory, (entry = {}));
  const key = relaxed ? 'relaxed' : 'baseline';
  const cached = entry[key];
  if (cached !== undefined) return cached;
  let module: HeapGemmModule | null = null;
  try {
    const bytes = decodeBase64(relaxed ? SIMD_HEAP_RELAXED_WASM_BASE64 : SIMD_HEAP_WASM_BASE64);
    if (relaxed && !WebAssembly.validate(bytes)) enableRelaxedSimdInNode20();
    if (WebAssembly.validate(bytes)) {
      const x = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports as unknown as Omit<HeapGemmModule, 'memory' | 'rows' | 'fused' | 'panelsRows'> & {
        panels4: PanelPacker;
        panels6?: PanelPacker;
      };
      const panelsRows = relaxed ? x.panels6 : x.panels4;
      if (panelsRows) module = { memory, gemm: x.gemm, panels8: x.panels8, gather8: x.gather8, panelsRows, rows: relaxed ? 6 : 4, fused: relaxed, biasSilu: x.biasSilu, biasSiluY: x.biasSiluY };
    }
  } catch {
    module = null;
  }
  entry[key] = module;
  return module;
}
