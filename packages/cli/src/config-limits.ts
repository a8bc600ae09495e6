/**
 * Limits on parsed config text, checked before any recursive walk: the nesting depth (a config is a few levels
 * deep; 5,000 nested arrays would overflow the stack of every recursive function that reads them).
 *
 * @example
 * ```ts
 * configDepth({ teacher: { steps: 1 } }); // 2
 * ```
 * @packageDocumentation
 */

/** The deepest nesting a config may have (objects and arrays). */
export const MAX_CONFIG_DEPTH = 32;

/**
 * The nesting depth of a parsed value (0 for a scalar), counted without recursion; stops counting past `limit`.
 *
 * @example
 * ```ts
 * configDepth([[1]]); // 2
 * ```
 */
export function configDepth(value: unknown, limit = Number.POSITIVE_INFINITY): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    const depth = d + 1;
    if (depth > deepest) deepest = depth;
    if (deepest > limit) return deepest;
    for (const child of Object.values(v)) stack.push([child, depth]);
  }
  return deepest;
}
