// Statistics the comparison engine reports on: normal tail, Wilson interval, two-proportion test,
// Mann-Whitney U (tie-corrected normal approximation) with the Hodges-Lehmann shift and its interval,
// and a seeded bounded reservoir. Pure functions; no global randomness, so replays are reproducible.

/** z for a two-sided 95% interval (the 0.975 normal quantile). */
export const Z95 = 1.959963984540054;

/** erfc with fractional error below 1.2e-7 everywhere (Numerical Recipes' Chebyshev fit), enough for p-values. */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2 - r;
}

/** Upper tail P(Z > z) of the standard normal. */
export function normalSf(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

export interface Interval {
  readonly low: number;
  readonly high: number;
}

/** Wilson score 95% interval for k successes out of n (null when n = 0). */
export function wilsonInterval(k: number, n: number, z = Z95): Interval | null {
  if (n <= 0) return null;
  const p = k / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denom;
  const half = (z / denom) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // At k = 0 or k = n the bound is exactly 0 or 1; rounding would leave 1e-19 residue.
  return { low: k === 0 ? 0 : Math.max(0, center - half), high: k === n ? 1 : Math.min(1, center + half) };
}

/**
 * Newcombe's hybrid score interval (his method 10, 1998) for the difference p1 - p2 of two independent
 * proportions k1/n1 and k2/n2, built from the two Wilson intervals at the same z. Null when a side is empty.
 */
export function newcombeInterval(k1: number, n1: number, k2: number, n2: number, z = Z95): Interval | null {
  const w1 = wilsonInterval(k1, n1, z);
  const w2 = wilsonInterval(k2, n2, z);
  if (w1 === null || w2 === null) return null;
  const p1 = k1 / n1;
  const p2 = k2 / n2;
  const d = p1 - p2;
  return {
    low: Math.max(-1, d - Math.sqrt((p1 - w1.low) ** 2 + (w2.high - p2) ** 2)),
    high: Math.min(1, d + Math.sqrt((w1.high - p1) ** 2 + (p2 - w2.low) ** 2)),
  };
}

/** The standard normal quantile: z with P(Z <= z) = p (Acklam's rational fit, one Halley step on normalSf: ~1e-7). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) return p <= 0 ? -Infinity : Infinity;
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  let x: number;
  if (p < 0.02425) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  } else if (p > 1 - 0.02425) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -(((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  } else {
    const q = p - 0.5;
    const r = q * q;
    x = (((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
  }
  const e = 1 - normalSf(x) - p;
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
}

/**
 * Distribution-free bounds on the q-quantile (0 < q < 1) of n observations, as 1-based ranks: the true
 * quantile lies at or above the `low`-th smallest with one-sided confidence Φ(z), and at or below the
 * `high`-th smallest likewise (normal approximation of the binomial count below the quantile). `low` is
 * 0 when even the smallest observation cannot bound it (no lower bound), `high` is n + 1 when even the
 * largest cannot (no upper bound): too few observations to say.
 */
export function quantileRankBounds(n: number, q: number, z: number): { readonly low: number; readonly high: number } {
  const mean = n * q;
  const sd = Math.sqrt(n * q * (1 - q));
  const low = Math.floor(mean - z * sd);
  const high = Math.ceil(mean + z * sd) + 1;
  return { low: Math.max(0, Math.min(n, low)), high: Math.min(n + 1, Math.max(1, high)) };
}

/**
 * One-sided pooled two-proportion z test of H1: k1/n1 > k2/n2. Returns the p-value (1 when a side is
 * empty or both rates are 0 or 1, where the test has nothing to say).
 */
export function twoProportionPValue(k1: number, n1: number, k2: number, n2: number): number {
  if (n1 <= 0 || n2 <= 0) return 1;
  const pooled = (k1 + k2) / (n1 + n2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  if (se === 0) return 1;
  return normalSf((k1 / n1 - k2 / n2) / se);
}

/** One-sided score test of H1: k/n > p0 (used when there is no baseline to learn noise from). */
export function oneProportionPValue(k: number, n: number, p0: number): number {
  if (n <= 0) return 1;
  if (p0 <= 0) return k > 0 ? 0 : 1;
  if (p0 >= 1) return 1;
  return normalSf((k / n - p0) / Math.sqrt((p0 * (1 - p0)) / n));
}

export interface MannWhitneyResult {
  /** U statistic of the first sample (scipy's convention: U1 = R1 - n1(n1+1)/2). */
  readonly u: number;
  readonly z: number;
  /** Two-sided p-value with continuity correction (scipy.stats.mannwhitneyu, method="asymptotic"). */
  readonly pValue: number;
}

/** Mann-Whitney U with average ranks for ties and the tie-corrected variance. */
export function mannWhitneyU(x: readonly number[], y: readonly number[]): MannWhitneyResult {
  const n1 = x.length;
  const n2 = y.length;
  const n = n1 + n2;
  if (n1 === 0 || n2 === 0) return { u: 0, z: 0, pValue: 1 };
  // Tag each value with its side in one typed array pass: sorting indices avoids n small objects.
  const values = new Float64Array(n);
  for (let i = 0; i < n1; i++) values[i] = x[i]!;
  for (let j = 0; j < n2; j++) values[n1 + j] = y[j]!;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => values[a]! - values[b]!);
  let rankSumX = 0;
  let tieTerm = 0;
  for (let start = 0; start < n;) {
    let end = start + 1;
    while (end < n && values[order[end]!] === values[order[start]!]) end++;
    const t = end - start;
    const avgRank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) if (order[k]! < n1) rankSumX += avgRank;
    if (t > 1) tieTerm += t * t * t - t;
    start = end;
  }
  const u1 = rankSumX - (n1 * (n1 + 1)) / 2;
  const u2 = n1 * n2 - u1;
  const mu = (n1 * n2) / 2;
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (variance <= 0) return { u: u1, z: 0, pValue: 1 };
  const sd = Math.sqrt(variance);
  const z = (Math.max(u1, u2) - mu - 0.5) / sd;
  const sign = u1 >= mu ? 1 : -1;
  return { u: u1, z: sign * Math.max(0, z), pValue: Math.min(1, 2 * normalSf(z)) };
}

