// Turns a Tally into the JSON report: per-field regression/noise calls, label agreement, score drift,
// latency distributions and their comparison, error rates, and a pass/marginal/fail verdict whose
// every reason names its metric, observed value, threshold and interval.
import type * as hdr from 'hdr-histogram-js';
import type { CompareConfig } from '../config/schema.js';
import { percentileCurve } from './curve.js';
import type { DifferenceKind } from './diff.js';
import { DIFFERENCE_KINDS } from './diff.js';
import {
  Z95, hodgesLehmann, mannWhitneyU, oneProportionPValue, percentileSorted, twoProportionPValue, wilsonInterval, type Interval,
} from './stats.js';
import type { PrimaryTally, ResultKind, Tally } from './tally.js';

export type Verdict = 'pass' | 'marginal' | 'fail' | 'insufficient data';
export type LatencyVerdict = 'slower' | 'faster' | 'same' | 'insufficient data';
export type FieldStatus = 'regression' | 'noisy' | 'differs';

export interface LatencySummary {
  readonly count: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
  readonly meanMs: number;
  /** [percentile, ms] pairs from the HDR histogram (curve.ts), for percentile plots. */
  readonly curve?: readonly (readonly [number, number])[];
}

export interface LatencyComparison {
  readonly verdict: LatencyVerdict;
  /** Reservoir sizes the test ran on (incumbent, candidate). */
  readonly observations: readonly [number, number];
  readonly u: number | null;
  readonly z: number | null;
  readonly pValue: number | null;
  /** Hodges-Lehmann shift, candidate minus incumbent, and its 95% interval. */
  readonly shiftMs: number | null;
  readonly shiftIntervalMs: Interval | null;
  /** Candidate/incumbent median ratio (Hodges-Lehmann on log latency) and its 95% interval. */
  readonly ratio: number | null;
  readonly ratioInterval: Interval | null;
  readonly p99Ratio: number | null;
  readonly meanRatio: number | null;
}

export interface FieldReport {
  readonly path: string;
  readonly status: FieldStatus;
  readonly candidateDiffs: number;
  readonly candidateRate: number;
  readonly candidateInterval: Interval | null;
  readonly noiseDiffs: number;
  readonly noiseRate: number | null;
  /** One-sided p of "candidate differs more than noise" (or more than the absolute threshold without a baseline). */
  readonly pValue: number;
  readonly kinds: Partial<Record<DifferenceKind, number>>;
}

export interface Reason {
  readonly metric: string;
  readonly observed: number | null;
  readonly threshold: number | null;
  readonly interval: Interval | null;
  readonly outcome: 'ok' | 'marginal' | 'fail';
  readonly detail: string;
}

export interface ErrorRate {
  readonly calls: number;
  readonly errors: number;
  readonly rate: number | null;
  readonly interval: Interval | null;
}

export interface SpanReport {
  readonly fromMs: number;
  readonly toMs: number;
  readonly exchanges: number;
  readonly results: Readonly<Record<ResultKind, number>>;
  /** Exchanges where both answered without error (the denominator of field rates). */
  readonly compared: number;
  readonly baselineCompared: number;
  readonly verdict: Verdict;
  readonly reasons: readonly Reason[];
  readonly disagreement: { readonly source: string; readonly rate: number; readonly interval: Interval | null } | null;
  readonly fields: readonly FieldReport[];
  readonly label: {
    readonly path: string;
    readonly observations: number;
    readonly agreement: number | null;
    readonly interval: Interval | null;
    readonly confusion: readonly { readonly incumbent: string; readonly candidate: string; readonly count: number }[];
  } | null;
  readonly scores: readonly {
    readonly path: string; readonly n: number; readonly meanDelta: number; readonly meanDeltaInterval: Interval | null;
    readonly meanAbsDelta: number; readonly p50AbsDelta: number | null; readonly p99AbsDelta: number | null;
  }[];
  readonly text: readonly { readonly path: string; readonly n: number; readonly meanSimilarity: number; readonly belowThreshold: number }[];
  readonly topK: readonly { readonly path: string; readonly n: number; readonly meanOverlap: number }[];
  readonly latency: {
    readonly shadow: Readonly<Partial<Record<'incumbent' | 'candidate' | 'baseline', LatencySummary>>>;
    readonly primary: Readonly<Record<string, LatencySummary & { readonly errors: ErrorRate }>>;
    readonly comparison: LatencyComparison;
  };
  readonly errors: { readonly incumbent: ErrorRate; readonly candidate: ErrorRate; readonly baseline?: ErrorRate; readonly delta: number | null; readonly pValue: number | null };
  readonly statusMismatches: readonly { readonly incumbent: string; readonly candidate: string; readonly count: number }[];
}

