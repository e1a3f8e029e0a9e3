// Evidence snapshots: a comparer's (and a live window's) counts as bounded JSON that merges. N comparers
// fed disjoint parts of a stream, merged, report what one comparer fed everything reports: counts equal,
// quantiles within histogram precision; samples merge weighted by their streams' sizes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RouteComparer, parseComparerSnapshot, type ComparerSnapshot } from '../../src/compare/index.js';
import { Reservoir, seededRandom } from '../../src/compare/stats.js';
import { Tally } from '../../src/compare/tally.js';
import type { ShadowExchange } from '../../src/exchange.js';
import { LiveWindow } from '../../src/routing/live-stats.js';
import { answer, compareConfig, exchange, failure, gaussian } from './helpers.js';

const SEC = 1000;
const CFG = compareConfig({ label: '$.label', scores: ['$.score'], window: { length: '3m', bucket: '1m' }, reservoirSize: 5000, verdict: { minObservations: 20 } });

interface Timed { readonly ex: ShadowExchange; readonly at: number }

/** A seeded stream over ~5 minutes: latencies, some failures, label and score drift, a noisy id, a baseline. */
function stream(seed: number, n: number): Timed[] {
  const random = seededRandom(seed);
  const out: Timed[] = [];
  for (let i = 0; i < n; i++) {
    const at = Math.floor((i / n) * 5 * 60 * SEC);
    const label = random() < 0.8 ? 'cat' : 'dog';
    const body = (l: string) => ({ label: l, score: Math.round(random() * 1000) / 1000, id: random() < 0.5 ? 'x' : `id-${i}` });
    const lat = () => Math.exp(Math.log(3) + 0.4 * gaussian(random));
    const roll = random();
    const candidate = roll < 0.05 ? failure('candidate') : roll < 0.08 ? answer('candidate', {}, { status: 503, latencyMs: lat() })
      : answer('candidate', body(random() < 0.9 ? label : 'bird'), { latencyMs: lat() * 1.1 });
    const responses = { incumbent: answer('incumbent', body(label), { latencyMs: lat() }), candidate, baseline: answer('baseline', body(label), { latencyMs: lat() }) };
    out.push({ ex: exchange(random() < 0.02 ? { incumbent: responses.incumbent } : responses, at), at });
  }
  return out;
}

/** Rounds numbers and sorts arrays of objects, so reports that differ only in float summation order and tie order compare equal. */
function normalize(v: unknown): unknown {
  if (typeof v === 'number') return Number.isFinite(v) ? Number(v.toPrecision(9)) : v;
  if (Array.isArray(v)) {
    const items = v.map(normalize);
    return items.every((x) => typeof x === 'object' && x !== null && !Array.isArray(x))
      ? items.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1)) : items;
  }
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalize(x)]));
  return v;
}

type Report = ReturnType<RouteComparer['report']>;
type Span = Report['sinceStart'];
const QUANTILES = ['p50Ms', 'p90Ms', 'p99Ms', 'p999Ms', 'maxMs', 'meanMs'] as const;

/** Same counts, tests and verdicts; latency quantiles within 1% (a merged histogram's max is its bucket's top). */
function expectSameReport(b: Report, a: Report, opts: { primary?: boolean } = {}): void {
  const latencyOut = (s: Span): Span => ({ ...s, latency: { ...s.latency, shadow: {}, primary: opts.primary === false ? {} : s.latency.primary } });
  for (const span of ['window', 'sinceStart'] as const) {
    const roles = Object.keys(a[span].latency.shadow) as (keyof Span['latency']['shadow'])[];
    expect(Object.keys(b[span].latency.shadow).sort()).toEqual(roles.sort());
    for (const role of roles) {
      const x = a[span].latency.shadow[role]!;
      const y = b[span].latency.shadow[role]!;
      expect(y.count).toBe(x.count);
      for (const q of QUANTILES) expect(Math.abs(y[q] - x[q])).toBeLessThanOrEqual(0.01 * x[q]);
    }
  }
  expect(normalize({ ...b, window: latencyOut(b.window), sinceStart: latencyOut(b.sinceStart) }))
    .toEqual(normalize({ ...a, window: latencyOut(a.window), sinceStart: latencyOut(a.sinceStart) }));
}

const viaJson = (s: ComparerSnapshot): ComparerSnapshot => parseComparerSnapshot(JSON.parse(JSON.stringify(s)));

