import { ShapeError } from './errors';

/**
 * Named float32 arrays, each with its shape (row-major): a network's
 * weights, a checkpoint's tensors, the contents of a tensor file.
 *
 * @example
 * ```ts
 * const arrays: NamedArrays = { 'out/w': { shape: [256, 2], values: new Float32Array(512) } };
 * ```
 */
export type NamedArrays = Record<string, { shape: number[]; values: Float32Array }>;

/**
 * Product of a shape's dimensions (1 for `[]`, the scalar).
 *
 * @example
 * ```ts
 * shapeSize([2, 3, 4]); // 24
 * ```
 */
export function shapeSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Checks that `arrays` is a {@link NamedArrays}: every entry has an integer
 * shape (dims >= 0) and a `Float32Array` of exactly that many values.
 * Throws a {@link ShapeError} naming the entry.
 *
 * @example
 * ```ts
 * assertNamedArrays('arrays', { w: { shape: [2, 3], values: new Float32Array(6) } });
 * ```
 */
export function assertNamedArrays(parameter: string, arrays: unknown): asserts arrays is NamedArrays {
  if (typeof arrays !== 'object' || arrays === null || Array.isArray(arrays)) {
    throw new ShapeError(`${parameter} must be an object mapping names to { shape: number[], values: Float32Array }`, parameter);
  }
  for (const [name, entry] of Object.entries(arrays as Record<string, unknown>)) {
    const where = `${parameter}['${name}']`;
    if (name.length === 0) throw new ShapeError(`${parameter} has an empty name; names must be non-empty strings`, parameter);
    if (typeof entry !== 'object' || entry === null) throw new ShapeError(`${where} must be { shape, values }`, where);
    const { shape, values } = entry as { shape?: unknown; values?: unknown };
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && (d as number) >= 0)) {
      throw new ShapeError(`${where}.shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`, where);
    }
    if (!(values instanceof Float32Array)) throw new ShapeError(`${where}.values must be a Float32Array`, where);
    const n = shapeSize(shape as number[]);
    if (values.length !== n) {
      throw new ShapeError(`${where}.values has ${values.length} entries but shape [${(shape as number[]).join(', ')}] needs ${n}`, where);
    }
  }
}
