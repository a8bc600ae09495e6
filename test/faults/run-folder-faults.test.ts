/**
 * The fault matrix of issue 15: every way a user can lose a run's work or get a raw error, run through `charlearn`
 * (in-process `main()` with a fault-injecting file-system layer, or the built cli in child processes for locks and
 * signals), asserting the named error and that no good checkpoint changed (md5 before and after).
 *
 * Config of every case: 2 → 64×64 → 2 MLP, 20 teacher and 10 distillation steps, batch 64, a checkpoint every 10.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { NonFiniteError } from '@charlearn/core';
import { LOCK_FILE, main, PhaseCheckpoint, readCheckpoint, runTrainingLoop, type FsLayer } from '@charlearn/cli';
import { faultFs, PAUSE_MARKER, type FaultPlan } from './fault-fs.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const bin = resolve(here, '..', '..', 'packages', 'cli', 'dist', 'bin.js');
const faultCli = join(here, 'fault-cli.mjs');
const root = mkdtempSync(join(tmpdir(), 'charlearn-run-faults-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const SMALL = {
  seed: 3,
  model: { hidden: [64, 64], timeEmbeddingDim: 16 },
  teacher: { steps: 20, batchSize: 64, warmupSteps: 0 },
  distill: { steps: 10, batchSize: 64, warmupSteps: 0, gridSize: 6 },
  eval: { samples: 200, teacherSolvers: ['euler'], teacherNfe: [1, 2], fewSteps: [1, 2] },
  checkpointEvery: 10,
  logEvery: 5,
};
const configPath = join(root, 'small.json');
writeFileSync(configPath, JSON.stringify(SMALL));

/** `charlearn <argv> -c small.json --out <out>` in this process; stderr captured. */
async function run(out: string, argv: string[], fs?: FsLayer): Promise<{ code: number; err: string }> {
  const chunks: string[] = [];
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => {
    chunks.push(String(c));
    return true;
  });
  try {
    const code = await main([...argv, '-c', configPath, '--out', out], fs ? { fs } : {});
    return { code, err: chunks.join('') };
  } finally {
    spy.mockRestore();
  }
}

interface Child {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  pid: number;
}

/** The built cli in a child process (through fault-cli.mjs when `plan` is given); `onStderr` sees the text so far. */
function spawnCli(argv: string[], options: { plan?: FaultPlan; onStderr?: (text: string, pid: number) => void } = {}): Promise<Child> {
  return new Promise((done, fail) => {
    const args = options.plan ? [faultCli, JSON.stringify(options.plan), ...argv] : [bin, ...argv];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (c: string) => {
      stderr += c;
      options.onStderr?.(stderr, child.pid!);
    });
    child.on('error', fail);
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      done({ code, signal, stderr, pid: child.pid! });
    });
  });
}

const md5 = (path: string): string => createHash('md5').update(readFileSync(path)).digest('hex');
/** md5 of every checkpoint (and the history) in a run folder. */
function fingerprints(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir).sort()) if (f.endsWith('.ckpt') || f === 'history.json') out[f] = md5(join(dir, f));
  return out;
}
const tempFiles = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.tmp'));

let base: string; // out dir of the reference run: teacher (20 steps) and generator (10 steps) done
let n = 0;
/** A fresh out dir holding a copy of the reference run as run `r`. */
function copyOfBase(): string {
  const out = join(root, `case-${n++}`);
  cpSync(join(base, 'r'), join(out, 'r'), { recursive: true });
  return out;
}
const fresh = (): string => join(root, `case-${n++}`);

beforeAll(async () => {
  base = fresh();
  const t = await run(base, ['train', '--set', 'name=r']);
  expect(t.code, t.err).toBe(0);
  const d = await run(base, ['distill', '--set', 'name=r']);
  expect(d.code, d.err).toBe(0);
}, 120_000);

