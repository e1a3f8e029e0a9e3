// A fleet of three shadowgate processes on one real redis-server (issue 13): shared routing state,
// one judge with a lease, merged evidence, the fleet's audit trail, fail static without Redis.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { startCli } from '../helpers/cli.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { adminCall, configFile, traffic, until } from './helpers.js';
import { redisAvailable, startRedis, type TestRedis } from './redis-server.js';

const LEASE_MS = 1000;

interface Replica {
  readonly name: string;
  readonly port: number;
  readonly adminPort: number;
  readonly child: Awaited<ReturnType<typeof startCli>>['child'];
  readonly exited: Promise<number | null>;
}

describe.runIf(redisAvailable())('a fleet of three replicas on redis', () => {
  let redis: TestRedis;
  let inc: TestUpstream;
  let cand: TestUpstream;
  let bad: TestUpstream;
  let replicas: Replica[] = [];
  const prefix = `sgtest-${randomBytes(4).toString('hex')}:`;

  const config = () => `
server: { host: 127.0.0.1, port: 0 }
admin: { host: 127.0.0.1, port: 0, stateFile: {dir}/state.json, auditFile: {dir}/audit.jsonl }
log: { access: false }
state:
  backend: redis
  evidenceInterval: 100ms
  redis: { url: "${redis.url}", keyPrefix: "${prefix}", lease: ${LEASE_MS}ms, reconcile: 200ms, commandTimeout: 300ms }
upstreams: { inc: { url: "${inc.url}" }, cand: { url: "${cand.url}" }, bad: { url: "${bad.url}" } }
routes:
  - name: r
    match: { pathPrefix: /v1 }
    primary: inc
    canary: { upstream: cand, weight: 0, stickyBy: "header:x-user-id", guardrails: { maxDisagreement: 1, failOnVerdict: false, maxP99Ratio: 100, maxErrorRateDelta: 1 } }
    # r tests propagation and sticky hashing. Its two upstreams disagree on every answer, so the default
    # guardrails would roll it back at the judge's first evaluation (10 s), which a loaded machine reaches
    # mid-test (every user then on the incumbent). Routes bad and hard test the guardrails.
    shadow: { targets: [inc, cand], policy: none, allowRawData: true, maxRps: 100000, burst: 1000, maxInFlight: 1000 }
    # Each replica profiles its own copies (a reference it never finishes learning here): the report carries all three.
    quality: { features: [$.x], referenceSize: 100000 }
  - name: bad
    match: { pathPrefix: /bad }
    primary: inc
    canary:
      upstream: bad
      weight: 0
      rollout: { steps: [50], stepDuration: 1h, minRequests: 1, interval: 100ms, autoStart: false }
      guardrails: { minRequests: 20, hardFailure: { enabled: false } }   # the judge decides, on merged evidence
  - name: hard
    match: { pathPrefix: /hard }
    primary: inc
    canary: { upstream: bad, weight: 50, guardrails: { hardFailure: { minRequests: 10 } } }
`;

  async function startReplica(name: string): Promise<Replica> {
    const { file } = configFile(config());
    const { child, line, exited } = await startCli(['serve', '--config', file], (l) => l.msg === 'shadowgate listening');
    return { name, port: line.port as number, adminPort: line.adminPort as number, child, exited };
  }

  const route = async (r: Replica, name: string) => (await adminCall(r.adminPort, 'GET', `/admin/routes/${name}`)).json;
  const fleet = async (r: Replica) => (await adminCall(r.adminPort, 'GET', '/admin/fleet')).json;

  beforeAll(async () => {
    redis = await startRedis();
    inc = await startUpstream((_q, _b, res) => res.end('incumbent'));
    cand = await startUpstream((_q, _b, res) => res.end('candidate'));
    bad = await startUpstream((_q, _b, res) => { res.statusCode = 500; res.end('bad'); });
    replicas = await Promise.all(['A', 'B', 'C'].map(startReplica));
  });

  afterAll(async () => {
    for (const r of replicas) if (r.child.exitCode === null) r.child.kill('SIGKILL');
    await Promise.all(replicas.map((r) => r.exited));
    await redis?.close();
    await Promise.all([inc?.close(), cand?.close(), bad?.close()]);
  });

  it('applies a weight change made through A on B and C within 1 s, and the live share moves on all three', async () => {
    const [a, b, c] = replicas as [Replica, Replica, Replica];
    const set = await adminCall(a.adminPort, 'PUT', '/admin/routes/r/canary', { weight: 100 });
    expect(set.status).toBe(200);
    for (const r of [b, c]) {
      await until(`replica ${r.name} to apply weight 100`, async () => ((await route(r, 'r')).weight.value === 100 ? true : undefined), 1000);
    }
    for (const r of [a, b, c]) {
      const t = await traffic(r.port, 20);
      expect(t.bodies.every((x) => x === 'candidate')).toBe(true);
    }
  });

  it('sends the same user to the same target on A, B and C (one salt, one hash)', async () => {
    const [a, b, c] = replicas as [Replica, Replica, Replica];
    await adminCall(b.adminPort, 'PUT', '/admin/routes/r/canary', { weight: 30 });
    for (const r of [a, c]) await until(`replica ${r.name} to apply weight 30`, async () => ((await route(r, 'r')).weight.value === 30 ? true : undefined));
    const targets = async (r: Replica) => {
      const out: string[] = [];
      for (let u = 0; u < 60; u++) out.push((await traffic(r.port, 1, { headers: { 'x-user-id': `user-${u}` }, concurrency: 1 })).bodies[0]!);
      return out;
    };
    const onA = await targets(a);
    expect(onA).toContain('candidate');
    expect(onA).toContain('incumbent');
    expect(await targets(b)).toEqual(onA);
    expect(await targets(c)).toEqual(onA);
  });

  it('has exactly one judge, and rolls a candidate answering 500 back on all three', async () => {
    const judges = await Promise.all(replicas.map(fleet));
    expect(judges.filter((f) => f.judge === true)).toHaveLength(1);
    const [a] = replicas as [Replica];
    expect((await adminCall(a.adminPort, 'POST', '/admin/routes/bad/resume')).status).toBe(200);
    // Each replica alone sees a third of the candidate's failures; the judge decides on all of them.
    await until('the rollback of route bad', async () => {
      await Promise.all(replicas.map((r) => traffic(r.port, 12, { path: '/bad/x', concurrency: 4 })));
      return (await route(a, 'bad')).state === 'rolled_back' ? true : undefined;
    });
    for (const r of replicas) {
      const view = await until(`replica ${r.name} to apply the rollback`, async () => {
        const v = await route(r, 'bad');
        return v.state === 'rolled_back' ? v : undefined;
      }, 1000);
      expect(view.rollback).toMatchObject({ metric: 'error_rate_delta', by: 'guardrail' });
      const t = await traffic(r.port, 20, { path: '/bad/x' });
      expect(t.statuses.every((s) => s === 200)).toBe(true);
    }
    // The fleet's audit trail, read on any replica, has the rollback and the operator's changes.
    const audit = await adminCall(replicas[2]!.adminPort, 'GET', '/admin/audit');
    const actions = audit.json.records.map((x: { action: string }) => x.action);
    expect(actions).toEqual(expect.arrayContaining(['canary.set', 'canary.resume', 'rollback']));
  });

  it('rolls back on a replica that is not the judge (its hard-failure fast path) and publishes it to all three', async () => {
    const views = await Promise.all(replicas.map(fleet));
    // Only a follower sees the failing candidate; the judge evaluates this static canary every 10 s only.
    const follower = replicas[views.findIndex((f) => f.judge !== true)]!;
    await until('the fast-path rollback', async () => {
      await traffic(follower.port, 40, { path: '/hard/x', concurrency: 8 });
      return (await route(follower, 'hard')).state === 'rolled_back' ? true : undefined;
    });
    for (const r of replicas) {
      const v = await until(`replica ${r.name} to apply it`, async () => {
        const x = await route(r, 'hard');
        return x.state === 'rolled_back' ? x : undefined;
      }, 1000);
      expect(v.rollback).toMatchObject({ metric: 'hard_failure', by: 'guardrail' });
    }
  });

  it('answers /admin/report on any replica for the fleet: its counts are the sum of what the three compared', async () => {
    await Promise.all(replicas.map((r, i) => traffic(r.port, 10 + 5 * i, { concurrency: 2 })));
    const sum = (m: string, re: RegExp) => [...m.matchAll(re)].reduce((acc, x) => acc + Number(x[1]), 0);
    const compared = await until('the shadow copies to finish', async () => {
      const ms = await Promise.all(replicas.map(async (r) => (await adminCall(r.adminPort, 'GET', '/metrics')).json as string));
      if (ms.some((m) => sum(m, /^shadowgate_shadow_in_flight\{route="r"\} (\d+)$/gm) > 0)) return undefined;
      return ms.map((m) => sum(m, /^shadowgate_comparisons_total\{route="r",result="[a-z_]+"\} (\d+)$/gm));
    });
    const total = compared.reduce((x, y) => x + y, 0);
    expect(compared.every((n) => n > 0)).toBe(true);
    // Other replicas' snapshots are at most one evidence interval old: wait for the ones after the traffic.
    const report = await until('a report with every replica\'s comparisons', async () => {
      const r = (await adminCall(replicas[1]!.adminPort, 'GET', '/admin/report?route=r')).json;
      return r.sinceStart.exchanges === total ? r : undefined;
    }, 5000);
    expect(report.fleet.replicas).toBe(3);
    expect(report.fleet.contributors).toHaveLength(3);
    // routes[].quality: every replica's own section (each learns its own reference), not only the answering one's.
    expect(report.quality.contributors.map((c: { replica: string }) => c.replica).sort()).toEqual(report.fleet.contributors.map((c: { replica: string }) => c.replica).sort());
    expect(report.quality.contributors.every((c: { status: string }) => c.status === 'learning')).toBe(true);
    expect(report.quality.gate.open).toBe(false);
  });

  it('keeps serving without redis (fail static), and reconciles when it returns', async () => {
    const [a, b, c] = replicas as [Replica, Replica, Replica];
    let stop = false;
    const statuses: number[] = [];
    const load = Promise.all(replicas.map(async (r) => {
      while (!stop) statuses.push(...(await traffic(r.port, 10, { concurrency: 2 })).statuses);
    }));
    await redis.kill();
    await until('every replica to see redis down', async () => ((await Promise.all(replicas.map(fleet))).every((f) => f.up === false) ? true : undefined));
    // Changed on A while Redis is away: applied on A at once, written when Redis is back.
    expect((await adminCall(a.adminPort, 'PUT', '/admin/routes/r/canary', { weight: 7 })).status).toBe(200);
    // A says it holds a change the fleet has not taken (docs/fleet-outages.md).
    expect((await fleet(a)).pending).toEqual(['r']);
    expect((await Promise.all(replicas.map(fleet))).some((f) => f.judge === true)).toBe(false);
    const m = (await adminCall(b.adminPort, 'GET', '/metrics')).json as string;
    expect(m).toMatch(/^shadowgate_state_backend_up\{backend="redis"\} 0$/m);
    await redis.restart();
    for (const r of [b, c]) await until(`replica ${r.name} to reconcile weight 7`, async () => ((await route(r, 'r')).weight.value === 7 ? true : undefined), 5000);
    await until('A\'s change to be merged', async () => ((await fleet(a)).pending.length === 0 ? true : undefined));
    stop = true;
    await load;
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    await until('a judge again', async () => ((await Promise.all(replicas.map(fleet))).some((f) => f.judge === true) ? true : undefined), 2 * LEASE_MS + 2000);
  });

  it('elects a new judge within 2 × lease when the judge is SIGKILLed', async () => {
    const views = await Promise.all(replicas.map(fleet));
    const leader = replicas[views.findIndex((f) => f.judge === true)]!;
    const others = replicas.filter((r) => r !== leader);
    leader.child.kill('SIGKILL');
    await leader.exited;
    const next = await until('a new judge', async () => {
      const vs = await Promise.all(others.map(fleet));
      const i = vs.findIndex((f) => f.judge === true);
      return i >= 0 ? others[i] : undefined;
    }, 2 * LEASE_MS, 10);
    expect(next).not.toBe(leader);
  });
});
