// The fairness check's engine (src/quality/slices.ts): Benjamini–Hochberg against the paper's example, a
// 10% label flip in one country of ten flagged (and only that country, only disagreement), and no slice
// flagged in A/A over 20 seeds — with the report looked at again and again, as a live route's is.
import { describe, expect, it } from 'vitest';
import { slicesSchema } from '../../src/config/schema/slices.js';
import type { ExchangeDiff } from '../../src/compare/index.js';
import { seededRandom } from '../../src/compare/stats.js';
import { evaluate } from '../../src/experiments/evaluate.js';
import { RouteComparer } from '../../src/compare/index.js';
import { parseConfig } from '../../src/config/load.js';
import { fleetReport, type FleetReport } from '../../src/state/report.js';
import { MISSING, OTHER, SliceBook, benjaminiHochberg, compileSlicePaths, differencePValue, observationOf, sliceKeys } from '../../src/quality/slices.js';

const COUNTRIES = ['US', 'DE', 'GB', 'FR', 'IN', 'BR', 'JP', 'NG', 'ES', 'IT'];
/** Unequal segment sizes, as real traffic has (percent). */
const WEIGHTS = [22, 15, 12, 10, 10, 9, 8, 6, 4, 4];

interface World {
  readonly seed: number;
  readonly exchanges: number;
  /** Extra label flips by the candidate in one country. */
  readonly flip?: { readonly country: string; readonly rate: number };
  /** Report looked at every this many exchanges (a live report is rebuilt on every scrape). */
  readonly lookEvery?: number;
}

