/** Types of build-if-changed.mjs (plain JavaScript, so it runs before anything is compiled). */
export declare const BUILD_OUTPUTS: readonly string[];
export declare const STAMP_FILE: string;
export declare function hashBuildInputs(root: string): string;
export declare function staleReason(root: string, inputsHash?: string): string | undefined;
export declare function writeStamp(root: string, inputsHash: string): void;
export declare function buildIfChanged(root: string, build: () => void, log?: (line: string) => void): boolean;
