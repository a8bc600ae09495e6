import type { FsLayer } from '@charlearn/cli';
export declare const PAUSE_MARKER: string;
export interface FaultPlan {
  writeFault?: { match: string; skip?: number; code?: string; pauseMs?: number };
  callFault?: { op: 'mkdir' | 'open' | 'writeFile' | 'rename' | 'link'; match?: string; code: string };
}
export declare function faultFs(plan: FaultPlan): FsLayer;