function gaussian(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

/**
 * Two noisy models answering the same requests: each labels wrong 1% of the time on its own, fails 0.5% of
 * calls, answers in lognormal time; the candidate flips `flip.rate` more labels in `flip.country`.
 */
function run(w: World): { book: SliceBook; looks: number[] } {
  const cfg = slicesSchema.parse({ paths: [{ path: '$.features.country', topK: 10 }] });
  const book = new SliceBook(cfg);
  const r = seededRandom(w.seed);
  const looks: number[] = [];
  for (let i = 0; i < w.exchanges; i++) {
    let u = r() * 100;
    let c = 0;
    while (u >= WEIGHTS[c]! && c < WEIGHTS.length - 1) u -= WEIGHTS[c++]!;
    const country = COUNTRIES[c]!;
    const truth = r() < 0.3 ? 'fraud' : 'ok';
    const noisy = (label: string) => (r() < 0.01 ? (label === 'ok' ? 'fraud' : 'ok') : label);
    const inc = noisy(truth);
    let cand = noisy(truth);
    if (w.flip?.country === country && r() < w.flip.rate) cand = cand === 'ok' ? 'fraud' : 'ok';
    const call = (role: 'incumbent' | 'candidate') => (r() < 0.005 ? { role, status: 500, latencyMs: 3 } : { role, status: 200, latencyMs: 20 * Math.exp(0.5 * gaussian(r)) });
    const calls = [call('incumbent'), call('candidate')];
    const ok = calls.every((x) => x.status === 200);
    const diff: ExchangeDiff = {
      calls, state: ok ? 'compared' : 'error', fields: ok && inc !== cand ? [['$.label', 'value']] : [], noise: undefined,
      labels: ok ? [inc, cand] : undefined, scoreDeltas: [], similarities: [], overlaps: [], sample: undefined,
    };
    book.record([country], diff);
    if (w.lookEvery !== undefined && (i + 1) % w.lookEvery === 0) looks.push(book.report().flagged.length);
  }
  return { book, looks };
}

describe('Benjamini–Hochberg', () => {
  it('rejects what the 1995 paper rejects in its example (15 p-values, q 0.05: the first 4), with p.adjust(…, "BH")\'s adjusted values', () => {
    const ps = [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.324, 0.4262, 0.5719, 0.6528, 0.759, 1];
    // Shuffled: the procedure must not depend on the order the tests come in.
    const order = [7, 2, 14, 0, 9, 4, 11, 1, 13, 3, 6, 12, 5, 10, 8];
    const { adjusted, rejected } = benjaminiHochberg(order.map((i) => ps[i]!), 0.05);
    const back = new Array<number>(15);
    const rej = new Array<boolean>(15);
    order.forEach((i, j) => { back[i] = adjusted[j]!; rej[i] = rejected[j]!; });
    expect(rej).toEqual(ps.map((_, i) => i < 4));
    // R: p.adjust(p, "BH")[1:5] = 0.0015 0.0030 0.0095 0.035625 0.0603
    expect(back.slice(0, 5).map((x) => Number(x.toPrecision(6)))).toEqual([0.0015, 0.003, 0.0095, 0.035625, 0.0603]);
    expect(back[14]).toBe(1);
  });

  it('an empty family rejects nothing', () => {
    expect(benjaminiHochberg([], 0.05)).toEqual({ adjusted: [], rejected: [] });
  });
});

describe('the anytime-valid p-value of "at most δ worse"', () => {
  it('is 1 when the difference is not above δ, tiny when it clearly is, and monotone in the evidence', () => {
    expect(differencePValue(10, 1000, 10, 9000, 0.02)).toBe(1);
    expect(differencePValue(5, 1000, 90, 9000, 0)).toBe(1);
    const weak = differencePValue(40, 400, 90, 9000, 0.02);
    const strong = differencePValue(100, 1000, 90, 9000, 0.02);
    expect(strong).toBeLessThan(1e-6);
    expect(weak).toBeGreaterThan(strong);
    // A difference just above δ with little data is not significant.
    expect(differencePValue(4, 100, 10, 1000, 0.02)).toBeGreaterThan(0.05);
  });
});

describe('slices', () => {
  it('flags the one country of ten where the candidate flips 10% of labels — only that country, only disagreement', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const { book } = run({ seed, exchanges: 12_000, flip: { country: 'FR', rate: 0.1 } });
      const rep = book.report();
      expect(rep.tested).toBe(30);
      expect(rep.flagged.map((f) => [f.value, f.metric])).toEqual([['FR', 'disagreement']]);
      const fr = rep.paths[0]!.segments.find((s) => s.value === 'FR')!;
      expect(fr.flagged).toBe(true);
      const d = fr.metrics.find((m) => m.metric === 'disagreement')!;
      expect(d.differenceInterval!.low).toBeGreaterThan(0.02);
      expect(rep.flagged[0]!.detail).toMatch(/^\$\.features\.country = FR: disagreement \d+\.\d% vs \d\.\d% in the rest/);
    }
  });

  it('A/A over 20 seeds: no slice flagged, at any of the 40 looks of each run', () => {
    const flaggedRuns: number[] = [];
    let tested = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const { book, looks } = run({ seed, exchanges: 12_000, lookEvery: 300 });
      tested += book.report().tested;
      if (looks.some((n) => n > 0)) flaggedRuns.push(seed);
    }
    expect(flaggedRuns).toEqual([]);
    // Every segment was tested (not "insufficient" all along): 10 countries × 3 metrics × 20 runs.
    expect(tested).toBe(600);
  });

  it('tests nothing below minSamples, and keeps the table bounded: top-k shown, the rest in (other)', () => {
    const cfg = slicesSchema.parse({ paths: [{ path: '$.c', topK: 3 }], minSamples: 10 });
    const book = new SliceBook(cfg);
    const diff: ExchangeDiff = {
      calls: [{ role: 'incumbent', status: 200, latencyMs: 1 }, { role: 'candidate', status: 200, latencyMs: 2 }], state: 'compared',
      fields: [], noise: undefined, labels: ['a', 'a'], scoreDeltas: [], similarities: [], overlaps: [], sample: undefined,
    };
    for (let i = 0; i < 5000; i++) book.record([`v${i % 1000}`], diff);
    for (let i = 0; i < 50; i++) book.record(['big'], diff);
    const rep = book.report();
    // 1000 distinct values: 12 tracked (4 × topK), 'big' arrived late and lands in (other) without its own count.
    expect(rep.paths[0]!.segments.map((s) => s.value)).toEqual(['v0', 'v1', 'v10', OTHER]);
    expect(rep.paths[0]!.segments.reduce((a, s) => a + s.exchanges, 0)).toBe(5050);
    expect(rep.paths[0]!.segments[0]!.metrics.every((m) => m.status === 'insufficient')).toBe(true);
    expect(rep.paths[0]!.segments[3]!.metrics.map((m) => m.status)).toEqual(['ok', 'ok', 'ok']);
  });
});

