// Turns a Tally into the JSON report: per-field regression/noise calls, label agreement, score drift,
// latency distributions and their comparison, error rates, and a pass/marginal/fail verdict whose
// every reason names its metric, observed value, threshold and interval.
import type * as hdr from 'hdr-histogram-js';
import type { CompareConfig } from '../config/schema.js';
import { percentileCurve } from './curve.js';
import type { DifferenceKind } from './diff.js';
import { DIFFERENCE_KINDS } from './diff.js';
import {
  Z95, hodgesLehmann, mannWhitneyU, newcombeInterval, oneProportionPValue, percentileSorted, quantileBounds, twoProportionPValue,
  wilsonInterval, type Interval,
} from './stats.js';
import { FAILURE_KINDS, type FailureKind, type PrimaryTally, type ResultKind, type Tally } from './tally.js';

export type Verdict = 'pass' | 'marginal' | 'fail' | 'insufficient data';
export type LatencyVerdict = 'slower' | 'faster' | 'same' | 'insufficient data';
export type FieldStatus = 'regression' | 'noisy' | 'differs';

/** Every quantile lies within [minMs, maxMs] (a histogram bucket's top is clamped to the largest value seen). */
export interface LatencySummary {
  readonly count: number;
  readonly minMs: number;
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
  /**
   * Bounds on the p99 ratio: the candidate's p99 lower bound over the incumbent's upper bound, and the
   * other way round (each p99 an order-statistic interval from the histogram at one-sided 97.5%, so both
   * hold together with 95%). Null without data; low 0 or high Infinity where too few values bound it.
   */
  readonly p99RatioInterval: Interval | null;
  /** Candidate p99 lower bound minus incumbent p99 upper bound, ms: the least the p99 grew. */
  readonly p99ShiftLowMs: number | null;
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
  /** Set when the field differs on nearly every exchange and there is no baseline: what would settle it. */
  readonly hint: string | null;
}

/** One check of the verdict: its evidence (n, observed value, interval), its threshold and what it concluded. */
export interface Reason {
  readonly metric: string;
  /** How many observations the check judged on. */
  readonly n: number;
  readonly observed: number | null;
  readonly threshold: number | null;
  readonly interval: Interval | null;
  /** `insufficient`: too few observations to judge (only the observation count check says it). */
  readonly outcome: 'ok' | 'marginal' | 'fail' | 'insufficient';
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
  /** Every check the verdict ran, passed ones included. */
  readonly checks: readonly Reason[];
  /** Exactly the checks that failed, warned or could not judge: why the verdict is not `pass`. */
  readonly reasons: readonly Reason[];
  /** Shadow calls that gave no usable answer, by role and cause (they are not observations). */
  readonly failures: Readonly<Record<'incumbent' | 'candidate' | 'baseline', Readonly<Partial<Record<FailureKind, number>>>>>;
  /** Advice that would settle what the report cannot (fields that differ on nearly every exchange without a baseline). */
  readonly hints: readonly string[];
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
  readonly errors: {
    readonly incumbent: ErrorRate; readonly candidate: ErrorRate; readonly baseline?: ErrorRate;
    /** Candidate error rate minus incumbent's, its 95% interval (Newcombe's hybrid score) and one-sided p of "candidate errs more". */
    readonly delta: number | null; readonly deltaInterval: Interval | null; readonly pValue: number | null;
  };
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
  if (h.totalCount === 0) return { count: 0, minMs: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0, p999Ms: 0, maxMs: 0, meanMs: 0 };
  // A quantile is its bucket's highest value, which can lie above the largest value recorded (or a
  // bucket's edge below the smallest): clamp, so p99.9 never reads above max.
  const min = h.minNonZeroValue;
  const max = Math.max(min, h.maxValue);
  const at = (p: number) => ms(Math.min(max, Math.max(min, h.getValueAtPercentile(p))));
  return {
    count: h.totalCount,
    minMs: ms(min),
    p50Ms: at(50),
    p90Ms: at(90),
    p99Ms: at(99),
    p999Ms: at(99.9),
    maxMs: ms(max),
    meanMs: ms(Math.min(max, Math.max(min, h.mean))),
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

/** A field differing on at least this share of exchanges without a baseline gets a hint. */
const NEARLY_EVERY = 0.95;

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
    // Without a baseline, a timestamp or a request id differs on every exchange by nature, and nothing
    // here can tell that from a candidate that changed the field on purpose: it stays a regression (a
    // gate must not pass on an unexplained 100% difference), and the report says what would settle it.
    const hint = !useNoise && n >= ctx.cfg.verdict.minObservations && rate >= NEARLY_EVERY
      ? `${path} differs on ${(rate * 100).toFixed(1)}% of exchanges and no noise baseline is measured: if it is a timestamp or an id, `
        + `add shadow.baseline (a second incumbent call measures such noise) or compare.ignore: ["${path}"]`
      : null;
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
      hint,
    });
  }
  const rank = { regression: 0, differs: 1, noisy: 2 } as const;
  return out.sort((a, b) => rank[a.status] - rank[b.status] || b.candidateRate - a.candidateRate || (a.path < b.path ? -1 : 1));
}

