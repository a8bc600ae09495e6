/**
 * @packageDocumentation
 * `@charlearn/nets`.
 */
export {};