describe('slice keys and observations', () => {
  it('reads one value per path from the anonymized body; (missing) when absent or not JSON; values cut to 64 characters', () => {
    const paths = compileSlicePaths(slicesSchema.parse({ paths: [{ path: '$.features.country' }, { path: '$.features.device' }, { path: '$.n' }] }))!;
    expect(sliceKeys(paths, Buffer.from(JSON.stringify({ features: { country: 'DE' }, n: 3 })))).toEqual(['DE', MISSING, '3']);
    expect(sliceKeys(paths, Buffer.from('not json'))).toEqual([MISSING, MISSING, MISSING]);
    expect(sliceKeys(paths, Buffer.alloc(0))).toEqual([MISSING, MISSING, MISSING]);
    expect(sliceKeys(paths, Buffer.from(JSON.stringify({ features: { country: 'x'.repeat(200) } })))[0]).toHaveLength(64);
  });

  it('counts the candidate\'s failure only where the incumbent answered, and slower only when both answered', () => {
    const base = { fields: [], noise: undefined, labels: undefined, scoreDeltas: [], similarities: [], overlaps: [], sample: undefined } as const;
    expect(observationOf({ ...base, state: 'error', calls: [{ role: 'incumbent', status: 200, latencyMs: 1 }, { role: 'candidate', status: 503, latencyMs: 9 }] }))
      .toEqual({ compared: false, disagree: false, paired: true, candidateOnlyFailed: true, answered: false, slower: false });
    expect(observationOf({ ...base, state: 'error', calls: [{ role: 'incumbent', status: 500, latencyMs: 1 }, { role: 'candidate', status: 500, latencyMs: 9 }] }).candidateOnlyFailed).toBe(false);
    // Without a label: a field difference the baseline also showed is noise, not disagreement.
    const calls = [{ role: 'incumbent', status: 200, latencyMs: 5 }, { role: 'candidate', status: 200, latencyMs: 9 }] as const;
    expect(observationOf({ ...base, state: 'compared', calls, fields: [['$.ts', 'value']], noise: ['$.ts'] })).toMatchObject({ compared: true, disagree: false, slower: true });
    expect(observationOf({ ...base, state: 'compared', calls, fields: [['$.score', 'value']], noise: [] }).disagree).toBe(true);
  });
});

