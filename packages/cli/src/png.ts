/**
 * The PNG encoder now lives in `@charlearn/metrics` (beside the sample-grid
 * writer); this module re-exports it so that existing imports keep working.
 *
 * @example
 * ```ts
 * import { encodePng } from './png';
 * const bytes = encodePng(2, 1, new Uint8Array(2 * 1 * 4).fill(255)); // 2×1 white, opaque
 * ```
 * @packageDocumentation
 */
export { PNG_SIGNATURE, crc32, encodePng, zlibStored, type EncodePngOptions, type PngFilter } from '@charlearn/metrics';
