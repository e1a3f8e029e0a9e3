// The judge's fencing token: a judge whose lease another replica now holds (it stalled past its lease)
// cannot write its decision over the fleet's state; the fleet's state comes back to it.
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { createMetrics } from '../../src/observe/metrics.js';
import { silentLogger } from '../../src/observe/log.js';
import { RoutingRuntime } from '../../src/routing/runtime.js';
import { RedisBackend } from '../../src/state/redis.js';
import { until } from './helpers.js';
import { redisAvailable, startRedis, type TestRedis } from './redis-server.js';
import { tempDir } from '../helpers/run.js';

describe.runIf(redisAvailable())('fencing', () => {
  let redis: TestRedis;
  let raw: Redis;
  const started: { backend: RedisBackend; runtime: RoutingRuntime }[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    raw = new Redis(redis.url);
  });

  afterAll(async () => {
    for (const s of started) {
      s.runtime.close();
      await s.backend.close();
    }
    raw?.disconnect();
    await redis?.close();
  });

  it('refuses a deposed judge\'s rollback and gives it back the fleet\'s state', async () => {
    const config = parseConfig(`
upstreams: { inc: { url: "http://127.0.0.1:9" }, cand: { url: "http://127.0.0.1:9" } }
state: { backend: redis, evidenceInterval: 100ms, redis: { url: "${redis.url}", keyPrefix: "fence:", lease: 20s, reconcile: 100ms } }
routes:
  - name: r
    primary: inc
    canary:
      upstream: cand
      rollout: { steps: [50], stepDuration: 1h, minRequests: 1 }
      guardrails: { minRequests: 20, hardFailure: { enabled: false } }
`);
    const log = silentLogger();
    const backend = new RedisBackend({ cfg: config.state.redis!, evidenceIntervalMs: 100, stateFile: join(tempDir('sg-fence-'), 'state.json'), log });
    const runtime = new RoutingRuntime(config, {
      metrics: createMetrics(new Registry(), { defaults: false }), log, store: backend.store, timers: false,
      judge: () => backend.isJudge(),
    });
    started.push({ backend, runtime });
    await backend.start({ routing: runtime, log, evidence: () => runtime.exportEvidence() });
    await until('the lease', async () => (backend.isJudge() ? true : undefined));
    expect(runtime.route('r')!.state).toBe('running');

    // Another replica took the lease (this one stalled past it): a newer fencing token.
    const held = await raw.get('fence:lease');
    const token = Number(held!.split('|')[1]);
    await raw.set('fence:lease', `another-replica|${token + 1}`, 'PX', 20_000);
    expect(backend.isJudge()).toBe(true); // it does not know yet

    const now = Date.now();
    for (let i = 0; i < 40; i++) {
      runtime.recordLive('r', 'incumbent', 200, 5, now);
      runtime.recordLive('r', 'candidate', 500, 5, now);
    }
    const [view] = runtime.evaluateNow(now);
    expect(view!.state).toBe('rolled_back'); // decided here...
    // ...refused by Redis (stale token), so the fleet's state (running) comes back.
    await until('the fleet state to come back', async () => (runtime.route('r')!.state === 'running' ? true : undefined), 5000);
    const stored = JSON.parse((await raw.hget('fence:routes', 'r'))!) as { route: { state: string } };
    expect(stored.route.state).toBe('running');
    expect(backend.isJudge()).toBe(false);
  });
});
