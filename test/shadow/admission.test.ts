// Shadow admission: every reason a copy is not sent, each counted; the bucket's rate and burst; the
// sticky sampler keeping a user in or out; overload shedding. Real shadow threads, real loopback upstream.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { configSchema, shadowSchema } from '../../src/config/schema.js';
import { createMetrics } from '../../src/observe/metrics.js';
import { silentLogger } from '../../src/observe/log.js';
import { OverloadMonitor, TokenBucket, unitHash } from '../../src/shadow/admission.js';
import { BREAKER_FAILURES, RouteShadow, TargetBreaker, type OfferedExchange } from '../../src/shadow/shadow.js';
import { ShadowThreadPool } from '../../src/shadow-threads/pool.js';
import type { CopyResult } from '../../src/shadow-threads/protocol.js';
import { closedPort } from '../helpers/upstream.js';
import { json, startUpstream, type TestUpstream } from '../helpers/upstream.js';

let target: TestUpstream;
let dispatcher: ShadowThreadPool;

/** One shadow thread whose route `r` mirrors raw copies to upstream `t` at `url` (a queue no test here fills). */
async function threadsFor(url: string, timeout = 1000, queueCopies = 10_000): Promise<ShadowThreadPool> {
  const config = configSchema.parse({
    upstreams: { t: { url, timeout, connections: 4 } },
    routes: [{ name: 'r', primary: 't', shadow: { targets: ['t'], policy: 'none', allowRawData: true } }],
  });
  const pool = new ShadowThreadPool({ threads: 1, queue: { copies: queueCopies, bytes: 1 << 24 }, metrics: createMetrics(new Registry(), { defaults: false }), log: silentLogger() });
  await pool.start(config, 1);
  return pool;
}

beforeAll(async () => {
  target = await startUpstream(json(200, { ok: true }));
  dispatcher = await threadsFor(target.url);
});

afterAll(async () => {
  await dispatcher.close();
  await target.close();
});

function offered(i: number, body = '{}', stickyKey?: string): OfferedExchange {
  return { requestId: `r${i}`, method: 'POST', url: '/p', headers: { 'content-type': 'application/json' }, body: Buffer.from(body), stickyKey };
}

function shadowWith(overrides: Record<string, unknown>, overload = new OverloadMonitor(10_000), results: CopyResult[] = []) {
  const metrics = createMetrics(new Registry(), { defaults: false });
  const cfg = shadowSchema.parse({ targets: ['t'], policy: 'none', allowRawData: true, maxRps: 10_000, ...overrides });
  const shadow = new RouteShadow('r', cfg, { threads: dispatcher, generation: 1, policy: 'none', metrics, overload, onResult: (ex) => results.push(ex) });
  return { shadow, metrics, overload, results };
}

describe('TokenBucket', () => {
  it('allows a burst, then exactly the rate', () => {
    const b = new TokenBucket(10, 3, 0);
    expect([b.tryTake(0), b.tryTake(0), b.tryTake(0), b.tryTake(0)]).toEqual([true, true, true, false]);
    expect(b.tryTake(50)).toBe(false); // half a token
    expect(b.tryTake(100)).toBe(true); // one token after 100 ms at 10/s
    expect(b.tryTake(10_000)).toBe(true);
    let granted = 0;
    for (let t = 10_000; t <= 11_000; t += 1) if (b.tryTake(t)) granted++;
    expect(granted).toBe(12); // the saved burst (2 left) plus 10 a second
  });
});

describe('TargetBreaker', () => {
  it('opens after consecutive failures, probes after a doubling cool-down, and closes on an answer', () => {
    const b = new TargetBreaker();
    for (let i = 0; i < BREAKER_FAILURES - 1; i++) b.record(false, 0);
    expect(b.allows(0)).toBe(true);
    b.record(false, 0);
    expect(b.isOpen).toBe(true);
    expect(b.allows(500)).toBe(false);
    expect(b.allows(1000)).toBe(true); // the probe
    expect(b.allows(1001)).toBe(false); // one probe at a time
    b.record(false, 1100); // the probe failed: 2 s now
    expect(b.allows(2000)).toBe(false);
    expect(b.allows(3100)).toBe(true);
    b.record(true, 3200);
    expect(b.isOpen).toBe(false);
    expect(b.allows(3200)).toBe(true);
  });
});

describe('unitHash', () => {
  it('is stable per key and spreads keys evenly', () => {
    expect(unitHash('route', 'user-1')).toBe(unitHash('route', 'user-1'));
    expect(unitHash('route', 'user-1')).not.toBe(unitHash('other', 'user-1'));
    const below = Array.from({ length: 20_000 }, (_, i) => unitHash('r', `user-${i}`)).filter((x) => x < 0.25).length;
    expect(below / 20_000).toBeGreaterThan(0.24);
    expect(below / 20_000).toBeLessThan(0.26);
  });
});

