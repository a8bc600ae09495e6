import type { NamedArrays } from '@charlearn/nets';

/** JSON metadata + named float32 arrays: what a trainer saves (encode with `encodeTensors` from `@charlearn/nets`). */
export interface TrainerCheckpoint {
  readonly meta: Record<string, unknown> & { kind: string; step: number };
  readonly arrays: NamedArrays;
}

/** Prefixes every array name with `prefix/`. */
export function prefixed(prefix: string, arrays: NamedArrays): NamedArrays {
  const out: NamedArrays = {};
  for (const [k, v] of Object.entries(arrays)) out[`${prefix}/${k}`] = v;
  return out;
}

/** The arrays under `prefix/`, with the prefix removed. */
export function unpackPrefixed(arrays: NamedArrays, prefix: string): NamedArrays {
  const out: NamedArrays = {};
  const p = `${prefix}/`;
  for (const [k, v] of Object.entries(arrays)) if (k.startsWith(p)) out[k.slice(p.length)] = v;
  return out;
}

/** Builds a {@link TrainerCheckpoint} from metadata and groups of named arrays. */
export function packState(meta: TrainerCheckpoint['meta'], groups: Record<string, NamedArrays>): TrainerCheckpoint {
  let arrays: NamedArrays = {};
  for (const [prefix, group] of Object.entries(groups)) arrays = { ...arrays, ...prefixed(prefix, group) };
  return { meta, arrays };
}
