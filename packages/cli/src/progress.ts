/**
 * Training progress display. On a terminal one line is redrawn in place:
 *
 * ```text
 * teacher [#####...............] 1000/4000  loss=1.23e-2  12.3 it/s  ETA 4:03
 * ```
 *
 * Off a terminal (CI logs, pipes) it prints a plain line about every 10 % or
 * every `plainEveryMs`, never a carriage return.
 *
 * @example
 * ```ts
 * import { createProgress } from './progress';
 * const bar = createProgress({ total: 4000, label: 'teacher' });
 * for (let step = 1; step <= 4000; step++) bar.update(step, { loss: 1 / step });
 * bar.done();
 * ```
 * @packageDocumentation
 */

/** Where progress is written: `process.stderr` or anything with `write` (and optionally `isTTY`, `columns`). */
export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Extra values shown after the counter, e.g. `{ loss: 0.0123, lr: 1e-3 }`. */
export type ProgressFields = Readonly<Record<string, number | string>>;

/** Options of {@link createProgress}. */
export interface ProgressOptions {
  /** Total number of steps (integer ≥ 0; 0 means unknown: no bar and no ETA). */
  total: number;
  /** Prefix of every line (default `''`). */
  label?: string;
  /** Output stream (default `process.stderr`). */
  stream?: ProgressStream;
  /** Minimum milliseconds between redraws on a terminal (default 250). */
  intervalMs?: number;
  /** Force terminal / plain mode (default: `stream.isTTY`). */
  isTTY?: boolean;
  /** Plain mode: also print when this many ms passed since the last line (default 30 000). */
  plainEveryMs?: number;
  /** Plain mode: print each time another this fraction of `total` is done (default 0.1). */
  plainEveryFraction?: number;
  /** Bar width in characters (default 20). */
  barWidth?: number;
  /** Time constant of the it/s moving average in ms (default 3000). */
  smoothingMs?: number;
  /** Clock in ms (default `performance.now()`), injectable for tests. */
  now?: () => number;
}

/** A progress display, see {@link createProgress}. */
export interface Progress {
  /** Report that `step` steps (of `total`) are done, with optional fields to show. */
  update(step: number, fields?: ProgressFields): void;
  /** Print a message on its own line without garbling the bar. */
  log(message: string): void;
  /** Finish: draw the final state (with `fields`, if given) and end the line. Idempotent. */
  done(fields?: ProgressFields): void;
  /** Smoothed steps per second (NaN before the first measurement). */
  readonly rate: number;
}

/**
 * `m:ss` or `h:mm:ss` for a duration in seconds; `--:--` for NaN/Infinity/negative.
 *
 * @example
 * ```ts
 * formatDuration(42);    // '0:42'
 * formatDuration(3723);  // '1:02:03'
 * ```
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/**
 * A compact number: integers as they are (below 1e6), 0.1 ≤ |x| < 1e4 with 3
 * significant digits (trailing zeros dropped), everything else as `1.23e-2`.
 *
 * @example
 * ```ts
 * formatNumber(0.0123);  // '1.23e-2'
 * formatNumber(12.345);  // '12.3'
 * formatNumber(4000);    // '4000'
 * formatNumber(NaN);     // 'nan'
 * ```
 */
export function formatNumber(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (Number.isInteger(x) && a < 1e6) return String(x);
  if (a >= 0.1 && a < 1e4) {
    return String(Number(x.toPrecision(3)));
  }
  const [m, e] = x.toExponential(2).split('e');
  return `${m}e${Number(e)}`;
}

/**
 * `[#####.....]` for a fraction in [0, 1] (clamped; NaN counts as 0).
 *
 * @example
 * ```ts
 * formatBar(0.5, 10); // '[#####.....]'
 * ```
 */
