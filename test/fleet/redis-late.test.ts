// A replica started while Redis is down serves on its own state, and joins the fleet when Redis comes:
// it subscribes then (reconcile is set to an hour here, so only the published change can reach it).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { startCli } from '../helpers/cli.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { adminCall, configFile, traffic, until } from './helpers.js';
import { redisAvailable, startRedis, type TestRedis } from './redis-server.js';

describe.runIf(redisAvailable())('a replica that starts before redis', () => {
  let redis: TestRedis;
  let up: TestUpstream;
  const procs: Awaited<ReturnType<typeof startCli>>[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    up = await startUpstream((_q, _b, res) => res.end('ok'));
  });

  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    await redis?.close();
    await up?.close();
  });

  it('serves without redis, then follows the fleet once redis is there', async () => {
    const prefix = `late-${randomBytes(4).toString('hex')}:`;
    const yaml = `
server: { host: 127.0.0.1, port: 0 }
admin: { host: 127.0.0.1, port: 0, stateFile: {dir}/state.json, auditFile: {dir}/audit.jsonl }
log: { access: false }
state: { backend: redis, redis: { url: "${redis.url}", keyPrefix: "${prefix}", lease: 1s, reconcile: 1h } }
upstreams: { a: { url: "${up.url}" } }
routes: [{ name: r, match: { pathPrefix: /v1 }, primary: a, canary: { upstream: a, weight: 5 } }]
`;
    await redis.kill();
    const early = await startCli(['serve', '--config', configFile(yaml).file], (l) => l.msg === 'shadowgate listening');
    procs.push(early);
    const earlyAdmin = early.line.adminPort as number;
    const served = await traffic(early.line.port as number, 10);
    expect(served.statuses.every((s) => s === 200)).toBe(true);
    expect((await adminCall(earlyAdmin, 'GET', '/admin/fleet')).json.up).toBe(false);

    await redis.restart();
    await until('the early replica to connect', async () => ((await adminCall(earlyAdmin, 'GET', '/admin/fleet')).json.up === true ? true : undefined));
    const late = await startCli(['serve', '--config', configFile(yaml).file], (l) => l.msg === 'shadowgate listening');
    procs.push(late);
    expect((await adminCall(late.line.adminPort as number, 'PUT', '/admin/routes/r/canary', { weight: 40 })).status).toBe(200);
    await until('the early replica to apply the published change', async () => (
      (await adminCall(earlyAdmin, 'GET', '/admin/routes/r')).json.weight.value === 40 ? true : undefined), 2000);
  });
});