describe('RouteShadow admission', () => {
  it('drops by sample rate, body size, rate, in-flight and overload, in that order, and counts each', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ sampleRate: 0 }, 'sampled_out'],
      [{ maxBodyBytes: 1 }, 'body_too_large'],
      [{ maxRps: 1, burst: 1 }, 'rate_limited'],
    ];
    for (const [overrides, reason] of cases) {
      const { shadow, metrics } = shadowWith(overrides);
      shadow.offer(offered(0, '{"a":1}')); // with burst 1, the first is sent
      const second = shadow.offer(offered(1, '{"a":1}'));
      expect(second).toBe(reason);
      const dropped = await metrics.shadowDropped.get();
      expect(dropped.values.find((v) => v.labels.reason === reason)?.value).toBeGreaterThanOrEqual(1);
    }
    const hung = await startUpstream(() => undefined);
    const d2 = await threadsFor(hung.url, 60_000);
    try {
      const metrics = createMetrics(new Registry(), { defaults: false });
      const cfg = shadowSchema.parse({ targets: ['t'], policy: 'none', allowRawData: true, maxRps: 1000, maxInFlight: 2 });
      const shadow = new RouteShadow('r', cfg, { threads: d2, generation: 1, policy: 'none', metrics, overload: new OverloadMonitor(10_000), onResult: () => undefined });
      expect([shadow.offer(offered(0)), shadow.offer(offered(1)), shadow.offer(offered(2))]).toEqual([undefined, undefined, 'in_flight']);
    } finally {
      await d2.close();
      await hung.close();
    }
    const { shadow, overload } = shadowWith({});
    overload.force(true);
    expect(shadow.offer(offered(0))).toBe('overload');
    overload.force(false);
    expect(shadow.offer(offered(1))).toBeUndefined();
    overload.close();
  });

  it('stops sending to a target that does not answer, and counts the copies as target_down', async () => {
    const dead = await threadsFor(`http://127.0.0.1:${await closedPort()}`);
    try {
      const metrics = createMetrics(new Registry(), { defaults: false });
      const results: CopyResult[] = [];
      const cfg = shadowSchema.parse({ targets: ['t'], policy: 'none', allowRawData: true, maxRps: 100_000 });
      const shadow = new RouteShadow('r', cfg, { threads: dead, generation: 1, policy: 'none', metrics, overload: new OverloadMonitor(10_000), onResult: (ex) => results.push(ex) });
      for (let i = 0; i < BREAKER_FAILURES; i++) {
        expect(shadow.offer(offered(i))).toBeUndefined();
        while (results.length <= i) await new Promise((r) => setTimeout(r, 2));
      }
      expect(results.every((r) => r.calls[0]?.error === 'refused')).toBe(true);
      expect(shadow.offer(offered(99))).toBe('target_down');
      const dropped = await metrics.shadowDropped.get();
      expect(dropped.values.find((v) => v.labels.reason === 'target_down')?.value).toBe(1);
    } finally {
      await dead.close();
    }
  });

  it('samples by sticky key: a user is always in or always out', () => {
    const { shadow } = shadowWith({ sampleRate: 0.5, sampleBy: 'sticky', maxRps: 1_000_000, maxInFlight: 10_000 });
    const decisions = new Map<string, boolean>();
    for (let round = 0; round < 3; round++) {
      for (let u = 0; u < 200; u++) {
        const sent = shadow.offer(offered(u, '{}', `user-${u}`)) === undefined;
        if (round === 0) decisions.set(`user-${u}`, sent);
        else expect(sent).toBe(decisions.get(`user-${u}`));
      }
    }
    const share = [...decisions.values()].filter(Boolean).length / decisions.size;
    expect(share).toBeGreaterThan(0.38);
    expect(share).toBeLessThan(0.62);
  });

  it('hands every sent copy to the result hook with each target answer and the policy id', async () => {
    const results: CopyResult[] = [];
    const { shadow } = shadowWith({}, new OverloadMonitor(10_000), results);
    expect(shadow.offer(offered(7, '{"x":1}'))).toBeUndefined();
    while (results.length === 0) await new Promise((r) => setTimeout(r, 5));
    expect(results[0]).toMatchObject({ calls: [{ status: 200, target: 't', role: 'incumbent' }] });
    expect(target.received.at(-1)!.headers['x-shadowgate-shadow']).toBe('1');
    expect(target.received.at(-1)!.headers['x-shadowgate-policy']).toBe('none');
  });
});
