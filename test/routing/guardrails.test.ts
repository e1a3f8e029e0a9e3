// Guardrails that decide with evidence (issue 12, findings 4 and 5; DESIGN.md invariant 8): a rollback
// needs a bound past its threshold, so an identical candidate is never rolled back; a candidate failing
// everything is rolled back within a second whatever the evaluation interval. Seeded clock and
// latencies throughout: the runtime takes `now` and `random`.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/compare/stats.js';
import { guardrailsSchema } from '../../src/config/schema/canary.js';
import { createMetrics } from '../../src/observe/metrics.js';
import { silentLogger } from '../../src/observe/log.js';
import { evaluateGuardrails, hardFailureCheck, isHardFailure, p99BoundZ } from '../../src/routing/guardrails.js';
import { LiveWindow } from '../../src/routing/live-stats.js';
import { RoutingRuntime, type RoutingEvent } from '../../src/routing/runtime.js';
import { RouteComparer } from '../../src/compare/index.js';
import { compareSchema } from '../../src/config/schema/compare.js';
import { answer, exchange, gaussian } from '../compare/helpers.js';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';

function routingConfig(canary: Record<string, unknown>): Config {
  return parseConfig(JSON.stringify({
    upstreams: { incumbent: { url: 'http://127.0.0.1:9' }, candidate: { url: 'http://127.0.0.1:9' } },
    routes: [{ name: 'predict', primary: 'incumbent', canary: { upstream: 'candidate', ...canary } }],
  }));
}

const DEFAULTS = guardrailsSchema.parse({});
const COMPARE = compareSchema.parse({ reservoirSize: 200, window: { length: '1m', bucket: '10s' } });

/** A model's latency: lognormal around 20 ms with a heavy tail (1% of calls 3-8× slower), 0.5% 5xx. */
function model(random: () => number): { status: number; ms: number } {
  let ms = 20 * Math.exp(0.5 * gaussian(random));
  if (random() < 0.01) ms *= 3 + 5 * random();
  return { status: random() < 0.005 ? 503 : 200, ms };
}

/**
 * One seeded rollout of an identical candidate: 100 requests per second for 3.5 minutes of the seeded
 * clock, both models drawn from one law, guardrails evaluated every `interval` as the timer would. With
 * `engine`, one request in ten is mirrored to a comparison engine whose signals feed the disagreement and
 * verdict guardrails. Returns the rollbacks, the final view and the closest any bound came to its threshold.
 */
function identicalRollout(run: number, opts: { engine: boolean; intervalMs: number }) {
  const random = seededRandom(1000 + run);
  const clock = { now: 1_700_000_000_000 };
  const events: RoutingEvent[] = [];
  const comparer = opts.engine ? new RouteComparer('predict', COMPARE, { seed: run }) : undefined;
  const rt = new RoutingRuntime(routingConfig({ weight: 0, rollout: { steps: [5, 25, 50], stepDuration: '1m', minRequests: 100, interval: opts.intervalMs } }), {
    metrics: createMetrics(new Registry(), { defaults: false }), log: silentLogger(), timers: false, random: seededRandom(run), now: () => clock.now,
    signals: comparer && ((_route, now) => comparer.guardSignals(now)), onEvent: (e) => events.push(e),
  });
  let closest = 0;
  const verdicts: string[] = [];
  for (let tick = 1; tick <= 210 * 100; tick++) {
    clock.now += 10;
    const live = model(random);
    rt.recordLive('predict', rt.decide('predict', {}, undefined), live.status, live.ms, clock.now);
    if (comparer && tick % 10 === 0) {
      const inc = model(random);
      const cand = model(random);
      comparer.record(exchange({
        incumbent: answer('incumbent', { label: 'a' }, { latencyMs: inc.ms, status: inc.status }),
        candidate: answer('candidate', { label: 'a' }, { latencyMs: cand.ms, status: cand.status }),
      }), clock.now);
    }
    if (tick % (opts.intervalMs / 10) === 0) {
      const [view] = rt.evaluateNow(clock.now);
      const verdict = view!.lastEvaluation?.checks.find((c) => c.metric === 'verdict');
      if (verdict) verdicts.push(String(verdict.value));
      for (const c of view!.lastEvaluation?.checks ?? []) {
        if (typeof c.bound === 'number' && typeof c.threshold === 'number') closest = Math.max(closest, c.bound / c.threshold);
      }
    }
  }
  const view = rt.route('predict')!;
  rt.close();
  return { rollbacks: events.filter((e) => e.action === 'rollback'), view, closest, verdicts };
}

