/** Types of scripts/public-entry-points.mjs (for the TypeScript tests that import it). */
export declare const repoRoot: string;
export interface PublicEntryPoint {
  /** What a user imports: `@charlearn/solvers/testing`. */
  specifier: string;
  packageName: string;
  packageDir: string;
  /** Absolute path of the TypeScript source entry file. */
  source: string;
}
export declare function publicEntryPoints(root?: string): PublicEntryPoint[];
export declare function sourcePaths(entries?: PublicEntryPoint[]): Record<string, string[]>;
