/**
 * Parsers of the user's own data: CSV (header optional), JSON (an array of rows) and `.npy` (float32 / float64,
 * C order), each to a flat float64 array and its shape (`[N, d]` for points, `[N, H, W, C]` for images). Pure
 * functions over text or bytes (browser-safe); `@charlearn/data/node` reads the files. Every problem is a
 * `DataFileError` naming the source and the row and column, or the header field, that is wrong.
 */
import { DataFileError } from '@charlearn/core';
import type { ArrayDtype } from './image-array';

/** Values and shape of a parsed data file. */
export interface ParsedPoints {
  /** Row-major values, `shape.reduce(*)` of them. */
  readonly values: Float64Array;
  /** `[N, d]` (points) or `[N, H, W, C]` (images). */
  readonly shape: readonly number[];
  /** The file's element type (`'float64'` for CSV and JSON). */
  readonly dtype: ArrayDtype;
}

function rowsToPoints(rows: readonly (readonly number[])[], source: string, firstLine: number): ParsedPoints {
  if (rows.length === 0) throw new DataFileError(`${source}: no data rows`, source);
  const d = rows[0]!.length;
  if (d === 0) throw new DataFileError(`${source}: row ${firstLine} has no values`, source);
  const values = new Float64Array(rows.length * d);
  rows.forEach((row, i) => {
    if (row.length !== d) throw new DataFileError(`${source}: row ${i + firstLine} has ${row.length} values, expected ${d} (as in row ${firstLine})`, source);
    values.set(row, i * d);
  });
  return { values, shape: [rows.length, d], dtype: 'float64' };
}

const isNumberText = (s: string): boolean => s.trim() !== '' && Number.isFinite(Number(s));

/**
 * CSV of points, one row per line, comma-separated; a first line that is not all numbers is a header (its field
 * count must match the rows). Blank lines are skipped.
 *
 * @throws DataFileError naming the row (1-based line) and column of a value that is not a finite number
 * @example
 * ```ts
 * parsePointsCsv('x,y\n1,2\n3,4\n', 'ring.csv'); // { values: Float64Array [1, 2, 3, 4], shape: [2, 2] }
 * ```
 */
export function parsePointsCsv(text: string, source = 'CSV'): ParsedPoints {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const rows: number[][] = [];
  let header: string[] | undefined;
  let first = 0;
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const fields = line.split(',').map((f) => f.trim());
    if (rows.length === 0 && header === undefined && !fields.every(isNumberText)) {
      if (fields.some(isNumberText)) {
        throw new DataFileError(`${source}: line ${i + 1} mixes numbers and names (${line.trim()}); a header line holds only column names`, source);
      }
      header = fields;
      return;
    }
    if (rows.length === 0) first = i + 1;
    if (header && fields.length !== header.length) {
      throw new DataFileError(`${source}: row ${i + 1} has ${fields.length} values but the header names ${header.length} columns (${header.join(', ')})`, source);
    }
    rows.push(
      fields.map((f, j) => {
        if (!isNumberText(f)) throw new DataFileError(`${source}: row ${i + 1}, column ${j + 1}${header ? ` ('${header[j]}')` : ''}: expected a finite number, got ${JSON.stringify(f)}`, source);
        return Number(f);
      }),
    );
  });
  return rowsToPoints(rows, source, first);
}

/**
 * JSON of points: an array of rows, each an array of finite numbers of the same length.
 *
 * @throws DataFileError for bad JSON, a value that is not an array of rows, or a bad row / column
 * @example
 * ```ts
 * parsePointsJson('[[1, 2], [3, 4]]', 'ring.json').shape; // [2, 2]
 * ```
 */
export function parsePointsJson(text: string, source = 'JSON'): ParsedPoints {
  let data: unknown;
  try {
    data = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new DataFileError(`${source}: not valid JSON (${e instanceof Error ? e.message : String(e)})`, source);
  }
  if (!Array.isArray(data)) throw new DataFileError(`${source}: expected an array of rows like [[x, y], ...], got ${data === null ? 'null' : typeof data}`, source);
  const rows = data.map((row: unknown, i) => {
    if (!Array.isArray(row)) throw new DataFileError(`${source}: row ${i + 1}: expected an array of numbers, got ${JSON.stringify(row)}`, source);
    return row.map((v: unknown, j) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new DataFileError(`${source}: row ${i + 1}, column ${j + 1}: expected a finite number, got ${JSON.stringify(v)}`, source);
      return v;
    });
  });
  return rowsToPoints(rows, source, 1);
}

/**
 * NumPy `.npy` (format 1.x–3.x): little- or big-endian float32 / float64, or uint8, C order, 2-D `[N, d]` or 4-D
 * `[N, H, W, C]`.
 *
 * @throws DataFileError naming the header problem (magic, dtype, Fortran order, rank, size) or a non-finite value
 * @example
 * ```ts
 * parseNpy(bytes, 'ring.npy').shape; // [1000, 2]
 * ```
 */
export function parseNpy(bytes: Uint8Array, source = '.npy'): ParsedPoints {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (bytes.length < 10 || !magic.every((b, i) => bytes[i] === b)) throw new DataFileError(`${source}: not a .npy file (expected the magic \\x93NUMPY)`, source);
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  if (start + headerLen > bytes.length) throw new DataFileError(`${source}: truncated header (${headerLen} bytes announced, ${bytes.length - start} present)`, source);
  const header = new TextDecoder(major >= 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw new DataFileError(`${source}: header lacks descr, fortran_order or shape (${header.trim()})`, source);
  const dtype = /^([<>|=])(f4|f8|u1)$/.exec(descr);
  if (!dtype) throw new DataFileError(`${source}: header descr '${descr}': expected float32 ('<f4'), float64 ('<f8') or uint8 ('|u1')`, source);
  if (fortran === 'True') throw new DataFileError(`${source}: header fortran_order True: save the array in C order (np.ascontiguousarray)`, source);
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  if (shape.length === 3) throw new DataFileError(`${source}: header shape (${shapeText}): expected [N, d] points or [N, H, W, C] images; for grey images [N, H, W] add the channel axis (x[..., None])`, source);
  if (shape.length !== 2 && shape.length !== 4) throw new DataFileError(`${source}: header shape (${shapeText}): expected [N, d] points or [N, H, W, C] images`, source);
  if (shape.some((s) => !Number.isInteger(s) || s < 1)) throw new DataFileError(`${source}: header shape (${shapeText}) has an empty or invalid dimension`, source);
  const width = dtype[2] === 'f4' ? 4 : dtype[2] === 'f8' ? 8 : 1;
  const little = dtype[1] !== '>';
  const count = shape.reduce((a, b) => a * b, 1);
  const body = start + headerLen;
  if (bytes.length - body < count * width) throw new DataFileError(`${source}: ${bytes.length - body} data bytes, expected ${count * width} for shape (${shape.join(', ')})`, source);
  const values = new Float64Array(count);
  const d = shape.slice(1).reduce((a, b) => a * b, 1);
  for (let k = 0; k < count; k++) {
    const v = width === 4 ? view.getFloat32(body + 4 * k, little) : width === 8 ? view.getFloat64(body + 8 * k, little) : bytes[body + k]!;
    if (!Number.isFinite(v)) throw new DataFileError(`${source}: row ${Math.floor(k / d) + 1}, column ${(k % d) + 1}: non-finite value ${v}`, source);
    values[k] = v;
  }
  return { values, shape, dtype: width === 4 ? 'float32' : width === 8 ? 'float64' : 'uint8' };
}