describe('comparer snapshots', () => {
  it('merging the snapshots of N comparers fed disjoint parts reports what one comparer fed everything reports', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 2 ** 31 }), fc.integer({ min: 2, max: 4 }), fc.boolean(), (seed, parts, reverse) => {
      const items = stream(seed, 600);
      const whole = new RouteComparer('r', CFG, { hasBaseline: true, seed: 1 });
      const workers = Array.from({ length: parts }, () => new RouteComparer('r', CFG, { hasBaseline: true, seed: 1 }));
      const pick = seededRandom(seed ^ 0x5bd1e995);
      for (const { ex, at } of items) {
        whole.record(ex, at);
        workers[Math.floor(pick() * parts)]!.record(ex, at);
        if (pick() < 0.05) whole.recordPrimary('incumbent', 2 + pick() * 3, pick() < 0.1 ? 502 : 200, at);
      }
      // Primary latency recorded on the whole only is the one thing the merge must not invent.
      const merged = new RouteComparer('r', CFG, { hasBaseline: true, seed: 1 });
      const snaps = workers.map((w) => viaJson(w.snapshot()));
      for (const s of reverse ? snaps.reverse() : snaps) merged.merge(s);
      const end = items[items.length - 1]!.at;
      const a = whole.report(end);
      const b = merged.report(end);
      expect(b.sinceStart.latency.primary).toEqual({});
      expectSameReport(b, a, { primary: false });
      // The window really is a window: it lost the first two minutes.
      expect(a.window.exchanges).toBeLessThan(a.sinceStart.exchanges);
      expect(b.window.exchanges).toBe(a.window.exchanges);
    }), { numRuns: 12, seed: 42 });
  });

  it('a worker that drains deltas every few exchanges gives the owner the same report as one comparer', () => {
    const items = stream(7, 800);
    const whole = new RouteComparer('r', CFG, { hasBaseline: true, seed: 3 });
    const worker = new RouteComparer('r', CFG, { hasBaseline: true, seed: 3 });
    const owner = new RouteComparer('r', CFG, { hasBaseline: true, seed: 3 });
    const sizes: number[] = [];
    items.forEach(({ ex, at }, i) => {
      whole.record(ex, at);
      worker.record(ex, at);
      if (i % 25 === 24) {
        const text = JSON.stringify(worker.drain());
        sizes.push(text.length);
        owner.merge(parseComparerSnapshot(JSON.parse(text)));
      }
    });
    owner.merge(worker.drain());
    const end = items[items.length - 1]!.at;
    expectSameReport(owner.report(end), whole.report(end));
    // A drained worker holds nothing: a second drain is empty.
    const empty = worker.drain();
    expect([empty.total.exchanges, empty.buckets.length]).toEqual([0, 0]);
    // 25 exchanges with three latency samples, fields, labels, scores: a few KB per delta.
    expect(Math.max(...sizes)).toBeLessThan(12_000);
  });

  it('quantiles of a merge lie within histogram precision when samples overflow the reservoir', () => {
    const cfg = compareConfig({ reservoirSize: 200, window: { length: '1m', bucket: '1m' } });
    const whole = new RouteComparer('r', cfg, { seed: 5 });
    const parts = [new RouteComparer('r', cfg, { seed: 6 }), new RouteComparer('r', cfg, { seed: 7 })];
    const random = seededRandom(11);
    for (let i = 0; i < 3000; i++) {
      const inc = 1 + random() * 50;
      const ex = exchange({ incumbent: answer('incumbent', 1, { latencyMs: inc }), candidate: answer('candidate', 1, { latencyMs: inc * 1.3 }) });
      whole.record(ex, 1000);
      parts[i % 2]!.record(ex, 1000);
    }
    const merged = new RouteComparer('r', cfg, { seed: 8 });
    for (const p of parts) merged.merge(viaJson(p.snapshot()));
    for (const span of ['window', 'sinceStart'] as const) {
      const a = whole.report(1000)[span];
      const b = merged.report(1000)[span];
      expect(b.exchanges).toBe(a.exchanges);
      for (const role of ['incumbent', 'candidate'] as const) {
        const x = a.latency.shadow[role]!;
        const y = b.latency.shadow[role]!;
        expect(y.count).toBe(x.count);
        for (const q of QUANTILES) expect(Math.abs(y[q] - x[q]) / x[q]).toBeLessThanOrEqual(0.01);
      }
      // The latency test reads every one of the 3000 per side (the histograms), not the 200-value reservoirs
      // (issue 21 finding 4: a window's random sample of a burst decided differently from since-start).
      expect(b.latency.comparison.observations).toEqual([3000, 3000]);
      expect(b.latency.comparison.verdict).toBe('slower');
    }
  });

  it('rejects a malformed snapshot or one with other bucket lengths, with a clear error', () => {
    const c = new RouteComparer('r', CFG);
    expect(() => parseComparerSnapshot({ v: 1, route: 'r' })).toThrow(/SG_ERR_BAD_SNAPSHOT|invalid comparer snapshot/);
    const other = new RouteComparer('r', compareConfig({ window: { length: '10m', bucket: '10s' } }));
    other.record(exchange({ incumbent: answer('incumbent', 1), candidate: answer('candidate', 1) }), 0);
    expect(() => c.merge(other.snapshot())).toThrow(/10000 ms buckets/);
  });
});

