/**
 * @packageDocumentation
 * `@charlearn/distill`: teacher training by EDM denoiser matching and the
 * characteristic generator `g(t, s, x)` (arXiv 2405.05512): characteristic
 * pairs from any registered solver, the fitting loss, the semi-group penalty,
 * the composed consistency loss, the adaptive diagonal denoiser loss, and
 * one- and few-step sampling.
 *
 * @module @charlearn/distill
 */
export * from './schedule';
export * from './adam';
export * from './ema';
export * from './training-state';
export * from './config';
export * from './options';
export * from './checkpoint';
export * from './optim-step';
export * from './denoisers';
export * from './sampling';
export * from './pairs';
export * from './rollout-cache';
export * from './rollout-task';
export * from './sharded-gradients';
export { TeacherTrainer, type TeacherStepStats } from './teacher';
export { CharacteristicDistiller, type DistillStepStats } from './distiller';
export * from './objectives/pairwise';
export * from './objectives/drift';
export * from './objectives/sinkhorn';
export * from './objectives/objective';
export * from './objectives/teacher-free';
export { characteristicObjective } from './objectives/characteristic';
export * from './generator';
export * from './objectives/trainer';
export { CharacteristicTeacher, characteristicLosses, type CharacteristicLossTerms } from './distiller';
