// The WebAssembly text of charlearn's 128-bit SIMD kernels module (src/kernels/simd-module.ts): the float32 GEMM of
// src/kernels/gemm.ts (a 4 x 8 register-blocked microkernel: 8 f32x4 accumulators; each k step loads 8 floats of the
// packed right operand and splats 4 values of the left one; the loop over 4-row x 8-column blocks; the panel
// packers) and the Adam update of src/kernels/adam.ts. scripts/build-simd.mjs assembles it with wabt into
// src/kernels/simd-binary.ts; src/gemm.test.ts checks that the committed bytes are this text's. The same text with
// { rows: 6, fma: true } is the relaxed-SIMD module (a 6 x 8 microkernel accumulating with f32x4.relaxed_madd: 12
// accumulators; ~1.45x the baseline's GFLOP/s on this machine's Zen cores, plugins/backend-wasm/bench/matmul-gflops.mjs).
//
// gemm(a, rowStride, kStride, bp, c, rowBlocks, colBlocks, k, ldc), all addresses and strides in bytes:
//   C[i][j] = sum_k A(i, k) * B(k, j) for i < 4 rowBlocks, j < 8 colBlocks, where
//   A(i, k) is the float at a + i*rowStride + k*kStride (row-major A: rowStride = 4K, kStride = 4; a transposed A
//           stored as [K, M]: rowStride = 4, kStride = 4M),
//   B is packed: block jb is k rows of 8 floats at bp + jb*32k,
//   C is row-major with ldc bytes a row, at c.
// gemmAcc(...): the same with C[i][j] += the sum (the accumulators start from C): a convolution's filter rows add
//   their products into one tile (src/kernels/conv2d-gemm.ts).
// panels4(src, dst, rows, cols) / panels8(...): the full 4- / 8-column panels of a row-major [rows, cols] matrix at
//   src, each stored as rows x 4 (8) floats one after the other at dst (panel jb at dst + jb*rows*16 (32)): packs a
//   right operand, and a transposed left operand ([K, M] into 4-row blocks of A).
// gather8(src, dst, n, k): the full 8-row panels of a row-major [n, k] matrix, transposed: panel jb holds k rows of
//   the 8 floats src[jb*8 + c][kk] (packs a transposed right operand).
// adam(x, m, v, g, n, beta1, beta2, c1, c2, stepSize, epsilon, gradScale): in place over n floats (rounded up to 4)
//   at each address: g' = g*gradScale, m = beta1*m + c1*g', v = beta2*v + c2*g'^2 (c1 = 1 - beta1, c2 = 1 - beta2,
//   computed by the caller in float64), x -= (m/(sqrt(v)+eps))*stepSize, each op rounded to float32 in the
//   order of Adam's op chain.
// colsum(src, dst, rows, cols): the column sums of a row-major [rows, cols] matrix (rows added in order).
// biasSilu(c, bias, s, rows, ldc): the dense layer's epilogue, in place on a row-major [rows, ldc] matrix at c (ldc a
//   multiple of 4): z = c + bias[j]; s[i][j] = sigmoid(z) (at s, same layout); c[i][j] = z * sigmoid(z). The
//   sigmoid is 1 / (1 + e) or e / (1 + e) with e = exp(-|z|) as Cephes' expf computes it (range reduction by ln 2
//   in two parts, a degree-7 polynomial, the power of two built in the exponent bits); |z| is clamped to 87.3365
//   (e = 2^-126), so for z < -87.3 s is ~1e-38 where float32's exact value is subnormal or zero. In the relaxed-SIMD
//   module the reduction and the polynomial are relaxed_madds (~20% faster: one op where the baseline has two).
// biasSiluY(c, bias, rows, ldc): biasSilu without s (inference: no backward will read it).
// siluGrad(dy, y, s, dz, db, rows, cols): the SiLU layer's backward over row-major [rows, cols] matrices, one pass:
//   dz = dy * (s + y * (1 - s)) and db[j] = the column sums of dz (float32, rows added in order).
// coldot, colsqdev, gnforward, gnbackward: the group-norm passes of src/kernels/group-norm.ts (groupNormFunctions).
// siluInputGrad(dy, x, s, dx, n): the SiLU input gradient of src/kernels/silu-grad.ts, dy * (s * (1 + x * (1 - s))).
// ema(e, x, out, n, keep, take): the weight average of src/kernels/ema.ts, out = e*keep + x*take over exactly n floats,
//   run on the heap-memory build (in place on the tensors).
// copyrows(src, srcStride, dst, dstStride, rows, len): strided row copies (bytes) for src/kernels/copies.ts, run on
//   the heap-memory build (heapMemory), which imports the tfjs heap instead of owning a memory.

/**
 * @param {{ rows?: number, fma?: boolean, heapMemory?: boolean }} [options] rows: the microkernel's block height (4 for the baseline module:
 *   8 accumulators; 6 for the relaxed-SIMD one: 12 accumulators, 15 of x86's 16 vector registers); fma: accumulate
 *   with relaxed SIMD's `f32x4.relaxed_madd` (one fused multiply-add where the CPU has FMA) instead of `f32x4.mul`
 *   then `f32x4.add`. With rows = 6 the module also exports `panels6` (packs a transposed left operand into 6-row
 *   blocks); heapMemory: import the memory (`env.memory`: the tfjs wasm heap, so that `copyrows` moves tensors' rows
 *   in place) instead of declaring and exporting its own.
 * @returns {string} the module's text
 */
