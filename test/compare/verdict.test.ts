// Invariant 8 in the comparison report: no verdict without evidence, every decision on a bound and
// stated with its evidence, and a report that does not contradict itself (issue 12, findings 1, 2, 3,
// 7 and 8).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RouteComparer, renderReport, type RouteReport } from '../../src/compare/index.js';
import { newcombeInterval, normalQuantile, quantileBounds, quantileRankBounds, seededRandom } from '../../src/compare/stats.js';
import { newHistogram, recordLatency } from '../../src/compare/tally.js';
import { summarizeHistogram } from '../../src/compare/report.js';
import { headline } from '../../src/demo/report.js';
import { answer, compareConfig, exchange, failure, gaussian } from './helpers.js';

describe('no verdict without evidence (finding 1)', () => {
  it('every call failing on both sides is insufficient data, and the report says how many failed and why', () => {
    const c = new RouteComparer('predict', compareConfig());
    for (let i = 0; i < 2001; i++) c.record(exchange({ incumbent: failure('incumbent', 'timeout'), candidate: failure('candidate', 'refused') }), 0);
    const r = c.report(0);
    expect(r.verdict).toBe('insufficient data');
    expect(r.window.compared).toBe(0);
    expect(r.window.failures).toEqual({ incumbent: { timeout: 2001 }, candidate: { refused: 2001 }, baseline: {} });
    expect(r.window.reasons).toEqual([expect.objectContaining({
      metric: 'compared exchanges', observed: 0, threshold: 50, outcome: 'insufficient',
      detail: '0 of 2001 exchanges were answered by both sides (a verdict needs 50); calls that failed: incumbent: 2001 timed out; candidate: 2001 refused',
    })]);
    expect(renderReport([r])).toContain('calls that failed (not observations): incumbent: 2001 timed out; candidate: 2001 refused');
    // The guardrails see no observation either.
    expect(c.guardSignals(0)).toMatchObject({ observations: 0, verdict: 'insufficient data' });
  });

  it('5xx answers on both sides are failed calls too, counted by cause', () => {
    const c = new RouteComparer('predict', compareConfig());
    for (let i = 0; i < 100; i++) c.record(exchange({ incumbent: answer('incumbent', {}, { status: 503 }), candidate: answer('candidate', {}, { status: 500 }) }), 0);
    const r = c.report(0);
    expect(r.verdict).toBe('insufficient data');
    expect(r.window.failures).toMatchObject({ incumbent: { http_5xx: 100 }, candidate: { http_5xx: 100 } });
  });

  it('a candidate failing every call while the incumbent answers fails on its own evidence, without comparisons', () => {
    const c = new RouteComparer('predict', compareConfig());
    for (let i = 0; i < 200; i++) c.record(exchange({ incumbent: answer('incumbent', { a: 1 }), candidate: failure('candidate', 'refused') }), 0);
    const r = c.report(0);
    expect(r.verdict).toBe('fail');
    expect(r.window.reasons.map((x) => [x.metric, x.outcome])).toEqual([['compared exchanges', 'insufficient'], ['error rate delta', 'fail']]);
  });
});

describe("the error-rate difference's own interval (finding 2)", () => {
  it("matches Newcombe's published hybrid score intervals (Stat Med 1998, Table II) and SciPy's Wilson bounds", () => {
    // [k1, n1, k2, n2, low, high]: Newcombe's method 10; the digits beyond his four are from SciPy 1.17.1:
    // binomtest(k, n).proportion_ci(method="wilson") combined as d ∓ sqrt((p1-l1)^2 + (u2-p2)^2), …
    const ref: [number, number, number, number, number, number][] = [
      [56, 70, 48, 80, 0.0524314724, 0.333872654], [9, 10, 3, 10, 0.1705227239, 0.8090179735], [5, 56, 0, 29, -0.0381371479, 0.1925600139],
      [0, 10, 0, 20, -0.1611251581, 0.2775327999], [0, 10, 0, 10, -0.2775327999, 0.2775327999], [10, 10, 0, 20, 0.6790860371, 1],
      [6003, 6003, 6003, 6003, -0.0006395139, 0.0006395139], [12, 1000, 3, 1000, 0.001274604, 0.0180757094],
    ];
    for (const [k1, n1, k2, n2, low, high] of ref) {
      const i = newcombeInterval(k1, n1, k2, n2)!;
      expect(i.low).toBeCloseTo(low, 8);
      expect(i.high).toBeCloseTo(high, 8);
    }
  });

  it('the report states the difference with its interval, not the candidate rate with the candidate interval', () => {
    const c = new RouteComparer('predict', compareConfig());
    for (let i = 0; i < 3000; i++) {
      c.record(exchange({ incumbent: failure('incumbent'), candidate: failure('candidate') }), 0);
      if (i % 3 === 0) c.record(exchange({ incumbent: answer('incumbent', 1), candidate: answer('candidate', 1) }), 0);
    }
    const e = c.report(0).window.errors;
    expect(e.delta).toBe(0);
    expect(e.deltaInterval!.low).toBeLessThan(0);
    expect(e.deltaInterval!.high).toBeGreaterThan(0);
    const check = c.report(0).window.checks.find((x) => x.metric === 'error rate delta')!;
    expect(check).toMatchObject({ observed: 0, interval: e.deltaInterval, outcome: 'ok' });
    expect(check.interval!.low).toBeLessThanOrEqual(check.observed!);
  });
});

