/**
 * One run-config record per checkpoint (`meta.run`), read by the resume check and by checkpoint-only sampling;
 * checkpoints of the older layout (the run config in `meta.cli.runConfig`, no `meta.run`) still load for both.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeTensors, encodeTensors, type JsonObject } from '@charlearn/core';
import { cliRunner, readJson } from './cli-test-helpers';
import { recordedRun } from './run-record';

let out: string;
beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), 'charlearn-run-record-'));
});
afterAll(() => rmSync(out, { recursive: true, force: true }));
const run = cliRunner(() => out);

const TINY = ['model.hidden=[8]', 'teacher.steps=2', 'teacher.batchSize=16', 'teacher.warmupSteps=1', 'distill.steps=2', 'distill.batchSize=8', 'distill.warmupSteps=1', 'distill.gridSize=4', 'checkpointEvery=0', 'logEvery=1'].flatMap((s) => ['--set', s]);

const read = (path: string): { meta: JsonObject; arrays: ReturnType<typeof decodeTensors>['arrays'] } => decodeTensors(new Uint8Array(readFileSync(path)));

/** A checkpoint rewritten in the layout of the version before `meta.run`: the run config in `meta.cli.runConfig`. */
function writeOldLayout(from: string, to: string): void {
  const { meta, arrays } = read(from);
  const { run: record, cli, ...rest } = meta as JsonObject & { run: { config: JsonObject }; cli: { history: JsonObject[] } };
  writeFileSync(to, encodeTensors(arrays, { ...rest, cli: { runConfig: record.config, history: cli.history } }));
}

describe('the run record in checkpoints', () => {
  it('is recorded once (meta.run), and an old-layout checkpoint (meta.cli.runConfig) still resumes and samples', async () => {
    for (const command of ['train', 'distill']) {
      const r = await run(command, '--set', 'name=new', ...TINY);
      expect(r.code, r.err).toBe(0);
    }
    const fresh = read(join(out, 'new', 'generator.ckpt')).meta as { run: { method: string; config: Record<string, unknown> }; cli: Record<string, unknown> };
    expect(fresh.run.method).toBe('characteristic');
    expect(fresh.run.config).toMatchObject({ data: { target: 'swiss-roll' }, distill: { steps: 2 }, model: { hidden: [8] } });
    expect(fresh.run.config).not.toHaveProperty('name'); // where the run lives is not recorded
    expect(Object.keys(fresh.cli)).toEqual(['history']);

    mkdirSync(join(out, 'old'));
    writeOldLayout(join(out, 'new', 'teacher.ckpt'), join(out, 'old', 'teacher.ckpt'));
    writeOldLayout(join(out, 'new', 'generator.ckpt'), join(out, 'old', 'generator.ckpt'));
    const old = read(join(out, 'old', 'generator.ckpt'));
    expect(old.meta.run).toBeUndefined();
    expect(recordedRun(old)?.config).toEqual(fresh.run.config);

    // the resume check reads the old record: a changed run-defining key is refused, naming it
    let r = await run('distill', '--resume', '--set', 'name=old', ...TINY, '--set', 'distill.steps=3', '--set', 'distill.lr=0.5');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/ResumeMismatchError: .*1 key\(s\)[\s\S]*distill\.lr: checkpoint 0\.\d+, config 0\.5/);
    // checkpoint-only sampling takes the old record's settings
    r = await run('sample', '--checkpoint', join(out, 'old', 'generator.ckpt'), '--n', '16');
    expect(r.code, r.err).toBe(0);
    expect(readJson<{ points: number[] }>(join(out, 'old', 'samples-1step.json')).points).toHaveLength(32);
    // and the unchanged config resumes it, writing the new layout
    r = await run('distill', '--resume', '--set', 'name=old', ...TINY, '--set', 'distill.steps=3');
    expect(r.code, r.err).toBe(0);
    const resumed = read(join(out, 'old', 'generator.ckpt')).meta as { step: number; run: { config: unknown }; cli: Record<string, unknown> };
    expect(resumed.step).toBe(3);
    expect(resumed.run.config).toMatchObject({ distill: { steps: 3 } });
    expect(Object.keys(resumed.cli)).toEqual(['history']);
  }, 60_000);
});
