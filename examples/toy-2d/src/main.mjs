// toy-2d: the characteristic generator end to end in ~40 lines, composing the published packages.
//   npm run build && npm start -w toy-2d            (about a minute on wasm)
//   TARGET=checkerboard TEACHER_STEPS=3000 npm start -w toy-2d
import { tensor2d } from '@tensorflow/tfjs-core';
import { useBackend } from '@charlearn/core';
import '@charlearn/backend-wasm';
import { getTarget } from '@charlearn/data';
import { createMlp } from '@charlearn/nets';
import { CharacteristicDistiller, TeacherTrainer, sampleTeacher } from '@charlearn/distill';
import { evaluationSamples } from '@charlearn/metrics';

const target = getTarget(process.env.TARGET ?? '8gaussians');
const teacherSteps = Number(process.env.TEACHER_STEPS ?? 1500);
const distillSteps = Number(process.env.DISTILL_STEPS ?? 400);
await useBackend('wasm');

// 1. Teacher: an EDM-preconditioned denoiser trained by denoiser matching on the Föllmer path.
const teacher = new TeacherTrainer({ net: createMlp({ dim: 2, hidden: [256, 256, 256] }), dataset: target, seed: 0 });
for (let i = 1; i <= teacherSteps; i++) {
  const { loss } = teacher.trainStep();
  if (i % 500 === 0) console.log(`teacher step ${i}/${teacherSteps}  loss ${loss.toFixed(4)}`);
}

// 2. Distillation: g(t, s, x) starts as one teacher exponential-integrator step and learns the characteristics.
const distiller = new CharacteristicDistiller({ teacher: teacher.ema.network, dataset: target, seed: 1 });
for (let i = 1; i <= distillSteps; i++) {
  const { fit, semigroup } = distiller.trainStep();
  if (i % 100 === 0) console.log(`distill step ${i}/${distillSteps}  fit ${fit.toFixed(5)}  semi-group ${semigroup.toFixed(5)}`);
}

// 3. Compare with exact W2 against held-out data (normalised coordinates): the protocol of @charlearn/metrics,
//    the same held-out points, floor and z as `charlearn eval` with seed 0.
const n = 2000;
const protocol = evaluationSamples(target, n, 0);
const z = tensor2d(protocol.z, [n, 2]);
/** @param {import("@tensorflow/tfjs-core").Tensor} x */
const w2 = (x) => protocol.w2(/** @type {Float32Array} */ (x.dataSync()));
console.log(`\n${target.name}, exact W2 to ${n} held-out points:`);
console.log(`  data vs data (floor)        ${protocol.floor.toFixed(4)}`);
console.log(`  one-step generator (1 NFE)  ${w2(distiller.sample(z, 1)).toFixed(4)}`);
for (const nfe of [1, 5, 20]) {
  console.log(`  teacher, EI at ${String(nfe).padEnd(3)} NFE    ${w2(sampleTeacher(teacher.fieldModel(), z, 'exp-integrator', nfe).x).toFixed(4)}`);
}
