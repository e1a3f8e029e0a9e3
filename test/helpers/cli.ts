// Runs the compiled CLI (dist/, built by `npm test` before vitest) as a real child process.
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { spawnTracked } from './run.js';

export const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

export function assertBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` (npm test does it first)`);
}

export interface Finished { code: number | null; stdout: string; stderr: string }

export function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<Finished> {
  assertBuilt();
  return new Promise((resolve, reject) => {
    const child = spawnTracked(process.execPath, [CLI, ...args], { env: { ...process.env, ...opts.env } }) as ChildProcessWithoutNullStreams;
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}

/** Starts a long-running command and resolves with the first JSON log line that `match` accepts. */
export function startCli(args: string[], match: (line: Record<string, unknown>) => boolean, env: NodeJS.ProcessEnv = {}, opts: { openFiles?: number; nodeArgs?: readonly string[] } = {}):
  Promise<{ child: ChildProcessWithoutNullStreams; line: Record<string, unknown>; lines: Record<string, unknown>[]; exited: Promise<number | null> }> {
  assertBuilt();
  // openFiles: run under `ulimit -n N` (bash sets the limit, then execs node in its place).
  // nodeArgs: Node/V8 flags before the script (e.g. the image's, bench/shadowgate.ts imageRuntime()).
  const argv = [...(opts.nodeArgs ?? []), CLI, ...args];
  const child = opts.openFiles === undefined
    ? spawnTracked(process.execPath, argv, { env: { ...process.env, ...env } }) as ChildProcessWithoutNullStreams
    : spawnTracked('bash', ['-c', `ulimit -n ${opts.openFiles} && exec "$0" "$@"`, process.execPath, ...argv], { env: { ...process.env, ...env } }) as ChildProcessWithoutNullStreams;
  const lines: Record<string, unknown>[] = [];
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let buf = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const text = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          const line = JSON.parse(text) as Record<string, unknown>;
          lines.push(line);
          if (match(line)) resolve({ child, line, lines, exited });
        } catch { /* not a JSON line */ }
      }
    });
    void exited.then((code) => reject(new Error(`exited with ${code} before it was ready: ${stderr}`)));
  });
}