export function simdWat({ rows = 4, fma = false, heapMemory = false } = {}) {
  const ROWS = rows;
  const lines = [];
  lines.push('(module');
  lines.push(heapMemory ? ' (import "env" "memory" (memory 1))' : ' (memory (export "memory") 16)');
  // $micro / gemm, and $microAcc / gemmAcc: the same block adding its products to what the output already holds
  // (`c += a·b`), so that the products of a convolution's filter rows accumulate into one tile (conv2d-gemm.ts)
  // instead of KH tiles summed afterwards. Each its own function with one loop: a variant with the filter rows as an
  // outer loop, or as three loops written out, ran at ~38 GFLOP/s against $micro's ~53 (V8's register allocation).
  for (const [micro, driver, accumulate] of [['$micro', 'gemm', false], ['$microAcc', 'gemmAcc', true]]) {
    lines.push(...microkernel(micro, ROWS, fma, accumulate));
    lines.push(...gemmDriver(driver, micro, ROWS));
  }
  for (const width of ROWS === 4 ? [4, 8] : [4, 8, ROWS]) {
    lines.push(` (func (export "panels${width}") (param $src i32) (param $dst i32) (param $rows i32) (param $cols i32)`);
    lines.push('  (local $jb i32) (local $r i32) (local $s i32) (local $panels i32)');
    lines.push(`  (local.set $panels (i32.div_u (local.get $cols) (i32.const ${width})))`);
    lines.push('  (block $dj (loop $lj');
    lines.push('   (br_if $dj (i32.ge_u (local.get $jb) (local.get $panels)))');
    lines.push(`   (local.set $s (i32.add (local.get $src) (i32.mul (local.get $jb) (i32.const ${width * 4}))))`);
    lines.push('   (local.set $r (i32.const 0))');
    lines.push('   (block $dr (loop $lr');
    lines.push('    (br_if $dr (i32.ge_u (local.get $r) (local.get $rows)))');
    for (let o = 0; o + 4 <= width; o += 4) lines.push(`    (v128.store offset=${4 * o} (local.get $dst) (v128.load offset=${4 * o} (local.get $s)))`);
    if (width % 4 >= 2) lines.push(`    (i64.store offset=${4 * (width - (width % 4))} (local.get $dst) (i64.load offset=${4 * (width - (width % 4))} (local.get $s)))`);
    if (width % 2 === 1) lines.push(`    (f32.store offset=${4 * (width - 1)} (local.get $dst) (f32.load offset=${4 * (width - 1)} (local.get $s)))`);
    lines.push(`    (local.set $dst (i32.add (local.get $dst) (i32.const ${width * 4})))`);
    lines.push('    (local.set $s (i32.add (local.get $s) (i32.mul (local.get $cols) (i32.const 4))))');
    lines.push('    (local.set $r (i32.add (local.get $r) (i32.const 1)))');
    lines.push('    (br $lr)))');
    lines.push('   (local.set $jb (i32.add (local.get $jb) (i32.const 1)))');
    lines.push('   (br $lj)))');
    lines.push(' )');
  }
  lines.push(' (func (export "adam") (param $x i32) (param $m i32) (param $v i32) (param $g i32) (param $n i32) (param $b1 f32) (param $b2 f32) (param $c1 f32) (param $c2 f32) (param $ss f32) (param $eps f32) (param $gs f32)');
  lines.push('  (local $i i32) (local $gi v128) (local $mi v128) (local $vi v128) (local $B1 v128) (local $B2 v128) (local $C1 v128) (local $C2 v128) (local $SS v128) (local $EPS v128) (local $GS v128) (local $o i32)');
  lines.push('  (local.set $B1 (f32x4.splat (local.get $b1)))');
  lines.push('  (local.set $B2 (f32x4.splat (local.get $b2)))');
  lines.push('  (local.set $C1 (f32x4.splat (local.get $c1)))');
  lines.push('  (local.set $C2 (f32x4.splat (local.get $c2)))');
  lines.push('  (local.set $SS (f32x4.splat (local.get $ss)))');
  lines.push('  (local.set $EPS (f32x4.splat (local.get $eps)))');
  lines.push('  (local.set $GS (f32x4.splat (local.get $gs)))');
  lines.push('  (block $d (loop $l');
  lines.push('   (br_if $d (i32.ge_u (local.get $i) (local.get $n)))');
  lines.push('   (local.set $o (i32.shl (local.get $i) (i32.const 2)))');
  lines.push('   (local.set $gi (f32x4.mul (v128.load (i32.add (local.get $g) (local.get $o))) (local.get $GS)))');
  lines.push('   (local.set $mi (f32x4.add (f32x4.mul (local.get $B1) (v128.load (i32.add (local.get $m) (local.get $o)))) (f32x4.mul (local.get $C1) (local.get $gi))))');
  lines.push('   (local.set $vi (f32x4.add (f32x4.mul (local.get $B2) (v128.load (i32.add (local.get $v) (local.get $o)))) (f32x4.mul (f32x4.mul (local.get $gi) (local.get $gi)) (local.get $C2))))');
  lines.push('   (v128.store (i32.add (local.get $m) (local.get $o)) (local.get $mi))');
  lines.push('   (v128.store (i32.add (local.get $v) (local.get $o)) (local.get $vi))');
  lines.push('   (v128.store (i32.add (local.get $x) (local.get $o)) (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $o))) (f32x4.mul (f32x4.div (local.get $mi) (f32x4.add (f32x4.sqrt (local.get $vi)) (local.get $EPS))) (local.get $SS))))');
  lines.push('   (local.set $i (i32.add (local.get $i) (i32.const 4)))');
  lines.push('   (br $l)))');
  lines.push(' )');
  // colsum(src, dst, rows, cols): dst[j] = sum over i of src[i*cols + j] (float32, rows added in order, so the same
  // bits as a row-by-row scalar accumulation), f32x4 over the columns with a scalar tail; dst in this memory (L1)
  lines.push(' (func (export "colsum") (param $src i32) (param $dst i32) (param $rows i32) (param $cols i32)');
  lines.push('  (local $i i32) (local $j i32) (local $vec i32) (local $row i32) (local $o i32)');
  lines.push('  (local.set $vec (i32.and (local.get $cols) (i32.const -4)))');
  lines.push('  (memory.fill (local.get $dst) (i32.const 0) (i32.shl (local.get $cols) (i32.const 2)))');
  lines.push('  (local.set $row (local.get $src))');
  lines.push('  (block $di (loop $li');
  lines.push('   (br_if $di (i32.ge_u (local.get $i) (local.get $rows)))');
  lines.push('   (local.set $j (i32.const 0))');
  lines.push('   (block $dj (loop $lj');
  lines.push('    (br_if $dj (i32.ge_u (local.get $j) (local.get $vec)))');
  lines.push('    (local.set $o (i32.shl (local.get $j) (i32.const 2)))');
  lines.push('    (v128.store (i32.add (local.get $dst) (local.get $o)) (f32x4.add (v128.load (i32.add (local.get $dst) (local.get $o))) (v128.load (i32.add (local.get $row) (local.get $o)))))');
  lines.push('    (local.set $j (i32.add (local.get $j) (i32.const 4)))');
  lines.push('    (br $lj)))');
  lines.push('   (block $dt (loop $lt');
  lines.push('    (br_if $dt (i32.ge_u (local.get $j) (local.get $cols)))');
  lines.push('    (local.set $o (i32.shl (local.get $j) (i32.const 2)))');
  lines.push('    (f32.store (i32.add (local.get $dst) (local.get $o)) (f32.add (f32.load (i32.add (local.get $dst) (local.get $o))) (f32.load (i32.add (local.get $row) (local.get $o)))))');
  lines.push('    (local.set $j (i32.add (local.get $j) (i32.const 1)))');
  lines.push('    (br $lt)))');
  lines.push('   (local.set $row (i32.add (local.get $row) (i32.shl (local.get $cols) (i32.const 2))))');
  lines.push('   (local.set $i (i32.add (local.get $i) (i32.const 1)))');
  lines.push('   (br $li)))');
  lines.push(' )');
  lines.push(...biasSiluFuncs(fma), ...siluGradFunc());
  lines.push(' (func (export "gather8") (param $src i32) (param $dst i32) (param $n i32) (param $k i32)');
  lines.push('  (local $jb i32) (local $kk i32) (local $s i32) (local $panels i32) (local $rowBytes i32)');
  lines.push('  (local.set $panels (i32.div_u (local.get $n) (i32.const 8)))');
  lines.push('  (local.set $rowBytes (i32.mul (local.get $k) (i32.const 4)))');
  lines.push('  (block $dj (loop $lj');
  lines.push('   (br_if $dj (i32.ge_u (local.get $jb) (local.get $panels)))');
  lines.push('   (local.set $s (i32.add (local.get $src) (i32.mul (local.get $jb) (i32.mul (local.get $rowBytes) (i32.const 8)))))');
  lines.push('   (local.set $kk (i32.const 0))');
  lines.push('   (block $dk (loop $lk');
  lines.push('    (br_if $dk (i32.ge_u (local.get $kk) (local.get $k)))');
  for (let c = 0; c < 8; c++) {
    lines.push(`    (f32.store offset=${4 * c} (local.get $dst) (f32.load (i32.add (local.get $s) (i32.mul (local.get $rowBytes) (i32.const ${c})))))`);
  }
  lines.push('    (local.set $dst (i32.add (local.get $dst) (i32.const 32)))');
  lines.push('    (local.set $s (i32.add (local.get $s) (i32.const 4)))');
  lines.push('    (local.set $kk (i32.add (local.get $kk) (i32.const 1)))');
  lines.push('    (br $lk)))');
  lines.push('   (local.set $jb (i32.add (local.get $jb) (i32.const 1)))');
  lines.push('   (br $lj)))');
  lines.push(' )');
  groupNormFunctions(lines);
  // copyrows(src, srcStride, dst, dstStride, rows, len): rows segments of len bytes (byte strides), memory.copy each
  lines.push(' (func (export "copyrows") (param $src i32) (param $ss i32) (param $dst i32) (param $ds i32) (param $rows i32) (param $len i32)');
  lines.push('  (block $d (loop $l');
  lines.push('   (br_if $d (i32.eqz (local.get $rows)))');
  lines.push('   (memory.copy (local.get $dst) (local.get $src) (local.get $len))');
  lines.push('   (local.set $src (i32.add (local.get $src) (local.get $ss)))');
  lines.push('   (local.set $dst (i32.add (local.get $dst) (local.get $ds)))');
  lines.push('   (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))');
  lines.push('   (br $l)))');
  lines.push(' )');
  // ema(e, x, out, n, keep, take): out = e*keep + x*take over exactly n floats (f32x4, then a scalar tail), each
  // product and the sum rounded to float32: the op chain add(mul(e, keep), mul(x, take))
  lines.push(' (func (export "ema") (param $e i32) (param $x i32) (param $out i32) (param $n i32) (param $keep f32) (param $take f32)');
  lines.push('  (local $o i32) (local $vec i32) (local $end i32) (local $K v128) (local $T v128)');
  lines.push('  (local.set $K (f32x4.splat (local.get $keep)))');
  lines.push('  (local.set $T (f32x4.splat (local.get $take)))');
  lines.push('  (local.set $vec (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))');
  lines.push('  (local.set $end (i32.shl (local.get $n) (i32.const 2)))');
  lines.push('  (block $d (loop $l');
  lines.push('   (br_if $d (i32.ge_u (local.get $o) (local.get $vec)))');
  lines.push('   (v128.store (i32.add (local.get $out) (local.get $o)) (f32x4.add (f32x4.mul (v128.load (i32.add (local.get $e) (local.get $o))) (local.get $K)) (f32x4.mul (v128.load (i32.add (local.get $x) (local.get $o))) (local.get $T))))');
  lines.push('   (local.set $o (i32.add (local.get $o) (i32.const 16)))');
  lines.push('   (br $l)))');
  lines.push('  (block $dt (loop $lt');
  lines.push('   (br_if $dt (i32.ge_u (local.get $o) (local.get $end)))');
  lines.push('   (f32.store (i32.add (local.get $out) (local.get $o)) (f32.add (f32.mul (f32.load (i32.add (local.get $e) (local.get $o))) (local.get $keep)) (f32.mul (f32.load (i32.add (local.get $x) (local.get $o))) (local.get $take))))');
  lines.push('   (local.set $o (i32.add (local.get $o) (i32.const 4)))');
  lines.push('   (br $lt)))');
  lines.push(' )');
  // siluInputGrad(dy, x, s, dx, n): dx = dy * (s * (1 + x * (1 - s))) over n floats (rounded up to 4), in the op chain's order
  lines.push(' (func (export "siluInputGrad") (param $dy i32) (param $x i32) (param $s i32) (param $dx i32) (param $n i32)');
  lines.push('  (local $o i32) (local $end i32) (local $sv v128) (local $one v128)');
  lines.push('  (local.set $one (f32x4.splat (f32.const 1)))');
  lines.push('  (local.set $end (i32.shl (local.get $n) (i32.const 2)))');
  lines.push('  (block $d (loop $l');
  lines.push('   (br_if $d (i32.ge_u (local.get $o) (local.get $end)))');
  lines.push('   (local.set $sv (v128.load (i32.add (local.get $s) (local.get $o))))');
  lines.push('   (v128.store (i32.add (local.get $dx) (local.get $o)) (f32x4.mul (v128.load (i32.add (local.get $dy) (local.get $o))) (f32x4.mul (local.get $sv) (f32x4.add (local.get $one) (f32x4.mul (v128.load (i32.add (local.get $x) (local.get $o))) (f32x4.sub (local.get $one) (local.get $sv)))))))');
  lines.push('   (local.set $o (i32.add (local.get $o) (i32.const 16)))');
  lines.push('   (br $l)))');
  lines.push(' )');
  lines.push(')');
  return `${lines.join('\n')}\n`;
}

