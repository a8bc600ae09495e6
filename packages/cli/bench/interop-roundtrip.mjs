// Round trip charlearn -> PyTorch: a generator distilled by charlearn (the CLI's --quick 2-D run), exported with
// `charlearn export`, sampled in one step by scripts/python/sample_generator.py and by charlearn on the same noise;
// prints the max relative difference. With --reference <clone of burning489/CharacteristicGenerator>, also a
// songunet generator (the committed reference-layout fixture, loaded in charlearn, saved with saveNetwork) sampled
// both ways, and a reference-layout SongUNet teacher end to end: make_songunet_fixture.py saves a tiny random
// MNIST-shaped reference UNet as the reference train.py saves a checkpoint (.pt) and converts it with convert_pt.py
// (metadata: pixels in [0, 1], sigma_data 1), then `charlearn import`, `distill` (2 steps), `sample --steps 1`,
// `export`, and sample_generator.py samples the exported generator on the sample command's noise: its pixels must
// equal the command's samples-1step.f32. Needs /usr/bin/python3 with torch (not the safetensors package). Run after a build:
//   node packages/cli/bench/interop-roundtrip.mjs [--reference path] [--python /usr/bin/python3]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import '@charlearn/backend-wasm';
import { Rng, decodeTensors, follmer, readSafetensors, useBackend, writeSafetensors } from '@charlearn/core';
import { characteristicMap, sampleFlowMap } from '@charlearn/distill';
import { SongUnet, fromTorchStateDict, loadNetwork, resolveSongUnetConfig, saveNetwork } from '@charlearn/nets';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const { values: opts } = parseArgs({ options: { reference: { type: 'string' }, python: { type: 'string', default: '/usr/bin/python3' }, n: { type: 'string', default: '1000' } } });
const n = Number(opts.n);
const work = mkdtempSync(join(tmpdir(), 'charlearn-interop-'));
await useBackend('wasm');

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stderr}`);
  return r.stdout + r.stderr;
}

/** charlearn's one-step samples and PyTorch's of the same file on the same noise: max |a - b| / max |b|. */
function compare(label, generatorPath, sampleShape, extra = []) {
  const rng = new Rng(7);
  const z = { shape: [n, ...sampleShape], values: rng.normalArray(n * sampleShape.reduce((a, b) => a * b, 1)) };
  const noisePath = join(work, `${label}-z.safetensors`);
  writeFileSync(noisePath, writeSafetensors({ z }, {}));
  const bytes = new Uint8Array(readFileSync(generatorPath));
  const { meta } = decodeTensors(bytes);
  const net = loadNetwork(bytes);
  const ours = tf.tidy(() => sampleFlowMap(characteristicMap(net, follmer, meta.sigmaData), tf.tensor(z.values, z.shape), 1, { eps0: meta.eps0 }).dataSync());
  net.dispose();
  const outPath = join(work, `${label}-torch.safetensors`);
  run(opts.python, [join(root, 'scripts/python/sample_generator.py'), '--generator', generatorPath, '--noise', noisePath, '--out', outPath, ...extra]);
  const theirs = readSafetensors(new Uint8Array(readFileSync(outPath))).arrays.x.values;
  let err = 0;
  let scale = 0;
  for (let i = 0; i < theirs.length; i++) {
    err = Math.max(err, Math.abs(ours[i] - theirs[i]));
    scale = Math.max(scale, Math.abs(theirs[i]));
  }
  console.log(`${label}: ${n} one-step samples [${sampleShape.join(', ')}], charlearn vs PyTorch max relative difference ${(err / scale).toExponential(2)} (max |x| ${scale.toFixed(3)})`);
  return err / scale;
}

const cli = join(root, 'packages/cli/dist/bin.js');
for (const command of ['train', 'distill', 'export']) run(process.execPath, [cli, command, '--quick', '--out', work, '--set', 'name=roundtrip']);
const worst = [compare('mlp (charlearn --quick 2-D run: train, distill, export)', join(work, 'roundtrip', 'generator.safetensors'), [2])];

if (opts.reference) {
  const fixture = readSafetensors(new Uint8Array(readFileSync(join(root, 'packages/distill/fixtures/songunet/generator.safetensors'))));
  const spec = resolveSongUnetConfig(JSON.parse(fixture.metadata['charlearn.network']));
  const net = SongUnet.create(spec, fromTorchStateDict(fixture.arrays, spec));
  const path = join(work, 'songunet-generator.safetensors');
  writeFileSync(path, saveNetwork(net, { interpolant: 'follmer', sigmaData: 1, eps0: 1e-3, eps1: 1e-3 }));
  net.dispose();
  worst.push(compare('songunet (reference-layout fixture generator, saved by charlearn)', path, [...spec.sampleShape], ['--reference', opts.reference]));

  // a reference .pt teacher -> convert_pt.py -> charlearn import / distill / sample / export -> PyTorch
  const fixtureDir = join(work, 'fixture');
  console.log(run(opts.python, [join(root, 'scripts/python/make_songunet_fixture.py'), '--reference', opts.reference, '--out', fixtureDir]).trim());
  const base = ['--preset', 'mnist', '--quick', '--out', work, '--set', 'name=song'];
  const samples = 16;
  run(process.execPath, [cli, 'import', join(fixtureDir, 'mnist-teacher.safetensors'), ...base]);
  run(process.execPath, [cli, 'distill', ...base, '--set', 'distill.steps=2']);
  run(process.execPath, [cli, 'sample', ...base, '--steps', '1', '--n', String(samples)]);
  run(process.execPath, [cli, 'export', ...base]);
  const evalLog = run(process.execPath, [cli, 'eval', ...base]);
  console.log(`charlearn eval on the imported run: ${evalLog.split('\n').filter((l) => /FD|floor|data units/.test(l)).join(' | ')}`);
  const { seed } = JSON.parse(readFileSync(join(work, 'song', 'config.json'), 'utf8'));
  const shape = [samples, 28, 28, 1];
  // the sample command's noise: Rng(seed + 7), one chunk
  const noisePath = join(work, 'song-z.safetensors');
  writeFileSync(noisePath, writeSafetensors({ z: { shape, values: new Rng(seed + 7).normalArray(samples * 784) } }, {}));
  const torchPath = join(work, 'song-torch.safetensors');
  console.log(run(opts.python, [join(root, 'scripts/python/sample_generator.py'), '--generator', join(work, 'song', 'generator.safetensors'), '--noise', noisePath, '--reference', opts.reference, '--out', torchPath]).trim());
  const theirs = readSafetensors(new Uint8Array(readFileSync(torchPath))).arrays.pixels.values;
  const ours = new Float32Array(readFileSync(join(work, 'song', 'samples-1step.f32')).buffer.slice(0));
  let err = 0;
  let scale = 0;
  for (let i = 0; i < theirs.length; i++) {
    err = Math.max(err, Math.abs(ours[i] - theirs[i]));
    scale = Math.max(scale, Math.abs(theirs[i]));
  }
  console.log(`songunet end to end (.pt -> convert_pt.py -> import -> distill 2 steps -> sample --steps 1 -> export -> PyTorch): ${samples} images, 'charlearn sample' pixels vs PyTorch max relative difference ${(err / scale).toExponential(2)} (max pixel ${scale.toFixed(3)})`);
  worst.push(err / scale);
  worst.push(compare('songunet (imported reference teacher, distilled by charlearn, charlearn export)', join(work, 'song', 'generator.safetensors'), [28, 28, 1], ['--reference', opts.reference]));
}
console.log(`worst ${Math.max(...worst).toExponential(2)} (limit 1e-4): ${Math.max(...worst) <= 1e-4 ? 'PASS' : 'FAIL'}`);
process.exitCode = Math.max(...worst) <= 1e-4 ? 0 : 1;