describe('1. starting a phase over its checkpoint', () => {
  it('refuses without --resume, naming --resume and --force; nothing changes', async () => {
    const out = copyOfBase();
    const before = fingerprints(join(out, 'r'));
    const r = await run(out, ['train', '--set', 'name=r', '--set', 'seed=1']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/RunExistsError: the run folder already holds a teacher checkpoint .*teacher\.ckpt \(step 20\): pass --resume to continue it, or --force to start over/);
    const d = await run(out, ['distill', '--set', 'name=r']);
    expect(d.err).toMatch(/RunExistsError: .*generator\.ckpt \(step 10\)/);
    expect(fingerprints(join(out, 'r'))).toEqual(before);
  });

  it('--force keeps the old checkpoints until the new run has written its first one', async () => {
    const out = copyOfBase();
    const dir = join(out, 'r');
    const before = fingerprints(dir);
    // the new run's first checkpoint write fails (disk full): the old run is untouched
    const failed = await run(out, ['train', '--set', 'name=r', '--set', 'seed=1', '--force'], faultFs({ writeFault: { match: '^teacher\\.ckpt$', code: 'ENOSPC' } }));
    expect(failed.code).toBe(1);
    expect(failed.err).toMatch(/RunFolderError: cannot write the teacher checkpoint .*no space left on the device \(ENOSPC.*no checkpoint of this run was written yet/);
    expect(fingerprints(dir)).toEqual(before);
    expect(tempFiles(dir)).toEqual([]);
    // without the fault the new run replaces it: a new teacher at step 20, the old run's .prev gone then replaced
    const ok = await run(out, ['train', '--set', 'name=r', '--set', 'seed=1', '--force']);
    expect(ok.code, ok.err).toBe(0);
    const after = fingerprints(dir);
    expect(after['teacher.ckpt']).not.toBe(before['teacher.ckpt']);
    expect(after['teacher.prev.ckpt']).not.toBe(before['teacher.prev.ckpt']);
    expect((await readCheckpoint(join(dir, 'teacher.prev.ckpt'), 'teacher')).meta.step).toBe(10);
  });
});

describe('2. --resume compares the checkpoint with the config', () => {
  it('refuses run-defining differences, listing each; config.json and the checkpoints unchanged', async () => {
    const out = copyOfBase();
    const dir = join(out, 'r');
    const before = { ...fingerprints(dir), config: md5(join(dir, 'config.json')) };
    const r = await run(out, [
      'train', '--set', 'name=r', '--resume', '--set', 'teacher.steps=30',
      '--set', 'model.hidden=[256,256,256]', '--set', 'data.target=checkerboard', '--set', 'interpolant=linear', '--set', 'teacher.lr=1e38', '--set', 'teacher.batchSize=7',
    ]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/ResumeMismatchError: the config differs from the run's checkpoint .*teacher\.ckpt in 5 key\(s\) that define the run/);
    for (const line of ['data.target: checkpoint "swiss-roll", config "checkerboard"', 'interpolant: checkpoint "follmer", config "linear"', 'model.hidden: checkpoint [64,64], config [256,256,256]', 'teacher.lr: checkpoint 0.001, config 1e+38', 'teacher.batchSize: checkpoint 64, config 7']) {
      expect(r.err).toContain(line);
    }
    expect({ ...fingerprints(dir), config: md5(join(dir, 'config.json')) }).toEqual(before);
  });

  it('accepts the resumable keys (steps, logging, checkpoint interval) and records them in config.json', async () => {
    const out = copyOfBase();
    const dir = join(out, 'r');
    const r = await run(out, ['train', '--set', 'name=r', '--resume', '--set', 'teacher.steps=25', '--set', 'logEvery=1', '--set', 'checkpointEvery=0']);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/resuming the teacher from .*teacher\.ckpt at step 20/);
    expect((await readCheckpoint(join(dir, 'teacher.ckpt'), 'teacher')).meta.step).toBe(25);
    const recorded = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as typeof SMALL;
    expect(recorded.teacher.steps).toBe(25);
    expect(recorded.logEvery).toBe(1);
  });

  it('eval and sample refuse a data target other than the checkpoint\'s', async () => {
    const out = copyOfBase();
    const dir = join(out, 'r');
    for (const cmd of ['eval', 'sample']) {
      const r = await run(out, [cmd, '--set', 'name=r', '--set', 'data.target=checkerboard']);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/ResumeMismatchError: data\.target: the run's generator .*generator\.ckpt was trained on 'swiss-roll', the config says 'checkerboard'/);
    }
    expect(existsSync(join(dir, 'metrics.json'))).toBe(false);
  });
});

describe('3. one process per run folder', () => {
  it('two concurrent runs: one is refused naming the holder\'s PID, the other\'s files are intact', async () => {
    const out = fresh();
    const argv = ['train', '-c', configPath, '--out', out, '--set', 'name=c', '--set', 'teacher.steps=200', '--set', 'checkpointEvery=50'];
    const [a, b] = await Promise.all([spawnCli(argv), spawnCli(argv)]);
    const [winner, loser] = a.code === 0 ? [a, b] : [b, a];
    expect(winner.code, winner.stderr).toBe(0);
    expect(loser.code, loser.stderr).toBe(1);
    expect(loser.stderr).toContain(`RunLockedError: the run folder ${join(out, 'c')} is in use by PID ${winner.pid}`);
    // the winner's run is whole: the same bytes as the same run alone
    const alone = fresh();
    const ref = await run(alone, ['train', '--set', 'name=c', '--set', 'teacher.steps=200', '--set', 'checkpointEvery=50']);
    expect(ref.code, ref.err).toBe(0);
    expect(fingerprints(join(out, 'c'))).toEqual(fingerprints(join(alone, 'c')));
    expect(existsSync(join(out, 'c', LOCK_FILE))).toBe(false);
  }, 120_000);

  it('takes over the lock of a dead process with a warning; refuses a live one', async () => {
    const out = copyOfBase();
    const dir = join(out, 'r');
    const dead = spawnSync(process.execPath, ['-e', '']); // a PID that has just exited
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: dead.pid, host: hostname(), started: '2026-01-01T00:00:00Z', command: 'charlearn train' }));
    const r = await run(out, ['eval', '--set', 'name=r']);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain(`warning: took over the lock of PID ${dead.pid} (charlearn train, since 2026-01-01T00:00:00Z), which is no longer running`);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    const before = fingerprints(dir);
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: process.pid, host: hostname(), started: 'now', command: 'charlearn distill' }));
    const refused = await run(out, ['train', '--set', 'name=r', '--resume']);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain(`RunLockedError: the run folder ${dir} is in use by PID ${process.pid} (charlearn distill, since now)`);
    expect(fingerprints(dir)).toEqual(before);
  });
});