const splat = (x) => `(v128.const f32x4 ${x} ${x} ${x} ${x})`;

/** Cephes expf's polynomial p with exp(r) = 1 + r + r^2 p(r) on |r| <= ln(2)/2, highest coefficient first. */
const EXP_POLY = ['1.9875691500e-4', '1.3981999507e-3', '8.3334519073e-3', '4.1665795894e-2', '1.6666665459e-1', '5.0000001201e-1'];

/**
 * Instructions setting the v128 local `out` to the sigmoid of the v128 local `z` (f32x4), with the locals $t $n $r
 * $e $p2 (each with the suffix `sfx`, so that independent chains can run in one loop iteration) as scratch:
 * e = exp(-|z|), then 1/(1+e) where z >= 0, else e/(1+e) (see biasSilu in the header).
 */
function sigmoidLines(z, out, indent, fma = false, sfx = '') {
  const l = [];
  // a·b + c: one relaxed_madd (fused where the CPU has FMA) in the relaxed-SIMD module, else a mul and an add
  const madd = (a, b, c) => (fma ? `(f32x4.relaxed_madd ${a} ${b} ${c})` : `(f32x4.add (f32x4.mul ${a} ${b}) ${c})`);
  // c − a·b, as madd
  const nmadd = (a, b, c) => (fma ? `(f32x4.relaxed_nmadd ${a} ${b} ${c})` : `(f32x4.sub ${c} (f32x4.mul ${a} ${b}))`);
  // t = -|z| clamped (pmax: one maxps; NaN then gives a finite s and a NaN y); n = round(t / ln 2) by the magic-number
  // add (1.5·2^23 + 127: the sum's low mantissa bits hold n + 127, so its bits shifted left by 23 are 2^n)
  l.push(`(local.set $t${sfx} (f32x4.pmax (f32x4.neg (f32x4.abs (local.get ${z}))) ${splat('-87.3365')}))`);
  l.push(`(local.set $n${sfx} ${madd(`(local.get $t${sfx})`, splat('1.44269504088896341'), splat('12583039'))})`);
  l.push(`(local.set $p2${sfx} (i32x4.shl (local.get $n${sfx}) (i32.const 23)))`);
  l.push(`(local.set $n${sfx} (f32x4.sub (local.get $n${sfx}) ${splat('12583039')}))`);
  l.push(`(local.set $r${sfx} ${nmadd(`(local.get $n${sfx})`, splat('-2.12194440e-4'), nmadd(`(local.get $n${sfx})`, splat('0.693359375'), `(local.get $t${sfx})`))})`);
  let poly = splat(EXP_POLY[0]);
  for (const c of EXP_POLY.slice(1)) poly = madd(poly, `(local.get $r${sfx})`, splat(c));
  l.push(`(local.set $e${sfx} (f32x4.add ${madd(poly, `(f32x4.mul (local.get $r${sfx}) (local.get $r${sfx}))`, `(local.get $r${sfx})`)} ${splat('1')}))`);
  l.push(`(local.set $e${sfx} (f32x4.mul (local.get $e${sfx}) (local.get $p2${sfx})))`);
  l.push(`(local.set $r${sfx} (f32x4.div ${splat('1')} (f32x4.add (local.get $e${sfx}) ${splat('1')})))`);
  l.push(`(local.set ${out} (v128.bitselect (local.get $r${sfx}) (f32x4.mul (local.get $e${sfx}) (local.get $r${sfx})) (f32x4.ge (local.get ${z}) ${splat('0')})))`);
  return l.map((x) => `${indent}${x}`);
}

