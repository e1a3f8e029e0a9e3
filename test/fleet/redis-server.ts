// A real redis-server for the fleet tests: started on a free loopback port with no persistence, and
// stopped by the test. Absent binary: the test skips with a message, unless CI=true (then it fails).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closedPort } from '../helpers/upstream.js';

export const REDIS_BIN = 'redis-server';

export function redisAvailable(): boolean {
  const found = spawnSync(REDIS_BIN, ['--version'], { stdio: 'ignore' }).status === 0;
  if (!found && process.env.CI === 'true') throw new Error(`${REDIS_BIN} is required under CI=true (Debian package redis-server; .ci/run installs it)`);
  if (!found) console.warn(`skipping the Redis fleet tests: ${REDIS_BIN} not found (apt-get install redis-server)`);
  return found;
}

export interface TestRedis {
  readonly port: number;
  readonly url: string;
  /** Kills the server (SIGKILL: no goodbye to the clients). */
  kill(): Promise<void>;
  /** Starts it again on the same port (empty: no persistence). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

async function launch(port: number): Promise<ChildProcess> {
  const child = spawn(REDIS_BIN, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 10_000);
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

export async function startRedis(): Promise<TestRedis> {
  const port = await closedPort();
  let child: ChildProcess | undefined = await launch(port);
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
      child = await launch(port);
    },
    close: () => stop('SIGTERM'),
  };
}
