// Anytime-valid inference: confidence sequences that stay valid however often they are looked at, so a
// guardrail evaluated every few seconds and a report rebuilt on every scrape keep their false-alarm rate
// at the configured α over the whole run, not per look. Pure functions of counts (and histograms), so
// evidence accumulates over a whole step, merges across processes and replays unchanged.
//
// Proportions: the beta-binomial mixture martingale (Robbins 1970; Howard, Ramdas, McAuliffe & Sekhon,
// "Time-uniform, nonparametric, nonasymptotic confidence sequences", Ann. Statist. 2021, §3.3). For a
// Bernoulli mean p, M_n(p) = B(a + k, b + n − k) / B(a, b) / (p^k (1 − p)^(n − k)) is a nonnegative
// martingale with mean 1 under p, so by Ville's inequality P(∃n: M_n(p) ≥ 1/α) ≤ α, and
// {p : M_n(p) < 1/α} is a (1 − α) confidence sequence: it covers p at every n simultaneously.
// Differences combine two sequences at α/2 each (a union bound: the difference's bounds hold together
// with 1 − α at every n). Quantiles: the count of observations at or below the true q-quantile is
// Binomial(n, q), so the same sequence inverted in k gives anytime-valid order-statistic ranks
// (Howard & Ramdas, "Sequential estimation of quantiles with applications to A/B-testing", Bernoulli 2022).
import { boundsAtRanks, type Interval, type RankedCounts } from './stats.js';

/** Prior of the mixture: Jeffreys' Beta(½, ½), which keeps mass near 0 where error and flip rates live. */
const PRIOR_A = 0.5;
const PRIOR_B = 0.5;

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** log Γ(x) for x > 0 (Lanczos, g = 7: about 15 significant digits). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const y = x - 1;
  let s = LANCZOS[0]!;
  for (let i = 1; i < 9; i++) s += LANCZOS[i]! / (y + i);
  const t = y + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(s);
}

export function logBeta(a: number, b: number): number {
  return logGamma(a) + logGamma(b) - logGamma(a + b);
}

const LOG_PRIOR = logBeta(PRIOR_A, PRIOR_B);

/** log M_n(p) for k successes in n: the evidence against "the rate is p". */
export function logMixture(k: number, n: number, p: number): number {
  const marginal = logBeta(PRIOR_A + k, PRIOR_B + n - k) - LOG_PRIOR;
  const lp = k === 0 ? 0 : k * Math.log(p);
  const lq = n - k === 0 ? 0 : (n - k) * Math.log(1 - p);
  return marginal - lp - lq;
}

/**
 * The (1 − α) confidence sequence for a Bernoulli rate after k successes in n trials: valid at every n
 * at once, so it may be recomputed after every observation. Null when n = 0.
 */
export function proportionSequence(k: number, n: number, alpha: number): Interval | null {
  if (n <= 0) return null;
  const limit = Math.log(1 / alpha);
  const marginal = logBeta(PRIOR_A + k, PRIOR_B + n - k) - LOG_PRIOR;
  const f = (p: number) => marginal - (k === 0 ? 0 : k * Math.log(p)) - (n - k === 0 ? 0 : (n - k) * Math.log(1 - p));
  const hat = k / n;
  // f is convex in p with its minimum (≤ 0 < limit) at k/n: one crossing on each side.
  const cross = (inside: number, outside: number) => {
    let a = inside;
    let b = outside;
    for (let i = 0; i < 60; i++) {
      const m = (a + b) / 2;
      if (f(m) < limit) a = m;
      else b = m;
    }
    return a;
  };
  return { low: k === 0 ? 0 : cross(hat, 0), high: k === n ? 1 : cross(hat, 1) };
}

/**
 * Anytime-valid bounds on p1 − p2 (two independent rates, each sequence at α/2). Without a second
 * sample (n2 = 0) the second rate is taken as 0 and the first sequence runs at the whole α.
 */
export function differenceSequence(k1: number, n1: number, k2: number, n2: number, alpha: number): Interval | null {
  if (n2 <= 0) return proportionSequence(k1, n1, alpha);
  const a = proportionSequence(k1, n1, alpha / 2);
  const b = proportionSequence(k2, n2, alpha / 2);
  if (a === null || b === null) return null;
  return { low: a.low - b.high, high: a.high - b.low };
}

/**
 * The ranks (1-based) of anytime-valid bounds on the q-quantile of n observations: the true quantile
 * is at or above the `low`-th smallest and at or below the `high`-th smallest, at every n with
 * probability 1 − α (the whole α covers both sides). `low` is 0 when no observation bounds it from
 * below yet, `high` n + 1 when none does from above.
 */
export function sequentialQuantileRanks(n: number, q: number, alpha: number): { readonly low: number; readonly high: number } {
  if (n <= 0) return { low: 0, high: 1 };
  const limit = Math.log(1 / alpha);
  const lq = Math.log(q);
  const l1q = Math.log(1 - q);
  // g(k) = log M_n(q) after k of n at or below the quantile: convex in k, smallest near n·q.
  const g = (k: number) => logBeta(PRIOR_A + k, PRIOR_B + n - k) - LOG_PRIOR - k * lq - (n - k) * l1q;
  let mid = Math.min(n, Math.max(0, Math.round(n * q)));
  if (g(mid) >= limit) mid = Math.min(n, Math.max(0, Math.floor(n * q)));
  // Smallest k with g(k) < limit (the count of values at or below the quantile is at least that).
  let a = -1;
  let b = mid;
  while (b - a > 1) {
    const m = (a + b) >> 1;
    if (g(m) < limit) b = m;
    else a = m;
  }
  const kLow = b;
  // Largest k with g(k) < limit.
  a = mid;
  b = n + 1;
  while (b - a > 1) {
    const m = (a + b) >> 1;
    if (g(m) < limit) a = m;
    else b = m;
  }
  const kHigh = a;
  return { low: kLow, high: kHigh + 1 };
}