/** Compares the two shadow latency samples (a fair race: same request, same moment). */
export function compareLatency(incumbent: readonly number[], candidate: readonly number[], incH: hdr.Histogram, candH: hdr.Histogram, cfg: Readonly<CompareConfig>): LatencyComparison {
  const ratioOf = (a: number, b: number) => (b > 0 ? round(a / b, 5) : null);
  const both = incH.totalCount > 0 && candH.totalCount > 0;
  const p99Ratio = both ? ratioOf(candH.getValueAtPercentile(99), incH.getValueAtPercentile(99)) : null;
  const meanRatio = both ? ratioOf(candH.mean, incH.mean) : null;
  let p99RatioInterval: Interval | null = null;
  let p99ShiftLowMs: number | null = null;
  if (both) {
    const inc = quantileBounds(incH, 0.99, Z95);
    const cand = quantileBounds(candH, 0.99, Z95);
    p99RatioInterval = { low: round(cand.low / inc.high, 5), high: inc.low > 0 ? round(cand.high / inc.low, 5) : Infinity };
    p99ShiftLowMs = Number.isFinite(inc.high) ? round((cand.low - inc.high) / 1000, 5) : null;
  }
  const min = cfg.verdict.minObservations;
  if (incumbent.length < min || candidate.length < min) {
    return { verdict: 'insufficient data', observations: [incumbent.length, candidate.length], u: null, z: null, pValue: null, shiftMs: null, shiftIntervalMs: null, ratio: null, ratioInterval: null, p99Ratio, p99RatioInterval, p99ShiftLowMs, meanRatio };
  }
  const mw = mannWhitneyU(incumbent, candidate);
  const shift = hodgesLehmann(incumbent, candidate)!;
  // Latency is multiplicative: the shift of the logs is the ratio of medians, comparable across routes.
  const log = (v: number) => Math.log(Math.max(v, 1e-3));
  const logShift = hodgesLehmann(incumbent.map(log), candidate.map(log))!;
  const ratioInterval = { low: Math.exp(logShift.interval.low), high: Math.exp(logShift.interval.high) };
  // An effect must clear both floors: relative (5% by default) and absolute (1 ms): a 50 µs shift of a
  // sub-millisecond model is measurement order and scheduling, not a slower model.
  const effect = cfg.verdict.minLatencyEffect;
  const effectMs = cfg.verdict.minLatencyEffectMs;
  let verdict: LatencyVerdict = 'same';
  if (mw.pValue < cfg.regression.alpha && ratioInterval.low > 1 + effect && shift.interval.low > effectMs) verdict = 'slower';
  else if (mw.pValue < cfg.regression.alpha && ratioInterval.high < 1 / (1 + effect) && shift.interval.high < -effectMs) verdict = 'faster';
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
    p99RatioInterval,
    p99ShiftLowMs,
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

const FAILURE_WORDS: Readonly<Record<FailureKind, string>> = {
  timeout: 'timed out', refused: 'refused', reset: 'reset', too_large: 'too large', error: 'failed', http_5xx: 'answered 5xx',
};

/** "incumbent: 3001 timed out; candidate: 3002 refused" (empty when no call failed). */
export function describeFailures(failures: SpanReport['failures']): string {
  const parts: string[] = [];
  for (const role of ['incumbent', 'candidate', 'baseline'] as const) {
    const kinds = FAILURE_KINDS.filter((k) => (failures[role][k] ?? 0) > 0).map((k) => `${failures[role][k]} ${FAILURE_WORDS[k]}`);
    if (kinds.length > 0) parts.push(`${role}: ${kinds.join(', ')}`);
  }
  return parts.join('; ');
}

/**
 * The verdict's checks. Invariant 8: failed calls are not observations; a check fails only when a bound
 * (not the point estimate) is past its threshold, and warns when only the point estimate is; with fewer
 * than minObservations compared exchanges there is no verdict unless a check already failed on its own
 * evidence (a candidate erring on every call while the incumbent answers needs no comparison).
 */
function checksFor(t: Tally, span: Omit<SpanReport, 'verdict' | 'checks' | 'reasons'>, ctx: SpanContext): { verdict: Verdict; checks: Reason[] } {
  const v = ctx.cfg.verdict;
  const checks: Reason[] = [];
  const n = t.compared;
  const enough = n >= v.minObservations;
  const failed = describeFailures(span.failures);
  checks.push({ metric: 'compared exchanges', n: t.exchanges, observed: n, threshold: v.minObservations, interval: null, outcome: enough ? 'ok' : 'insufficient',
    detail: `${n} of ${t.exchanges} exchanges were answered by both sides${enough ? '' : ` (a verdict needs ${v.minObservations})`}${failed ? `; calls that failed: ${failed}` : ''}` });

  // Calls are this check's observations: it judges once both sides made minObservations of them, answered
  // or not, so a candidate failing every call while the incumbent answers fails without any comparison.
  const e = span.errors;
  if (e.delta !== null && e.deltaInterval !== null && e.candidate.calls >= v.minObservations && e.incumbent.calls >= v.minObservations) {
    // Warns only on evidence too: the candidate errs significantly more (a 1-in-50 blip is not a warning).
    const outcome = e.deltaInterval.low > v.maxErrorRateDelta ? 'fail' : e.deltaInterval.low > 0 ? 'marginal' : 'ok';
    checks.push({ metric: 'error rate delta', n: e.candidate.calls, observed: e.delta, threshold: v.maxErrorRateDelta, interval: e.deltaInterval, outcome,
      detail: `candidate ${e.candidate.errors}/${e.candidate.calls} vs incumbent ${e.incumbent.errors}/${e.incumbent.calls} failed (95% interval of the difference, Newcombe; p=${e.pValue})` });
  }
  if (enough) {
    for (const f of span.fields) {
      if (f.status !== 'regression') continue;
      const threshold = f.noiseRate === null ? ctx.cfg.regression.absThreshold : round(f.noiseRate + ctx.cfg.regression.absThreshold);
      checks.push({ metric: `field ${f.path}`, n, observed: f.candidateRate, threshold, interval: f.candidateInterval, outcome: 'fail',
        detail: `differs in ${f.candidateDiffs}/${n}${f.noiseRate === null ? '' : ` vs noise ${f.noiseRate}`} (p=${f.pValue})${f.hint ? `; ${f.hint}` : ''}` });
    }
    const d = span.disagreement;
    if (d) {
      const outcome = d.interval && d.interval.low > v.maxDisagreement ? 'fail' : d.rate > v.maxDisagreement ? 'marginal' : 'ok';
      checks.push({ metric: 'disagreement', n: span.label && d.source.startsWith('label') ? span.label.observations : n, observed: d.rate, threshold: v.maxDisagreement, interval: d.interval, outcome, detail: d.source });
    }
  }
  const lat = span.latency.comparison;
  if (lat.verdict !== 'insufficient data') {
    const [ni, nc] = lat.observations;
    checks.push({ metric: 'latency median ratio', n: Math.min(ni, nc), observed: lat.ratio, threshold: round(1 + v.minLatencyEffect), interval: lat.ratioInterval,
      outcome: lat.verdict === 'slower' ? 'marginal' : 'ok',
      detail: `${lat.verdict}: shift ${lat.shiftMs} ms [${lat.shiftIntervalMs?.low}, ${lat.shiftIntervalMs?.high}], Mann-Whitney p=${lat.pValue}; `
        + `slower means p < ${ctx.cfg.regression.alpha}, the whole ratio interval above ${round(1 + v.minLatencyEffect)} and the whole shift interval above ${v.minLatencyEffectMs} ms` });
    const r = lat.p99Ratio;
    const ri = lat.p99RatioInterval;
    const grew = lat.p99ShiftLowMs !== null && lat.p99ShiftLowMs > v.minLatencyEffectMs;
    const inc = span.latency.shadow.incumbent;
    const cand = span.latency.shadow.candidate;
    const pointGrew = inc !== undefined && cand !== undefined && cand.p99Ms - inc.p99Ms > v.minLatencyEffectMs;
    // Warns when the point is past the threshold and the p99 is significantly higher at all (its ratio's
    // lower bound above 1): with too few calls to bound a p99, its point estimate is the noisiest number here.
    const outcome = ri !== null && ri.low > v.maxP99Ratio && grew ? 'fail' : r !== null && r > v.maxP99Ratio && pointGrew && ri !== null && ri.low > 1 ? 'marginal' : 'ok';
    checks.push({ metric: 'latency p99 ratio', n: Math.min(inc?.count ?? 0, cand?.count ?? 0), observed: r, threshold: v.maxP99Ratio, interval: ri, outcome,
      detail: `p99 ${cand?.p99Ms ?? '-'} ms vs ${inc?.p99Ms ?? '-'} ms; fails when the ratio's lower bound is above ${v.maxP99Ratio} and the p99 grew by more than ${v.minLatencyEffectMs} ms, `
        + 'warns when only the point is above it and the lower bound above 1' });
  }
  const verdict: Verdict = checks.some((c) => c.outcome === 'fail') ? 'fail' : !enough ? 'insufficient data' : checks.some((c) => c.outcome === 'marginal') ? 'marginal' : 'pass';
  return { verdict, checks };
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
  const failures = {} as Record<'incumbent' | 'candidate' | 'baseline', Partial<Record<FailureKind, number>>>;
  for (const role of ['incumbent', 'candidate', 'baseline'] as const) {
    const counts: Partial<Record<FailureKind, number>> = {};
    for (const k of FAILURE_KINDS) if (t.failures[role][k] > 0) counts[k] = t.failures[role][k];
    failures[role] = counts;
  }
  const span: Omit<SpanReport, 'verdict' | 'checks' | 'reasons'> = {
    fromMs: ctx.fromMs,
    toMs: ctx.toMs,
    exchanges: t.exchanges,
    results: { ...t.results },
    compared: t.compared,
    baselineCompared: t.baselineCompared,
    failures,
    hints: fields.flatMap((f) => (f.hint === null ? [] : [f.hint])),
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
      deltaInterval: both ? roundInterval(newcombeInterval(cand.errors, cand.calls, inc.errors, inc.calls)) : null,
      pValue: both ? round(twoProportionPValue(cand.errors, cand.calls, inc.errors, inc.calls), 4) : null,
    },
    statusMismatches: [...t.statusPairs].map(([key, count]) => {
      const [incumbent = 'other', candidate = 'other'] = key.split(' ');
      return { incumbent, candidate, count };
    }).sort((a, b) => b.count - a.count),
  };
  const withDisagreement = { ...span, disagreement: disagreement(t, fields, ctx) };
  const { verdict, checks } = checksFor(t, withDisagreement, ctx);
  return { ...withDisagreement, verdict, checks, reasons: checks.filter((c) => c.outcome !== 'ok') };
}