/**
 * Vectors a biasSilu loop iteration computes (each row: groups of this many, then one at a time): two independent
 * sigmoid chains overlap their ~70-cycle latency. The relaxed-SIMD module's biasSilu on `[1024, 256]` (2026-12-03, an
 * AMD EPYC; the committed modules of before and after instantiated in one process, 300 calls each in turn, twice):
 * 0.46-0.47 ms at 1, 0.34-0.36 at 2; through CharlearnBiasSilu, 4 chains (spills) were no faster than 1.
 */
const SILU_UNROLL = 2;

/**
 * The biasSilu and biasSiluY functions (see the header): the same pass, biasSilu also storing s = σ(z) (what the
 * backward needs), biasSiluY only y (inference); `unroll` vectors an iteration, each with its own scratch locals, then
 * the rest of the row one vector at a time. Every element gets the same operations whatever `unroll` is.
 */
function biasSiluFuncs(fma, unroll = SILU_UNROLL) {
  const l = [];
  const scratch = (k) => ['t', 'n', 'r', 'e', 'p2'].map((x) => `(local $${x}${k} v128)`).join(' ');
  for (const withS of [true, false]) {
    l.push(withS ? ' (func (export "biasSilu") (param $c i32) (param $bias i32) (param $s i32) (param $rows i32) (param $ldc i32)' : ' (func (export "biasSiluY") (param $c i32) (param $bias i32) (param $rows i32) (param $ldc i32)');
    l.push('  (local $i i32) (local $j i32) (local $rowBytes i32) (local $wide i32) (local $z v128) (local $sg v128) (local $t v128) (local $n v128) (local $r v128) (local $e v128) (local $p2 v128)');
    for (let k = 1; k < unroll; k++) l.push(`  (local $z${k} v128) (local $sg${k} v128) ${scratch(k)}`);
    l.push('  (local.set $rowBytes (i32.shl (local.get $ldc) (i32.const 2)))');
    // the bytes of each row covered by whole groups of `unroll` vectors
    l.push(`  (local.set $wide (i32.and (local.get $rowBytes) (i32.const ${-16 * unroll})))`);
    l.push('  (block $di (loop $li');
    l.push('   (br_if $di (i32.ge_u (local.get $i) (local.get $rows)))');
    l.push('   (local.set $j (i32.const 0))');
    const vector = (k, sfx) => {
      // vector k of the group at byte j of the row: the memory operations' constant offset
      const at = (base) => `offset=${16 * k} (i32.add (local.get ${base}) (local.get $j))`;
      const z = `$z${sfx}`;
      const sg = `$sg${sfx}`;
      const out = [];
      out.push(`    (local.set ${z} (f32x4.add (v128.load ${at('$c')}) (v128.load ${at('$bias')})))`);
      out.push(...sigmoidLines(z, sg, '    ', fma, sfx));
      if (withS) out.push(`    (v128.store ${at('$s')} (local.get ${sg}))`);
      out.push(`    (v128.store ${at('$c')} (f32x4.mul (local.get ${z}) (local.get ${sg})))`);
      return out;
    };
    if (unroll > 1) {
      l.push('   (block $dw (loop $lw');
      l.push('    (br_if $dw (i32.ge_u (local.get $j) (local.get $wide)))');
      for (let k = 0; k < unroll; k++) l.push(...vector(k, k ? String(k) : ''));
      l.push(`    (local.set $j (i32.add (local.get $j) (i32.const ${16 * unroll})))`);
      l.push('    (br $lw)))');
    }
    l.push('   (block $dj (loop $lj');
    l.push('    (br_if $dj (i32.ge_u (local.get $j) (local.get $rowBytes)))');
    l.push(...vector(0, ''));
    l.push('    (local.set $j (i32.add (local.get $j) (i32.const 16)))');
    l.push('    (br $lj)))');
    l.push('   (local.set $c (i32.add (local.get $c) (local.get $rowBytes)))');
    if (withS) l.push('   (local.set $s (i32.add (local.get $s) (local.get $rowBytes)))');
    l.push('   (local.set $i (i32.add (local.get $i) (i32.const 1)))');
    l.push('   (br $li)))');
    l.push(' )');
  }
  return l;
}

