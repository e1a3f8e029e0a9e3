// End-to-end behaviour of RouteComparer on synthetic traffic built here: a candidate with injected
// differences is caught exactly (magnitudes inside the reported intervals, noise told apart with a
// baseline), and an identical candidate passes across seeds with no regressed field.
import { describe, expect, it } from 'vitest';
import { RouteComparer } from '../../src/compare/index.js';
import type { RouteReport } from '../../src/compare/index.js';
import { seededRandom } from '../../src/compare/stats.js';
import { answer, compareConfig, exchange, gaussian } from './helpers.js';

const LABELS = ['cat', 'dog', 'bird'] as const;
const cfg = compareConfig({
  label: '$.prediction',
  scores: ['$.score'],
  tolerance: { '$.score': { abs: 0.001 } },
  unordered: ['$.tags'],
});

interface Injected {
  /** Every 20th input gets another label: exactly 5%. */
  labelFlip: boolean;
  scoreDrift: number;
  latencyFactor: number;
  shuffleTags: boolean;
}

const NONE: Injected = { labelFlip: false, scoreDrift: 0, latencyFactor: 1, shuffleTags: false };
const REGRESSED: Injected = { labelFlip: true, scoreDrift: 0.02, latencyFactor: 1.3, shuffleTags: true };

/** Feeds `n` exchanges spread over ten minutes; every model stamps a random served_at. */
function run(seed: number, injected: Injected, opts: { baseline: boolean; n?: number }): { report: RouteReport; comparer: RouteComparer } {
  const random = seededRandom(seed);
  const comparer = new RouteComparer('predict', cfg, { hasBaseline: opts.baseline, seed });
  const n = opts.n ?? 3000;
  const t0 = 1_700_000_000_000;
  for (let i = 0; i < n; i++) {
    const label = LABELS[Math.floor(random() * 3)]!;
    const score = Math.round(random() * 1e6) / 1e6;
    const tags = ['red', 'green', 'blue', 'cyan'];
    const baseLatency = 20 * Math.exp(0.3 * gaussian(random));
    const model = (role: 'incumbent' | 'candidate' | 'baseline', drift: number, flip: boolean, shuffle: boolean, factor: number) => answer(role, {
      prediction: flip ? LABELS[(LABELS.indexOf(label) + 1) % 3] : label,
      score: score + drift + (drift !== 0 ? 0.005 * gaussian(random) : 0),
      tags: shuffle ? [...tags].reverse() : tags,
      served_at: new Date(t0 + Math.floor(random() * 1e9)).toISOString(),
    }, { latencyMs: baseLatency * factor * Math.exp(0.1 * gaussian(random)) });
    const cand = injected === NONE
      ? model('candidate', 0, false, false, 1)
      : model('candidate', injected.scoreDrift, injected.labelFlip && i % 20 === 7, injected.shuffleTags, injected.latencyFactor);
    comparer.record(exchange({
      incumbent: model('incumbent', 0, false, false, 1),
      candidate: cand,
      ...(opts.baseline ? { baseline: model('baseline', 0, false, false, 1) } : {}),
    }, t0 + i * 200), t0 + i * 200);
  }
  return { report: comparer.report(t0 + n * 200), comparer };
}

const within = (x: number, i: { low: number; high: number } | null | undefined) => i !== null && i !== undefined && x >= i.low && x <= i.high;

describe('a candidate with injected differences', () => {
  const { report, comparer } = run(11, REGRESSED, { baseline: true });
  const span = report.window;

  it('flags exactly the label and the score as regressions, and fails', () => {
    const regressed = span.fields.filter((f) => f.status === 'regression').map((f) => f.path).sort();
    expect(regressed).toEqual(['$.prediction', '$.score']);
    expect(report.verdict).toBe('fail');
    const failing = span.reasons.filter((r) => r.outcome === 'fail').map((r) => r.metric);
    expect(failing.sort()).toEqual(['field $.prediction', 'field $.score']);
    // 30% slower: the median says so with certainty; the p99 ratio's point estimate (1.29) is past 1.25
    // but its interval is not wholly past it, so it warns and does not fail on its own.
    const warned = span.reasons.filter((r) => r.outcome === 'marginal').map((r) => r.metric);
    expect(warned).toEqual(['latency median ratio', 'latency p99 ratio']);
    const p99 = span.checks.find((r) => r.metric === 'latency p99 ratio')!;
    expect(p99.observed!).toBeGreaterThan(1.25);
    expect(p99.interval!.low).toBeLessThan(1.25);
  });

  it('reports magnitudes whose intervals hold the injected values', () => {
    expect(span.label?.agreement).toBeCloseTo(0.95, 9);
    expect(within(0.05, span.disagreement?.interval)).toBe(true);
    const score = span.scores.find((s) => s.path === '$.score')!;
    expect(within(0.02, score.meanDeltaInterval)).toBe(true);
    const lat = span.latency.comparison;
    expect(lat.verdict).toBe('slower');
    expect(within(1.3, lat.ratioInterval)).toBe(true);
    expect(lat.shiftMs).toBeGreaterThan(0);
    expect(lat.p99Ratio).toBeGreaterThan(1.2);
  });

  it('calls served_at noise because two incumbent calls disagree on it too', () => {
    const servedAt = span.fields.find((f) => f.path === '$.served_at')!;
    expect(servedAt.status).toBe('noisy');
    expect(servedAt.noiseRate).toBeGreaterThan(0.99);
  });

  it('finds the shuffled but equal list equal under unordered', () => {
    expect(span.fields.find((f) => f.path.startsWith('$.tags'))).toBeUndefined();
  });

  it('keeps example pairs for the differing fields, never more than samplesPerField', () => {
    const samples = comparer.samples();
    expect(samples.fields['$.prediction']?.length).toBe(cfg.samplesPerField);
    expect(samples.fields['$.prediction']![0]!.other.role).toBe('candidate');
  });

  it('gives the guardrails the window disagreement and the verdict', () => {
    const g = comparer.guardSignals(report.generatedAt);
    // Issue 21: the disagreement the verdict tests (rate minus the baseline's noise, with its anytime-valid
    // bound), and which window it is.
    const d = span.disagreement!;
    expect(g).toEqual({
      observations: 3000, disagreementLow: d.differenceInterval!.low, disagreement: d.rate - (d.noiseRate ?? 0), verdict: 'fail',
      window: { fromMs: span.fromMs, toMs: span.toMs },
    });
  });

  it('without a baseline, cannot tell served_at from a regression (that is what the baseline is for)', () => {
    const noBaseline = run(11, REGRESSED, { baseline: false }).report.window;
    expect(noBaseline.fields.find((f) => f.path === '$.served_at')?.status).toBe('regression');
  });
});

describe('an identical candidate', () => {
  it('passes with no regressed field across seeds, with a baseline', () => {
    for (let seed = 1; seed <= 12; seed++) {
      const { report } = run(seed, NONE, { baseline: true, n: 1500 });
      expect(report.window.fields.filter((f) => f.status === 'regression')).toEqual([]);
      expect(report.window.latency.comparison.verdict).toBe('same');
      expect({ seed, verdict: report.verdict }).toEqual({ seed, verdict: 'pass' });
    }
  });

  it('reports insufficient data before minObservations exchanges', () => {
    const { report } = run(5, NONE, { baseline: true, n: 30 });
    expect(report.verdict).toBe('insufficient data');
    expect(report.window.latency.comparison.verdict).toBe('insufficient data');
  });
});