export interface RouteReport {
  readonly route: string;
  readonly generatedAt: number;
  readonly hasBaseline: boolean;
  /** The rolling window's verdict: what the route does now. */
  readonly verdict: Verdict;
  readonly window: SpanReport & { readonly lengthMs: number; readonly bucketMs: number };
  readonly sinceStart: SpanReport;
}

/** Rounds for a readable report; statistics keep full precision internally. */
function round(x: number, digits = 6): number {
  return Number.isFinite(x) ? Number(x.toPrecision(digits)) : x;
}

function roundInterval(i: Interval | null): Interval | null {
  return i && { low: round(i.low), high: round(i.high) };
}

export function summarizeHistogram(h: hdr.Histogram): LatencySummary {
  const ms = (us: number) => round(us / 1000, 5);
  if (h.totalCount === 0) return { count: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0, p999Ms: 0, maxMs: 0, meanMs: 0 };
  return {
    count: h.totalCount,
    p50Ms: ms(h.getValueAtPercentile(50)),
    p90Ms: ms(h.getValueAtPercentile(90)),
    p99Ms: ms(h.getValueAtPercentile(99)),
    p999Ms: ms(h.getValueAtPercentile(99.9)),
    maxMs: ms(h.maxValue),
    meanMs: ms(h.mean),
    curve: percentileCurve(h),
  };
}

function errorRate(calls: number, errors: number): ErrorRate {
  const i = wilsonInterval(errors, calls);
  return { calls, errors, rate: calls > 0 ? round(errors / calls) : null, interval: roundInterval(i) };
}

export interface SpanContext {
  readonly cfg: Readonly<CompareConfig>;
  readonly hasBaseline: boolean;
  readonly labelPath: string | undefined;
  readonly fromMs: number;
  readonly toMs: number;
}

function fieldReports(t: Tally, ctx: SpanContext): FieldReport[] {
  const { relThreshold, absThreshold, alpha } = ctx.cfg.regression;
  const n = t.compared;
  const nb = t.baselineCompared;
  const useNoise = ctx.hasBaseline && nb > 0;
  const out: FieldReport[] = [];
  for (const [path, f] of t.fields) {
    if (f.candidate === 0 && f.noise === 0) continue;
    const rate = n > 0 ? f.candidate / n : 0;
    const noiseRate = useNoise ? f.noise / nb : null;
    let pValue: number;
    let regression: boolean;
    if (noiseRate !== null) {
      pValue = twoProportionPValue(f.candidate, n, f.noise, nb);
      regression = rate > noiseRate * (1 + relThreshold) && rate - noiseRate > absThreshold && pValue < alpha;
    } else {
      pValue = oneProportionPValue(f.candidate, n, absThreshold);
      regression = rate > absThreshold && pValue < alpha;
    }
    const kinds: Partial<Record<DifferenceKind, number>> = {};
    for (const k of DIFFERENCE_KINDS) if (f.kinds[k] > 0) kinds[k] = f.kinds[k];
    out.push({
      path,
      status: regression ? 'regression' : f.noise > 0 ? 'noisy' : 'differs',
      candidateDiffs: f.candidate,
      candidateRate: round(rate),
      candidateInterval: roundInterval(wilsonInterval(f.candidate, n)),
      noiseDiffs: f.noise,
      noiseRate: noiseRate === null ? null : round(noiseRate),
      pValue: round(pValue, 4),
      kinds,
    });
  }
  const rank = { regression: 0, differs: 1, noisy: 2 } as const;
  return out.sort((a, b) => rank[a.status] - rank[b.status] || b.candidateRate - a.candidateRate || (a.path < b.path ? -1 : 1));
}