/** Count of pairs with y[j] - x[i] <= d; x and y sorted ascending. O(n + m). */
function countDiffsAtMost(x: Float64Array, y: Float64Array, d: number): number {
  let count = 0;
  let i = 0;
  for (let j = 0; j < y.length; j++) {
    while (i < x.length && y[j]! - x[i]! > d) i++;
    count += x.length - i;
  }
  return count;
}

/** The largest pairwise difference y[j] - x[i] that is <= d. */
function largestDiffAtMost(x: Float64Array, y: Float64Array, d: number): number {
  let best = -Infinity;
  let i = 0;
  for (let j = 0; j < y.length; j++) {
    while (i < x.length && y[j]! - x[i]! > d) i++;
    if (i < x.length) best = Math.max(best, y[j]! - x[i]!);
  }
  return best;
}

/** The smallest pairwise difference y[j] - x[i] that is > d. */
function smallestDiffAbove(x: Float64Array, y: Float64Array, d: number): number {
  let best = Infinity;
  let i = 0;
  for (let j = 0; j < y.length; j++) {
    while (i < x.length && y[j]! - x[i]! > d) i++;
    // x[i-1] is the largest x with y[j] - x > d, the smallest such difference for this j.
    if (i > 0) best = Math.min(best, y[j]! - x[i - 1]!);
  }
  return best;
}

/**
 * k-th smallest (1-based) of the n·m differences y[j] - x[i], without materialising them: bisection
 * on the value with a linear count until (lo, hi] holds one distinct difference, which is the answer.
 */
export function kthPairwiseDifference(x: Float64Array, y: Float64Array, k: number): number {
  let lo = y[0]! - x[x.length - 1]!;
  let hi = y[y.length - 1]! - x[0]!;
  if (countDiffsAtMost(x, y, lo) >= k) return lo;
  // Invariant: count(lo) < k <= count(hi), so the answer is in (lo, hi]. Stopping when only one
  // distinct value is left there (rather than when the doubles meet) matters with ties at 0, where
  // plain bisection would walk down through every exponent to the denormals.
  for (;;) {
    const top = largestDiffAtMost(x, y, hi);
    if (smallestDiffAbove(x, y, lo) >= top) return top;
    const mid = lo + (hi - lo) / 2;
    if (mid <= lo || mid >= hi) return top;
    if (countDiffsAtMost(x, y, mid) >= k) hi = mid;
    else lo = mid;
  }
}

export interface ShiftEstimate {
  /** Hodges-Lehmann estimate of y - x: the median of all pairwise differences. */
  readonly shift: number;
  /** 95% distribution-free interval from the order statistics of the differences (normal approximation). */
  readonly interval: Interval;
}

