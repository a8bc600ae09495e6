/** Free variables of the @charlearn/backend-webgpu TSDoc examples (see _common.d.ts). */
import type * as tfc from '@tensorflow/tfjs-core';
import type { NodeWebGpuEnvironmentPlan } from '../../plugins/backend-webgpu/src/node-env';

export * from './_common';
/** Tensors to add, a backend and its stock AddN kernel. */
export declare const a: tfc.Tensor, b: tfc.Tensor, c: tfc.Tensor, d: tfc.Tensor, e: tfc.Tensor, f: tfc.Tensor, g: tfc.Tensor, h: tfc.Tensor;
export declare const backend: tfc.KernelBackend;
export declare function stockAddN(xs: tfc.Tensor[]): tfc.Tensor;
/** What the environment probe found, and the plan derived from it. */
export declare const probe: Parameters<typeof import('../../plugins/backend-webgpu/src/node-env').planNodeWebGpuEnvironment>[0];
export declare const plan: NodeWebGpuEnvironmentPlan;
/** An app's logger. */
export declare const myLogger: { info(message: string): void };
