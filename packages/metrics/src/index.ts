/**
 * @packageDocumentation
 * `@charlearn/metrics`.
 */
export {};