describe('latency effects need an absolute floor (finding 3)', () => {
  /** Identical sub-millisecond models, the candidate always measured a little later (send order). */
  function twin(seed: number): RouteReport {
    const random = seededRandom(seed);
    const c = new RouteComparer('predict', compareConfig(), { seed });
    for (let i = 0; i < 3000; i++) {
      const base = 0.25 * Math.exp(0.3 * gaussian(random));
      const inc = base * Math.exp(0.05 * gaussian(random));
      const cand = base * Math.exp(0.05 * gaussian(random)) + 0.04 + 0.035 * random();
      c.record(exchange({ incumbent: answer('incumbent', { a: 1 }, { latencyMs: inc }), candidate: answer('candidate', { a: 1 }, { latencyMs: cand }) }), 0);
    }
    return c.report(0);
  }

  it('an identical sub-millisecond twin with a 40–75 µs order bias passes on 10 seeds', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const r = twin(seed);
      // The bias is real and detectable (ratio ~1.2, tiny p) yet far below 1 ms: not "slower".
      expect(r.window.latency.comparison.ratio!).toBeGreaterThan(1.1);
      expect(r.window.latency.comparison.shiftMs!).toBeLessThan(0.1);
      expect(r.window.latency.comparison.verdict).toBe('same');
      expect(r.verdict, `seed ${seed}`).toBe('pass');
    }
  });

  it('a 1.3× slowdown of a 20 ms model is still slower', () => {
    const random = seededRandom(3);
    const c = new RouteComparer('predict', compareConfig());
    for (let i = 0; i < 2000; i++) {
      const base = 20 * Math.exp(0.3 * gaussian(random));
      c.record(exchange({ incumbent: answer('incumbent', 1, { latencyMs: base }), candidate: answer('candidate', 1, { latencyMs: base * 1.3 }) }), 0);
    }
    expect(c.report(0).window.latency.comparison.verdict).toBe('slower');
  });
});

/** A stream whose early and late halves differ, so the window and since-start disagree. */
function drifting(seed: number, opts: { baseline?: boolean } = {}): RouteReport {
  const random = seededRandom(seed);
  const cfg = compareConfig({ window: { length: '2m', bucket: '1m' }, label: '$.label' });
  const c = new RouteComparer('predict', cfg, { hasBaseline: opts.baseline ?? false, seed });
  for (let i = 0; i < 1200; i++) {
    const at = i * 300;
    const late = at > 180_000;
    const base = 10 * Math.exp(0.4 * gaussian(random));
    const label = random() < 0.5 ? 'a' : 'b';
    const body = (l: string) => ({ label: l, id: `${seed}-${i}-${Math.floor(random() * 1e9)}`, v: random() < 0.02 ? 2 : 1 });
    const candLabel = late && random() < 0.1 ? 'c' : label;
    c.record(exchange({
      incumbent: answer('incumbent', body(label), { latencyMs: base }),
      candidate: answer('candidate', body(candLabel), { latencyMs: base * (late ? 1.4 : 1) * Math.exp(0.1 * gaussian(random)) }),
      ...(opts.baseline ? { baseline: answer('baseline', body(label), { latencyMs: base }) } : {}),
    }), at);
  }
  return c.report(1200 * 300);
}

