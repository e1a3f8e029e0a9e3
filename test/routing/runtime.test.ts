// Routing runtime: guardrails roll a misbehaving candidate back within one evaluation (errors, latency,
// disagreement, verdict) and no live request reaches it afterwards; rollout steps advance only on
// enough passing data, stall on silence; operator actions; reload keeps runtime overrides.
import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { createMetrics } from '../../src/observe/metrics.js';
import { silentLogger } from '../../src/observe/log.js';
import { RoutingRuntime, type RoutingEvent } from '../../src/routing/runtime.js';
import type { CompareSignals, PersistedState, SignalsFn } from '../../src/routing/rollout.js';
import { RouteComparer } from '../../src/compare/index.js';
import { compareSchema } from '../../src/config/schema/compare.js';
import { seededRandom as seeded } from '../../src/compare/stats.js';

export function routingConfig(canary: Record<string, unknown>, extra: Record<string, unknown> = {}): Config {
  return parseConfig(JSON.stringify({
    upstreams: { incumbent: { url: 'http://127.0.0.1:9' }, candidate: { url: 'http://127.0.0.1:9' } },
    routes: [{ name: 'predict', primary: 'incumbent', canary: { upstream: 'candidate', ...canary }, ...extra }],
  }));
}

function setup(canary: Record<string, unknown>, opts: { signals?: (r: string, n: number) => CompareSignals; store?: { state?: PersistedState } } = {}) {
  const metrics = createMetrics(new Registry(), { defaults: false });
  const events: RoutingEvent[] = [];
  const mem = opts.store;
  const runtime = new RoutingRuntime(routingConfig(canary), {
    metrics, log: silentLogger(), timers: false, random: seeded(11), now: () => clock.now,
    signals: opts.signals, onEvent: (e) => events.push(e),
    store: mem ? { load: () => mem.state, save: (s) => { mem.state = structuredClone(s); } } : undefined,
  });
  return { runtime, metrics, events };
}
const clock = { now: 1_000_000 };

/** Feeds n live results per target: incumbent healthy at 10 ms, candidate as given. */
function feed(rt: RoutingRuntime, n: number, cand: { status: number; ms: number }, now: number): void {
  for (let i = 0; i < n; i++) {
    rt.recordLive('predict', 'incumbent', 200, 10, now);
    rt.recordLive('predict', 'candidate', cand.status, cand.ms, now);
  }
}

function candidateShare(rt: RoutingRuntime, n: number): number {
  let c = 0;
  for (let i = 0; i < n; i++) if (rt.decide('predict', { 'x-user-id': `u${i}`, 'x-shadowgate-target': i % 10 === 0 ? 'candidate' : '' }, '127.0.0.1') === 'candidate') c++;
  return c;
}

const GUARDED = { weight: 20, stickyBy: 'header:x-user-id', override: {}, guardrails: { minRequests: 50 } };

describe('automatic rollback', () => {
  it('rolls a candidate that returns 500s back in one evaluation, and no live request reaches it afterwards', async () => {
    // The evaluation path (the hard-failure fast path would act first: test/routing/guardrails.test.ts).
    const { runtime, metrics, events } = setup({ ...GUARDED, guardrails: { minRequests: 50, hardFailure: { enabled: false } } });
    expect(candidateShare(runtime, 1000)).toBeGreaterThan(0);
    feed(runtime, 100, { status: 500, ms: 10 }, clock.now);
    const [view] = runtime.evaluateNow(clock.now);
    expect(view!.state).toBe('rolled_back');
    expect(view!.weight.value).toBe(0);
    expect(view!.rollback).toMatchObject({ metric: 'error_rate_delta', value: 1, threshold: 0.01, by: 'guardrail' });
    expect(candidateShare(runtime, 10_000)).toBe(0);
    expect(events.map((e) => e.action)).toEqual(['rollback']);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/shadowgate_canary_rollbacks_total\{route="predict",reason="error_rate_delta"\} 1/);
    expect(text).toMatch(/shadowgate_canary_weight_percent\{route="predict"\} 0/);
    runtime.close();
  });

  it('rolls back on a p99 latency regression', () => {
    const { runtime } = setup(GUARDED);
    feed(runtime, 200, { status: 200, ms: 40 }, clock.now);
    const [view] = runtime.evaluateNow(clock.now);
    expect(view!.rollback?.metric).toBe('p99_ratio');
    expect(candidateShare(runtime, 5000)).toBe(0);
    runtime.close();
  });

  it('rolls back on a disagreement breach and on a failing verdict from the comparison engine', () => {
    for (const [signals, metric] of [
      [{ observations: 500, disagreement: 0.2, verdict: 'marginal' }, 'disagreement'],
      [{ observations: 500, disagreement: 0.01, verdict: 'fail' }, 'verdict'],
    ] as const) {
      const { runtime } = setup(GUARDED, { signals: () => signals });
      feed(runtime, 100, { status: 200, ms: 10 }, clock.now);
      const [view] = runtime.evaluateNow(clock.now);
      expect(view!.rollback?.metric).toBe(metric);
      expect(candidateShare(runtime, 5000)).toBe(0);
      runtime.close();
    }
  });

  it('does not fail a healthy candidate, nor one with too little data (silence is not a breach)', () => {
    const { runtime } = setup(GUARDED, { signals: () => ({ observations: 3, disagreement: 1, verdict: 'insufficient data' }) });
    feed(runtime, 10, { status: 500, ms: 500 }, clock.now);
    expect(runtime.evaluateNow(clock.now)[0]!.state).toBe('static');
    const healthy = setup(GUARDED).runtime;
    feed(healthy, 500, { status: 200, ms: 10 }, clock.now);
    const [view] = healthy.evaluateNow(clock.now);
    expect(view!.state).toBe('static');
    expect(view!.lastEvaluation!.checks.every((c) => c.result === 'pass')).toBe(true);
  });
});

