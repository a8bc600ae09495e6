// Renders the sample grids in docs/: the first 100 MNIST test digits (interleaved by
// digit, so each column is one digit) and ten Fashion-MNIST test images of each class
// (one class a row). Run from the repo root after building data and metrics:
//   node packages/data/scripts/render-image-grids.mjs [outDir=docs]
import { loadFashionMnist, loadMnist } from '@charlearn/data/images';
import { writeImageGrid } from '@charlearn/metrics';

const out = process.argv[2] ?? 'docs';
const grid = { rows: 10, cols: 10, scale: 2, pad: 2 };

const mnist = await loadMnist({ split: 'test', limit: 100 });
await writeImageGrid(`${out}/data-mnist.png`, mnist.images, { ...grid, shape: [100, 28, 28, 1] });

const fashion = await loadFashionMnist({ split: 'test' });
const picked = new Float32Array(100 * 784);
for (let c = 0, j = 0; c < 10; c++) {
  for (let i = 0, k = 0; i < fashion.count && k < 10; i++) {
    if (fashion.labels[i] !== c) continue;
    picked.set(fashion.images.subarray(i * 784, (i + 1) * 784), j++ * 784);
    k++;
  }
}
await writeImageGrid(`${out}/data-fashion-mnist.png`, picked, { ...grid, shape: [100, 28, 28, 1] });
console.log(`wrote ${out}/data-mnist.png (digits 0-9 by column) and ${out}/data-fashion-mnist.png (${fashion.classNames.join(', ')} by row)`);