describe('an identical candidate under a rollout with default guardrails', () => {
  it('is never rolled back in 20 simulated runs (2,000 looks), and completes its rollout', () => {
    let closest = 0;
    for (let run = 0; run < 20; run++) {
      const r = identicalRollout(run, { engine: false, intervalMs: 2000 });
      expect(r.rollbacks, `run ${run}: ${JSON.stringify(r.view.rollback)}`).toEqual([]);
      expect(r.view.state, `run ${run}: ${r.view.status}`).toBe('complete');
      closest = Math.max(closest, r.closest);
    }
    // Not a near miss either: the closest any bound came to its threshold over all looks.
    expect(closest).toBeLessThan(0.9);
  });

  it('nor with the comparison engine judging mirrored copies (disagreement and verdict guardrails), at the default interval, in 20 runs', () => {
    // Issue 21: 20 seeded runs (was 3), and the engine's verdict never fails an identical candidate either.
    for (let run = 0; run < 20; run++) {
      const r = identicalRollout(run, { engine: true, intervalMs: 10_000 });
      expect(r.rollbacks, `run ${run}: ${JSON.stringify(r.view.rollback)}`).toEqual([]);
      expect(r.view.state).toBe('complete');
      expect(r.view.lastEvaluation!.checks.map((c) => c.metric)).toEqual(['error_rate_delta', 'p99_ratio', 'disagreement', 'verdict']);
      expect(r.verdicts.filter((v) => v === 'fail'), `run ${run}`).toEqual([]);
    }
  });
});

describe('a candidate answering 500 to everything', () => {
  it('is rolled back within 1 s of its first request with interval: 10s, after at most 20 of them', () => {
    const random = seededRandom(5);
    const clock = { now: 1_700_000_000_000 };
    const events: RoutingEvent[] = [];
    const rt = new RoutingRuntime(routingConfig({ weight: 20, rollout: { steps: [20], interval: '10s', stepDuration: '1h' } }), {
      metrics: createMetrics(new Registry(), { defaults: false }), log: silentLogger(), timers: false, random: seededRandom(2), now: () => clock.now,
      onEvent: (e) => events.push(e),
    });
    let first: number | undefined;
    let served = 0;
    // 100 requests per second; the evaluation timer (every 10 s) is simulated too.
    for (let tick = 1; tick <= 3000 && rt.route('predict')!.state !== 'rolled_back'; tick++) {
      clock.now += 10;
      const target = rt.decide('predict', {}, undefined);
      if (target === 'candidate') {
        first ??= clock.now;
        served++;
        rt.recordLive('predict', 'candidate', 500, 3, clock.now);
      } else {
        rt.recordLive('predict', 'incumbent', 200, model(random).ms, clock.now);
      }
      if (tick % 1000 === 0) rt.evaluateNow(clock.now);
    }
    const view = rt.route('predict')!;
    expect(view.state).toBe('rolled_back');
    expect(view.rollback!.at - first!).toBeLessThanOrEqual(1000);
    expect(served).toBeLessThanOrEqual(20);
    expect(view.rollback).toMatchObject({ metric: 'hard_failure', by: 'guardrail', n: 20, value: 1, threshold: 0.5 });
    expect(view.lastEvaluation!.checks).toEqual([expect.objectContaining({ metric: 'hard_failure', n: 20, result: 'breach' })]);
    expect(events.map((e) => e.action)).toEqual(['rollback']);
    // No candidate request after the rollback.
    for (let i = 0; i < 1000; i++) expect(rt.decide('predict', {}, undefined)).toBe('incumbent');
    rt.close();
  });

  it('the fast path can be turned off, and then waits for the evaluation', () => {
    const clock = { now: 1_000_000 };
    const rt = new RoutingRuntime(routingConfig({ weight: 50, guardrails: { hardFailure: { enabled: false } } }), {
      metrics: createMetrics(new Registry(), { defaults: false }), log: silentLogger(), timers: false, random: seededRandom(2), now: () => clock.now,
    });
    for (let i = 0; i < 100; i++) {
      rt.recordLive('predict', 'candidate', 500, 3, clock.now);
      rt.recordLive('predict', 'incumbent', 200, 3, clock.now);
    }
    expect(rt.route('predict')!.state).toBe('static');
    rt.evaluateNow(clock.now);
    expect(rt.route('predict')!.rollback).toMatchObject({ metric: 'error_rate_delta' });
    rt.close();
  });
});

/** A live window holding `n` requests of which `errors` failed, latencies from `ms(i)`. */
function windowOf(n: number, errors: number, ms: (i: number) => number): LiveWindow {
  const w = new LiveWindow(10_000);
  for (let i = 0; i < n; i++) w.record(i < errors ? 500 : 200, ms(i), 5000);
  return w;
}

