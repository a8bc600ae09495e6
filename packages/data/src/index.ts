/**
 * @packageDocumentation
 * `@charlearn/data`.
 */
export {};