export function formatBar(fraction: number, width = 20): string {
  const f = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
  const filled = Math.floor(f * width + 1e-9);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

/**
 * `key=value` pairs, numbers through {@link formatNumber}, joined by two spaces.
 *
 * @example
 * ```ts
 * formatFields({ loss: 0.0123, phase: 'fit' }); // 'loss=1.23e-2  phase=fit'
 * ```
 */
export function formatFields(fields: ProgressFields): string {
  return Object.entries(fields)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? formatNumber(v) : v}`)
    .join('  ');
}

/**
 * Rate as `12.3 it/s`, or `s/it` below one step per second.
 *
 * @example
 * ```ts
 * formatRate(12.34); // '12.3 it/s'
 * formatRate(0.25);  // '4.00 s/it'
 * ```
 */
export function formatRate(stepsPerSecond: number): string {
  if (!Number.isFinite(stepsPerSecond) || stepsPerSecond <= 0) return '-- it/s';
  if (stepsPerSecond >= 1) return `${formatNumber(Number(stepsPerSecond.toPrecision(3)))} it/s`;
  return `${(1 / stepsPerSecond).toFixed(2)} s/it`;
}

const CLEAR_LINE = '\r\x1b[2K';

/**
 * Create a progress display; see the module docs for the two modes.
 *
 * @example
 * ```ts
 * const p = createProgress({ total: 100, label: 'distill', stream: process.stderr });
 * p.update(10, { loss: 0.5 });
 * p.log('checkpoint saved');
 * p.done();
 * ```
 */
export function createProgress(options: ProgressOptions): Progress {
  const total = Number.isFinite(options.total) && options.total > 0 ? Math.floor(options.total) : 0;
  const stream: ProgressStream = options.stream ?? process.stderr;
  const tty = options.isTTY ?? stream.isTTY === true;
  const label = options.label ?? '';
  const intervalMs = options.intervalMs ?? 250;
  const plainEveryMs = options.plainEveryMs ?? 30_000;
  const plainEveryFraction = options.plainEveryFraction ?? 0.1;
  const barWidth = options.barWidth ?? 20;
  const tau = options.smoothingMs ?? 3000;
  const now = options.now ?? ((): number => performance.now());

  const start = now();
  let step = 0;
  let fields: ProgressFields = {};
  let rate = NaN;
  let sampleTime = start;
  let sampleStep = 0;
  let lastDraw = -Infinity;
  let lastPlainTime = start;
  let nextPlainStep = total > 0 ? Math.max(1, Math.ceil(total * plainEveryFraction)) : Infinity;
  let lineShown = false;
  let finished = false;

  const sampleRate = (t: number): void => {
    const dt = t - sampleTime;
    const ds = step - sampleStep;
    // Measure over at least 100 ms so per-step jitter does not dominate.
    if (dt < 100 || ds <= 0) return;
    const inst = (ds / dt) * 1000;
    rate = Number.isNaN(rate) ? inst : rate + (1 - Math.exp(-dt / tau)) * (inst - rate);
    sampleTime = t;
    sampleStep = step;
  };

  const currentRate = (t: number): number => {
    if (!Number.isNaN(rate)) return rate;
    const elapsed = t - start;
    return elapsed > 0 && step > 0 ? (step / elapsed) * 1000 : NaN;
  };

  const line = (t: number, final: boolean): string => {
    const parts: string[] = [];
    if (label) parts.push(label);
    if (total > 0) {
      if (tty) parts.push(formatBar(step / total, barWidth));
      const pct = tty ? '' : ` (${Math.floor((100 * step) / total)}%)`;
      parts.push(`${step}/${total}${pct}`);
    } else {
      parts.push(String(step));
    }
    const head = parts.join(' ');
    const tail: string[] = [];
    const f = formatFields(fields);
    if (f) tail.push(f);
    const r = currentRate(t);
    tail.push(formatRate(r));
    if (final) tail.push(`in ${formatDuration((t - start) / 1000)}`);
    else if (total > 0) tail.push(`ETA ${formatDuration((total - step) / r)}`);
    return [head, ...tail].join('  ');
  };

  const fit = (s: string): string => {
    const cols = stream.columns;
    return cols && cols > 1 && s.length > cols - 1 ? s.slice(0, cols - 1) : s;
  };

  const drawTTY = (t: number, final: boolean): void => {
    stream.write(CLEAR_LINE + fit(line(t, final)));
    lineShown = true;
    lastDraw = t;
  };

  const printPlain = (t: number, final: boolean): void => {
    stream.write(`${line(t, final)}\n`);
    lastPlainTime = t;
    while (nextPlainStep <= step) nextPlainStep += Math.max(1, Math.ceil(total * plainEveryFraction));
  };

  return {
    get rate(): number {
      return rate;
    },
    update(s: number, f?: ProgressFields): void {
      if (finished) return;
      const t = now();
      step = Number.isFinite(s) ? s : step;
      if (f) fields = f;
      sampleRate(t);
      if (tty) {
        if (t - lastDraw >= intervalMs || (total > 0 && step >= total)) drawTTY(t, false);
      } else if ((total === 0 || step < total) && (step >= nextPlainStep || t - lastPlainTime >= plainEveryMs)) {
        // The 100 % line is left to done(), which adds the elapsed time.
        printPlain(t, false);
      }
    },
    log(message: string): void {
      if (tty && lineShown) {
        stream.write(`${CLEAR_LINE}${message}\n`);
        drawTTY(now(), false);
      } else {
        stream.write(`${message}\n`);
      }
    },
    done(f?: ProgressFields): void {
      if (finished) return;
      finished = true;
      const t = now();
      if (f) fields = f;
      sampleRate(t);
      if (tty) {
        drawTTY(t, true);
        stream.write('\n');
      } else {
        printPlain(t, true);
      }
    },
  };
}
