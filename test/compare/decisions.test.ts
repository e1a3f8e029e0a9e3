// Issue 21, findings 1 and 4: every check is a test against its threshold with and without a baseline
// (the bound of candidate − noise, never the point), and identical data gives the same verdict whichever
// span holds it (the window used a random 500 of a burst, since-start 2,000).
import { describe, expect, it } from 'vitest';
import { analyse } from '../../src/admin/analysis.js';
import { RouteComparer, renderReport, withDropped } from '../../src/compare/index.js';
import { seededRandom } from '../../src/compare/stats.js';
import { answer, compareConfig, exchange, gaussian } from './helpers.js';

/** 200 exchanges whose labels flip on `flipped` of them; the baseline (when on) always agrees with the incumbent. */
function flips(flipped: number, baseline: boolean, n = 200) {
  const c = new RouteComparer('predict', compareConfig({ label: '$.label' }), { hasBaseline: baseline });
  for (let i = 0; i < n; i++) {
    const label = i % 2 === 0 ? 'a' : 'b';
    const cand = i < flipped ? (label === 'a' ? 'b' : 'a') : label;
    c.record(exchange({
      incumbent: answer('incumbent', { label }),
      candidate: answer('candidate', { label: cand }),
      ...(baseline ? { baseline: answer('baseline', { label }) } : {}),
    }), 0);
  }
  return c.report(0);
}

describe('a check is a test against its threshold, with and without a baseline (finding 1)', () => {
  it('7 flips in 200 (a true 2% flip rate can show 3.5%) under the 3-point threshold do not fail, with or without a baseline', () => {
    for (const baseline of [true, false]) {
      const r = flips(7, baseline);
      const field = r.window.fields.find((f) => f.path === '$.label')!;
      expect(field.candidateRate).toBe(0.035);
      expect(field.status, `baseline ${baseline}`).not.toBe('regression');
      // The bound of the difference is what is tested, and it is below the threshold.
      expect(field.differenceInterval!.low).toBeLessThan(0.03);
      expect(r.verdict, `baseline ${baseline}`).not.toBe('fail');
    }
    expect(flips(7, true).verdict).toBe(flips(7, false).verdict);
  });

  it('a true 2% flip rate is never failed in 10 seeded runs of 400–2,000 exchanges, with a baseline', () => {
    for (let seed = 0; seed < 10; seed++) {
      const random = seededRandom(seed);
      const c = new RouteComparer('predict', compareConfig({ label: '$.label' }), { hasBaseline: true, seed });
      for (let i = 0; i < 2000; i++) {
        const label = random() < 0.5 ? 'a' : 'b';
        const cand = random() < 0.02 ? (label === 'a' ? 'b' : 'a') : label;
        c.record(exchange({ incumbent: answer('incumbent', { label }), candidate: answer('candidate', { label: cand }), baseline: answer('baseline', { label }) }), 0);
        if (i % 400 === 399) expect(c.report(0).verdict, `seed ${seed} at ${i + 1}`).not.toBe('fail');
      }
    }
  });

  it('a candidate far past the threshold still fails, with or without a baseline, and says the bound it tested', () => {
    for (const baseline of [true, false]) {
      const r = flips(40, baseline);
      expect(r.verdict).toBe('fail');
      const reason = r.window.reasons.find((x) => x.metric === 'field $.label')!;
      expect(reason.interval!.low).toBeGreaterThan(reason.threshold!);
    }
  });

  it('the noise is subtracted before the threshold: a field the baseline also flips at 10% is not a regression at 12%', () => {
    const c = new RouteComparer('predict', compareConfig(), { hasBaseline: true });
    for (let i = 0; i < 2000; i++) {
      c.record(exchange({
        incumbent: answer('incumbent', { v: 1 }),
        candidate: answer('candidate', { v: i % 100 < 12 ? 2 : 1 }),
        baseline: answer('baseline', { v: i % 100 < 10 ? 3 : 1 }),
      }), 0);
    }
    const f = c.report(0).window.fields.find((x) => x.path === '$.v')!;
    expect(f.status).not.toBe('regression');
    expect(f.differenceInterval!.low).toBeLessThan(0.03);
  });
});