/** Compares the two shadow latency samples (a fair race: same request, same moment). */
export function compareLatency(incumbent: readonly number[], candidate: readonly number[], incH: hdr.Histogram, candH: hdr.Histogram, cfg: Readonly<CompareConfig>): LatencyComparison {
  const ratioOf = (a: number, b: number) => (b > 0 ? round(a / b, 5) : null);
  const p99Ratio = incH.totalCount > 0 && candH.totalCount > 0 ? ratioOf(candH.getValueAtPercentile(99), incH.getValueAtPercentile(99)) : null;
  const meanRatio = incH.totalCount > 0 && candH.totalCount > 0 ? ratioOf(candH.mean, incH.mean) : null;
  const min = cfg.verdict.minObservations;
  if (incumbent.length < min || candidate.length < min) {
    return { verdict: 'insufficient data', observations: [incumbent.length, candidate.length], u: null, z: null, pValue: null, shiftMs: null, shiftIntervalMs: null, ratio: null, ratioInterval: null, p99Ratio, meanRatio };
  }
  const mw = mannWhitneyU(incumbent, candidate);
  const shift = hodgesLehmann(incumbent, candidate)!;
  // Latency is multiplicative: the shift of the logs is the ratio of medians, comparable across routes.
  const log = (v: number) => Math.log(Math.max(v, 1e-3));
  const logShift = hodgesLehmann(incumbent.map(log), candidate.map(log))!;
  const ratioInterval = { low: Math.exp(logShift.interval.low), high: Math.exp(logShift.interval.high) };
  const effect = cfg.verdict.minLatencyEffect;
  let verdict: LatencyVerdict = 'same';
  if (mw.pValue < cfg.regression.alpha && ratioInterval.low > 1 + effect) verdict = 'slower';
  else if (mw.pValue < cfg.regression.alpha && ratioInterval.high < 1 / (1 + effect)) verdict = 'faster';
  return {
    verdict,
    observations: [incumbent.length, candidate.length],
    u: mw.u,
    z: round(mw.z, 5),
    pValue: round(mw.pValue, 4),
    shiftMs: round(shift.shift, 5),
    shiftIntervalMs: roundInterval(shift.interval),
    ratio: round(Math.exp(logShift.shift), 5),
    ratioInterval: roundInterval(ratioInterval),
    p99Ratio,
    meanRatio,
  };
}

function primaryReport(primary: ReadonlyMap<string, PrimaryTally>): Record<string, LatencySummary & { errors: ErrorRate }> {
  const out: Record<string, LatencySummary & { errors: ErrorRate }> = {};
  for (const [upstream, p] of primary) if (p.calls > 0) out[upstream] = { ...summarizeHistogram(p.hist), errors: errorRate(p.calls, p.errors) };
  return out;
}

function scoreReports(t: Tally): SpanReport['scores'] {
  return [...t.scores].map(([path, s]) => {
    const mean = s.sum / s.n;
    const variance = s.n > 1 ? Math.max(0, (s.sumSq - s.n * mean * mean) / (s.n - 1)) : 0;
    const half = Z95 * Math.sqrt(variance / s.n);
    const sorted = Float64Array.from(s.abs.values()).sort();
    return {
      path, n: s.n, meanDelta: round(mean), meanDeltaInterval: s.n > 1 ? roundInterval({ low: mean - half, high: mean + half }) : null,
      meanAbsDelta: round(s.sumAbs / s.n), p50AbsDelta: percentileSorted(sorted, 50), p99AbsDelta: percentileSorted(sorted, 99),
    };
  });
}

/** Disagreement: 1 - label agreement when a label is configured, else the worst non-noisy field's diff rate. */
function disagreement(t: Tally, fields: readonly FieldReport[], ctx: SpanContext): SpanReport['disagreement'] {
  if (ctx.labelPath !== undefined && t.labelObservations > 0) {
    const k = t.labelObservations - t.labelAgreements;
    return { source: `label ${ctx.labelPath}`, rate: round(k / t.labelObservations), interval: roundInterval(wilsonInterval(k, t.labelObservations)) };
  }
  if (t.compared === 0) return null;
  const worst = fields.filter((f) => f.status !== 'noisy').sort((a, b) => b.candidateRate - a.candidateRate)[0];
  if (!worst) return { source: 'fields', rate: 0, interval: roundInterval(wilsonInterval(0, t.compared)) };
  return { source: `field ${worst.path}`, rate: worst.candidateRate, interval: worst.candidateInterval };
}

