// vega-scenegraph ships no types; these are the exports the figures use (see svg.ts).
declare module 'vega-scenegraph' {
  /** Vega's text measurer; `width` may be replaced (Vega supports a user-defined function). */
  export const textMetrics: {
    width: (item: { text?: unknown; fontSize?: number }, text?: unknown) => number;
  };
  /** Restarts the counter of SVG definition ids (clip paths, gradients). */
  export function resetSVGDefIds(): void;
}
