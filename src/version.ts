// The package's version, read once from the package.json shipped beside dist/ (for --version and
// shadowgate_build_info).
import { readFileSync } from 'node:fs';

let cached: string | undefined;

export function packageVersion(): string {
  if (cached !== undefined) return cached;
  cached = 'unknown';
  // dist/src/version.js in the package and in the tests' build; src/version.ts under a TS runner.
  for (const rel of ['../../package.json', '../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'shadowgate' && typeof pkg.version === 'string') return (cached = pkg.version);
    } catch {
      // not at this depth
    }
  }
  return cached;
}
