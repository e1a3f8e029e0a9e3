// A cluster (server.workers: 2) and a single process on one Redis: the cluster's primary is a replica
// of the fleet, pushing the fleet's changes to its workers and publishing theirs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { startCli } from '../helpers/cli.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { adminCall, configFile, traffic, until } from './helpers.js';
import { redisAvailable, startRedis, type TestRedis } from './redis-server.js';

describe.runIf(redisAvailable())('a cluster and a single process on one redis', () => {
  let redis: TestRedis;
  let inc: TestUpstream;
  let cand: TestUpstream;
  const procs: Awaited<ReturnType<typeof startCli>>[] = [];
  const prefix = `sgcl-${randomBytes(4).toString('hex')}:`;

  const config = (workers: number) => `
server: { host: 127.0.0.1, port: 0, workers: ${workers} }
admin: { host: 127.0.0.1, port: 0, stateFile: {dir}/state.json, auditFile: {dir}/audit.jsonl }
log: { access: false }
state: { backend: redis, evidenceInterval: 100ms, redis: { url: "${redis.url}", keyPrefix: "${prefix}", lease: 1s, reconcile: 200ms } }
upstreams: { inc: { url: "${inc.url}" }, cand: { url: "${cand.url}" } }
routes:
  - name: r
    match: { pathPrefix: /v1 }
    primary: inc
    canary: { upstream: cand, weight: 0, guardrails: { hardFailure: { minRequests: 10 } } }
`;

  beforeAll(async () => {
    redis = await startRedis();
    inc = await startUpstream((_q, _b, res) => res.end('incumbent'));
    cand = await startUpstream((_q, _b, res) => res.end('candidate'));
  });

  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    await redis?.close();
    await Promise.all([inc?.close(), cand?.close()]);
  });

  it('follows a weight change made on the single process, and publishes its workers\' fast-path rollback', async () => {
    const pids = new Set<number>();
    let clusterAdmin = 0;
    const clusterProc = await startCli(['serve', '--config', configFile(config(2)).file], (l) => {
      if (l.msg === 'shadowgate listening') pids.add(l.pid as number);
      if (l.msg === 'shadowgate cluster admin listening') clusterAdmin = l.adminPort as number;
      return pids.size === 2 && clusterAdmin > 0;
    });
    procs.push(clusterProc);
    const clusterPort = clusterProc.lines.find((l) => l.msg === 'shadowgate listening')!.port as number;
    const single = await startCli(['serve', '--config', configFile(config(1)).file], (l) => l.msg === 'shadowgate listening');
    procs.push(single);
    const singleAdmin = single.line.adminPort as number;

    expect((await adminCall(singleAdmin, 'PUT', '/admin/routes/r/canary', { weight: 100 })).status).toBe(200);
    await until('both workers of the cluster to serve the candidate', async () => {
      const t = await traffic(clusterPort, 40);
      return t.bodies.every((b) => b === 'candidate') ? true : undefined;
    });
    expect((await adminCall(clusterAdmin, 'GET', '/admin/routes/r')).json.weight.value).toBe(100);

    cand.behaviour = (_q, _b, res) => { res.statusCode = 500; res.end('candidate'); };
    await until('a worker\'s fast-path rollback', async () => {
      await traffic(clusterPort, 40, { concurrency: 8 });
      return (await adminCall(clusterAdmin, 'GET', '/admin/routes/r')).json.state === 'rolled_back' ? true : undefined;
    });
    const view = await until('the single process to apply it', async () => {
      const v = (await adminCall(singleAdmin, 'GET', '/admin/routes/r')).json;
      return v.state === 'rolled_back' ? v : undefined;
    }, 2000);
    expect(view.rollback).toMatchObject({ metric: 'hard_failure' });
    const fleetView = (await adminCall(clusterAdmin, 'GET', '/admin/fleet')).json;
    expect(fleetView).toMatchObject({ backend: 'redis', up: true });
  });
});