describe('one coherent report (finding 7)', () => {
  it("the summary's numbers are the table's (the window's), and it names the window", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 1e6 }), fc.boolean(), (seed, baseline) => {
      const r = drifting(seed, { baseline });
      const s = r.window;
      const head = headline(r).join('\n');
      const table = renderReport([r]);
      // The window and since start really differ here, so mixing them up would show.
      expect(s.exchanges).toBeLessThan(r.sinceStart.exchanges);
      expect(head).toContain(`(last 2 min, `);
      expect(head).toContain(`over ${s.compared} compared answers`);
      expect(table).toContain(`compared ${s.compared}`);
      const c = s.latency.comparison;
      if (c.ratio !== null) {
        expect(head).toContain(`median ratio ${c.ratio}`);
        expect(table).toContain(`median ratio ${Number(c.ratio.toPrecision(4))}`);
      }
      if (s.label) expect(head).toContain(`over ${s.label.observations}`);
      // Regressed fields in the summary are exactly the table's regression rows, and the fields marked
      // "differs (not significant)" are listed as such, not as "none".
      const regressed = s.fields.filter((f) => f.status === 'regression').map((f) => f.path);
      expect(head).toMatch(regressed.length === 0 ? /regressed fields: none/ : new RegExp(`regressed fields: ${regressed.map((p) => p.replace(/[$.[\]]/g, '\\$&')).join('.*')}`));
      for (const f of s.fields.filter((x) => x.status === 'differs')) expect(head).toContain(f.path);
    }), { numRuns: 6, seed: 12 });
  });

  it("a verdict's reasons are exactly the checks that failed or warned, each with its value, threshold and n", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 1e6 }), (seed) => {
      const r = drifting(seed);
      for (const span of [r.window, r.sinceStart]) {
        expect(span.reasons).toEqual(span.checks.filter((c) => c.outcome !== 'ok'));
        for (const c of span.reasons) {
          expect(c.threshold).not.toBeNull();
          expect(c.n).toBeGreaterThanOrEqual(0);
        }
        if (span.verdict === 'pass') expect(span.reasons).toEqual([]);
        if (span.verdict === 'fail') expect(span.reasons.some((c) => c.outcome === 'fail')).toBe(true);
        if (span.verdict === 'marginal') expect(span.reasons.every((c) => c.outcome === 'marginal')).toBe(true);
      }
    }), { numRuns: 6, seed: 5 });
  });

  it('a marginal verdict from a median slowdown names the median slowdown, not a check under its threshold', () => {
    const random = seededRandom(9);
    const c = new RouteComparer('predict', compareConfig());
    for (let i = 0; i < 2000; i++) {
      const base = 20 * Math.exp(0.2 * gaussian(random));
      c.record(exchange({ incumbent: answer('incumbent', 1, { latencyMs: base }), candidate: answer('candidate', 1, { latencyMs: base * 1.15 }) }), 0);
    }
    const r = c.report(0);
    expect(r.verdict).toBe('marginal');
    expect(r.window.reasons.map((x) => x.metric)).toEqual(['latency median ratio']);
    expect(r.window.reasons[0]!.observed!).toBeGreaterThan(r.window.reasons[0]!.threshold!);
    // The bounds are anytime-valid now (issue 21), so wider than the fixed-sample ones were: still above 1.05.
    expect(renderReport([r])).toMatch(/because: latency median ratio 1\.1\d+ \[1\.\d+, 1\.\d+\] vs 1\.05/);
    expect(r.window.reasons[0]!.interval!.low).toBeGreaterThan(1.05);
  });

  it('explains the field states in place', () => {
    const c = new RouteComparer('predict', compareConfig(), { hasBaseline: true });
    for (let i = 0; i < 400; i++) {
      const body = (role: string, rare: boolean) => ({ at: `${role}-${i}`, v: rare ? 2 : 1 });
      c.record(exchange({ incumbent: answer('incumbent', body('i', false)), candidate: answer('candidate', body('c', i % 100 === 0)), baseline: answer('baseline', body('b', false)) }), 0);
    }
    const r = c.report(0);
    expect(r.window.fields.map((f) => [f.path, f.status])).toEqual([['$.v', 'differs'], ['$.at', 'noisy']]);
    const text = renderReport([r]);
    expect(text).toMatch(/differs \(not significant\)\s+\$\.v/);
    expect(text).toContain('differs (not significant): differs sometimes, not significantly beyond the threshold: does not affect the verdict');
    expect(text).toContain('noisy: the incumbent differs from itself here too');
  });

  it('every quantile lies within [min, max], whatever the values (p99.9 was printed above max)', () => {
    fc.assert(fc.property(fc.array(fc.double({ min: 0.001, max: 60_000, noNaN: true }), { minLength: 1, maxLength: 400 }), fc.boolean(), (values, compact) => {
      const h = newHistogram(compact);
      for (const v of values) recordLatency(h, v);
      const s = summarizeHistogram(h);
      const qs = [s.p50Ms, s.p90Ms, s.p99Ms, s.p999Ms, s.meanMs];
      for (const q of qs) {
        expect(q).toBeGreaterThanOrEqual(s.minMs);
        expect(q).toBeLessThanOrEqual(s.maxMs);
      }
      expect(s.p50Ms).toBeLessThanOrEqual(s.p90Ms);
      expect(s.p99Ms).toBeLessThanOrEqual(s.p999Ms);
      // max is the largest value recorded (to the microsecond), not its bucket's top.
      const max = Math.min(60_000, Math.max(...values));
      expect(Math.abs(s.maxMs - max)).toBeLessThanOrEqual(Math.max(0.0011, max * 1e-4));
    }), { numRuns: 200, seed: 3 });
  });
});