/** The siluGrad function (see the header). */
function siluGradFunc() {
  const l = [];
  l.push(' (func (export "siluGrad") (param $dy i32) (param $y i32) (param $s i32) (param $dz i32) (param $db i32) (param $rows i32) (param $cols i32)');
  l.push('  (local $i i32) (local $j i32) (local $vec i32) (local $rowBytes i32) (local $sv v128) (local $g v128) (local $ss f32) (local $gs f32)');
  l.push('  (local.set $vec (i32.shl (i32.and (local.get $cols) (i32.const -4)) (i32.const 2)))');
  l.push('  (local.set $rowBytes (i32.shl (local.get $cols) (i32.const 2)))');
  l.push('  (memory.fill (local.get $db) (i32.const 0) (local.get $rowBytes))');
  l.push('  (block $di (loop $li');
  l.push('   (br_if $di (i32.ge_u (local.get $i) (local.get $rows)))');
  l.push('   (local.set $j (i32.const 0))');
  l.push('   (block $dj (loop $lj');
  l.push('    (br_if $dj (i32.ge_u (local.get $j) (local.get $vec)))');
  l.push('    (local.set $sv (v128.load (i32.add (local.get $s) (local.get $j))))');
  l.push(`    (local.set $g (f32x4.mul (v128.load (i32.add (local.get $dy) (local.get $j))) (f32x4.add (local.get $sv) (f32x4.mul (v128.load (i32.add (local.get $y) (local.get $j))) (f32x4.sub ${splat('1')} (local.get $sv))))))`);
  l.push('    (v128.store (i32.add (local.get $dz) (local.get $j)) (local.get $g))');
  l.push('    (v128.store (i32.add (local.get $db) (local.get $j)) (f32x4.add (v128.load (i32.add (local.get $db) (local.get $j))) (local.get $g)))');
  l.push('    (local.set $j (i32.add (local.get $j) (i32.const 16)))');
  l.push('    (br $lj)))');
  l.push('   (block $dt (loop $lt');
  l.push('    (br_if $dt (i32.ge_u (local.get $j) (local.get $rowBytes)))');
  l.push('    (local.set $ss (f32.load (i32.add (local.get $s) (local.get $j))))');
  l.push('    (local.set $gs (f32.mul (f32.load (i32.add (local.get $dy) (local.get $j))) (f32.add (local.get $ss) (f32.mul (f32.load (i32.add (local.get $y) (local.get $j))) (f32.sub (f32.const 1) (local.get $ss))))))');
  l.push('    (f32.store (i32.add (local.get $dz) (local.get $j)) (local.get $gs))');
  l.push('    (f32.store (i32.add (local.get $db) (local.get $j)) (f32.add (f32.load (i32.add (local.get $db) (local.get $j))) (local.get $gs)))');
  l.push('    (local.set $j (i32.add (local.get $j) (i32.const 4)))');
  l.push('    (br $lt)))');
  for (const p of ['$dy', '$y', '$s', '$dz']) l.push(`   (local.set ${p} (i32.add (local.get ${p}) (local.get $rowBytes)))`);
  l.push('   (local.set $i (i32.add (local.get $i) (i32.const 1)))');
  l.push('   (br $li)))');
  l.push(' )');
  return l;
}

