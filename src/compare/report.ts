// Turns a Tally into the JSON report: per-field regression/noise calls, label agreement, score drift,
// latency distributions and their comparison, error rates, and a pass/marginal/fail verdict whose
// every reason names its metric, observed value, threshold and interval.
import type * as hdr from 'hdr-histogram-js';
import type { CompareConfig } from '../config/schema.js';
import { percentileCurve } from './curve.js';
import type { DifferenceKind } from './diff.js';
import { DIFFERENCE_KINDS } from './diff.js';
import {
  differenceSequence, minimumDetectable, observationsNeeded, p99ObservationsNeeded, proportionSequence, sequentialQuantileBounds,
} from './sequential.js';
import {
  Z95, mannWhitneyU, normalSf, oneProportionPValue, percentileSorted, twoProportionPValue, wilsonInterval, type Interval,
} from './stats.js';
import { FAILURE_KINDS, newHistogram, type FailureKind, type PrimaryTally, type ResultKind, type Tally } from './tally.js';

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
  /** Latencies the test ran on (incumbent, candidate): every answered call of the span, from the histograms. */
  readonly observations: readonly [number, number];
  /** Mann-Whitney on the bounded reservoirs: descriptive only (a sample of the span; the verdict reads the histograms). */
  readonly u: number | null;
  readonly z: number | null;
  readonly pValue: number | null;
  /** Median shift, candidate minus incumbent, and its anytime-valid bounds (median sequences at α/2 each). */
  readonly shiftMs: number | null;
  readonly shiftIntervalMs: Interval | null;
  /** Candidate/incumbent median ratio and its anytime-valid bounds. */
  readonly ratio: number | null;
  readonly ratioInterval: Interval | null;
  readonly p99Ratio: number | null;
  /**
   * Bounds on the p99 ratio: the candidate's p99 lower bound over the incumbent's upper bound, and the
   * other way round (each p99 an anytime-valid order-statistic bound from the whole histogram at α/2, so
   * both hold together with 1 − α at every look). Null without data; low 0 or high Infinity where too few
   * values bound it.
   */
  readonly p99RatioInterval: Interval | null;
  /** Candidate p99 lower bound minus incumbent p99 upper bound, ms: the least the p99 grew. */
  readonly p99ShiftLowMs: number | null;
  /** Candidate p99 minus incumbent p99 (point, on the decision grid), ms. */
  readonly p99ShiftMs: number | null;
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
  /**
   * Anytime-valid bounds on the candidate's rate minus the noise (the candidate's rate alone without a
   * baseline): a regression when the lower bound is past absThreshold (and past the noise by relThreshold).
   */
  readonly differenceInterval: Interval | null;
  /** One-sided fixed-sample p of "the difference is above absThreshold" (descriptive; the decision reads the bound). */
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
  /** What this check can find now, and what it needs for the effect compare.verdict.mde plans for. */
  readonly power?: CheckPower;
}

/** A check's power: the experiment can be sized before it starts (all at 90% power, the check's α). */
export interface CheckPower {
  /** The smallest true effect (in the check's unit) found past the threshold at the current n; null: none yet. */
  readonly detectable: number | null;
  /** The effect planned for (compare.verdict.mde). */
  readonly target: number;
  /** Observations (each side) that effect needs; null when it is not past the threshold. */
  readonly needed: number | null;
  /** How many more than the current n (0 when enough). */
  readonly more: number | null;
  /** When the span's current rate of observations would bring them, ms (null: no rate yet, or enough already). */
  readonly etaMs?: number | null;
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
  readonly disagreement: {
    readonly source: string; readonly rate: number; readonly interval: Interval | null;
    /** The baseline's own disagreement on the same path (null without a baseline). */
    readonly noiseRate: number | null;
    /** Anytime-valid bounds on rate − noise (on the rate alone without a baseline): what the threshold is tested against. */
    readonly differenceInterval: Interval | null;
    readonly n: number;
    readonly noiseN: number;
  } | null;
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
    /** Candidate error rate minus incumbent's, its anytime-valid bounds (at the verdict's α) and one-sided fixed-sample p of "candidate errs more". */
    readonly delta: number | null; readonly deltaInterval: Interval | null; readonly pValue: number | null;
  };
  readonly statusMismatches: readonly { readonly incumbent: string; readonly candidate: string; readonly count: number }[];
}