describe('rollout', () => {
  const ROLLOUT = { stickyBy: 'none', rollout: { steps: [1, 5, 25], stepDuration: '1m', minRequests: 100, interval: '10s' }, guardrails: { minRequests: 50 } };

  it('advances a step only after its duration, enough requests and every guardrail passing', () => {
    const { runtime, events } = setup(ROLLOUT);
    let t = clock.now;
    expect(runtime.route('predict')!.weight).toEqual({ value: 1, source: 'runtime', config: 0 });
    feed(runtime, 200, { status: 200, ms: 10 }, t);
    expect(runtime.evaluateNow(t)[0]!.status).toMatch(/^holding/);
    t += 60_000;
    feed(runtime, 200, { status: 200, ms: 10 }, t);
    const [v] = runtime.evaluateNow(t);
    expect(v!.weight.value).toBe(5);
    expect(v!.rollout!.step).toBe(1);
    expect(events.at(-1)).toMatchObject({ action: 'rollout.advance', before: { weight: 1 }, after: { weight: 5 } });
  });

  it('stalls with "insufficient data" when traffic is short, and never advances blind', () => {
    const { runtime } = setup(ROLLOUT);
    const t = clock.now + 10 * 60_000;
    feed(runtime, 60, { status: 200, ms: 10 }, t);
    const [v] = runtime.evaluateNow(t);
    // Issue 21: the status now also says what the step still needs and when (the prefix is unchanged).
    expect(v!.status).toMatch(/^stalled: insufficient data: step 1\/3 at 1%, needs ~\d+ more candidate requests/);
    expect(v!.weight.value).toBe(1);
    expect(v!.state).toBe('running');
  });

  it('stalls when the comparison engine has too little data even if live data is plentiful', () => {
    const { runtime } = setup(ROLLOUT, { signals: () => ({ observations: 0, disagreement: null, verdict: 'insufficient data' }) });
    const t = clock.now + 10 * 60_000;
    feed(runtime, 500, { status: 200, ms: 10 }, t);
    expect(runtime.evaluateNow(t)[0]!.status).toMatch(/^stalled: insufficient data: .*waiting on disagreement, verdict/);
  });

  it('pauses, resumes, promotes and rolls back on operator request', () => {
    const { runtime } = setup(ROLLOUT);
    const op = { token: 'ops', role: 'operator', source: '127.0.0.1' };
    expect(runtime.pause('predict', op).after.state).toBe('paused');
    expect(() => runtime.pause('predict', op)).toThrow(/no running rollout/);
    expect(runtime.resume('predict', op).after).toEqual({ weight: 1, state: 'running', step: 0 });
    expect(runtime.setWeight('predict', 12.5, op).after).toMatchObject({ weight: 12.5, state: 'paused' });
    expect(runtime.promote('predict', op).after).toMatchObject({ weight: 100, state: 'promoted' });
    const rb = runtime.rollback('predict', op);
    expect(rb.after).toMatchObject({ weight: 0, state: 'rolled_back' });
    expect(runtime.route('predict')!.rollback).toMatchObject({ metric: 'manual', by: 'ops' });
    expect(runtime.resume('predict', op).after).toEqual({ weight: 1, state: 'running', step: 0 });
    expect(() => runtime.setWeight('predict', 101, op)).toThrow(/between 0 and 100/);
    expect(() => runtime.setWeight('nope', 1, op)).toThrow(/not found/);
  });
});