describe('fields that differ on nearly every exchange without a baseline (finding 8)', () => {
  function stamped(baseline: boolean): RouteReport {
    const c = new RouteComparer('predict', compareConfig(), { hasBaseline: baseline });
    for (let i = 0; i < 200; i++) {
      const body = (role: string) => ({ label: 'a', served_at: `2026-01-01T00:00:${String(i % 60).padStart(2, '0')}.${role}` });
      c.record(exchange({
        incumbent: answer('incumbent', body('i')), candidate: answer('candidate', body('c')), ...(baseline ? { baseline: answer('baseline', body('b')) } : {}),
      }), 0);
    }
    return c.report(0);
  }

  it('stays a regression (nothing tells a timestamp from a real change) and says what would settle it', () => {
    const r = stamped(false);
    const f = r.window.fields.find((x) => x.path === '$.served_at')!;
    expect(f.status).toBe('regression');
    expect(r.verdict).toBe('fail');
    const hint = '$.served_at differs on 100.0% of exchanges and no noise baseline is measured: if it is a timestamp or an id, add shadow.baseline (a second incumbent call measures such noise) or compare.ignore: ["$.served_at"]';
    expect(f.hint).toBe(hint);
    expect(r.window.hints).toEqual([hint]);
    expect(renderReport([r])).toContain(`hint ${hint}`);
    expect(headline(r).join('\n')).toContain(`hint: ${hint}`);
  });

  it('with a baseline the same field is noise, and there is no hint', () => {
    const r = stamped(true);
    expect(r.window.fields.find((x) => x.path === '$.served_at')!.status).toBe('noisy');
    expect(r.window.hints).toEqual([]);
    expect(r.verdict).toBe('pass');
  });
});

describe('quantile bounds', () => {
  it('normalQuantile inverts the normal tail (SciPy norm.ppf) to the precision of normalSf', () => {
    // scipy.stats.norm.ppf: 0.975 → 1.959963984540054, 0.99 → 2.3263478740408408, 0.995 → 2.5758293035489004, 0.01 → -2.3263478740408408
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 6);
    expect(normalQuantile(0.99)).toBeCloseTo(2.3263478740408408, 6);
    expect(normalQuantile(0.995)).toBeCloseTo(2.5758293035489004, 6);
    expect(normalQuantile(0.01)).toBeCloseTo(-2.3263478740408408, 6);
  });

  it('order-statistic bounds on the p99 cover it at least as often as their confidence', () => {
    const random = seededRandom(77);
    const trueP99 = Math.exp(0.5 * normalQuantile(0.99)) * 10;
    const z = normalQuantile(0.95);
    let lowMiss = 0;
    let highMiss = 0;
    const runs = 400;
    for (let run = 0; run < runs; run++) {
      const h = newHistogram(true);
      for (let i = 0; i < 1000; i++) recordLatency(h, 10 * Math.exp(0.5 * gaussian(random)));
      const b = quantileBounds(h, 0.99, z);
      if (b.low / 1000 > trueP99) lowMiss++;
      if (b.high / 1000 < trueP99) highMiss++;
    }
    // Nominal 5% each; the bucket widening and the rounding of ranks make them conservative.
    expect(lowMiss / runs).toBeLessThan(0.07);
    expect(highMiss / runs).toBeLessThan(0.07);
  });

  it('says when too few values bound a side', () => {
    expect(quantileRankBounds(50, 0.99, 1.96)).toEqual({ low: 48, high: 51 });
    const h = newHistogram(true);
    for (let i = 1; i <= 50; i++) recordLatency(h, i);
    const b = quantileBounds(h, 0.99, 1.96);
    expect(b.high).toBe(Infinity);
    expect(b.low).toBeGreaterThan(0);
  });
});

describe('the error-rate check needs its own minimum', () => {
  it('judges no error rate on fewer than minObservations calls a side, however lopsided', () => {
    const c = new RouteComparer('predict', compareConfig());
    for (let i = 0; i < 10; i++) c.record(exchange({ incumbent: answer('incumbent', 1), candidate: failure('candidate') }), 0);
    const r = c.report(0);
    expect(r.verdict).toBe('insufficient data');
    expect(r.window.checks.map((x) => x.metric)).toEqual(['compared exchanges']);
  });
});