/** One bucket of the window as the console plots it (the page opens on the whole window, not an empty chart). */
export interface HistoryPoint {
  readonly fromMs: number;
  readonly compared: number;
  /** Label agreement (or 1 − the any-field disagreement) of this bucket alone; null when nothing compared. */
  readonly agreement: number | null;
  /** The window's verdict as it stood at the end of this bucket (the buckets up to it, within the window). */
  readonly verdict: Verdict;
}

export interface RouteReport {
  readonly route: string;
  readonly generatedAt: number;
  readonly hasBaseline: boolean;
  /** The rolling window's verdict: what the route does now. */
  readonly verdict: Verdict;
  readonly window: SpanReport & { readonly lengthMs: number; readonly bucketMs: number };
  readonly sinceStart: SpanReport;
  /** The window bucket by bucket, oldest first. */
  readonly history?: readonly HistoryPoint[];
  /**
   * Shadow copies dropped before they were compared, by reason, since start (the live proxy adds them:
   * the engine never sees a dropped copy). A verdict on 300 compared of 384 offered says so.
   */
  readonly dropped?: { readonly byReason: Readonly<Record<string, number>>; readonly total: number };
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
  /** Verdict only: skip the descriptive Mann-Whitney on the reservoirs (the console's per-bucket history). */
  readonly verdictOnly?: boolean;
}

/** A field differing on at least this share of exchanges without a baseline gets a hint. */
const NEARLY_EVERY = 0.95;

/** Anytime-valid bounds on a rate minus its noise (each at α/2), or on the rate alone (at α) without noise. */
export function rateDifference(k: number, n: number, noise: { k: number; n: number } | null, alpha: number): Interval | null {
  return noise === null ? proportionSequence(k, n, alpha) : differenceSequence(k, n, noise.k, noise.n, alpha);
}

/** One-sided fixed-sample p of "rate − noise > threshold" (descriptive; decisions read the sequence's bound). */
function thresholdPValue(k: number, n: number, noise: { k: number; n: number } | null, threshold: number): number {
  if (n <= 0) return 1;
  if (noise === null || noise.n <= 0) return oneProportionPValue(k, n, threshold);
  const p1 = k / n;
  const p2 = noise.k / noise.n;
  const se = Math.sqrt((p1 * (1 - p1)) / n + (p2 * (1 - p2)) / noise.n);
  if (se === 0) return p1 - p2 > threshold ? 0 : 1;
  return normalSf((p1 - p2 - threshold) / se);
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
    // One rule with and without a baseline: the anytime-valid bound of (candidate − noise) must be past
    // the threshold, never the point estimate; relThreshold asks the candidate's own lower bound to
    // clear the noise's upper bound by that factor too.
    const noise = useNoise ? { k: f.noise, n: nb } : null;
    const diff = rateDifference(f.candidate, n, noise, alpha);
    let regression = diff !== null && diff.low > absThreshold;
    if (regression && noise !== null) {
      const c = proportionSequence(f.candidate, n, alpha / 2)!;
      const b = proportionSequence(f.noise, nb, alpha / 2)!;
      regression = c.low > b.high * (1 + relThreshold);
    }
    const pValue = thresholdPValue(f.candidate, n, noise, absThreshold);
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
      differenceInterval: roundInterval(diff),
      pValue: round(pValue, 4),
      kinds,
      hint,
    });
  }
  const rank = { regression: 0, differs: 1, noisy: 2 } as const;
  return out.sort((a, b) => rank[a.status] - rank[b.status] || b.candidateRate - a.candidateRate || (a.path < b.path ? -1 : 1));
}

