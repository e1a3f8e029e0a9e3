// A real redis-server for the fleet tests: started on a free loopback port, with no persistence (or,
// given a directory, with an RDB file there that SAVE writes and a restart loads), and stopped by the test. Absent binary: the test skips with a message, unless CI=true (then it fails).
import type { ChildProcess } from 'node:child_process';
import { hasBinary, skipNote } from '../helpers/binaries.js';
import { closedPort } from '../helpers/upstream.js';
import { spawnTracked } from '../helpers/run.js';

export const REDIS_BIN = 'redis-server';

export function redisAvailable(): boolean {
  const found = hasBinary(REDIS_BIN);
  if (!found) console.warn(skipNote(REDIS_BIN, 'the Redis fleet (shared state, lease, fail static)'));
  return found;
}

export interface TestRedis {
  readonly port: number;
  readonly url: string;
  /** Kills the server (SIGKILL: no goodbye to the clients). */
  kill(): Promise<void>;
  /** Starts it again on the same port: empty without persistence, else from the last RDB snapshot (SAVE). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

async function launch(port: number, dir: string | undefined): Promise<ChildProcess> {
  // No automatic snapshots either way: with a directory, the test decides when the RDB is taken (SAVE).
  const persistence = dir === undefined ? [] : ['--dir', dir, '--dbfilename', 'dump.rdb'];
  const child = spawnTracked(REDIS_BIN, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no', ...persistence], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}: ${out}`));
    });
  });
  return child;
}

export async function startRedis(opts: { dir?: string } = {}): Promise<TestRedis> {
  const port = await closedPort();
  let child: ChildProcess | undefined = await launch(port, opts.dir);
  const stop = async (signal: NodeJS.Signals) => {
    const c = child;
    child = undefined;
    if (c === undefined || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill(signal);
    await exited;
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill: () => stop('SIGKILL'),
    restart: async () => {
      child = await launch(port, opts.dir);
    },
    close: () => stop('SIGTERM'),
  };
}
