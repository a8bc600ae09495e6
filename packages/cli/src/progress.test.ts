import { describe, expect, it } from 'vitest';
import { createProgress, formatBar, formatDuration, formatFields, formatNumber, formatRate, type ProgressStream } from './progress';

class FakeStream implements ProgressStream {
  chunks: string[] = [];
  constructor(
    readonly isTTY: boolean,
    readonly columns?: number,
  ) {}
  write(chunk: string): boolean {
    this.chunks.push(chunk);
    return true;
  }
  get text(): string {
    return this.chunks.join('');
  }
}

function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1000;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('formatting helpers', () => {
  it('formatDuration', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(42)).toBe('0:42');
    expect(formatDuration(59.6)).toBe('1:00');
    expect(formatDuration(754)).toBe('12:34');
    expect(formatDuration(3723)).toBe('1:02:03');
    expect(formatDuration(NaN)).toBe('--:--');
    expect(formatDuration(Infinity)).toBe('--:--');
    expect(formatDuration(-1)).toBe('--:--');
  });

  it('formatNumber', () => {
    expect(formatNumber(0.0123)).toBe('1.23e-2');
    expect(formatNumber(-0.0123)).toBe('-1.23e-2');
    expect(formatNumber(12.345)).toBe('12.3');
    expect(formatNumber(0.5)).toBe('0.5');
    expect(formatNumber(4000)).toBe('4000');
    expect(formatNumber(1234.5)).toBe('1230');
    expect(formatNumber(12345.6)).toBe('1.23e4');
    expect(formatNumber(0)).toBe('0');
    expect(formatNumber(NaN)).toBe('nan');
    expect(formatNumber(-Infinity)).toBe('-inf');
  });

  it('formatBar', () => {
    expect(formatBar(0.5, 10)).toBe('[#####.....]');
    expect(formatBar(0, 4)).toBe('[....]');
    expect(formatBar(1, 4)).toBe('[####]');
    expect(formatBar(2, 4)).toBe('[####]');
    expect(formatBar(NaN, 4)).toBe('[....]');
    expect(formatBar(0.999, 10)).toBe('[#########.]');
  });

  it('formatFields and formatRate', () => {
    expect(formatFields({ loss: 0.0123, phase: 'fit' })).toBe('loss=1.23e-2  phase=fit');
    expect(formatFields({})).toBe('');
    expect(formatRate(12.34)).toBe('12.3 it/s');
    expect(formatRate(0.25)).toBe('4.00 s/it');
    expect(formatRate(NaN)).toBe('-- it/s');
  });
});