describe('reservoir merge', () => {
  it('weights each side by its stream size, not its sample size', () => {
    let ones = 0;
    const runs = 40;
    for (let run = 0; run < runs; run++) {
      const r = new Reservoir(500, seededRandom(run));
      for (let i = 0; i < 10_000; i++) r.offer(0);
      const small = new Reservoir(500, seededRandom(run + 1000));
      for (let i = 0; i < 1000; i++) small.offer(1);
      r.mergeSample(small.count, small.values());
      expect([r.values().length, r.count]).toEqual([500, 11_000]);
      ones += r.values().filter((v) => v === 1).length;
    }
    // Expected share 1000/11000 = 9.1% (offering the 500 kept values one by one would give ~4.5%).
    const share = ones / (500 * runs);
    expect(share).toBeGreaterThan(0.085);
    expect(share).toBeLessThan(0.097);
  });

  it('keeps every value while the union fits', () => {
    const r = new Reservoir(10, seededRandom(1));
    [1, 2, 3].forEach((v) => r.offer(v));
    r.mergeSample(2, [4, 5]);
    expect([...r.values()].sort()).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('tally snapshot bound', () => {
  it('a full since-start tally with three full reservoirs encodes in under 100 KB', () => {
    const t = new Tally(2000, false, seededRandom(1));
    const random = seededRandom(2);
    for (let i = 0; i < 20_000; i++) for (const role of ['incumbent', 'candidate', 'baseline'] as const) {
      const ms = Math.exp(random() * 8);
      t.shadowLatency[role].sample.offer(ms);
      t.shadowLatency[role].hist.recordValue(Math.round(ms * 1000));
    }
    expect(JSON.stringify(t.snapshot()).length).toBeLessThan(100_000);
  });
});

describe('live window snapshots', () => {
  it('two windows fed disjoint halves, merged, judge what one window fed everything judges', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 2 ** 31 }), (seed) => {
      const random = seededRandom(seed);
      const whole = new LiveWindow(5000);
      const halves = [new LiveWindow(5000), new LiveWindow(5000)];
      let now = 0;
      for (let i = 0; i < 500; i++) {
        now += Math.floor(random() * 60);
        const status = random() < 0.1 ? 500 : 200;
        const ms = 1 + random() * random() * 200;
        whole.record(status, ms, now);
        halves[random() < 0.5 ? 0 : 1]!.record(status, ms, now);
      }
      const merged = new LiveWindow(5000);
      for (const h of halves) merged.merge(JSON.parse(JSON.stringify(h.encode())));
      const a = whole.snapshot(now);
      const b = merged.snapshot(now);
      expect([b.requests, b.errors]).toEqual([a.requests, a.errors]);
      expect(Math.abs(b.p99Ms! - a.p99Ms!) / a.p99Ms!).toBeLessThanOrEqual(0.01);
    }), { numRuns: 30, seed: 7 });
  });

  it('drain hands over the slots and leaves the window empty', () => {
    const w = new LiveWindow(1000);
    for (let i = 0; i < 10; i++) w.record(i < 3 ? 503 : 200, 5, 2500);
    const owner = new LiveWindow(1000);
    owner.merge(w.drain());
    expect(w.snapshot(2500).requests).toBe(0);
    expect(owner.snapshot(2500)).toMatchObject({ requests: 10, errors: 3 });
    expect(() => owner.merge({ slotMs: 2000, slots: [], recent: [] })).toThrow(/2000 ms slots/);
  });
});
