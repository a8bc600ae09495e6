/**
 * Conversions between float32 and the 16-bit floats of tensor files:
 * IEEE 754 half precision (`F16`) and bfloat16 (`BF16`, the upper 16 bits
 * of a float32). Reading is exact; writing rounds to nearest, ties to even.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * The float32 value of an IEEE half-precision bit pattern (exact, including
 * subnormals, ±Inf and NaN).
 *
 * @example
 * ```ts
 * halfToFloat(0x3c00); // 1
 * halfToFloat(0x0001); // 2 ** -24 (smallest subnormal)
 * ```
 */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * The IEEE half-precision bit pattern nearest to `x` (ties to even;
 * overflow to ±Inf; NaN stays NaN).
 *
 * @example
 * ```ts
 * floatToHalf(1); // 0x3c00
 * floatToHalf(65520); // 0x7c00 (Inf: rounds past the largest half, 65504)
 * ```
 */
export function floatToHalf(x: number): number {
  f32[0] = x;
  const bits = u32[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const frac = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (frac ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // below half the smallest subnormal: ±0
    const m = frac | 0x800000; // 24-bit significand
    const shift = 14 - e; // bits dropped so that the result counts 2^-24 units
    return sign | roundShift(m, shift);
  }
  // normal: keep 10 of the 23 fraction bits; a carry into the exponent is correct
  return sign | ((e << 10) + roundShift(frac, 13));
}

/** `m >> shift`, rounded to nearest, ties to even. */
function roundShift(m: number, shift: number): number {
  const q = m >>> shift;
  const rem = m - q * 2 ** shift;
  const half = 2 ** (shift - 1);
  return rem > half || (rem === half && q & 1) ? q + 1 : q;
}

/**
 * The float32 value of a bfloat16 bit pattern (exact: the upper half of a float32).
 *
 * @example
 * ```ts
 * bfloat16ToFloat(0x3f80); // 1
 * ```
 */
export function bfloat16ToFloat(b: number): number {
  u32[0] = (b & 0xffff) << 16;
  return f32[0]!;
}

/**
 * The bfloat16 bit pattern nearest to `x` (ties to even; NaN stays NaN).
 *
 * @example
 * ```ts
 * floatToBfloat16(1); // 0x3f80
 * ```
 */
export function floatToBfloat16(x: number): number {
  f32[0] = x;
  const bits = u32[0]!;
  if ((bits & 0x7f800000) === 0x7f800000 && bits & 0x7fffff) return ((bits >>> 16) | 0x40) & 0xffff;
  return (roundShift(bits, 16) & 0xffff) >>> 0;
}
