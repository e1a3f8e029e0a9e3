// The comparison engine on the demo's own fraud models (src/demo/models.ts, pure functions) and its
// seeded traffic: injected differences are found exactly, and an identical candidate passes.
import { describe, expect, it } from 'vitest';
import { RouteComparer, type RouteReport } from '../../src/compare/index.js';
import { decide, resolveModelOptions, type DemoModelOptions } from '../../src/demo/models.js';
import { TrafficGenerator } from '../../src/demo/traffic.js';
import type { ShadowRole } from '../../src/exchange.js';
import { answer, compareConfig, exchange } from './helpers.js';

const cfg = compareConfig({
  ignore: ['$.request_id', '$.model'],
  tolerance: { '$.score': { abs: 0.01 } },
  label: '$.prediction',
  scores: ['$.score'],
  unordered: ['$.reasons'],
});

function replay(seed: number, candidate: Omit<DemoModelOptions, 'kind' | 'seed'>, n = 3000): RouteReport {
  const traffic = new TrafficGenerator(seed);
  // Every model stamps a random served_at; the candidate here is the incumbent's weights plus what it injects.
  const models = {
    incumbent: resolveModelOptions({ kind: 'incumbent', servedAt: 'random', seed }),
    baseline: resolveModelOptions({ kind: 'incumbent', servedAt: 'random', seed }),
    candidate: resolveModelOptions({ kind: 'incumbent', servedAt: 'random', seed, ...candidate }),
  };
  const comparer = new RouteComparer('predict', cfg, { hasBaseline: true });
  const t0 = 1_764_000_000_000;
  for (let i = 0; i < n; i++) {
    const body = traffic.next();
    const raw = Buffer.from(JSON.stringify(body));
    const now = t0 + i * 100;
    const call = (role: ShadowRole, offsetMs: number) => {
      const d = decide(models[role], raw, body, now + offsetMs);
      if (d.kind !== 'answer') throw new Error(`demo model did not answer: ${d.kind}`);
      return answer(role, { ...d.prediction, served_at: d.servedAt }, { latencyMs: d.delayMs });
    };
    // Each model answers the copy at its own moment, so every served_at differs; the rest must not.
    comparer.record(exchange({ incumbent: call('incumbent', 0), candidate: call('candidate', 2), baseline: call('baseline', 1) }, now, body), now);
  }
  return comparer.report(t0 + n * 100);
}

const within = (x: number, i: { low: number; high: number } | null | undefined) => i != null && x >= i.low && x <= i.high;

describe('with the demo models', () => {
  it('finds the 5% label flip, the +0.02 score drift and 30% more latency; served_at is noise; rotated reasons are equal', () => {
    const r = replay(3, { flipRate: 0.05, scoreDrift: 0.02, latencyFactor: 1.3, shuffleReasons: true });
    const w = r.window;
    expect(w.fields.filter((f) => f.status === 'regression').map((f) => f.path).sort()).toEqual(['$.prediction', '$.score']);
    expect(w.fields.find((f) => f.path === '$.served_at')).toMatchObject({ status: 'noisy', candidateRate: 1, noiseRate: 1 });
    expect(w.fields.find((f) => f.path.startsWith('$.reasons'))).toBeUndefined();
    expect(within(0.05, w.disagreement?.interval)).toBe(true);
    // Unflipped answers move by exactly the drift (4-decimal rounding aside): the median |delta| is it.
    expect(w.scores[0]!.p50AbsDelta).toBeCloseTo(0.02, 4);
    expect(w.latency.comparison.verdict).toBe('slower');
    expect(within(1.3, w.latency.comparison.ratioInterval)).toBe(true);
    expect(r.verdict).toBe('fail');
  });

  it('an identical candidate passes with no regressed field, across seeds', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const r = replay(seed, {}, 1000);
      expect(r.window.fields.filter((f) => f.status === 'regression')).toEqual([]);
      expect({ seed, verdict: r.verdict }).toEqual({ seed, verdict: 'pass' });
    }
  });
});