function reasonsFor(t: Tally, span: Omit<SpanReport, 'verdict' | 'reasons'>, ctx: SpanContext): { verdict: Verdict; reasons: Reason[] } {
  const v = ctx.cfg.verdict;
  const reasons: Reason[] = [];
  const observations = t.compared + t.results.error;
  if (observations < v.minObservations) {
    reasons.push({ metric: 'observations', observed: observations, threshold: v.minObservations, interval: null, outcome: 'marginal', detail: `fewer than ${v.minObservations} exchanges answered by both` });
    return { verdict: 'insufficient data', reasons };
  }
  for (const f of span.fields) {
    if (f.status !== 'regression') continue;
    const threshold = f.noiseRate === null ? ctx.cfg.regression.absThreshold : round(f.noiseRate + ctx.cfg.regression.absThreshold);
    reasons.push({ metric: `field ${f.path}`, observed: f.candidateRate, threshold, interval: f.candidateInterval, outcome: 'fail',
      detail: `differs in ${f.candidateDiffs}/${t.compared}${f.noiseRate === null ? '' : ` vs noise ${f.noiseRate}`} (p=${f.pValue})` });
  }
  const d = span.disagreement;
  if (d) {
    const outcome = d.interval && d.interval.low > v.maxDisagreement ? 'fail' : d.rate > v.maxDisagreement ? 'marginal' : 'ok';
    reasons.push({ metric: 'disagreement', observed: d.rate, threshold: v.maxDisagreement, interval: d.interval, outcome, detail: d.source });
  }
  const lat = span.latency.comparison;
  if (lat.verdict !== 'insufficient data') {
    const tooSlow = lat.p99Ratio !== null && lat.p99Ratio > v.maxP99Ratio;
    const outcome = tooSlow && lat.verdict === 'slower' ? 'fail' : tooSlow || lat.verdict === 'slower' ? 'marginal' : 'ok';
    reasons.push({ metric: 'latency p99 ratio', observed: lat.p99Ratio, threshold: v.maxP99Ratio, interval: null, outcome,
      detail: `median ratio ${lat.ratio} [${lat.ratioInterval?.low}, ${lat.ratioInterval?.high}], shift ${lat.shiftMs} ms, Mann-Whitney p=${lat.pValue}: ${lat.verdict}` });
  }
  const e = span.errors;
  if (e.delta !== null && e.pValue !== null) {
    const significant = e.pValue < ctx.cfg.regression.alpha;
    const outcome = significant && e.delta > v.maxErrorRateDelta ? 'fail' : significant && e.delta > 0 ? 'marginal' : 'ok';
    reasons.push({ metric: 'error rate delta', observed: e.delta, threshold: v.maxErrorRateDelta, interval: e.candidate.interval, outcome,
      detail: `candidate ${e.candidate.errors}/${e.candidate.calls} vs incumbent ${e.incumbent.errors}/${e.incumbent.calls} (p=${e.pValue})` });
  }
  const verdict = reasons.some((r) => r.outcome === 'fail') ? 'fail' : reasons.some((r) => r.outcome === 'marginal') ? 'marginal' : 'pass';
  return { verdict, reasons };
}

export function buildSpanReport(t: Tally, ctx: SpanContext): SpanReport {
  const fields = fieldReports(t, ctx);
  const shadow: Partial<Record<'incumbent' | 'candidate' | 'baseline', LatencySummary>> = {};
  for (const role of ['incumbent', 'candidate', 'baseline'] as const) {
    if (t.shadowLatency[role].hist.totalCount > 0) shadow[role] = summarizeHistogram(t.shadowLatency[role].hist);
  }
  const inc = t.calls.incumbent;
  const cand = t.calls.candidate;
  const both = inc.calls > 0 && cand.calls > 0;
  const span: Omit<SpanReport, 'verdict' | 'reasons'> = {
    fromMs: ctx.fromMs,
    toMs: ctx.toMs,
    exchanges: t.exchanges,
    results: { ...t.results },
    compared: t.compared,
    baselineCompared: t.baselineCompared,
    disagreement: null,
    fields,
    label: ctx.labelPath === undefined ? null : {
      path: ctx.labelPath,
      observations: t.labelObservations,
      agreement: t.labelObservations > 0 ? round(t.labelAgreements / t.labelObservations) : null,
      interval: roundInterval(wilsonInterval(t.labelAgreements, t.labelObservations)),
      confusion: [...t.confusion].map(([key, count]) => {
        const [incumbent = '', candidate = ''] = key.split('\u0000');
        return { incumbent, candidate, count };
      }).sort((a, b) => b.count - a.count),
    },
    scores: scoreReports(t),
    text: [...t.similarity].map(([path, m]) => ({ path, n: m.n, meanSimilarity: round(m.sum / m.n), belowThreshold: m.below })),
    topK: [...t.overlap].map(([path, m]) => ({ path, n: m.n, meanOverlap: round(m.sum / m.n) })),
    latency: {
      shadow,
      primary: primaryReport(t.primary),
      comparison: compareLatency(t.shadowLatency.incumbent.sample.values(), t.shadowLatency.candidate.sample.values(),
        t.shadowLatency.incumbent.hist, t.shadowLatency.candidate.hist, ctx.cfg),
    },
    errors: {
      incumbent: errorRate(inc.calls, inc.errors),
      candidate: errorRate(cand.calls, cand.errors),
      ...(ctx.hasBaseline ? { baseline: errorRate(t.calls.baseline.calls, t.calls.baseline.errors) } : {}),
      delta: both ? round(cand.errors / cand.calls - inc.errors / inc.calls) : null,
      pValue: both ? round(twoProportionPValue(cand.errors, cand.calls, inc.errors, inc.calls), 4) : null,
    },
    statusMismatches: [...t.statusPairs].map(([key, count]) => {
      const [incumbent = 'other', candidate = 'other'] = key.split(' ');
      return { incumbent, candidate, count };
    }).sort((a, b) => b.count - a.count),
  };
  const withDisagreement = { ...span, disagreement: disagreement(t, fields, ctx) };
  return { ...withDisagreement, ...reasonsFor(t, withDisagreement, ctx) };
}
