// Loaded with `node --import` by checkpoint-faults.test.ts: installs the CLI's checkpoint-write seam so that, after
// PAUSE_SKIP full-speed writes (default 0), each checkpoint write pauses PAUSE_MS milliseconds half-way through its
// temp file (the test kills the process there). The seam is a Symbol.for key on globalThis (see CHECKPOINT_WRITE_SEAM).
const ms = Number(process.env.PAUSE_MS ?? 0);
const skip = Number(process.env.PAUSE_SKIP ?? 0);
globalThis[Symbol.for('@charlearn/cli/checkpoint-write-seam')] = { pauseMs: (write) => (write >= skip ? ms : 0) };
