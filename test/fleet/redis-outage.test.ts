// Issue 19 finding 6: a change made on one replica while Redis is down is kept (the journal in its state
// file), merged into Redis when it returns — empty, or from an older snapshot — and reaches every
// replica; an emergency rollback made meanwhile is never reverted by the reconnect (docs/fleet-outages.md).
// Two replicas run in this process on a real redis-server, each with its own state file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { createMetrics } from '../../src/observe/metrics.js';
import { silentLogger } from '../../src/observe/log.js';
import { RoutingRuntime } from '../../src/routing/runtime.js';
import { RedisBackend } from '../../src/state/redis.js';
import { until } from './helpers.js';
import { startRedisGate, type RedisGate } from './redis-gate.js';
import { redisAvailable, startRedis, type TestRedis } from './redis-server.js';

const op = { token: 'ops', role: 'operator', source: '127.0.0.1' };
/** Generous: the machine may be loaded; the measured times are printed, never asserted. */
const DEADLINE_MS = 30_000;

interface Replica {
  readonly name: string;
  readonly gate: RedisGate;
  readonly backend: RedisBackend;
  readonly runtime: RoutingRuntime;
}

describe.runIf(redisAvailable())('fleet changes made while redis is down (issue 19 finding 6)', { timeout: 120_000 }, () => {
  let redis: TestRedis | undefined;
  let raw: Redis | undefined;
  let dir = '';
  let replicas: Replica[] = [];
  let gates: RedisGate[] = [];

  afterEach(async () => {
    for (const r of replicas) {
      r.runtime.close();
      await r.backend.close();
    }
    replicas = [];
    for (const g of gates) await g.close();
    gates = [];
    raw?.disconnect();
    raw = undefined;
    await redis?.close();
    redis = undefined;
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
    dir = '';
  });

  function fleetConfig(url: string): Config {
    return parseConfig(`
upstreams: { inc: { url: "http://127.0.0.1:9" }, cand: { url: "http://127.0.0.1:9" } }
state: { backend: redis, evidenceInterval: 100ms, redis: { url: "${url}", keyPrefix: "outage:", lease: 1s, reconcile: 200ms, commandTimeout: 300ms } }
routes:
  - name: r
    primary: inc
    canary: { upstream: cand, weight: 0 }
`);
  }

  async function setup(opts: { persist?: boolean } = {}): Promise<{ redis: TestRedis; raw: Redis }> {
    dir = mkdtempSync(join(tmpdir(), 'sg-outage-'));
    redis = await startRedis(opts.persist === true ? { dir } : {});
    raw = new Redis(redis.url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => 50 });
    raw.on('error', () => undefined);
    await raw.connect();
    gates = [await startRedisGate(redis.port), await startRedisGate(redis.port)];
    return { redis, raw };
  }

  /** A replica whose connections to Redis pass through `gate`. */
  async function replica(name: string, gate: RedisGate | undefined): Promise<Replica> {
    if (gate === undefined) throw new Error('setup() makes the gates');
    const config = fleetConfig(gate.url);
    const log = silentLogger();
    const backend = new RedisBackend({ cfg: config.state.redis!, evidenceIntervalMs: 100, stateFile: join(dir, `${name}.state.json`), log });
    const runtime = new RoutingRuntime(config, {
      metrics: createMetrics(new Registry(), { defaults: false }), log, store: backend.store, timers: false,
      judge: () => backend.isJudge(),
    });
    await backend.start({ routing: runtime, log, evidence: () => runtime.exportEvidence() });
    const r = { name, gate, backend, runtime };
    replicas.push(r);
    return r;
  }

  const view = (r: Replica) => r.runtime.route('r')!;
  const stored = async (): Promise<{ rev: number; route: { override: number | null; state: string } } | undefined> => {
    const text = await raw!.hget('outage:routes', 'r');
    return text === null ? undefined : JSON.parse(text) as { rev: number; route: { override: number | null; state: string } };
  };

  async function allAt(what: string, rs: readonly Replica[], ok: (v: ReturnType<typeof view>) => boolean): Promise<void> {
    await until(what, async () => (rs.every((r) => ok(view(r))) ? true : undefined), DEADLINE_MS);
  }

  async function outage(rs: readonly Replica[]): Promise<void> {
    await redis!.kill();
    await until('every replica to see redis down', async () => (rs.every((r) => !r.backend.up()) ? true : undefined), DEADLINE_MS);
  }

  /** Lets this process's sockets be read (the replicas and the gates live here): a few loop turns and a round trip. */
  async function settleLoop(): Promise<void> {
    for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
    await raw!.ping();
    for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
  }

  /**
   * Restarts Redis, then waits until every replica, then Redis, hold `ok`; returns ms from Redis back to each.
   * `order`: every replica's subscriber reconnects first, then `first` may write (and re-seed: `publishes`
   * says whether it has something to publish, which the other replica then hears), then the other.
   */
  async function returnAndConverge(rs: readonly Replica[], ok: (v: { override: number | null; state: string }) => boolean,
    order?: { first: RedisGate; then: RedisGate; publishes: boolean }): Promise<{ replicas: number; redis: number }> {
    order?.first.hold();
    order?.then.hold();
    await redis!.restart();
    const back = Date.now();
    if (order !== undefined) {
      await until('every subscriber back', async () => (Number((await raw!.pubsub('NUMSUB', 'outage:changes'))[1]) >= rs.length ? true : undefined), DEADLINE_MS);
      await settleLoop();
      // The held replica's subscriber (read here only to order the test: the client emits each message it hands the backend).
      const held = rs.find((r) => r.gate === order.then)!;
      const heard = new Promise<void>((resolve) => (held.backend as unknown as { sub: Redis }).sub.once('message', () => resolve()));
      order.first.release();
      // Its message has reached the other replica's backend before that one may write.
      if (order.publishes) await heard;
      else await moreReads(20);
      await settleLoop();
      order.then.release();
    }
    await allAt('every replica to converge', rs, (v) => ok({ override: v.weight.value, state: v.state }));
    const replicasMs = Date.now() - back;
    await until('redis to hold the same state', async () => {
      const s = await stored();
      return s !== undefined && ok(s.route) ? true : undefined;
    }, DEADLINE_MS);
    return { replicas: replicasMs, redis: Date.now() - back };
  }

  /** Waits until the replicas have read Redis's hashes `n` more times (reconciles and evidence: each replica's every tick). */
  async function moreReads(n: number): Promise<void> {
    const reads = async () => Number(/cmdstat_hgetall:calls=(\d+)/.exec(await raw!.info('commandstats'))?.[1] ?? 0);
    const from = await reads();
    await until(`${n} more reads of redis`, async () => ((await reads()) >= from + n ? true : undefined), DEADLINE_MS);
  }

  it('(1) a weight set on A during the outage reaches B when Redis comes back empty, and stays', async () => {
    await setup();
    const a = await replica('A', gates[0]);
    const b = await replica('B', gates[1]);
    a.runtime.setWeight('r', 20, op);
    await allAt('B to follow weight 20', [b], (v) => v.weight.value === 20);

    await outage([a, b]);
    a.runtime.setWeight('r', 7, op);
    expect(view(a).weight.value).toBe(7); // in force on A at once
    // The order of 43e1ef9's loss, made certain: A hears the fleet again, B re-seeds the empty Redis with
    // its 20 (published to A), and only then can A write.
    const t = await returnAndConverge([a, b], (s) => s.override === 7, { first: gates[1]!, then: gates[0]!, publishes: true });
    console.info(`[fleet-outage] empty redis: both replicas at 7 ${t.replicas} ms, redis ${t.redis} ms after redis returned`);
    // Settled: Redis holds 7, so no reconcile can bring 20 (or the config's 0) back; several reconciles later still 7.
    const settled = (await stored())!.rev;
    await moreReads(60);
    for (const r of [a, b]) expect(view(r).weight.value).toBe(7);
    expect((await stored())!.rev).toBe(settled);
  });

  it('(1b) A restarted during the outage still replays its change (the journal is in its state file)', async () => {
    await setup();
    let a = await replica('A', gates[0]);
    const b = await replica('B', gates[1]);
    a.runtime.setWeight('r', 20, op);
    await allAt('B to follow weight 20', [b], (v) => v.weight.value === 20);

    await outage([a, b]);
    a.runtime.setWeight('r', 7, op);
    await a.runtime.flush();
    // A goes down and comes back while Redis is still away: it serves 7 from its state file.
    replicas = replicas.filter((r) => r !== a);
    a.runtime.close();
    await a.backend.close();
    a = await replica('A', gates[0]);
    expect(view(a).weight.value).toBe(7);
    const t = await returnAndConverge([a, b], (s) => s.override === 7, { first: gates[1]!, then: gates[0]!, publishes: true });
    console.info(`[fleet-outage] replica restarted during the outage: both at 7 ${t.replicas} ms, redis ${t.redis} ms after redis returned`);
  });

  it('(2) with persistence: the newer local change wins over the older snapshot Redis restarts from', async () => {
    const { raw: r0 } = await setup({ persist: true });
    const a = await replica('A', gates[0]);
    const b = await replica('B', gates[1]);
    a.runtime.setWeight('r', 3, op);
    await allAt('B to follow weight 3', [b], (v) => v.weight.value === 3);
    await r0.save(); // the RDB holds weight 3
    b.runtime.setWeight('r', 5, op); // the fleet moves on after the snapshot
    await allAt('A to follow weight 5', [a], (v) => v.weight.value === 5);

    await outage([a, b]);
    a.runtime.setWeight('r', 7, op);
    // B has nothing newer than the snapshot's weight 3 to publish (43e1ef9: it adopted it) before A may write.
    const t = await returnAndConverge([a, b], (s) => s.override === 7, { first: gates[1]!, then: gates[0]!, publishes: false });
    console.info(`[fleet-outage] redis from an older RDB: both replicas at 7 ${t.replicas} ms, redis ${t.redis} ms after redis returned`);

    // And with no local change at all, a snapshot older than what the fleet knows does not take it back.
    await r0.save(); // the RDB now holds 7
    a.runtime.setWeight('r', 9, op);
    await allAt('B to follow weight 9', [b], (v) => v.weight.value === 9);
    await outage([a, b]);
    const t2 = await returnAndConverge([a, b], (s) => s.override === 9);
    console.info(`[fleet-outage] redis from an older RDB, no local change: redis re-seeded with 9 ${t2.redis} ms after it returned`);
    await moreReads(60);
    expect(replicas.map((r) => view(r).weight.value)).toEqual([9, 9]);
  });

  it('(3) an emergency rollback made during the outage is never reverted, even by a raise made on B after it', async () => {
    await setup();
    const a = await replica('A', gates[0]);
    const b = await replica('B', gates[1]);
    a.runtime.setWeight('r', 20, op);
    await allAt('B to follow weight 20', [b], (v) => v.weight.value === 20);

    await outage([a, b]);
    a.runtime.rollback('r', op);
    // B, cut off too, raises the weight later (its clock says so): the rollback must still win.
    await until('a later millisecond', async () => (Date.now() > view(a).changed!.at ? true : undefined));
    b.runtime.setWeight('r', 50, op);
    // The raise reaches Redis first (and A hears it before it can write): the rollback still wins.
    const t = await returnAndConverge([a, b], (s) => s.state === 'rolled_back' && s.override === 0, { first: gates[1]!, then: gates[0]!, publishes: true });
    console.info(`[fleet-outage] rollback vs raise: both rolled back ${t.replicas} ms, redis ${t.redis} ms after redis returned`);
    await moreReads(60);
    for (const r of [a, b]) expect(view(r)).toMatchObject({ state: 'rolled_back', weight: { value: 0 }, rollback: { metric: 'manual' } });
    expect(b.runtime.decide('r', {}, undefined)).toBe('incumbent');
  });
});
