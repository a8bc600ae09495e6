// Conv2DBackpropFilter on wasm: the shifted GEMM (kernels/backprop-filter-gemm.ts, default) against the transposed
// XNNPACK convolution it replaced (`gemmBackpropFilter: false`), on every filter-gradient shape of the U-Net MNIST
// training step (MNIST preset: 16 channels, [1, 2, 2], batch 64, 3x3 'same'; calls = how many a step runs), then on
// the whole step (TeacherTrainer.trainStep(), bench-torch-worker.mjs's 'unet' row):
//
//   npm run build && node plugins/backend-wasm/bench/backfilter.mjs   (or, in plugins/backend-wasm: npm run bench:backfilter)
//
// (imports @charlearn/nets and @charlearn/distill from the workspace for the step; they are not dependencies of this package)
//
// Both kernels run in this one process, alternating every round (bench/ab.mjs: CPU time, medians, env BENCH_ROUNDS,
// BENCH_REPS, BENCH_STEP_ROUNDS, BENCH_QUICK). GFLOP/s counts exact multiply-adds x 2, not the grid's padded count.
import * as tf from '@tensorflow/tfjs-core';
import { setupWasmBackend } from '@charlearn/backend-wasm';
import { alternateRows, alternateUnetStep, printRows, rand } from './ab.mjs';

/** [x shape, filter shape, calls a U-Net step]: the U-Net MNIST step's filter gradients (logged from one step). */
const SHAPES = [
  [[64, 28, 28, 1], [3, 3, 1, 16], 1],
  [[64, 28, 28, 16], [3, 3, 16, 16], 4],
  [[64, 28, 28, 32], [3, 3, 32, 16], 1],
  [[64, 28, 28, 48], [3, 3, 48, 16], 1],
  [[64, 28, 28, 16], [3, 3, 16, 1], 1],
  [[64, 14, 14, 16], [3, 3, 16, 32], 1],
  [[64, 14, 14, 32], [3, 3, 32, 32], 3],
  [[64, 14, 14, 48], [3, 3, 48, 32], 1],
  [[64, 14, 14, 64], [3, 3, 64, 32], 1],
  [[64, 7, 7, 32], [3, 3, 32, 32], 8],
  [[64, 7, 7, 64], [3, 3, 64, 32], 2],
];

await setupWasmBackend();
const setKernel = (on) => setupWasmBackend({ gemmBackpropFilter: on });

const rows = SHAPES.map(([xs, ws, calls], i) => {
  const x = rand(xs, 2 * i + 1);
  const dy = rand([...xs.slice(0, 3), ws[3]], 2 * i + 2);
  const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: ws };
  const run = () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs).dispose();
  const work = (2 * xs[0] * xs[1] * xs[2] * ws[0] * ws[1] * ws[2] * ws[3]) / 1e9;
  return { label: `x [${xs}] dW [${ws}]`, calls, tensors: [x, dy], run, work, newMs: [], oldMs: [], ratio: [] };
});

await alternateRows(rows, setKernel);
printRows({ title: 'Conv2DBackpropFilter', firstColumn: 'x, dW', unit: 'GFLOP', newLabel: 'shifted GEMM', oldLabel: 'transposed conv', stepLabel: "a U-Net step's filter gradients" }, rows);
for (const r of rows) tf.dispose(r.tensors);
await alternateUnetStep(setKernel, { newLabel: 'the shifted GEMM', oldLabel: 'the transposed conv' });