describe('4. SIGINT / SIGTERM', () => {
  // plain progress lines come every 10 % (steps 12, 24, 36, ...): the signal lands a step or so after step 36, past
  // the periodic checkpoint at 25 and before the next one at 50
  const long = ['--set', 'teacher.steps=120', '--set', 'checkpointEvery=25', '--set', 'logEvery=1'];

  it('SIGINT between checkpoints: checkpoint at that step, resume command, exit 130; the resumed run ends byte-identical to an uninterrupted one', async () => {
    const out = fresh();
    const argv = ['train', '-c', configPath, '--out', out, '--set', 'name=s', ...long];
    let sent = false;
    const stopped = await spawnCli(argv, {
      onStderr: (text, pid) => {
        if (!sent && /teacher 36\/120/.test(text)) {
          sent = true;
          process.kill(pid, 'SIGINT');
        }
      },
    });
    expect(stopped.code, stopped.stderr).toBe(130);
    const at = Number(/stopped by SIGINT at step (\d+) of 120; checkpoint written; resume with:/.exec(stopped.stderr)?.[1]);
    expect(at).toBeGreaterThan(25);
    if (at % 25 === 0) console.warn(`the signal landed on a checkpoint step (${at}); the machine is slow`);
    expect(stopped.stderr).toContain(`charlearn train -c ${configPath} --out ${out} --set name=s ${long.join(' ')} --resume`);
    expect((await readCheckpoint(join(out, 's', 'teacher.ckpt'), 'teacher')).meta.step).toBe(at);
    const resumed = await run(out, ['train', '--set', 'name=s', ...long, '--resume']);
    expect(resumed.code, resumed.err).toBe(0);
    expect(resumed.err).toMatch(new RegExp(`resuming the teacher from .*teacher\\.ckpt at step ${at}`));
    const straight = fresh();
    expect((await run(straight, ['train', '--set', 'name=s', ...long])).code).toBe(0);
    expect(md5(join(out, 's', 'teacher.ckpt'))).toBe(md5(join(straight, 's', 'teacher.ckpt')));
    expect(md5(join(out, 's', 'history.json'))).toBe(md5(join(straight, 's', 'history.json')));
  }, 180_000);

  it('SIGTERM exits 143 after a checkpoint; a second signal exits at once (mid-write), leaving the last good checkpoint', async () => {
    const out = fresh();
    const argv = ['train', '-c', configPath, '--out', out, '--set', 'name=t', ...long];
    let sent = false;
    const term = await spawnCli(argv, {
      onStderr: (text, pid) => {
        if (!sent && /teacher 36\/120/.test(text)) {
          sent = true;
          process.kill(pid, 'SIGTERM');
        }
      },
    });
    expect(term.code, term.stderr).toBe(143);
    const dir = join(out, 't');
    const good = fingerprints(dir);
    const step = (await readCheckpoint(join(dir, 'teacher.ckpt'), 'teacher')).meta.step;
    // resume; SIGINT once (the loop saves, and the save pauses half-way), then again: exit now
    let signals = 0;
    const twice = await spawnCli([...argv, '--resume'], {
      plan: { writeFault: { match: '^teacher\\.ckpt$', pauseMs: 60_000 } },
      onStderr: (text, pid) => {
        if (signals === 0 && /teacher \d+\/120/.test(text.split('resuming')[1] ?? '')) {
          signals++;
          process.kill(pid, 'SIGINT');
        } else if (signals === 1 && text.includes(PAUSE_MARKER)) {
          signals++;
          process.kill(pid, 'SIGINT');
        }
      },
    });
    expect(twice.code, twice.stderr).toBe(130);
    expect(twice.stderr).toContain('charlearn: SIGINT: exiting now');
    expect(fingerprints(dir)).toEqual(good);
    expect((await readCheckpoint(join(dir, 'teacher.ckpt'), 'teacher')).meta.step).toBe(step);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    expect(tempFiles(dir)).toHaveLength(1); // the interrupted write's temp file, removed by the next start:
    const next = await run(out, ['eval', '--set', 'name=t']);
    expect(next.err).toMatch(/removed 1 stale temp file\(s\) of an interrupted write/);
    expect(tempFiles(dir)).toEqual([]);
  }, 180_000);
});

