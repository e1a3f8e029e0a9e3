// System binaries a test needs (promtool, prometheus, redis-server, chromium, nginx): .ci/run installs
// them, so under CI=true a missing one FAILS the test; on a developer machine the test skips and says why.
import { spawnSync } from 'node:child_process';

/** Whether `cmd args…` runs; under CI=true an absent binary throws (the test fails, never skips). */
export function hasBinary(cmd: string, args: readonly string[] = ['--version']): boolean {
  const probe = spawnSync(cmd, args, { stdio: 'ignore', timeout: 10_000 });
  const present = probe.error === undefined && probe.status === 0;
  if (!present && process.env.CI === 'true') {
    throw new Error(`${cmd} is required under CI=true (.ci/run installs it) but \`${cmd} ${args.join(' ')}\` did not run`);
  }
  return present;
}

/** The message a skipped test prints, so a developer sees what was not checked. */
export function skipNote(cmd: string, what: string): string {
  return `${cmd} is not installed: ${what} not checked (CI installs it and runs this test)`;
}