/** Hodges-Lehmann shift of y relative to x with its 95% interval (Hollander & Wolfe, normal approximation). */
export function hodgesLehmann(xIn: readonly number[], yIn: readonly number[]): ShiftEstimate | null {
  const n = xIn.length;
  const m = yIn.length;
  if (n === 0 || m === 0) return null;
  const x = Float64Array.from(xIn).sort();
  const y = Float64Array.from(yIn).sort();
  const total = n * m;
  const shift = total % 2 === 1
    ? kthPairwiseDifference(x, y, (total + 1) / 2)
    : (kthPairwiseDifference(x, y, total / 2) + kthPairwiseDifference(x, y, total / 2 + 1)) / 2;
  const c = Math.floor(total / 2 - Z95 * Math.sqrt((total * (n + m + 1)) / 12));
  const k = Math.max(1, c);
  return { shift, interval: { low: kthPairwiseDifference(x, y, k), high: kthPairwiseDifference(x, y, total - k + 1) } };
}

/** mulberry32: a tiny seeded PRNG, so sampling is reproducible in tests and replays. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform sample of at most `capacity` values from a stream (Vitter's algorithm R). */
export class Reservoir {
  private readonly items: number[] = [];
  private seen = 0;
  constructor(readonly capacity: number, private readonly random: () => number) {}

  offer(value: number): void {
    this.seen++;
    if (this.items.length < this.capacity) {
      this.items.push(value);
      return;
    }
    const slot = Math.floor(this.random() * this.seen);
    if (slot < this.capacity) this.items[slot] = value;
  }

  get count(): number {
    return this.seen;
  }

  /**
   * Folds in a uniform sample `values` of another stream of `seen` values, so this stays a uniform sample
   * of the union (and later offers continue it): how many slots come from each side is drawn
   * hypergeometrically by the two streams' sizes, not by the samples' sizes, so a quiet stream is not
   * over-represented.
   */
  mergeSample(seen: number, values: ArrayLike<number>): void {
    if (seen <= 0 || values.length === 0) return;
    if (this.seen + seen <= this.capacity && values.length === seen && this.items.length === this.seen) {
      for (let i = 0; i < values.length; i++) this.items.push(values[i]!);
      this.seen += seen;
      return;
    }
    const size = Math.min(this.capacity, this.items.length + values.length);
    let a = this.seen;
    let b = seen;
    let fromA = 0;
    for (let i = 0; i < size; i++) {
      if (this.random() * (a + b) < a) {
        fromA++;
        a--;
      } else {
        b--;
      }
    }
    fromA = Math.min(fromA, this.items.length);
    const fromB = Math.min(size - fromA, values.length);
    const mine = pick(this.items, fromA, this.random);
    const theirs = pick(Array.from(values), fromB, this.random);
    this.items.length = 0;
    for (const v of mine) this.items.push(v);
    for (const v of theirs) this.items.push(v);
    this.seen += seen;
  }

  values(): readonly number[] {
    return this.items;
  }

  reset(): void {
    this.items.length = 0;
    this.seen = 0;
  }
}

/** `k` distinct elements of `from` chosen uniformly (partial Fisher-Yates on a copy). */
function pick(from: readonly number[], k: number, random: () => number): number[] {
  const a = from.slice();
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(random() * (a.length - i));
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
  a.length = k;
  return a;
}

/** Percentile (0-100) of a sorted array, nearest rank. */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

/** What quantileBounds needs of an HDR histogram (hdr-histogram-js's Histogram has it). */
export interface RankedCounts {
  readonly totalCount: number;
  /** The highest value of the bucket holding the value at this percentile (HDR's convention). */
  getValueAtPercentile(percentile: number): number;
}

/**
 * Bounds on the q-quantile of the distribution a histogram samples, each with one-sided confidence
 * Φ(z): the order statistics at quantileRankBounds' ranks. A bucket's value is its highest, so the lower
 * bound is lowered by the histogram's relative `resolution` (1% covers 2 significant digits) to stay a
 * lower bound. `low` is 0 and `high` Infinity when the histogram has too few values to bound that side.
 * In the histogram's unit.
 */
export function quantileBounds(h: RankedCounts, q: number, z: number, resolution = 0.01): Interval {
  if (h.totalCount === 0) return { low: 0, high: Infinity };
  return boundsAtRanks(h, quantileRankBounds(h.totalCount, q, z), resolution);
}

/**
 * The order statistics of a histogram at 1-based ranks, as bounds: a rank below 1 leaves the lower side
 * unbounded (0), one above the count the upper side (Infinity). A bucket's value is its highest, so the
 * lower bound is lowered by the histogram's relative `resolution`. Fixed-sample and anytime-valid quantile
 * bounds differ only in the ranks they ask for.
 */
export function boundsAtRanks(h: RankedCounts, ranks: { readonly low: number; readonly high: number }, resolution: number): Interval {
  const n = h.totalCount;
  const at = (rank: number) => h.getValueAtPercentile((100 * rank) / n);
  return { low: ranks.low < 1 ? 0 : at(ranks.low) / (1 + resolution), high: ranks.high > n ? Infinity : at(ranks.high) };
}