describe('5. resume falls back to an intact .prev', () => {
  for (const how of ['missing', 'dangling link', 'truncated'] as const) {
    it(`teacher.ckpt ${how}: resumes from teacher.prev.ckpt (saying so), keeps it, and ends with the uninterrupted bytes`, async () => {
      const out = copyOfBase();
      const dir = join(out, 'r');
      const ckpt = join(dir, 'teacher.ckpt');
      const want = md5(ckpt);
      const prev = md5(join(dir, 'teacher.prev.ckpt'));
      if (how === 'missing') unlinkSync(ckpt);
      if (how === 'dangling link') {
        unlinkSync(ckpt);
        symlinkSync(join(dir, 'gone.ckpt'), ckpt);
      }
      if (how === 'truncated') writeFileSync(ckpt, readFileSync(ckpt).subarray(0, 100));
      const r = await run(out, ['train', '--set', 'name=r', '--resume']);
      expect(r.code, r.err).toBe(0);
      expect(r.err).toMatch(/warning: the newest teacher checkpoint is unusable: .*resuming from the intact previous checkpoint .*teacher\.prev\.ckpt \(step 10\)/);
      expect(md5(join(dir, 'teacher.prev.ckpt'))).toBe(prev);
      expect(md5(ckpt)).toBe(want);
    });
  }

  it('a damaged teacher.ckpt without an intact .prev is refused (never silently started over)', async () => {
    const out = copyOfBase();
    const dir = join(out, 'r');
    writeFileSync(join(dir, 'teacher.ckpt'), 'garbage');
    unlinkSync(join(dir, 'teacher.prev.ckpt'));
    const before = fingerprints(dir);
    const r = await run(out, ['train', '--set', 'name=r', '--resume']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/CheckpointError: .*no intact previous checkpoint either .*pass --force to start the phase over/);
    expect(fingerprints(dir)).toEqual(before);
  });
});

