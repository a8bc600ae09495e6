// The WebAssembly text of charlearn's float32 GEMM (src/kernels/gemm.ts): a 4 x 8 register-blocked microkernel with
// 128-bit SIMD (8 f32x4 accumulators; each k step loads 8 floats of the packed right operand and splats 4 values of
// the left one), and the loop over 4-row x 8-column blocks. scripts/build-gemm.mjs assembles it with wabt into
// src/kernels/gemm-binary.ts; the test gemm-binary.test.ts checks that the committed bytes are this text's.
//
// gemm(a, rowStride, kStride, bp, c, rowBlocks, colBlocks, k, ldc), all addresses and strides in bytes:
//   C[i][j] = sum_k A(i, k) * B(k, j) for i < 4 rowBlocks, j < 8 colBlocks, where
//   A(i, k) is the float at a + i*rowStride + k*kStride (row-major A: rowStride = 4K, kStride = 4; a transposed A
//           stored as [K, M]: rowStride = 4, kStride = 4M),
//   B is packed: block jb is k rows of 8 floats at bp + jb*32k,
//   C is row-major with ldc bytes a row, at c.
// panels4(src, dst, rows, cols) / panels8(...): the full 4- / 8-column panels of a row-major [rows, cols] matrix at
//   src, each stored as rows x 4 (8) floats one after the other at dst (panel jb at dst + jb*rows*16 (32)): packs a
//   right operand, and a transposed left operand ([K, M] into 4-row blocks of A).
// gather8(src, dst, n, k): the full 8-row panels of a row-major [n, k] matrix, transposed: panel jb holds k rows of
//   the 8 floats src[jb*8 + c][kk] (packs a transposed right operand).

const ROWS = 4;

/** @returns {string} the module's text */
export function gemmWat() {
  const acc = [];
  for (let r = 0; r < ROWS; r++) acc.push(`$c${r}0`, `$c${r}1`);
  const lines = [];
  lines.push('(module');
  lines.push(' (memory (export "memory") 16)');
  lines.push(' (func $micro (param $a i32) (param $rs i32) (param $ks i32) (param $bp i32) (param $cp i32) (param $k i32) (param $ldc i32)');
  lines.push(`  ${acc.map((a) => `(local ${a} v128)`).join(' ')} (local $x v128) (local $b0 v128) (local $b1 v128)`);
  lines.push(`  ${Array.from({ length: ROWS }, (_, r) => `(local $p${r} i32)`).join(' ')}`);
  for (let r = 0; r < ROWS; r++) lines.push(`  (local.set $p${r} (i32.add (local.get $a) (i32.mul (local.get $rs) (i32.const ${r}))))`);
  lines.push('  (block $done (loop $step');
  lines.push('   (br_if $done (i32.eqz (local.get $k)))');
  lines.push('   (local.set $b0 (v128.load offset=0 (local.get $bp)))');
  lines.push('   (local.set $b1 (v128.load offset=16 (local.get $bp)))');
  for (let r = 0; r < ROWS; r++) {
    lines.push(`   (local.set $x (v128.load32_splat (local.get $p${r})))`);
    lines.push(`   (local.set $c${r}0 (f32x4.add (local.get $c${r}0) (f32x4.mul (local.get $x) (local.get $b0))))`);
    lines.push(`   (local.set $c${r}1 (f32x4.add (local.get $c${r}1) (f32x4.mul (local.get $x) (local.get $b1))))`);
    lines.push(`   (local.set $p${r} (i32.add (local.get $p${r}) (local.get $ks)))`);
  }
  lines.push('   (local.set $bp (i32.add (local.get $bp) (i32.const 32)))');
  lines.push('   (local.set $k (i32.sub (local.get $k) (i32.const 1)))');
  lines.push('   (br $step)))');
  for (let r = 0; r < ROWS; r++) {
    lines.push(`  (v128.store offset=0 (local.get $cp) (local.get $c${r}0))`);
    lines.push(`  (v128.store offset=16 (local.get $cp) (local.get $c${r}1))`);
    if (r < ROWS - 1) lines.push('  (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))');
  }
  lines.push(' )');
  lines.push(' (func (export "gemm") (param $a i32) (param $rs i32) (param $ks i32) (param $bp i32) (param $c i32) (param $mb i32) (param $nb i32) (param $k i32) (param $ldc i32)');
  lines.push('  (local $i i32) (local $j i32)');
  lines.push('  (block $di (loop $li');
  lines.push('   (br_if $di (i32.ge_u (local.get $i) (local.get $mb)))');
  lines.push('   (local.set $j (i32.const 0))');
  lines.push('   (block $dj (loop $lj');
  lines.push('    (br_if $dj (i32.ge_u (local.get $j) (local.get $nb)))');
  lines.push('    (call $micro');
  lines.push(`     (i32.add (local.get $a) (i32.mul (local.get $i) (i32.mul (local.get $rs) (i32.const ${ROWS}))))`);
  lines.push('     (local.get $rs) (local.get $ks)');
  lines.push('     (i32.add (local.get $bp) (i32.mul (local.get $j) (i32.mul (local.get $k) (i32.const 32))))');
  lines.push(`     (i32.add (local.get $c) (i32.add (i32.mul (local.get $i) (i32.mul (local.get $ldc) (i32.const ${ROWS}))) (i32.mul (local.get $j) (i32.const 32))))`);
  lines.push('     (local.get $k) (local.get $ldc))');
  lines.push('    (local.set $j (i32.add (local.get $j) (i32.const 1)))');
  lines.push('    (br $lj)))');
  lines.push('   (local.set $i (i32.add (local.get $i) (i32.const 1)))');
  lines.push('   (br $li)))');
  lines.push(' )');
  for (const width of [4, 8]) {
    lines.push(` (func (export "panels${width}") (param $src i32) (param $dst i32) (param $rows i32) (param $cols i32)`);
    lines.push('  (local $jb i32) (local $r i32) (local $s i32) (local $panels i32)');
    lines.push(`  (local.set $panels (i32.div_u (local.get $cols) (i32.const ${width})))`);
    lines.push('  (block $dj (loop $lj');
    lines.push('   (br_if $dj (i32.ge_u (local.get $jb) (local.get $panels)))');
    lines.push(`   (local.set $s (i32.add (local.get $src) (i32.mul (local.get $jb) (i32.const ${width * 4}))))`);
    lines.push('   (local.set $r (i32.const 0))');
    lines.push('   (block $dr (loop $lr');
    lines.push('    (br_if $dr (i32.ge_u (local.get $r) (local.get $rows)))');
    lines.push('    (v128.store offset=0 (local.get $dst) (v128.load offset=0 (local.get $s)))');
    if (width === 8) lines.push('    (v128.store offset=16 (local.get $dst) (v128.load offset=16 (local.get $s)))');
    lines.push(`    (local.set $dst (i32.add (local.get $dst) (i32.const ${width * 4})))`);
    lines.push('    (local.set $s (i32.add (local.get $s) (i32.mul (local.get $cols) (i32.const 4))))');
    lines.push('    (local.set $r (i32.add (local.get $r) (i32.const 1)))');
    lines.push('    (br $lr)))');
    lines.push('   (local.set $jb (i32.add (local.get $jb) (i32.const 1)))');
    lines.push('   (br $lj)))');
    lines.push(' )');
  }
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
  lines.push(')');
  return `${lines.join('\n')}\n`;
}

/** Rows of a microkernel block. */
export const GEMM_ROWS = ROWS;
/** Columns of a microkernel block. */
export const GEMM_COLS = 8;
