import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '@charlearn/backend-wasm';
import { CheckpointError, useBackend } from '@charlearn/core';
import { createMlp } from '@charlearn/nets';
import { TeacherTrainer } from './index';
import { loadCheckpoint, previousCheckpointPath, readCheckpoint, saveCheckpoint } from './node';
import { mixtureDataset } from './test-helpers';

const dir = mkdtempSync(join(tmpdir(), 'charlearn-node-ckpt-'));
const { dataset } = mixtureDataset();

beforeAll(async () => {
  await useBackend('wasm');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const make = (): TeacherTrainer => new TeacherTrainer({ net: createMlp({ dim: 2, hidden: [8], timeEmbeddingDim: 4, seed: 3 }), dataset, config: { batchSize: 16, warmupSteps: 1 }, seed: 7 });

describe('@charlearn/distill/node checkpoints', () => {
  it('saves a TeacherTrainer checkpoint and loads it back equal, keeping the previous copy as .prev', async () => {
    const before = tf.memory().numTensors;
    const trainer = make();
    trainer.trainStep();
    const path = join(dir, 'teacher.ckpt');
    const first = trainer.checkpoint();
    await saveCheckpoint(path, first);
    expect(existsSync(previousCheckpointPath(path))).toBe(false);

    const loaded = await loadCheckpoint(path, 'teacher');
    expect(loaded.meta).toEqual(JSON.parse(JSON.stringify(first.meta)));
    expect(Object.keys(loaded.arrays).sort()).toEqual(Object.keys(first.arrays).sort());
    for (const [k, v] of Object.entries(first.arrays)) {
      const got = loaded.arrays[k];
      expect(got, k).toBeDefined();
      expect(Buffer.from(got!.values.buffer, got!.values.byteOffset, got!.values.byteLength).equals(Buffer.from(v.values.buffer, v.values.byteOffset, v.values.byteLength)), k).toBe(true);
      expect(got!.shape, k).toEqual(v.shape);
    }
    expect((await readCheckpoint(path)).meta.kind).toBe('teacher');
    const firstBytes = readFileSync(path);

    trainer.trainStep();
    await saveCheckpoint(path, trainer.checkpoint());
    expect(previousCheckpointPath(path)).toBe(join(dir, 'teacher.prev.ckpt'));
    expect(readFileSync(previousCheckpointPath(path)).equals(firstBytes)).toBe(true);
    expect((await loadCheckpoint(path, 'teacher')).meta.step).toBe(first.meta.step + 1);
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);

    // The loaded checkpoint resumes a trainer.
    const resumed = TeacherTrainer.fromCheckpoint(loaded, dataset);
    expect(resumed.step).toBe(first.meta.step);
    resumed.dispose();
    trainer.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses a truncated file with a CheckpointError naming the path, pointing at the intact .prev', async () => {
    const trainer = make();
    const path = join(dir, 'cut.ckpt');
    await saveCheckpoint(path, trainer.checkpoint());
    trainer.trainStep();
    await saveCheckpoint(path, trainer.checkpoint());
    trainer.dispose();
    truncateSync(path, Math.floor(readFileSync(path).length / 2));

    const e = await readCheckpoint(path, 'teacher').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CheckpointError);
    expect((e as CheckpointError).message).toContain(path);

    const e2 = await loadCheckpoint(path, 'teacher').catch((x: unknown) => x);
    expect(e2).toBeInstanceOf(CheckpointError);
    expect((e2 as CheckpointError).message).toContain(path);
    expect((e2 as CheckpointError).message).toContain(previousCheckpointPath(path));

    const logs: string[] = [];
    const prev = await loadCheckpoint(path, 'teacher', { fallbackToPrevious: true, log: (m) => logs.push(m) });
    expect(prev.meta.step).toBe(0);
    expect(logs.join('\n')).toContain('falling back');
  });

  it('refuses a missing file, another kind and a file that is not a checkpoint, each naming the path', async () => {
    const missing = join(dir, 'nope.ckpt');
    await expect(loadCheckpoint(missing, 'teacher')).rejects.toThrow(CheckpointError);
    await expect(loadCheckpoint(missing)).rejects.toThrow(missing);
    const trainer = make();
    const path = join(dir, 'kind.ckpt');
    await saveCheckpoint(path, trainer.checkpoint());
    trainer.dispose();
    await expect(readCheckpoint(path, 'distill')).rejects.toThrow(/expected a distill checkpoint, found 'teacher'/);
    const junk = join(dir, 'junk.ckpt');
    writeFileSync(junk, 'not a checkpoint');
    await expect(readCheckpoint(junk)).rejects.toThrow(CheckpointError);
    await expect(readCheckpoint(junk)).rejects.toThrow(junk);
  });
});