/**
 * Pushes a loop over the f32x4 vectors of a row-major `[rows, cols]` block (`cols` a multiple of 4): in `body`, local
 * `$o` is the vector's byte offset in the block and `$j` its column's byte offset in a row (so `(i32.add (local.get
 * $src) (local.get $o))` addresses the element vector and `(i32.add (local.get $mean) (local.get $j))` its per-column
 * vector). The function must declare `$o $j $rowBytes $end` (i32) and take `$rows $cols`.
 * @param {string[]} lines the module text so far
 * @param {string[]} body the loop body's instructions
 */
function columnVectorLoop(lines, body) {
  lines.push('  (local.set $rowBytes (i32.shl (local.get $cols) (i32.const 2)))');
  lines.push('  (local.set $end (i32.mul (local.get $rows) (local.get $rowBytes)))');
  lines.push('  (block $di (loop $li');
  lines.push('   (br_if $di (i32.ge_u (local.get $o) (local.get $end)))');
  lines.push('   (local.set $j (i32.const 0))');
  lines.push('   (block $dj (loop $lj');
  lines.push('    (br_if $dj (i32.ge_u (local.get $j) (local.get $rowBytes)))');
  for (const b of body) lines.push(`    ${b}`);
  lines.push('    (local.set $o (i32.add (local.get $o) (i32.const 16)))');
  lines.push('    (local.set $j (i32.add (local.get $j) (i32.const 16)))');
  lines.push('    (br $lj)))');
  lines.push('   (br $li)))');
}

