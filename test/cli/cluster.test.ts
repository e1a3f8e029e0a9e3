// server.workers: N — node:cluster workers share the proxy port; the primary serves /metrics
// aggregated across workers, and SIGTERM drains them all.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { startCli } from '../helpers/cli.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { tempDir } from '../helpers/run.js';

let upstream: TestUpstream;

beforeAll(async () => {
  upstream = await startUpstream((_q, _b, res) => res.end(String(process.pid)));
});

afterAll(async () => {
  await upstream.close();
});

/** A two-worker config in a fresh directory, proxying everything to the test upstream. */
function clusterConfig(extra = ''): string {
  const dir = tempDir('sg-cluster-');
  const file = join(dir, 'shadowgate.yaml');
  writeFileSync(file, `
server: { host: 127.0.0.1, port: 0, workers: 2 }
admin: { port: 0, stateFile: ${join(dir, 'state.json')}, auditFile: ${join(dir, 'audit.jsonl')} }
${extra}
upstreams: { a: { url: "${upstream.url}" } }
routes: [{ name: r, match: { pathPrefix: / }, primary: a }]
`);
  return file;
}

it('serves through two workers and aggregates their metrics on the primary', async () => {
  const file = clusterConfig('log: { access: false }');
  const listening = new Set<number>();
  const { child, line, lines, exited } = await startCli(['serve', '--config', file], (l) => {
    if (l.msg === 'shadowgate listening') listening.add(l.pid as number);
    return listening.size === 2;
  });
  try {
    const port = line.port as number;
    const admin = lines.find((l) => l.msg === 'shadowgate cluster admin listening')!.adminPort as number;
    const agent = new Agent({ connections: 8 });
    const statuses = await Promise.all(Array.from({ length: 200 }, async () => {
      const res = await request(`http://127.0.0.1:${port}/x`, { dispatcher: agent });
      await res.body.dump();
      return res.statusCode;
    }));
    expect(statuses.every((s) => s === 200)).toBe(true);
    const metrics = await (await request(`http://127.0.0.1:${admin}/metrics`)).body.text();
    // Summed across workers: exactly the 200 requests sent.
    expect(metrics).toMatch(/shadowgate_requests_total\{route="r",upstream="a",code="200"\} 200\b/);
    await agent.close();
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  } finally {
    // A failed assertion must not leave the cluster running (workers exit when their primary is gone).
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

it('workers drain and exit when their primary is killed', async () => {
  const file = clusterConfig();
  const pids = new Set<number>();
  const { child } = await startCli(['serve', '--config', file], (l) => {
    if (l.msg === 'shadowgate listening') pids.add(l.pid as number);
    return pids.size === 2;
  });
  child.kill('SIGKILL');
  const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };
  while ([...pids].some(alive)) await new Promise((r) => setTimeout(r, 20));
  expect([...pids].filter(alive)).toEqual([]);
});