describe('the experiment criterion "flagged slices"', () => {
  const criterion = { metric: 'flagged slices', comparator: '<=', threshold: 0, confidence: 0.95 } as const;
  const window = { compared: 5000, checks: [{ metric: 'compared exchanges', threshold: 50 }] };
  const flagged = (n: number) => Array.from({ length: n }, (_, i) => ({ path: '$.c', value: `v${i}`, metric: 'disagreement', detail: `$.c = v${i}: disagreement …` }));

  it('fails while a segment is flagged, passes with none flagged once segments were tested', () => {
    const bad = evaluate({ criteria: [criterion] }, { window, slices: { tested: 30, minSamples: 100, flagged: flagged(1) } });
    expect(bad.criteria[0]).toMatchObject({ status: 'fail', value: 1, n: 30 });
    expect(bad.outcome).toBe('fail');
    const good = evaluate({ criteria: [criterion] }, { window, slices: { tested: 30, minSamples: 100, flagged: [] } });
    expect(good.criteria[0]).toMatchObject({ status: 'pass', value: 0 });
    expect(good.outcome).toBe('pass');
    expect(good.flaggedSlices).toBeUndefined();
  });

  it('blocks pass (pending) without slices, or before any segment has minSamples exchanges', () => {
    const none = evaluate({ criteria: [criterion] }, { window });
    expect(none.criteria[0]!.status).toBe('pending');
    expect(none.outcome).toBe('inconclusive');
    const early = evaluate({ criteria: [criterion] }, { window, slices: { tested: 0, minSamples: 100, flagged: [] } });
    expect(early.criteria[0]).toMatchObject({ status: 'pending', detail: 'no segment has compare.slices.minSamples (100) exchanges yet' });
  });

  it('shows flagged slices beside the criteria even when no criterion names them', () => {
    const e = evaluate({ criteria: [{ metric: 'field regressions', comparator: '<=', threshold: 0, confidence: 0.95 }] }, { window: { ...window, fields: [] }, slices: { tested: 30, flagged: flagged(2) } });
    expect(e.outcome).toBe('pass');
    expect(e.flaggedSlices).toEqual(['$.c = v0: disagreement …', '$.c = v1: disagreement …']);
    expect(e.reasons).toContain('slice flagged: $.c = v0: disagreement …');
  });
});

describe('slices in a fleet', () => {
  it('a fleet\'s report merges every process\'s slice table: the same flags as one process that saw everything', () => {
    const config = parseConfig(`
upstreams: { a: { url: "http://127.0.0.1:9" }, b: { url: "http://127.0.0.1:9" } }
routes: [{ name: r, primary: a, shadow: { targets: [a, b], policy: none, allowRawData: true, compare: { label: $.label, slices: { paths: [{ path: $.c, topK: 3 }] } } } }]
`);
    const cfg = config.routes[0]!.shadow!.compare;
    const whole = new SliceBook(cfg.slices!);
    const parts = [new SliceBook(cfg.slices!), new SliceBook(cfg.slices!)];
    const comparers = [new RouteComparer('r', cfg), new RouteComparer('r', cfg)];
    const r = seededRandom(7);
    for (let i = 0; i < 6000; i++) {
      const c = ['a', 'b', 'c', 'd', 'e'][i % 5]!;
      const flip = c === 'b' && r() < 0.15;
      const diff: ExchangeDiff = {
        calls: [{ role: 'incumbent', status: 200, latencyMs: 5 }, { role: 'candidate', status: 200, latencyMs: 5 + r() }], state: 'compared',
        fields: flip ? [['$.label', 'value']] : [], noise: undefined, labels: ['x', flip ? 'y' : 'x'], scoreDeltas: [], similarities: [], overlaps: [], sample: undefined,
      };
      whole.record([c], diff);
      parts[i % 2]!.record([c], diff);
      comparers[i % 2]!.recordDiff(diff, 1_000);
    }
    const snaps = [0, 1].map((i) => ({ replica: `p${i}`, at: 1_000, routes: { r: { compare: comparers[i]!.snapshot(), slices: parts[i]!.snapshot() } } }));
    const fleet = fleetReport(config, snaps, 'r', 1_000) as FleetReport;
    expect(fleet.slices).toEqual(whole.report());
    expect(fleet.slices!.flagged.map((f) => f.value)).toEqual(['b']);
    // (other) folds d and e: 3 shown + (other), as in one process.
    expect(fleet.slices!.paths[0]!.segments.map((x) => x.value)).toEqual([...whole.report().paths[0]!.segments.map((x) => x.value)]);
    // A damaged table is refused, not merged.
    expect(new SliceBook(cfg.slices!).merge({ v: 1, paths: [{ path: '$.c', values: [['a', [1, 2]]], overflow: [0, 0, 0, 0, 0, 0, 0], total: [0, 0, 0, 0, 0, 0, 0] }] })).toBe(false);
  });
});