/**
 * The group-norm passes of src/kernels/group-norm.ts over one sample's row-major `[rows (positions), cols (channels)]`
 * block, `cols` a multiple of 4, f32x4 over channels, every per-channel vector (`dst`, `mean`, ...) `cols` floats
 * (byte addresses throughout; the per-channel sums add rows in order):
 *   coldot(a, b, dst, rows, cols):            dst[j] = sum_i a[i][j] * b[i][j]
 *   colsqdev(src, mean, dst, rows, cols):     dst[j] = sum_i (src[i][j] - mean[j])^2
 *   gnforward(x, xhat, y, mean, rstd, gamma, beta, rows, cols):
 *                                             xhat = (x - mean[j]) * rstd[j], y = xhat * gamma[j] + beta[j]
 *   gnbackward(dy, xhat, dx, rstd, gamma, m1, m2, rows, cols):
 *                                             dx = rstd[j] * ((dy * gamma[j] - m1[j]) - xhat * m2[j])
 * @param {string[]} lines the module text so far
 */
function groupNormFunctions(lines) {
  const locals = '(local $o i32) (local $j i32) (local $rowBytes i32) (local $end i32)';
  const at = (base, off) => `(v128.load (i32.add (local.get ${base}) (local.get ${off})))`;
  const accumulate = (value) => `(v128.store (i32.add (local.get $dst) (local.get $j)) (f32x4.add ${at('$dst', '$j')} ${value}))`;
  lines.push(' (func (export "coldot") (param $a i32) (param $b i32) (param $dst i32) (param $rows i32) (param $cols i32)');
  lines.push(`  ${locals}`);
  lines.push('  (memory.fill (local.get $dst) (i32.const 0) (i32.shl (local.get $cols) (i32.const 2)))');
  columnVectorLoop(lines, [accumulate(`(f32x4.mul ${at('$a', '$o')} ${at('$b', '$o')})`)]);
  lines.push(' )');
  lines.push(' (func (export "colsqdev") (param $src i32) (param $mean i32) (param $dst i32) (param $rows i32) (param $cols i32)');
  lines.push(`  ${locals} (local $d v128)`);
  lines.push('  (memory.fill (local.get $dst) (i32.const 0) (i32.shl (local.get $cols) (i32.const 2)))');
  columnVectorLoop(lines, [`(local.set $d (f32x4.sub ${at('$src', '$o')} ${at('$mean', '$j')}))`, accumulate('(f32x4.mul (local.get $d) (local.get $d))')]);
  lines.push(' )');
  lines.push(' (func (export "gnforward") (param $x i32) (param $xhat i32) (param $y i32) (param $mean i32) (param $rstd i32) (param $gamma i32) (param $beta i32) (param $rows i32) (param $cols i32)');
  lines.push(`  ${locals} (local $h v128)`);
  columnVectorLoop(lines, [
    `(local.set $h (f32x4.mul (f32x4.sub ${at('$x', '$o')} ${at('$mean', '$j')}) ${at('$rstd', '$j')}))`,
    '(v128.store (i32.add (local.get $xhat) (local.get $o)) (local.get $h))',
    `(v128.store (i32.add (local.get $y) (local.get $o)) (f32x4.add (f32x4.mul (local.get $h) ${at('$gamma', '$j')}) ${at('$beta', '$j')}))`,
  ]);
  lines.push(' )');
  lines.push(' (func (export "gnbackward") (param $dy i32) (param $xhat i32) (param $dx i32) (param $rstd i32) (param $gamma i32) (param $m1 i32) (param $m2 i32) (param $rows i32) (param $cols i32)');
  lines.push(`  ${locals}`);
  columnVectorLoop(lines, [
    `(v128.store (i32.add (local.get $dx) (local.get $o)) (f32x4.mul ${at('$rstd', '$j')} (f32x4.sub (f32x4.sub (f32x4.mul ${at('$dy', '$o')} ${at('$gamma', '$j')}) ${at('$m1', '$j')}) (f32x4.mul ${at('$xhat', '$o')} ${at('$m2', '$j')}))))`,
  ]);
  lines.push(' )');
}