describe('6. the NaN/Inf stop names a checkpoint of this run, or none', () => {
  it('teacher.lr=1e38 on a new run: says no checkpoint was written yet', async () => {
    const out = fresh();
    const r = await run(out, ['train', '--set', 'name=nan', '--set', 'teacher.lr=1e38', '--set', 'teacher.gradClip=1e38']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/NonFiniteError: training stopped: .* at step \d+; no checkpoint of this run was written yet, so there is nothing to resume/);
    expect(existsSync(join(out, 'nan', 'teacher.ckpt'))).toBe(false);
  });

  it('distill.lr=1e38 over an earlier generator (--force): names none of this run, and the earlier one is unchanged', async () => {
    const out = copyOfBase();
    const dir = join(out, 'r');
    const before = fingerprints(dir);
    const r = await run(out, ['distill', '--set', 'name=r', '--force', '--set', 'distill.lr=1e38', '--set', 'distill.gradClip=1e38']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/NonFiniteError: .*no checkpoint of this run was written yet \(the files in the folder are from the run --force replaced\)/);
    expect(fingerprints(dir)).toEqual(before);
  });

  it('after a checkpoint: names that checkpoint and its step (the loop and the phase checkpoint, through the API)', async () => {
    const out = fresh();
    mkdirSync(out, { recursive: true });
    const path = join(out, 'teacher.ckpt');
    const slot = await PhaseCheckpoint.open({ path, kind: 'teacher', resume: false, force: false, log: () => undefined });
    const source = await readCheckpoint(join(base, 'r', 'teacher.ckpt'), 'teacher');
    let step = 0;
    const e = await runTrainingLoop({
      label: 'teacher',
      startStep: 0,
      totalSteps: 20,
      trainStep: () => {
        if (++step === 15) throw new NonFiniteError('training stopped: loss is NaN at step 15', 'loss', 15);
        return { step, loss: 1 };
      },
      fields: () => ({}),
      record: (s) => ({ loss: s.loss }),
      logEvery: 5,
      checkpointEvery: 10,
      save: () => slot.save({ meta: { ...source.meta, step }, arrays: source.arrays }, { run: { method: 'characteristic', plugins: [], config: {} }, history: [] }),
      resumeAdvice: () => slot.describeForResume(),
      history: [],
    }).then(() => undefined, (err: unknown) => err);
    expect(e).toBeInstanceOf(NonFiniteError);
    expect((e as Error).message).toBe(`training stopped: loss is NaN at step 15; the last good checkpoint of this run is ${path} (step 10): resume with --resume`);
    expect((await readCheckpoint(path, 'teacher')).meta.step).toBe(10);
  });
});

describe('7. temp files and the rename onto the same file', () => {
  it('removes stale temp files of the run at start', async () => {
    const out = copyOfBase();
    const dir = join(out, 'r');
    writeFileSync(join(dir, '.teacher.ckpt.999999.0a1b2c3d.tmp'), 'partial');
    writeFileSync(join(dir, '.teacher.prev.ckpt.999999.deadbeef.tmp'), 'partial');
    const r = await run(out, ['eval', '--set', 'name=r']);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain('removed 2 stale temp file(s) of an interrupted write');
    expect(tempFiles(dir)).toEqual([]);
  });

  it('teacher.ckpt and teacher.prev.ckpt as two names of one file (a failed write after the keep): no leftover temp link, the old copy kept', async () => {
    const out = copyOfBase();
    const dir = join(out, 'r');
    const ckpt = join(dir, 'teacher.ckpt');
    const prev = join(dir, 'teacher.prev.ckpt');
    unlinkSync(prev);
    linkSync(ckpt, prev);
    const step20 = md5(ckpt);
    const r = await run(out, ['train', '--set', 'name=r', '--resume', '--set', 'teacher.steps=30']);
    expect(r.code, r.err).toBe(0);
    expect(tempFiles(dir)).toEqual([]);
    expect(md5(prev)).toBe(step20);
    expect((await readCheckpoint(ckpt, 'teacher')).meta.step).toBe(30);
  });
});