/** A histogram at the window buckets' resolution (2 significant digits): every span decides on the same grid. */
function onDecisionGrid(h: hdr.Histogram): hdr.Histogram {
  const out = newHistogram(true);
  out.add(h);
  return out;
}

/**
 * Compares the two shadow latency distributions (a fair race: same request, same moment). The verdict
 * reads every answered call of the span through its histograms, at one resolution whatever the span:
 * anytime-valid bounds on the two medians and the two p99s (each at α/2), so a window whose traffic came
 * in one burst and the since-start span decide alike on the same data. The reservoirs only feed the
 * descriptive Mann-Whitney statistic.
 */
export function compareLatency(incumbent: readonly number[], candidate: readonly number[], incFull: hdr.Histogram, candFull: hdr.Histogram, cfg: Readonly<CompareConfig>): LatencyComparison {
  const alpha = cfg.regression.alpha;
  const incH = onDecisionGrid(incFull);
  const candH = onDecisionGrid(candFull);
  try {
    const ratioOf = (a: number, b: number) => (b > 0 ? round(a / b, 5) : null);
    const both = incH.totalCount > 0 && candH.totalCount > 0;
    const p99Ratio = both ? ratioOf(candH.getValueAtPercentile(99), incH.getValueAtPercentile(99)) : null;
    const meanRatio = both ? ratioOf(candH.mean, incH.mean) : null;
    let p99RatioInterval: Interval | null = null;
    let p99ShiftLowMs: number | null = null;
    const p99ShiftMs = both ? round((candH.getValueAtPercentile(99) - incH.getValueAtPercentile(99)) / 1000, 5) : null;
    if (both) {
      const inc = sequentialQuantileBounds(incH, 0.99, alpha / 2);
      const cand = sequentialQuantileBounds(candH, 0.99, alpha / 2);
      p99RatioInterval = { low: round(cand.low / inc.high, 5), high: inc.low > 0 ? round(cand.high / inc.low, 5) : Infinity };
      p99ShiftLowMs = Number.isFinite(inc.high) ? round((cand.low - inc.high) / 1000, 5) : null;
    }
    const min = cfg.verdict.minObservations;
    const observations = [incH.totalCount, candH.totalCount] as const;
    if (incH.totalCount < min || candH.totalCount < min) {
      return { verdict: 'insufficient data', observations, u: null, z: null, pValue: null, shiftMs: null, shiftIntervalMs: null, ratio: null, ratioInterval: null, p99Ratio, p99RatioInterval, p99ShiftLowMs, p99ShiftMs, meanRatio };
    }
    const mw = incumbent.length > 0 && candidate.length > 0 ? mannWhitneyU(incumbent, candidate) : null;
    const incMed = incH.getValueAtPercentile(50);
    const candMed = candH.getValueAtPercentile(50);
    const im = sequentialQuantileBounds(incH, 0.5, alpha / 2);
    const cm = sequentialQuantileBounds(candH, 0.5, alpha / 2);
    const ratioInterval = { low: cm.low / im.high, high: im.low > 0 ? cm.high / im.low : Infinity };
    const shiftInterval = { low: (cm.low - im.high) / 1000, high: (cm.high - im.low) / 1000 };
    // The ratio's bound must be past the relative threshold (5% by default), and the shift itself past the
    // absolute floor (1 ms): a 50 µs shift of a sub-millisecond model is measurement order and scheduling,
    // not a slower model, however certain.
    const effect = cfg.verdict.minLatencyEffect;
    const effectMs = cfg.verdict.minLatencyEffectMs;
    const shiftMs = (candMed - incMed) / 1000;
    let verdict: LatencyVerdict = 'same';
    if (ratioInterval.low > 1 + effect && shiftMs > effectMs) verdict = 'slower';
    else if (ratioInterval.high < 1 / (1 + effect) && shiftMs < -effectMs) verdict = 'faster';
    return {
      verdict,
      observations,
      u: mw?.u ?? null,
      z: mw ? round(mw.z, 5) : null,
      pValue: mw ? round(mw.pValue, 4) : null,
      shiftMs: round(shiftMs, 5),
      shiftIntervalMs: roundInterval(shiftInterval),
      ratio: ratioOf(candMed, incMed),
      ratioInterval: roundInterval(ratioInterval),
      p99Ratio,
      p99RatioInterval,
      p99ShiftLowMs,
      p99ShiftMs,
      meanRatio,
    };
  } finally {
    incH.destroy();
    candH.destroy();
  }
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

/**
 * Disagreement: 1 - label agreement when a label is configured (its noise: how often the baseline's label
 * differs from the incumbent's), else the worst non-noisy field's diff rate (with that field's noise).
 */
function disagreement(t: Tally, fields: readonly FieldReport[], ctx: SpanContext): SpanReport['disagreement'] {
  const alpha = ctx.cfg.regression.alpha;
  const nb = ctx.hasBaseline ? t.baselineCompared : 0;
  const of = (source: string, k: number, n: number, noiseK: number | null) => {
    const noise = noiseK === null || nb === 0 ? null : { k: noiseK, n: nb };
    return {
      source, rate: round(k / n), interval: roundInterval(wilsonInterval(k, n)), noiseRate: noise === null ? null : round(noise.k / noise.n),
      differenceInterval: roundInterval(rateDifference(k, n, noise, alpha)), n, noiseN: noise === null ? 0 : noise.n,
    };
  };
  if (ctx.labelPath !== undefined && t.labelObservations > 0) {
    const k = t.labelObservations - t.labelAgreements;
    return of(`label ${ctx.labelPath}`, k, t.labelObservations, t.fields.get(ctx.labelPath)?.noise ?? 0);
  }
  if (t.compared === 0) return null;
  const worst = fields.filter((f) => f.status !== 'noisy').sort((a, b) => b.candidateRate - a.candidateRate)[0];
  if (!worst) return of('fields', 0, t.compared, null);
  return of(`field ${worst.path}`, worst.candidateDiffs, t.compared, worst.noiseRate === null ? null : worst.noiseDiffs);
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

/** Power of a rate check (a rate over a reference `base`, or over nothing when null), in rate units. */
function ratePower(n: number, base: number | null, threshold: number, target: number, alpha: number, ctx: SpanContext): CheckPower {
  const needed = observationsNeeded((base ?? 0) + target, base, threshold, alpha);
  const detectable = minimumDetectable(n, base, threshold, alpha);
  const more = needed === null ? null : Math.max(0, needed - n);
  return { detectable: detectable === null ? null : round(detectable, 3), target, needed, more, etaMs: eta(more, n, ctx) };
}

/** Time the span's observation rate needs for `more` observations (the span's n over its duration). */
function eta(more: number | null, n: number, ctx: SpanContext): number | null {
  const ms = ctx.toMs - ctx.fromMs;
  if (more === null || more === 0 || n === 0 || ms <= 0) return null;
  return Math.round((more * ms) / n);
}

const fmt = (x: number | null | undefined): string => (x === null || x === undefined ? '-' : String(Number(x.toPrecision(4))));

/** An interval as words: `[a, b]`, `≥ a` when nothing bounds it above, `unbounded` when nothing bounds it at all. */
export function formatBounds(i: Interval | null | undefined, f: (x: number) => string = (x) => fmt(x)): string {
  if (!i) return '-';
  const hasLow = Number.isFinite(i.low) && i.low > 0;
  if (i.high === null || !Number.isFinite(i.high)) return hasLow ? `≥ ${f(i.low)}` : 'unbounded';
  return `[${f(i.low)}, ${f(i.high)}]`;
}

/**
 * The verdict's checks: one rule for every check, with and without a baseline. A check fails only when
 * the anytime-valid bound of its (candidate − noise) difference is past its threshold — the bound, never
 * the point estimate — and warns when only the point estimate is; the bounds hold at the configured α
 * however often the report is rebuilt (compare/sequential.ts). Invariant 8: failed calls are not
 * observations; with fewer than minObservations compared exchanges there is no verdict unless a check
 * already failed on its own evidence (a candidate erring on every call while the incumbent answers).
 */
function checksFor(t: Tally, span: Omit<SpanReport, 'verdict' | 'checks' | 'reasons'>, ctx: SpanContext): { verdict: Verdict; checks: Reason[] } {
  const v = ctx.cfg.verdict;
  const alpha = ctx.cfg.regression.alpha;
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
    const base = e.incumbent.rate ?? 0;
    checks.push({ metric: 'error rate delta', n: e.candidate.calls, observed: e.delta, threshold: v.maxErrorRateDelta, interval: e.deltaInterval, outcome,
      detail: `candidate ${e.candidate.errors}/${e.candidate.calls} vs incumbent ${e.incumbent.errors}/${e.incumbent.calls} failed `
        + `(anytime-valid ${round((1 - alpha) * 100, 4)}% bounds of the difference ${formatBounds(e.deltaInterval)}; fails when the lower bound is above ${v.maxErrorRateDelta})`,
      power: ratePower(Math.min(e.candidate.calls, e.incumbent.calls), base, v.maxErrorRateDelta, v.mde.errorRateDelta, alpha, ctx) });
  }
  if (enough) {
    const abs = ctx.cfg.regression.absThreshold;
    for (const f of span.fields) {
      if (f.status !== 'regression') continue;
      checks.push({ metric: `field ${f.path}`, n, observed: round(f.candidateRate - (f.noiseRate ?? 0)), threshold: abs, interval: f.differenceInterval, outcome: 'fail',
        detail: `differs in ${f.candidateDiffs}/${n}${f.noiseRate === null ? '' : ` vs noise ${f.noiseDiffs}/${t.baselineCompared}`}; the lower bound of the `
          + `${f.noiseRate === null ? 'rate' : 'difference from the noise'} is above ${abs}${f.hint ? `; ${f.hint}` : ''}`,
        power: ratePower(n, f.noiseRate, abs, v.mde.rate, alpha, ctx) });
    }
    const d = span.disagreement;
    if (d) {
      const observed = round(d.rate - (d.noiseRate ?? 0));
      const outcome = d.differenceInterval && d.differenceInterval.low > v.maxDisagreement ? 'fail' : observed > v.maxDisagreement ? 'marginal' : 'ok';
      checks.push({ metric: 'disagreement', n: d.n, observed, threshold: v.maxDisagreement, interval: d.differenceInterval, outcome,
        detail: `${d.source}: ${d.rate}${d.noiseRate === null ? '' : ` minus noise ${d.noiseRate} (baseline, ${d.noiseN})`}; fails when the lower bound is above ${v.maxDisagreement}`,
        power: ratePower(d.n, d.noiseRate, v.maxDisagreement, v.mde.rate, alpha, ctx) });
    }
  }
  const lat = span.latency.comparison;
  if (lat.verdict !== 'insufficient data') {
    const [ni, nc] = lat.observations;
    checks.push({ metric: 'latency median ratio', n: Math.min(ni, nc), observed: lat.ratio, threshold: round(1 + v.minLatencyEffect), interval: lat.ratioInterval,
      outcome: lat.verdict === 'slower' ? 'marginal' : 'ok',
      detail: `${lat.verdict}: median shift ${lat.shiftMs} ms ${formatBounds(lat.shiftIntervalMs)}; `
        + `slower means the ratio's anytime-valid lower bound above ${round(1 + v.minLatencyEffect)} and the shift above ${v.minLatencyEffectMs} ms`
        + (lat.pValue === null ? '' : ` (Mann-Whitney p=${lat.pValue} on the reservoirs, descriptive)`) });
    const r = lat.p99Ratio;
    const ri = lat.p99RatioInterval;
    const grew = lat.p99ShiftLowMs !== null && lat.p99ShiftLowMs > v.minLatencyEffectMs;
    const inc = span.latency.shadow.incumbent;
    const cand = span.latency.shadow.candidate;
    const pointGrew = lat.p99ShiftMs !== null && lat.p99ShiftMs > v.minLatencyEffectMs;
    // Warns when the point is past the threshold and the p99 is significantly higher at all (its ratio's
    // lower bound above 1): with too few calls to bound a p99, its point estimate is the noisiest number here.
    const outcome = ri !== null && ri.low > v.maxP99Ratio && grew ? 'fail' : r !== null && r > v.maxP99Ratio && pointGrew && ri !== null && ri.low > 1 ? 'marginal' : 'ok';
    const needed = t.shadowLatency.incumbent.hist.totalCount > 0
      ? p99ObservationsNeeded(t.shadowLatency.incumbent.hist, v.mde.p99Ratio, v.maxP99Ratio, alpha) : null;
    const np = Math.min(inc?.count ?? 0, cand?.count ?? 0);
    checks.push({ metric: 'latency p99 ratio', n: np, observed: r, threshold: v.maxP99Ratio, interval: ri, outcome,
      detail: `p99 ${cand?.p99Ms ?? '-'} ms vs ${inc?.p99Ms ?? '-'} ms, ratio bounds ${formatBounds(ri)}; fails when the ratio's lower bound is above ${v.maxP99Ratio} `
        + `and the p99 grew by more than ${v.minLatencyEffectMs} ms, warns when only the point is above it and the lower bound above 1`,
      power: { detectable: null, target: v.mde.p99Ratio, needed, more: needed === null ? null : Math.max(0, needed - np), etaMs: eta(needed === null ? null : Math.max(0, needed - np), np, ctx) } });
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
      comparison: compareLatency(ctx.verdictOnly ? [] : t.shadowLatency.incumbent.sample.values(), ctx.verdictOnly ? [] : t.shadowLatency.candidate.sample.values(),
        t.shadowLatency.incumbent.hist, t.shadowLatency.candidate.hist, ctx.cfg),
    },
    errors: {
      incumbent: errorRate(inc.calls, inc.errors),
      candidate: errorRate(cand.calls, cand.errors),
      ...(ctx.hasBaseline ? { baseline: errorRate(t.calls.baseline.calls, t.calls.baseline.errors) } : {}),
      delta: both ? round(cand.errors / cand.calls - inc.errors / inc.calls) : null,
      deltaInterval: both ? roundInterval(differenceSequence(cand.errors, cand.calls, inc.errors, inc.calls, ctx.cfg.regression.alpha)) : null,
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

/**
 * Adds each route's dropped copies (by reason, from the live proxy's counters) to its report, whatever
 * shape the caller has (one report, a list, nothing). Routes without drops get an empty count: the
 * report then says "none" rather than nothing.
 */
export function withDropped<T>(reports: T, dropped: ReadonlyMap<string, Readonly<Record<string, number>>>): T {
  const add = (r: RouteReport): RouteReport => {
    const byReason = { ...(dropped.get(r.route) ?? {}) };
    let total = 0;
    for (const n of Object.values(byReason)) total += n;
    return { ...r, dropped: { byReason, total } };
  };
  if (Array.isArray(reports)) return reports.map((r) => add(r as RouteReport)) as T;
  if (reports !== null && typeof reports === 'object' && 'route' in reports) return add(reports as unknown as RouteReport) as T;
  return reports;
}
