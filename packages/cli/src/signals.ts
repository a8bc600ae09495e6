/**
 * SIGINT / SIGTERM during training: the first signal asks the training loop to finish its current step, write a
 * checkpoint and stop with an {@link InterruptedError} (exit 130 / 143, with the command that resumes); a second
 * signal, or a signal while no training loop runs, exits at once with the same code.
 *
 * @example
 * ```ts
 * const stop = installStopHandlers({ log: (m) => process.stderr.write(m + '\n') });
 * try {
 *   // runTrainingLoop({ ...options, stop: stop.request })
 * } finally {
 *   stop.uninstall();
 * }
 * ```
 * @packageDocumentation
 */
import { CharlearnError } from '@charlearn/core';

/** The signals charlearn handles. */
export type StopSignal = 'SIGINT' | 'SIGTERM';

/** Exit code after a signal: 128 + its number. */
export const SIGNAL_EXIT_CODES: Readonly<Record<StopSignal, number>> = { SIGINT: 130, SIGTERM: 143 };

/** Shared between the signal handlers and a training loop. */
export interface StopRequest {
  /** The first signal received, or `null`. */
  readonly signal: StopSignal | null;
  /** Called by a training loop while it runs (a signal then waits for the step to finish); returns the disarm function. */
  arm(): () => void;
}

/** The run stopped on a signal after writing a checkpoint. */
export class InterruptedError extends CharlearnError {
  readonly signal: StopSignal;
  /** The last step done (and checkpointed). */
  readonly step: number;
  /** 130 (SIGINT) or 143 (SIGTERM). */
  readonly exitCode: number;
  constructor(message: string, signal: StopSignal, step: number) {
    super(message);
    this.name = 'InterruptedError';
    this.signal = signal;
    this.step = step;
    this.exitCode = SIGNAL_EXIT_CODES[signal];
  }
}

/** Options of {@link installStopHandlers}. */
export interface StopHandlerOptions {
  log: (message: string) => void;
  /** How to exit at once (default `process.exit`); exit handlers (the run lock's release) still run. */
  exit?: (code: number) => void;
}

/**
 * Installs SIGINT and SIGTERM handlers; `uninstall` removes them.
 *
 * @example
 * ```ts
 * const { request, uninstall } = installStopHandlers({ log: console.error });
 * ```
 */
export function installStopHandlers(options: StopHandlerOptions): { request: StopRequest; uninstall: () => void } {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let signal: StopSignal | null = null;
  let armed = 0;
  const request: StopRequest = {
    get signal() {
      return signal;
    },
    arm() {
      armed++;
      let done = false;
      return () => {
        if (!done) armed--;
        done = true;
      };
    },
  };
  const handler = (received: StopSignal): void => {
    if (signal !== null || armed === 0) {
      options.log(`\ncharlearn: ${received}: exiting now`);
      exit(SIGNAL_EXIT_CODES[received]);
      return;
    }
    signal = received;
    options.log(`\ncharlearn: ${received}: finishing the current step and writing a checkpoint (send it again to exit at once)`);
  };
  const onInt = (): void => handler('SIGINT');
  const onTerm = (): void => handler('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return {
    request,
    uninstall: () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    },
  };
}

/** `arg` quoted for a POSIX shell when it needs it. */
function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./:=,@%+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * The command that resumes a run started with `argv` (the arguments after `charlearn`): the same arguments without
 * `--force`, with `--resume`.
 *
 * @example
 * ```ts
 * resumeCommand(['train', '-c', 'run.yaml', '--set', 'name=roll', '--force']);
 * // 'charlearn train -c run.yaml --set name=roll --resume'
 * ```
 */
export function resumeCommand(argv: readonly string[]): string {
  const kept = argv.filter((a) => a !== '--force');
  if (!kept.includes('--resume')) kept.push('--resume');
  return ['charlearn', ...kept].map(shellQuote).join(' ');
}
