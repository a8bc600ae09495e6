// Conv2D and Conv2DBackpropInput on wasm: the GEMM convolution (kernels/conv2d-gemm.ts, default) against XNNPACK's
// (`gemmConv: false`), on every forward and input-gradient conv shape of the U-Net MNIST training step (MNIST preset:
// 16 channels, [1, 2, 2], batch 64, 3x3 'same'; calls = how many a step runs, logged from one profiled step), then
// on the whole step (TeacherTrainer.trainStep(), bench-torch-worker.mjs's 'unet' row):
//
//   npm run build && node plugins/backend-wasm/bench/conv-gemm.mjs   (or, in plugins/backend-wasm: npm run bench:convgemm)
//
// (imports @charlearn/nets and @charlearn/distill from the workspace for the step; they are not dependencies of this package)
//
// Both kernels run in this one process, alternating every round (bench/ab.mjs: CPU time, medians, env BENCH_ROUNDS,
// BENCH_REPS, BENCH_STEP_ROUNDS, BENCH_QUICK). GFLOP/s counts exact multiply-adds x 2, not the grid's padded count.
import * as tf from '@tensorflow/tfjs-core';
import { setupWasmBackend } from '@charlearn/backend-wasm';
import { alternateRows, alternateUnetStep, printRows, rand } from './ab.mjs';

/** [kernel, x (forward) or dx (input gradient) shape, filter shape, calls a U-Net step]: logged from one profiled step. */
const SHAPES = [
  ['Conv2D', [64, 28, 28, 1], [3, 3, 1, 16], 1],
  ['Conv2D', [64, 28, 28, 16], [3, 3, 16, 16], 4],
  ['Conv2D', [64, 28, 28, 32], [3, 3, 32, 16], 1],
  ['Conv2D', [64, 28, 28, 48], [3, 3, 48, 16], 1],
  ['Conv2D', [64, 28, 28, 16], [3, 3, 16, 1], 1],
  ['Conv2D', [64, 14, 14, 16], [3, 3, 16, 32], 1],
  ['Conv2D', [64, 14, 14, 32], [3, 3, 32, 32], 3],
  ['Conv2D', [64, 14, 14, 48], [3, 3, 48, 32], 1],
  ['Conv2D', [64, 14, 14, 64], [3, 3, 64, 32], 1],
  ['Conv2D', [64, 7, 7, 32], [3, 3, 32, 32], 8],
  ['Conv2D', [64, 7, 7, 64], [3, 3, 64, 32], 2],
  ['Conv2DBackpropInput', [64, 28, 28, 16], [3, 3, 16, 16], 4],
  ['Conv2DBackpropInput', [64, 28, 28, 32], [3, 3, 32, 16], 1],
  ['Conv2DBackpropInput', [64, 28, 28, 48], [3, 3, 48, 16], 1],
  ['Conv2DBackpropInput', [64, 28, 28, 16], [3, 3, 16, 1], 1],
  ['Conv2DBackpropInput', [64, 14, 14, 16], [3, 3, 16, 32], 1],
  ['Conv2DBackpropInput', [64, 14, 14, 32], [3, 3, 32, 32], 3],
  ['Conv2DBackpropInput', [64, 14, 14, 48], [3, 3, 48, 32], 1],
  ['Conv2DBackpropInput', [64, 14, 14, 64], [3, 3, 64, 32], 1],
  ['Conv2DBackpropInput', [64, 7, 7, 32], [3, 3, 32, 32], 8],
  ['Conv2DBackpropInput', [64, 7, 7, 64], [3, 3, 64, 32], 2],
];

await setupWasmBackend();
const setKernel = (on) => setupWasmBackend({ gemmConv: on });

const rows = SHAPES.map(([kernel, xs, ws, calls], i) => {
  const filter = rand(ws, 2 * i + 2);
  const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: 1, inputShape: xs };
  const input = kernel === 'Conv2D' ? { x: rand(xs, 2 * i + 1), filter } : { dy: rand([...xs.slice(0, 3), ws[3]], 2 * i + 1), filter };
  const run = () => tf.engine().runKernel(kernel, input, attrs).dispose();
  const work = (2 * xs[0] * xs[1] * xs[2] * ws[0] * ws[1] * ws[2] * ws[3]) / 1e9;
  return { label: `${kernel} ${kernel === 'Conv2D' ? 'x' : 'dx'} [${xs}] W [${ws}]`, calls, tensors: [...Object.values(input)], run, work, newMs: [], oldMs: [], ratio: [] };
});

await alternateRows(rows, setKernel);
printRows({ title: 'Conv2D / Conv2DBackpropInput', firstColumn: 'kernel, shape', unit: 'GFLOP', newLabel: 'GEMM', oldLabel: 'XNNPACK', stepLabel: "a U-Net step's convolutions and input gradients" }, rows);
for (const r of rows) tf.dispose(r.tensors);
await alternateUnetStep(setKernel, { newLabel: 'the GEMM convolution', oldLabel: "XNNPACK's" });
