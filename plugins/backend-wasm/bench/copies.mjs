// Concat and SplitV on wasm: the heap copies (kernels/copies.ts, default) against stock wasm's (`fastCopies: false`),
// on the U-Net MNIST training step's largest last-axis concats and splits (logged from one profiled step), then on the
// whole step (TeacherTrainer.trainStep(), as bench/conv-gemm.mjs):
//
//   npm run build && node plugins/backend-wasm/bench/copies.mjs   (or, in plugins/backend-wasm: npm run bench:copies)
//
// Alternating in one process (bench/ab.mjs: CPU time, medians, env BENCH_ROUNDS, BENCH_REPS, BENCH_STEP_ROUNDS,
// BENCH_QUICK) and BENCH_AGAINST (below).
import * as tf from '@tensorflow/tfjs-core';
import { setupWasmBackend } from '@charlearn/backend-wasm';
import { alternateRows, alternateUnetStep, printRows, rand } from './ab.mjs';

/** [kernel, input shapes, split sizes, calls a U-Net step]. */
const SHAPES = [
  ['Concat', [[64, 28, 28, 16], [64, 28, 28, 16]], null, 1],
  ['Concat', [[64, 28, 28, 32], [64, 28, 28, 16]], null, 1],
  ['Concat', [[64, 14, 14, 32], [64, 14, 14, 16]], null, 1],
  ['SplitV', [[64, 28, 28, 48]], [32, 16], 1],
  ['SplitV', [[64, 28, 28, 32]], [16, 16], 1],
  ['SplitV', [[64, 14, 14, 64]], [32, 32], 1],
];

await setupWasmBackend();
// BENCH_AGAINST=copyWithin: the wasm row copier (wasmRowCopies, the default) against a copyWithin a row
// (wasmRowCopies: false), both heap copies; the "stock" columns are then the copyWithin path.
const againstCopyWithin = process.env.BENCH_AGAINST === 'copyWithin';
const setKernel = (on) => setupWasmBackend(againstCopyWithin ? { fastCopies: true, wasmRowCopies: on } : { fastCopies: on });

const rows = SHAPES.map(([kernel, shapes, sizes, calls], i) => {
  const tensors = shapes.map((s, j) => rand(s, 2 * i + j + 1));
  const run = () =>
    kernel === 'Concat'
      ? tf.engine().runKernel('Concat', tensors, { axis: 3 }).dispose()
      : tf.dispose(tf.engine().runKernel('SplitV', { x: tensors[0] }, { numOrSizeSplits: sizes, axis: 3 }));
  const work = (tensors.reduce((a, t) => a + t.size, 0) * 4) / 1e9; // GB moved one way
  return { label: `${kernel} [${shapes.map((s) => `[${s}]`).join(', ')}]${sizes ? ` -> [${sizes}]` : ''}`, calls, tensors, run, work, newMs: [], oldMs: [], ratio: [] };
});

await alternateRows(rows, setKernel);
printRows({ title: 'Concat / SplitV', firstColumn: 'kernel, shape', unit: 'GB', newLabel: 'heap copies', oldLabel: againstCopyWithin ? 'copyWithin' : 'stock', stepLabel: 'these calls of a U-Net step' }, rows);
for (const r of rows) tf.dispose(r.tensors);
await alternateUnetStep(setKernel, { newLabel: 'the heap copies', oldLabel: againstCopyWithin ? 'a copyWithin a row' : 'stock Concat / SplitV' });
