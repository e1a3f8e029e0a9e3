/** Bundles the console into `outDir` (default dist/console) and returns that directory. */
export function buildConsole(outDir?: string): Promise<string>;