/**
 * The GEMM microkernel's text: a `rows` x 8 block of `C` from `k` steps over `A`'s rows and one packed 8-column
 * panel of `B`, its accumulators starting at zero, or with `accumulate` from the block already in `C`.
 * @param {string} name @param {number} rows @param {boolean} fma @param {boolean} accumulate
 * @returns {string[]} lines of the function
 */
function microkernel(name, rows, fma, accumulate) {
  const acc = [];
  for (let r = 0; r < rows; r++) acc.push(`$c${r}0`, `$c${r}1`);
  const lines = [];
  lines.push(` (func ${name} (param $a i32) (param $rs i32) (param $ks i32) (param $bp i32) (param $cp i32) (param $k i32) (param $ldc i32)`);
  lines.push(`  ${acc.map((a) => `(local ${a} v128)`).join(' ')} (local $x v128) (local $b0 v128) (local $b1 v128)${accumulate ? ' (local $q i32)' : ''}`);
  lines.push(`  ${Array.from({ length: rows }, (_, r) => `(local $p${r} i32)`).join(' ')}`);
  if (accumulate) {
    lines.push('  (local.set $q (local.get $cp))');
    for (let r = 0; r < rows; r++) {
      lines.push(`  (local.set $c${r}0 (v128.load offset=0 (local.get $q)))`);
      lines.push(`  (local.set $c${r}1 (v128.load offset=16 (local.get $q)))`);
      if (r < rows - 1) lines.push('  (local.set $q (i32.add (local.get $q) (local.get $ldc)))');
    }
  }
  for (let r = 0; r < rows; r++) lines.push(`  (local.set $p${r} (i32.add (local.get $a) (i32.mul (local.get $rs) (i32.const ${r}))))`);
  lines.push('  (block $done (loop $step');
  lines.push('   (br_if $done (i32.eqz (local.get $k)))');
  lines.push('   (local.set $b0 (v128.load offset=0 (local.get $bp)))');
  lines.push('   (local.set $b1 (v128.load offset=16 (local.get $bp)))');
  for (let r = 0; r < rows; r++) {
    lines.push(`   (local.set $x (v128.load32_splat (local.get $p${r})))`);
    for (const h of [0, 1]) {
      const c = `$c${r}${h}`;
      lines.push(fma ? `   (local.set ${c} (f32x4.relaxed_madd (local.get $x) (local.get $b${h}) (local.get ${c})))` : `   (local.set ${c} (f32x4.add (local.get ${c}) (f32x4.mul (local.get $x) (local.get $b${h}))))`);
    }
    lines.push(`   (local.set $p${r} (i32.add (local.get $p${r}) (local.get $ks)))`);
  }
  lines.push('   (local.set $bp (i32.add (local.get $bp) (i32.const 32)))');
  lines.push('   (local.set $k (i32.sub (local.get $k) (i32.const 1)))');
  lines.push('   (br $step)))');
  for (let r = 0; r < rows; r++) {
    lines.push(`  (v128.store offset=0 (local.get $cp) (local.get $c${r}0))`);
    lines.push(`  (v128.store offset=16 (local.get $cp) (local.get $c${r}1))`);
    if (r < rows - 1) lines.push('  (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))');
  }
  lines.push(' )');
  return lines;
}

/**
 * The exported loops over a microkernel: `mb` row blocks x `nb` 8-column panels (see the file's comment on gemm).
 * @param {string} exportName @param {string} micro @param {number} rows
 * @returns {string[]} lines of the function
 */
function gemmDriver(exportName, micro, rows) {
  return [
    ` (func (export "${exportName}") (param $a i32) (param $rs i32) (param $ks i32) (param $bp i32) (param $c i32) (param $mb i32) (param $nb i32) (param $k i32) (param $ldc i32)`,
    '  (local $i i32) (local $j i32)',
    '  (block $di (loop $li',
    '   (br_if $di (i32.ge_u (local.get $i) (local.get $mb)))',
    '   (local.set $j (i32.const 0))',
    '   (block $dj (loop $lj',
    '    (br_if $dj (i32.ge_u (local.get $j) (local.get $nb)))',
    `    (call ${micro}`,
    `     (i32.add (local.get $a) (i32.mul (local.get $i) (i32.mul (local.get $rs) (i32.const ${rows}))))`,
    '     (local.get $rs) (local.get $ks)',
    '     (i32.add (local.get $bp) (i32.mul (local.get $j) (i32.mul (local.get $k) (i32.const 32))))',
    `     (i32.add (local.get $c) (i32.add (i32.mul (local.get $i) (i32.mul (local.get $ldc) (i32.const ${rows}))) (i32.mul (local.get $j) (i32.const 32))))`,
    '     (local.get $k) (local.get $ldc))',
    '    (local.set $j (i32.add (local.get $j) (i32.const 1)))',
    '    (br $lj)))',
    '   (local.set $i (i32.add (local.get $i) (i32.const 1)))',
    '   (br $li)))',
    ' )',
  ];
}

/** Rows of the baseline module's microkernel block (the relaxed-SIMD module's is {@link GEMM_RELAXED_ROWS}). */
export const GEMM_ROWS = 4;
/** Rows of the relaxed-SIMD module's microkernel block. */
export const GEMM_RELAXED_ROWS = 6;
/** Columns of a microkernel block. */
export const GEMM_COLS = 8;
