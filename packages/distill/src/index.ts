/**
 * @packageDocumentation
 * `@charlearn/distill`.
 */
export {};