/** What the quantile bounds read of a histogram (hdr-histogram-js's Histogram has it). */
export type RankedHistogram = RankedCounts;

/**
 * Anytime-valid bounds on the q-quantile a histogram samples (1 − α for both sides together), in the
 * histogram's unit: `low` 0 and `high` Infinity when too few values bound that side (stats.ts
 * boundsAtRanks reads them at this test's ranks).
 */
export function sequentialQuantileBounds(h: RankedHistogram, q: number, alpha: number, resolution = 0.01): Interval {
  if (h.totalCount === 0) return { low: 0, high: Infinity };
  return boundsAtRanks(h, sequentialQuantileRanks(h.totalCount, q, alpha), resolution);
}

// ---- power: what a check can see now, and what it needs ----

/** z of 90% power (the 10th-percentile outcome still crosses). */
const Z_POWER = 1.2815515655446004;

/**
 * Whether a difference of true rates (p1 over a second rate p2, n observations each; n2 = 0: no second
 * sample) would be found past `threshold` with 90% power by the time n observations are in: the
 * sequence's lower bound at the 10th-percentile outcome is above the threshold.
 */
function detects(p1: number, p2: number | null, n: number, threshold: number, alpha: number): boolean {
  const v1 = p1 * (1 - p1);
  const v2 = p2 === null ? 0 : p2 * (1 - p2);
  const sd = Math.sqrt(v1 + v2) || 1;
  const k1 = Math.max(0, Math.min(n, Math.floor(n * p1 - Z_POWER * Math.sqrt(n) * (v1 / sd))));
  if (p2 === null) return (proportionSequence(k1, n, alpha)?.low ?? 0) > threshold;
  const k2 = Math.max(0, Math.min(n, Math.ceil(n * p2 + Z_POWER * Math.sqrt(n) * (v2 / sd))));
  return (differenceSequence(k1, n, k2, n, alpha)?.low ?? -1) > threshold;
}

/** Largest n planned for (beyond it a check is "not detectable in practice"). */
export const MAX_PLANNED_N = 10_000_000;

/**
 * Observations (per side) a rate check needs to find a true rate `p1` (over a reference rate `p2`, or
 * over nothing when null) past `threshold` with 90% power: null when p1 − p2 is not above the threshold.
 */
export function observationsNeeded(p1: number, p2: number | null, threshold: number, alpha: number): number | null {
  if (!(p1 - (p2 ?? 0) > threshold) || p1 > 1) return null;
  let lo = 1;
  let hi = 2;
  while (!detects(p1, p2, hi, threshold, alpha)) {
    lo = hi;
    hi *= 2;
    if (hi > MAX_PLANNED_N) return null;
  }
  while (hi - lo > Math.max(1, lo * 0.005)) {
    const m = Math.floor((lo + hi) / 2);
    if (detects(p1, p2, m, threshold, alpha)) hi = m;
    else lo = m;
  }
  return hi;
}

/**
 * The minimum detectable effect at n observations: the smallest true difference (p1 − p2) found past
 * `threshold` with 90% power by n (null when not even a rate of 1 would be).
 */
export function minimumDetectable(n: number, p2: number | null, threshold: number, alpha: number): number | null {
  if (n <= 0) return null;
  const base = p2 ?? 0;
  if (!detects(1, p2, n, threshold, alpha)) return null;
  let lo = threshold;
  let hi = 1 - base;
  for (let i = 0; i < 30; i++) {
    const m = (lo + hi) / 2;
    if (detects(base + m, p2, n, threshold, alpha)) hi = m;
    else lo = m;
  }
  return hi;
}

/**
 * Observations (each side) the p99-ratio check needs to find a candidate `ratio` times slower in every
 * quantile past `threshold`, with the incumbent's distribution read from its histogram: the candidate's
 * p99 lower bound over the incumbent's upper bound (each at α/2, from the ranks alone) must pass the
 * threshold. Null without incumbent data or when the ratio is not above the threshold.
 */
export function p99ObservationsNeeded(incumbent: RankedHistogram, ratio: number, threshold: number, alpha: number, q = 0.99): number | null {
  if (incumbent.totalCount === 0 || !(ratio > threshold)) return null;
  const at = (f: number) => incumbent.getValueAtPercentile(Math.min(100, Math.max(0, 100 * f)));
  const ok = (n: number) => {
    const r = sequentialQuantileRanks(n, q, alpha / 2);
    if (r.low < 1 || r.high > n) return false;
    const high = at(r.high / n);
    return high > 0 && (ratio * at(r.low / n)) / high > threshold;
  };
  let lo = 1;
  let hi = 64;
  while (!ok(hi)) {
    lo = hi;
    hi *= 2;
    if (hi > MAX_PLANNED_N) return null;
  }
  while (hi - lo > Math.max(1, lo * 0.01)) {
    const m = Math.floor((lo + hi) / 2);
    if (ok(m)) hi = m;
    else lo = m;
  }
  return hi;
}