describe('evaluateGuardrails', () => {
  const z = p99BoundZ(DEFAULTS);

  // Issue 21: the bounds are anytime-valid over the whole step now (they hold however often the runtime
  // looks), so wider than the fixed-sample ones: a 1.5× p99 needs ~20,000 requests a side, not 5,000.
  it('judges the p99 ratio on its bound: a slow tail in 60 requests is not evidence, in 20,000 it is', () => {
    const random = seededRandom(8);
    const lat = () => 20 * Math.exp(0.4 * gaussian(random));
    const inc = windowOf(20_000, 0, lat).snapshot(5000, z);
    const few = windowOf(60, 0, () => lat() * 1.5).snapshot(5000, z);
    const many = windowOf(20_000, 0, () => lat() * 1.5).snapshot(5000, z);
    const [, p99few] = evaluateGuardrails(DEFAULTS, inc, few, undefined);
    const [, p99many] = evaluateGuardrails(DEFAULTS, inc, many, undefined);
    // Not a breach (issue 21: nor a pass while the point is past the threshold; the step keeps collecting).
    expect(p99few).toMatchObject({ metric: 'p99_ratio', n: 60 });
    expect(p99few!.result).not.toBe('breach');
    expect(p99few!.value as number).toBeGreaterThan(1.25);
    expect(p99few!.bound!).toBeLessThan(1.25);
    expect(p99many).toMatchObject({ metric: 'p99_ratio', n: 20_000, result: 'breach' });
    expect(p99many!.bound!).toBeGreaterThan(1.25);
    expect(p99many!.bound!).toBeLessThan(p99many!.value as number);
  });

  it('judges the error-rate difference with a one-sided bound', () => {
    const inc = windowOf(1000, 2, () => 10).snapshot(5000);
    const [small] = evaluateGuardrails(DEFAULTS, inc, windowOf(60, 2, () => 10).snapshot(5000), undefined);
    // Not a breach; and since issue 21 not a pass either: the point (3.3% vs 0.2%) is past the threshold
    // and the bound not yet, so the step keeps collecting instead of advancing on it.
    expect(small).toMatchObject({ metric: 'error_rate_delta', n: 60, result: 'insufficient data' });
    expect(small!.value as number).toBeGreaterThan(0.01);
    expect(small!.bound!).toBeLessThan(0.01);
    const [big] = evaluateGuardrails(DEFAULTS, inc, windowOf(1000, 60, () => 10).snapshot(5000), undefined);
    expect(big).toMatchObject({ metric: 'error_rate_delta', n: 1000, result: 'breach' });
    expect(big!.bound!).toBeGreaterThan(0.01);
  });

  it("judges the engine's disagreement on its lower bound, and every check states n, value, bound, threshold", () => {
    const w = windowOf(100, 0, () => 10).snapshot(5000);
    const checks = evaluateGuardrails(DEFAULTS, w, w, { observations: 120, disagreement: 0.07, disagreementLow: 0.035, verdict: 'marginal' });
    expect(checks.find((c) => c.metric === 'disagreement')).toMatchObject({ n: 120, value: 0.07, bound: 0.035, threshold: 0.05, result: 'pass' });
    for (const c of checks) {
      expect(Object.keys(c).sort()).toEqual(['bound', 'detail', 'metric', 'n', 'result', 'threshold', 'value']);
      expect(c.detail.length).toBeGreaterThan(10);
    }
    const breach = evaluateGuardrails(DEFAULTS, w, w, { observations: 500, disagreement: 0.2, disagreementLow: 0.16, verdict: 'fail' });
    expect(breach.filter((c) => c.result === 'breach').map((c) => c.metric)).toEqual(['disagreement', 'verdict']);
  });

  it('a hard failure is judged on the last seconds, and on windows merged from several workers', () => {
    expect(isHardFailure(DEFAULTS, 19, 19)).toBe(false);
    expect(isHardFailure(DEFAULTS, 20, 10)).toBe(true);
    expect(isHardFailure(DEFAULTS, 20, 9)).toBe(false);
    expect(hardFailureCheck(DEFAULTS, 40, 30)).toMatchObject({ metric: 'hard_failure', n: 40, value: 0.75, threshold: 0.5, result: 'breach' });
    const workers = [new LiveWindow(10_000), new LiveWindow(10_000)];
    for (const w of workers) for (let i = 0; i < 10; i++) w.record(502, 1, 7000 + i);
    const owner = new LiveWindow(10_000);
    for (const w of workers) owner.merge(JSON.parse(JSON.stringify(w.drain())));
    expect([owner.recent(7500, false), owner.recent(7500, true)]).toEqual([20, 20]);
    // Seconds later the burst is no longer "recent", though the evaluation window still holds it.
    expect(owner.recent(13_000, false)).toBe(0);
    expect(owner.snapshot(13_000).requests).toBe(20);
  });
});