describe('one evidence source: identical data, identical verdict from both spans (finding 4)', () => {
  it('a burst in one bucket: the window and since-start decide alike on 10 seeds', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const random = seededRandom(seed);
      const c = new RouteComparer('predict', compareConfig(), { seed });
      for (let i = 0; i < 3000; i++) {
        const base = 20 * Math.exp(0.3 * gaussian(random));
        const cand = 20 * Math.exp(0.3 * gaussian(random)) * 1.065;
        c.record(exchange({ incumbent: answer('incumbent', 1, { latencyMs: base }), candidate: answer('candidate', 1, { latencyMs: cand }) }), 0);
      }
      const r = c.report(0);
      expect(r.window.verdict, `seed ${seed}`).toBe(r.sinceStart.verdict);
      expect(r.window.checks.map((x) => [x.metric, x.outcome, x.interval])).toEqual(r.sinceStart.checks.map((x) => [x.metric, x.outcome, x.interval]));
      expect(r.window.latency.comparison.observations).toEqual([3000, 3000]);
    }
  });

  it('bounds print as ≥ x or unbounded, never [0, -] or Infinity', () => {
    const c = new RouteComparer('predict', compareConfig());
    for (let i = 0; i < 60; i++) c.record(exchange({ incumbent: answer('incumbent', 1, { latencyMs: 10 + (i % 7) }), candidate: answer('candidate', 1, { latencyMs: 30 + (i % 5) }) }), 0);
    const text = renderReport([c.report(0)]);
    expect(text).not.toMatch(/Infinity|, -\]/);
    expect(text).toMatch(/p99 ratio [\d.]+ (≥ [\d.]+|unbounded)/);
  });
});

describe('the analysis endpoint and the guardrails read the report\'s window and say which (finding 4), with power (what to plan)', () => {
  it('same verdict, the window named, every rate check with its bounds and the n it needs for compare.verdict.mde', () => {
    const c = new RouteComparer('predict', compareConfig({ label: '$.label' }));
    const t0 = 1_764_000_000_000;
    for (let i = 0; i < 300; i++) c.record(exchange({ incumbent: answer('incumbent', { label: 'a' }), candidate: answer('candidate', { label: i % 50 === 0 ? 'b' : 'a' }) }), t0 + i * 100);
    const now = t0 + 30_000;
    const report = c.report(now);
    const a = analyse('predict', undefined, report, now);
    expect(a.verdict).toBe(report.window.verdict);
    expect(a.evidence.window).toEqual({ fromMs: report.window.fromMs, toMs: report.window.toMs, lengthMs: report.window.lengthMs });
    const signals = c.guardSignals(now);
    expect(signals.window).toEqual({ fromMs: report.window.fromMs, toMs: report.window.toMs });
    expect(signals.verdict).toBe(report.window.verdict);
    const dis = a.checks.find((x) => x.metric === 'disagreement')!;
    expect(dis.interval!.low).toBeLessThanOrEqual(dis.observed as number);
    expect(dis.power).toMatchObject({ target: 0.1 });
    expect(dis.power!.needed).toBeGreaterThan(0);
    expect(dis.power!.detectable).toBeGreaterThan(0.05);
    // 300 compared over the 30 s since the first: "needs ~436 more, ~44 s at the current rate".
    expect(dis.power!.etaMs).toBeCloseTo((dis.power!.more! * 30_000) / 300, -3);
    expect(renderReport([report])).toMatch(/disagreement: [\d.]+ \[[-\d.]+, [\d.]+\] \(threshold 0\.05, n=300\); power: finds ≥ [\d.]+ now, 0\.1 needs n=\d+ \(~\d+ more, ~\d+ s at the current rate\)/);
  });
});

describe('smaller items (finding 5)', () => {
  it('the report names the copies dropped before comparison, by reason, in its evidence line ("none" when none)', () => {
    const c = new RouteComparer('predict', compareConfig());
    for (let i = 0; i < 300; i++) c.record(exchange({ incumbent: answer('incumbent', 1), candidate: answer('candidate', 1) }), 0);
    const r = withDropped(c.report(0), new Map([['predict', { overload: 64, rate_limited: 20 }]]));
    expect(r.dropped).toEqual({ byReason: { overload: 64, rate_limited: 20 }, total: 84 });
    expect(renderReport([r])).toContain('evidence: 300 compared of 300 exchanges; copies dropped before comparison (since start): overload 64, rate_limited 20');
    const none = withDropped([c.report(0)], new Map());
    expect(renderReport(none)).toContain('copies dropped before comparison (since start): none');
  });

  it('the report carries the window bucket by bucket, so the console opens on the whole window', () => {
    const c = new RouteComparer('predict', compareConfig({ label: '$.label', window: { length: '5m', bucket: '1m' } }));
    for (let i = 0; i < 600; i++) {
      const late = i >= 300;
      c.record(exchange({ incumbent: answer('incumbent', { label: 'a' }), candidate: answer('candidate', { label: late && i % 2 === 0 ? 'b' : 'a' }) }), i * 400);
    }
    const r = c.report(600 * 400);
    expect(r.history!.length).toBe(4);
    expect(r.history!.map((p) => p.fromMs)).toEqual([0, 60_000, 120_000, 180_000]);
    expect(r.history![0]).toMatchObject({ agreement: 1, verdict: 'pass' });
    expect(r.history!.at(-1)!.verdict).toBe('fail');
    expect(r.history!.at(-1)!.agreement!).toBeLessThan(0.6);
  });

  it('samples carry compare.ignore, so a side-by-side view marks those fields ignored rather than differing', () => {
    const c = new RouteComparer('predict', compareConfig({ ignore: ['$.served_at', '$.meta.*'] }));
    expect(c.samples().ignore).toEqual(['$.served_at', '$.meta.*']);
  });
});