describe('8. named errors', () => {
  const osCases: [string, FaultPlan, RegExp][] = [
    ['ENOSPC during a checkpoint write', { writeFault: { match: '^teacher\\.ckpt$', code: 'ENOSPC' } }, /RunFolderError: cannot write the teacher checkpoint .*no space left on the device \(ENOSPC.*the last good checkpoint .*teacher\.ckpt \(step 20\) is unchanged; free disk space/],
    ['a read-only --out', { callFault: { op: 'writeFile', code: 'EROFS' } }, /RunFolderError: cannot lock the run folder: the file system is read-only \(EROFS.*pass --out a writable folder/],
    ['permission denied (EACCES)', { callFault: { op: 'mkdir', code: 'EACCES' } }, /RunFolderError: cannot create the run folder: permission denied \(EACCES.*pass --out a folder you can write to/],
  ];
  for (const [what, plan, error] of osCases) {
    it(`${what}: a named error, the checkpoints unchanged, no temp file left`, async () => {
      const out = copyOfBase();
      const dir = join(out, 'r');
      const before = fingerprints(dir);
      const r = await run(out, ['train', '--set', 'name=r', '--resume', '--set', 'teacher.steps=30'], faultFs(plan));
      expect(r.code).toBe(1);
      expect(r.err).toMatch(error);
      expect(r.err).not.toMatch(/unexpected error|\n\s+at /);
      expect(fingerprints(dir)).toEqual(before);
      expect(tempFiles(dir)).toEqual([]);
    });
  }

  it('--out a file (ENOTDIR), a 300-character name, an out path too long (ENAMETOOLONG)', async () => {
    const file = join(root, 'a-file');
    writeFileSync(file, 'x');
    let r = await run(join(file, 'sub'), ['train', '--set', 'name=x']);
    expect(r.err).toMatch(/RunFolderError: cannot create the run folder .*: .*a-file is a file, not a folder; pass --out a folder/);
    r = await run(fresh(), ['train', '--set', `name=${'a'.repeat(300)}`]);
    expect(r.err).toMatch(/ConfigError: name: 300 characters is too long for a run name \(at most 100\)/);
    r = await run(join(fresh(), 'b'.repeat(300)), ['train', '--set', 'name=x']);
    expect(r.err).toMatch(/RunFolderError: cannot create the run folder: the path \(or a name in it\) is too long for the file system \(ENAMETOOLONG/);
  });

  it('the YAML alias bomb and JSON nested 5,000 deep: ConfigParseError', async () => {
    const bomb = join(root, 'bomb.yaml');
    const lines = ['a0: &a0 [x]'];
    for (let i = 1; i < 20; i++) lines.push(`a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(',')}]`);
    writeFileSync(bomb, lines.join('\n') + '\n');
    const deep = join(root, 'deep.json');
    writeFileSync(deep, `{"teacher":{"steps":1},"x":${'['.repeat(5000)}1${']'.repeat(5000)}}`);
    for (const [file, error] of [[bomb, /ConfigParseError: cannot parse YAML config .*bomb\.yaml: its aliases expand too much/], [deep, /ConfigParseError: config .*deep\.json nests more than 32 levels deep/]] as const) {
      const chunks: string[] = [];
      const spy = vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => (chunks.push(String(c)), true));
      const code = await main(['train', '-c', file, '--out', fresh()]).finally(() => spy.mockRestore());
      expect(code).toBe(1);
      expect(chunks.join('')).toMatch(error);
    }
  });

  it('teacher.batchSize=5000000: refused before the first step, naming the key and the estimate', async () => {
    const out = fresh();
    const t0 = performance.now();
    const r = await run(out, ['train', '--set', 'name=big', '--set', 'teacher.batchSize=5000000']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/ConfigError: teacher\.batchSize: a training step of batch 5,000,000 needs at least \d+\.\d GiB \(a lower-bound estimate\), more than the wasm backend's 4 GiB memory/);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(existsSync(join(out, 'big', 'teacher.ckpt'))).toBe(false);
  });

  it('a damaged history.json: rebuilt from the checkpoints with a warning; train --resume goes on', async () => {
    const out = copyOfBase();
    const dir = join(out, 'r');
    const good = JSON.parse(readFileSync(join(dir, 'history.json'), 'utf8')) as { teacher: unknown[]; distill: unknown[] };
    writeFileSync(join(dir, 'history.json'), '{"teacher": [1, 2');
    const before = fingerprints(dir);
    delete before['history.json'];
    const r = await run(out, ['train', '--set', 'name=r', '--resume']);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/warning: .*history\.json is damaged \(.*\); rebuilt it from the checkpoints' records \(teacher to step 20, generator to step 10\)/);
    expect(JSON.parse(readFileSync(join(dir, 'history.json'), 'utf8'))).toEqual(good);
  });
});

describe('9. name is one path segment', () => {
  it('refuses a name with a path; runDir puts the run in any folder', async () => {
    const out = fresh();
    const r = await run(out, ['train', '--set', 'name=../../escape']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/ConfigError: name: '\.\.\/\.\.\/escape' is not a run name: .*set runDir/);
    expect(existsSync(resolve(out, '..', '..', 'escape'))).toBe(false);
    const elsewhere = join(fresh(), 'deep', 'runs', 'roll');
    const ok = await run(out, ['train', '--set', `runDir=${elsewhere}`, '--set', 'teacher.steps=10']);
    expect(ok.code, ok.err).toBe(0);
    expect(ok.err).toContain(`run 'roll' in ${elsewhere}`);
    expect(existsSync(join(elsewhere, 'teacher.ckpt'))).toBe(true);
    mkdirSync(out, { recursive: true });
    expect(readdirSync(out)).toEqual([]);
  });
});
