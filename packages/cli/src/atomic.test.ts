import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckpointError, ConfigError } from '@charlearn/core';
import { readFileChecked, readFileCheckedSync, tempPathFor, writeFileAtomic, writeFileAtomicSync, type FileChunk } from './atomic';

const root = mkdtempSync(join(tmpdir(), 'charlearn-atomic-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
function freshDir(): string {
  const d = join(root, `case-${n++}`);
  mkdirSync(d);
  return d;
}

describe('writeFileAtomic', () => {
  it('writes bytes and text, creating parent directories', async () => {
    const d = freshDir();
    const p = join(d, 'a', 'b', 'file.bin');
    await writeFileAtomic(p, Uint8Array.of(1, 2, 3));
    expect([...readFileSync(p)]).toEqual([1, 2, 3]);
    await writeFileAtomic(p, 'héllo');
    expect(readFileSync(p, 'utf8')).toBe('héllo');
    expect(readdirSync(dirname(p))).toEqual(['file.bin']);
  });

  it('writes chunked (sync and async iterable) data', async () => {
    const d = freshDir();
    await writeFileAtomic(join(d, 'x.txt'), ['a', Uint8Array.of(98), 'c']);
    async function* gen(): AsyncGenerator<FileChunk> {
      yield 'one ';
      await new Promise((r) => setTimeout(r, 1));
      yield 'two';
    }
    await writeFileAtomic(join(d, 'y.txt'), gen());
    expect(readFileSync(join(d, 'x.txt'), 'utf8')).toBe('abc');
    expect(readFileSync(join(d, 'y.txt'), 'utf8')).toBe('one two');
    expect(readdirSync(d).sort()).toEqual(['x.txt', 'y.txt']);
  });

  it('never exposes a half-written target: writes go to a temp file in the same directory until the rename', async () => {
    const d = freshDir();
    const p = join(d, 'ckpt.bin');
    writeFileSync(p, 'OLD CONTENT');
    const seen: { target: string; others: string[] }[] = [];
    async function* slow(): AsyncGenerator<FileChunk> {
      for (let i = 0; i < 3; i++) {
        yield new Uint8Array(64 * 1024).fill(65 + i);
        seen.push({ target: readFileSync(p, 'utf8'), others: readdirSync(d).filter((f) => f !== 'ckpt.bin') });
      }
    }
    await writeFileAtomic(p, slow());
    for (const s of seen) {
      expect(s.target).toBe('OLD CONTENT');
      expect(s.others).toHaveLength(1);
      expect(s.others[0]).toMatch(/^\.ckpt\.bin\.\d+\.[0-9a-f]{8}\.tmp$/);
    }
    const after = readFileSync(p);
    expect(after.length).toBe(3 * 64 * 1024);
    expect(after[0]).toBe(65);
    expect(after[after.length - 1]).toBe(67);
    expect(readdirSync(d)).toEqual(['ckpt.bin']);
  });

  it('keeps the old content and removes the temp file when the data source fails midway', async () => {
    const d = freshDir();
    const p = join(d, 'state.json');
    writeFileSync(p, '{"ok":true}');
    async function* failing(): AsyncGenerator<FileChunk> {
      yield '{"partial":';
      throw new Error('source broke');
    }
    await expect(writeFileAtomic(p, failing())).rejects.toThrow('source broke');
    expect(readFileSync(p, 'utf8')).toBe('{"ok":true}');
    expect(readdirSync(d)).toEqual(['state.json']);
  });

  it('does not create the target when the first write fails', async () => {
    const d = freshDir();
    const p = join(d, 'new.bin');
    function* failing(): Generator<FileChunk> {
      yield 'x';
      throw new Error('nope');
    }
    await expect(writeFileAtomic(p, failing())).rejects.toThrow('nope');
    expect(existsSync(p)).toBe(false);
    expect(readdirSync(d)).toEqual([]);
  });

  it('temp names are unique, hidden and next to the target', () => {
    const a = tempPathFor('/x/y/file.png');
    const b = tempPathFor('/x/y/file.png');
    expect(a).not.toBe(b);
    expect(dirname(a)).toBe('/x/y');
    expect(a).toMatch(/\/\.file\.png\..*\.tmp$/);
  });
});

describe('writeFileAtomicSync', () => {
  it('writes and replaces atomically', () => {
    const d = freshDir();
    const p = join(d, 'deep', 's.txt');
    writeFileAtomicSync(p, 'v1');
    writeFileAtomicSync(p, ['v', '2']);
    expect(readFileSync(p, 'utf8')).toBe('v2');
    expect(readdirSync(dirname(p))).toEqual(['s.txt']);
  });

  it('keeps the old content and cleans up when the source throws', () => {
    const d = freshDir();
    const p = join(d, 's.txt');
    writeFileSync(p, 'old');
    function* failing(): Generator<FileChunk> {
      yield 'new-part';
      throw new Error('boom');
    }
    expect(() => writeFileAtomicSync(p, failing())).toThrow('boom');
    expect(readFileSync(p, 'utf8')).toBe('old');
    expect(readdirSync(d)).toEqual(['s.txt']);
  });
});

describe('readFileChecked', () => {
  it('returns the bytes of an existing file', async () => {
    const d = freshDir();
    const p = join(d, 'f.bin');
    writeFileSync(p, Uint8Array.of(9, 8, 7));
    expect([...(await readFileChecked(p, 'a test file'))]).toEqual([9, 8, 7]);
    expect([...readFileCheckedSync(p, 'a test file')]).toEqual([9, 8, 7]);
  });

  it('a missing file is a CheckpointError naming the path and what was expected', async () => {
    const p = join(freshDir(), 'teacher.ckpt');
    const err = await readFileChecked(p, 'a teacher checkpoint').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointError);
    expect((err as CheckpointError).path).toBe(p);
    expect((err as Error).message).toBe(`cannot read a teacher checkpoint: no such file (${p})`);
    expect(() => readFileCheckedSync(p, 'a teacher checkpoint', { parameter: '--checkpoint' })).toThrow(CheckpointError);
  });

  it("kind 'config' gives a ConfigError with the parameter", () => {
    const p = join(freshDir(), 'run.yaml');
    let err: unknown;
    try {
      readFileCheckedSync(p, 'a run config', { kind: 'config', parameter: 'config' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).parameter).toBe('config');
    expect((err as Error).message).toContain(p);
    expect((err as Error).message).toContain('a run config');
  });

  it('a directory is reported as such', async () => {
    const d = freshDir();
    await expect(readFileChecked(d, 'a checkpoint')).rejects.toThrow(/is a directory/);
  });
});