describe('state', () => {
  it('restores weights, rollout progress and rollbacks from the store at start', () => {
    const store: { state?: PersistedState } = {};
    const first = setup({ weight: 3, rollout: { steps: [1, 5, 25], stepDuration: '1s', minRequests: 0 }, guardrails: { minRequests: 10 } }, { store });
    const t = clock.now + 5000;
    feed(first.runtime, 20, { status: 200, ms: 10 }, t);
    first.runtime.evaluateNow(t);
    expect(first.runtime.route('predict')!.weight.value).toBe(5);
    first.runtime.close();
    const second = setup({ weight: 3, rollout: { steps: [1, 5, 25], stepDuration: '1s', minRequests: 0 }, guardrails: { minRequests: 10 } }, { store });
    expect(second.runtime.route('predict')).toMatchObject({ weight: { value: 5, source: 'runtime', config: 3 }, state: 'running', rollout: { step: 1 } });
    second.runtime.rollback('predict', { token: 'ops', role: 'operator', source: 'x' });
    const third = setup({ weight: 3 }, { store });
    expect(third.runtime.route('predict')).toMatchObject({ weight: { value: 0 }, state: 'rolled_back', rollback: { metric: 'manual' } });
    expect(third.runtime.decide('predict', {}, undefined)).toBe('incumbent');
  });

  it('keeps runtime overrides across a reload and takes new config baselines', () => {
    const { runtime } = setup({ weight: 3 });
    runtime.setWeight('predict', 40, { token: 'ops', role: 'operator', source: 'x' });
    runtime.applyConfig(routingConfig({ weight: 7 }));
    expect(runtime.route('predict')!.weight).toEqual({ value: 40, source: 'runtime', config: 7 });
    runtime.clearOverride('predict', { token: 'ops', role: 'operator', source: 'x' });
    expect(runtime.route('predict')!.weight).toEqual({ value: 7, source: 'config', config: 7 });
  });
});

describe('evaluation timers', () => {
  it('rolls back on its own timer within one interval, with the comparison engine as the signal source', async () => {
    const metrics = createMetrics(new Registry(), { defaults: false });
    const comparer = new RouteComparer('predict', compareSchema.parse({}));
    // The compare engine's own guardSignals is what the integrator injects: this also checks the types fit.
    const signals: SignalsFn = (_route, now) => comparer.guardSignals(now);
    let rolledBack!: (e: RoutingEvent) => void;
    const done = new Promise<RoutingEvent>((resolve) => { rolledBack = resolve; });
    const rt = new RoutingRuntime(routingConfig({ weight: 10, rollout: { steps: [10], interval: '20ms', stepDuration: '1h' }, guardrails: { minRequests: 20, hardFailure: { enabled: false } } }), {
      metrics, log: silentLogger(), signals, onEvent: (e) => { if (e.action === 'rollback') rolledBack(e); },
    });
    feed(rt, 50, { status: 502, ms: 5 }, Date.now());
    const event = await done;
    expect(event).toMatchObject({ route: 'predict', actor: { token: 'shadowgate' }, after: { weight: 0, state: 'rolled_back' }, reason: { metric: 'error_rate_delta' } });
    expect(rt.decide('predict', {}, undefined)).toBe('incumbent');
    rt.close();
  });
});

describe('decision metrics', () => {
  it('counts every decision by target and reason in canary_decisions_total once flushed', async () => {
    const { runtime, metrics } = setup({ weight: 50, stickyBy: 'header:x-user-id', override: {} });
    runtime.decide('predict', { 'x-shadowgate-target': 'candidate' }, '127.0.0.1');
    let sticky = 0;
    for (let i = 0; i < 100; i++) if (runtime.decide('predict', { 'x-user-id': `u${i}` }, undefined) === 'candidate') sticky++;
    runtime.flushMetrics();
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/shadowgate_canary_decisions_total\{route="predict",target="candidate",reason="override"\} 1\n/);
    expect(text).toContain(`shadowgate_canary_decisions_total{route="predict",target="candidate",reason="sticky"} ${sticky}\n`);
    expect(text).toContain(`shadowgate_canary_decisions_total{route="predict",target="incumbent",reason="sticky"} ${100 - sticky}\n`);
    runtime.close();
  });
});

describe('live limits through the runtime', () => {
  it('counts throttled requests by limit', async () => {
    const metrics = createMetrics(new Registry(), { defaults: false });
    const rt = new RoutingRuntime(routingConfig({}, { limits: { maxConcurrency: 1 } }), { metrics, log: silentLogger(), timers: false });
    expect(rt.tryAcquire('predict', 0)).toBe(0);
    expect(rt.tryAcquire('predict', 0)).toBe(1);
    rt.release('predict');
    expect(rt.tryAcquire('predict', 0)).toBe(0);
    expect(await metrics.registry.metrics()).toMatch(/shadowgate_throttled_total\{route="predict",limit="concurrency"\} 1/);
  });
});