describe('createProgress on a TTY', () => {
  it('redraws one line with bar, counter, fields, rate and ETA, throttled', () => {
    const s = new FakeStream(true);
    const c = clock();
    const p = createProgress({ total: 100, label: 'teacher', stream: s, now: c.now, intervalMs: 250 });
    // 10 steps per 100 ms = 100 it/s.
    for (let step = 1; step <= 50; step++) {
      c.advance(10);
      p.update(step, { loss: 0.0123 });
    }
    // 500 ms elapsed at >= 250 ms between draws: the first update draws, then about every 250 ms.
    expect(s.chunks.length).toBeGreaterThanOrEqual(2);
    expect(s.chunks.length).toBeLessThanOrEqual(3);
    for (const ch of s.chunks) expect(ch.startsWith('\r\x1b[2K')).toBe(true);
    expect(s.text).not.toContain('\n');
    const last = s.chunks[s.chunks.length - 1]!.slice('\r\x1b[2K'.length);
    expect(last).toMatch(/^teacher \[#+\.+\] \d+\/100 {2}loss=1\.23e-2 {2}\d+(\.\d)? it\/s {2}ETA 0:0\d$/);
    expect(p.rate).toBeCloseTo(100, 6);
    c.advance(10);
    p.update(100); // the last step always draws
    expect(s.chunks[s.chunks.length - 1]).toContain('[####################] 100/100');
    p.done();
    expect(s.text.endsWith('\n')).toBe(true);
    expect(s.chunks[s.chunks.length - 2]).toMatch(/in 0:01$/);
    const n = s.chunks.length;
    p.done();
    p.update(5);
    expect(s.chunks.length).toBe(n);
  });

  it('smooths the rate with an exponential moving average', () => {
    const s = new FakeStream(true);
    const c = clock();
    const p = createProgress({ total: 10_000, stream: s, now: c.now, smoothingMs: 1000 });
    for (let i = 1; i <= 50; i++) {
      c.advance(100);
      p.update(i * 10); // 100 it/s
    }
    expect(p.rate).toBeCloseTo(100, 3);
    c.advance(100);
    p.update(510 + 20); // one fast interval (200 it/s): the average moves only part of the way
    expect(p.rate).toBeGreaterThan(100);
    expect(p.rate).toBeLessThan(150);
    for (let i = 1; i <= 100; i++) {
      c.advance(100);
      p.update(530 + i * 20);
    }
    expect(p.rate).toBeCloseTo(200, 0);
  });

  it('ETA follows the smoothed rate', () => {
    const s = new FakeStream(true);
    const c = clock();
    const p = createProgress({ total: 1000, stream: s, now: c.now, intervalMs: 0 });
    for (let i = 1; i <= 10; i++) {
      c.advance(1000);
      p.update(i * 10); // 10 it/s, 900 left → 90 s
    }
    expect(s.chunks[s.chunks.length - 1]).toMatch(/10(\.0)? it\/s {2}ETA 1:30$/);
  });

  it('log() prints a message on its own line and redraws the bar', () => {
    const s = new FakeStream(true);
    const c = clock();
    const p = createProgress({ total: 10, label: 'x', stream: s, now: c.now });
    p.update(1);
    p.log('checkpoint saved');
    expect(s.chunks.at(-2)).toBe('\r\x1b[2Kcheckpoint saved\n');
    expect(s.chunks.at(-1)).toMatch(/^\r\x1b\[2Kx \[/);
  });

  it('truncates to the terminal width', () => {
    const s = new FakeStream(true, 30);
    const p = createProgress({ total: 10, label: 'a-long-label', stream: s, now: clock().now });
    p.update(1, { loss: 1, other: 'something long' });
    expect(s.chunks[0]!.length).toBe('\r\x1b[2K'.length + 29);
  });
});

describe('createProgress off a TTY', () => {
  it('prints a plain line about every 10 %, never a carriage return', () => {
    const s = new FakeStream(false);
    const c = clock();
    const p = createProgress({ total: 200, label: 'distill', stream: s, now: c.now });
    for (let step = 1; step <= 200; step++) {
      c.advance(5);
      p.update(step, { loss: 0.5 });
    }
    p.done();
    expect(s.text).not.toContain('\r');
    expect(s.text).not.toContain('\x1b');
    const lines = s.text.trimEnd().split('\n');
    expect(lines).toHaveLength(10); // 10 %, ..., 90 %, then the final line from done()
    expect(lines[0]).toMatch(/^distill 20\/200 \(10%\) {2}loss=0\.5 {2}200 it\/s {2}ETA 0:01$/);
    expect(lines[9]).toMatch(/^distill 200\/200 \(100%\) {2}loss=0\.5 {2}200 it\/s {2}in 0:01$/);
  });

  it('also prints when plainEveryMs passed without 10 % progress', () => {
    const s = new FakeStream(false);
    const c = clock();
    const p = createProgress({ total: 1_000_000, stream: s, now: c.now, plainEveryMs: 5000 });
    for (let step = 1; step <= 30; step++) {
      c.advance(1000);
      p.update(step);
    }
    expect(s.text.trimEnd().split('\n')).toHaveLength(6);
  });

  it('handles an unknown total (no bar, no ETA)', () => {
    const s = new FakeStream(false);
    const c = clock();
    const p = createProgress({ total: 0, stream: s, now: c.now, plainEveryMs: 1000 });
    c.advance(1500);
    p.update(7);
    expect(s.text).toBe('7  4.67 it/s\n');
  });

  it('defaults isTTY from the stream', () => {
    const s = new FakeStream(true);
    createProgress({ total: 5, stream: s, now: clock().now }).update(1);
    expect(s.text.startsWith('\r')).toBe(true);
    const t = new FakeStream(true);
    createProgress({ total: 5, stream: t, now: clock().now, isTTY: false }).done();
    expect(t.text.includes('\r')).toBe(false);
  });
});
