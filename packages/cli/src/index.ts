/**
 * @packageDocumentation
 * `@charlearn/cli`: the `charlearn` command's building blocks.
 */
export {};
