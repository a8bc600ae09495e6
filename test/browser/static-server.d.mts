/** Serves the files under `root` on 127.0.0.1 (a free port). */
export declare function serveStatic(root: string): Promise<{ url: string; close(): Promise<void> }>;
/** Debian chromium's flags for headless WebGPU on SwiftShader (docs/backends.md). */
export declare const CHROMIUM_ARGS: readonly string[];
