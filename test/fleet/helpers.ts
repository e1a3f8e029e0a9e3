// Shared by the fleet tests: shadowgate processes (a cluster, or replicas on one Redis) started from
// the compiled CLI, an admin client, and traffic that reports which upstream answered.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { tempDir } from '../helpers/run.js';

/** A fresh directory with a config file written from `yaml` ({dir} is replaced by the directory). */
export function configFile(yaml: string, name = 'shadowgate.yaml'): { file: string; dir: string } {
  const dir = tempDir('sg-fleet-');
  const file = join(dir, name);
  writeFileSync(file, yaml.replaceAll('{dir}', dir));
  return { file, dir };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the admin API's JSON, read loosely by the fleet tests
export async function adminCall(port: number, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await request(`http://127.0.0.1:${port}${path}`, {
    method: method as 'GET',
    // Mutations are JSON-only (415 otherwise), with or without a body.
    headers: method === 'GET' ? {} : { 'content-type': 'application/json' },
    body: method === 'GET' ? undefined : JSON.stringify(body ?? {}),
  });
  const text = await res.body.text();
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch { /* metrics are text */ }
  return { status: res.statusCode, json };
}

/** Polls `check` until it returns a value (not undefined), within `deadlineMs`; fails with `what`. */
export async function until<T>(what: string, check: () => Promise<T | undefined>, deadlineMs = 60_000, everyMs = 20): Promise<T> {
  // A deadline is a limit for a hung fleet, not a speed claim (that is the bench's): never under 60 s, so a
  // machine at load 10+ makes the test slower, not red.
  const end = Date.now() + Math.max(deadlineMs, 60_000);
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Sends `n` POST requests and returns their statuses and bodies (the upstreams answer their names). */
export async function traffic(port: number, n: number, opts: { headers?: Record<string, string>; concurrency?: number; path?: string } = {}): Promise<{ statuses: number[]; bodies: string[] }> {
  const agent = new Agent({ connections: opts.concurrency ?? 8, pipelining: 1 });
  const statuses: number[] = [];
  const bodies: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < n) {
      next++;
      const res = await request(`http://127.0.0.1:${port}${opts.path ?? '/v1/x'}`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json', ...opts.headers }, dispatcher: agent });
      statuses.push(res.statusCode);
      bodies.push(await res.body.text());
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency ?? 8 }, worker));
  await agent.close();
  return { statuses, bodies };
}
