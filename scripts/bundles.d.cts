// Types for scripts/bundles.cjs (plain CommonJS, so the entry points can load it before anything is built).
export interface Bundle {
  name: string;
  entry: string;
}
export declare const BUNDLES: Bundle[];
export declare const PROGRAM_FILES: string[];
export declare const INPUTS_FILE: string;
export declare function fresh(root: string): boolean;
export declare function ensureBuilt(root: string): string | null;
