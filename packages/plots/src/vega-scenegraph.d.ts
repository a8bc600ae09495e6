// vega-scenegraph ships no types; this is the one export the figures use (see svg.ts).
declare module 'vega-scenegraph' {
  /** Vega's text measurer; `width` may be replaced (Vega supports a user-defined function). */
  export const textMetrics: {
    width: (item: { text?: unknown; fontSize?: number }, text?: unknown) => number;
  };
}
