// A test that needs a system binary runs it when installed; elsewhere it skips with a message, except
// under CI=true, where a missing binary is a failure (.ci/run installs it).
import { spawnSync } from 'node:child_process';
import { it } from 'vitest';

export function binaryAvailable(cmd: string, args: readonly string[] = ['--version']): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore', timeout: 20_000 });
  return r.error === undefined && r.status === 0;
}

/**
 * `it` when the binary is there; a failing test under CI=true when it is not; else a skipped test whose
 * name says what is missing (and a warning on stderr).
 */
export function itWithBinary(binary: string, present: boolean): typeof it | ((name: string, fn: () => unknown, timeout?: number) => void) {
  if (present) return it;
  if (process.env.CI === 'true') {
    return (name: string) => it(name, () => {
      throw new Error(`${binary} is not installed, and CI=true requires it (.ci/run installs it)`);
    });
  }
  process.stderr.write(`skipping tests that need ${binary}: not installed (apt-get install ${binary === 'promtool' ? 'prometheus' : binary})\n`);
  return (name: string, fn: () => unknown, timeout?: number) => it.skip(`${name} [skipped: ${binary} not installed]`, fn, timeout);
}
