// The drift statistics, with Evidently's defaults as the anchor (docs/quality.md): the two-sample
// Kolmogorov–Smirnov test and Pearson's chi-squared test (small references), the Wasserstein distance
// normalized by the reference's standard deviation and the Jensen–Shannon distance (large references),
// and the population stability index reported beside them. Pure functions over plain arrays and counts.

/** ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms: ~1e-15 relative). */
function lnGamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  const z = x - 1;
  let a = c[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** The regularized upper incomplete gamma Q(a, x) (series below a + 1, Lentz's continued fraction above). */
export function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  if (!Number.isFinite(x)) return 0;
  const lead = a * Math.log(x) - x - lnGamma(a);
  if (x < a + 1) {
    let sum = 1 / a;
    let term = sum;
    for (let n = 1; n < 10_000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-16) break;
    }
    return Math.max(0, 1 - sum * Math.exp(lead));
  }
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-16) break;
  }
  return Math.min(1, Math.exp(lead) * h);
}

/** P(χ²_df > x): the chi-squared survival function. */
export function chiSquaredSf(x: number, df: number): number {
  return df <= 0 ? 1 : gammaQ(df / 2, x / 2);
}

/** Kolmogorov's limiting distribution: P(K > λ) = 2 Σ (−1)^(k−1) e^(−2k²λ²) (scipy.stats.kstwobign.sf). */
export function kolmogorovSf(lambda: number): number {
  if (lambda <= 0) return 1;
  if (lambda < 0.2) return 1; // the series converges slowly there; the tail is 1 to 1e-30
  let sum = 0;
  for (let k = 1; k <= 100; k++) {
    const term = Math.exp(-2 * k * k * lambda * lambda);
    sum += (k % 2 === 1 ? 1 : -1) * term;
    if (term < 1e-17) break;
  }
  return Math.min(1, Math.max(0, 2 * sum));
}

export interface TestResult { readonly statistic: number; readonly pValue: number }

/**
 * Two-sample Kolmogorov–Smirnov: D = sup |F_ref − F_cur| and its two-sided p-value from Kolmogorov's
 * distribution with Stephens' finite-sample correction, Q_KS((√ne + 0.12 + 0.11/√ne)·D), ne = n·m/(n+m)
 * (within a few percent of scipy's `ks_2samp`, exact at large n).
 */
export function ksTwoSample(reference: readonly number[], current: readonly number[]): TestResult {
  return ksSorted(Float64Array.from(reference).sort(), Float64Array.from(current).sort());
}

/** ksTwoSample over samples already sorted ascending (the reference is sorted once, when it is learned). */
export function ksSorted(a: Float64Array, b: Float64Array): TestResult {
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) return { statistic: 0, pValue: 1 };
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < n && j < m) {
    const x = Math.min(a[i]!, b[j]!);
    while (i < n && a[i] === x) i++;
    while (j < m && b[j] === x) j++;
    d = Math.max(d, Math.abs(i / n - j / m));
  }
  const ne = Math.sqrt((n * m) / (n + m));
  return { statistic: d, pValue: kolmogorovSf((ne + 0.12 + 0.11 / ne) * d) };
}

/**
 * Pearson's chi-squared goodness of fit of `observed` against `expected` counts (scipy.stats.chisquare):
 * categories with an expected count of 0 and an observed count above 0 make the statistic infinite (p 0),
 * as in Evidently; categories empty on both sides are left out.
 */
export function chiSquaredTest(observed: readonly number[], expected: readonly number[]): TestResult {
  let stat = 0;
  let k = 0;
  for (let i = 0; i < observed.length; i++) {
    const o = observed[i]!;
    const e = expected[i]!;
    if (e === 0 && o === 0) continue;
    k++;
    stat += e === 0 ? Infinity : ((o - e) * (o - e)) / e;
  }
  return { statistic: stat, pValue: k < 2 ? 1 : chiSquaredSf(stat, k - 1) };
}

/**
 * Chi-squared test of homogeneity of two samples given as aligned category counts (a 2×k contingency
 * table; scipy.stats.chi2_contingency without Yates' correction). Evidently tests the current counts
 * against the reference's shares as if they were exact (a goodness of fit); with a reference the size of
 * the window that doubles the statistic's variance, and an identical stream is flagged far more often
 * than the p-value says. This two-sample form counts both samples' noise.
 */
export function chiSquaredDrift(referenceCounts: readonly number[], currentCounts: readonly number[]): TestResult {
  const na = referenceCounts.reduce((s, x) => s + x, 0);
  const nb = currentCounts.reduce((s, x) => s + x, 0);
  if (na === 0 || nb === 0) return { statistic: 0, pValue: 1 };
  let stat = 0;
  let k = 0;
  for (let i = 0; i < referenceCounts.length; i++) {
    const tot = referenceCounts[i]! + currentCounts[i]!;
    if (tot === 0) continue;
    k++;
    const ea = (tot * na) / (na + nb);
    const eb = (tot * nb) / (na + nb);
    stat += (referenceCounts[i]! - ea) ** 2 / ea + (currentCounts[i]! - eb) ** 2 / eb;
  }
  return { statistic: stat, pValue: k < 2 ? 1 : chiSquaredSf(stat, k - 1) };
}

function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return s / xs.length;
}

/** Population standard deviation (numpy's default ddof 0, as Evidently's np.std). */
export function std(xs: ArrayLike<number>): number {
  if (xs.length === 0) return 0;
  const mu = mean(xs);
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += (xs[i]! - mu) * (xs[i]! - mu);
  return Math.sqrt(s / xs.length);
}

/** The first Wasserstein distance between two samples: ∫ |F_a − F_b| (scipy.stats.wasserstein_distance). */
export function wasserstein(a: readonly number[], b: readonly number[]): number {
  return wassersteinSorted(Float64Array.from(a).sort(), Float64Array.from(b).sort());
}

/** wasserstein over samples already sorted ascending. */
export function wassersteinSorted(x: Float64Array, y: Float64Array): number {
  const n = x.length;
  const m = y.length;
  if (n === 0 || m === 0) return 0;
  let i = 0;
  let j = 0;
  let prev = Math.min(x[0]!, y[0]!);
  let area = 0;
  while (i < n || j < m) {
    const next = j >= m || (i < n && x[i]! <= y[j]!) ? x[i]! : y[j]!;
    area += Math.abs(i / n - j / m) * (next - prev);
    while (i < n && x[i] === next) i++;
    while (j < m && y[j] === next) j++;
    prev = next;
  }
  return area;
}

/**
 * Evidently's normalized Wasserstein: W1(reference, current) / std(reference). A reference without spread
 * (std 0) cannot be normalized: the distance is then 0 when the current sample sits on it, else Infinity.
 */
export function normalizedWasserstein(reference: readonly number[], current: readonly number[], sd = std(reference)): number {
  return normalizeWasserstein(wasserstein(reference, current), sd);
}

/** A Wasserstein distance over the reference's standard deviation (0 or Infinity when it has none). */
export function normalizeWasserstein(w: number, s: number): number {
  if (s > 0) return w / s;
  return w === 0 ? 0 : Infinity;
}

/** Shares of each count (0 when the total is 0). */
export function shares(counts: readonly number[]): number[] {
  const n = counts.reduce((s, x) => s + x, 0);
  return counts.map((c) => (n === 0 ? 0 : c / n));
}

/**
 * The Jensen–Shannon distance between two distributions given as aligned counts: √JSD with natural
 * logarithms (scipy.spatial.distance.jensenshannon's default base e), in [0, √ln 2].
 */
export function jensenShannon(p: readonly number[], q: readonly number[]): number {
  const a = shares(p);
  const b = shares(q);
  let d = 0;
  for (let i = 0; i < a.length; i++) {
    const m = (a[i]! + b[i]!) / 2;
    if (a[i]! > 0) d += 0.5 * a[i]! * Math.log(a[i]! / m);
    if (b[i]! > 0) d += 0.5 * b[i]! * Math.log(b[i]! / m);
  }
  return Math.sqrt(Math.max(0, d));
}

/** The share Evidently puts in an empty bin so the PSI's logarithm stays finite. */
export const PSI_EMPTY_SHARE = 0.0001;

/** Population stability index: Σ (ref − cur) · ln(ref / cur) over aligned shares (an empty bin counts 0.0001). */
export function psi(referenceCounts: readonly number[], currentCounts: readonly number[]): number {
  const a = shares(referenceCounts).map((x) => (x === 0 ? PSI_EMPTY_SHARE : x));
  const b = shares(currentCounts).map((x) => (x === 0 ? PSI_EMPTY_SHARE : x));
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) * Math.log(a[i]! / b[i]!);
  return s;
}

/** Edges of `bins` equal-count bins of a sample (its quantiles), deduplicated: the PSI's bins for a numeric feature. */
export function quantileEdges(sample: readonly number[], bins: number): number[] {
  const s = Float64Array.from(sample).sort();
  const edges: number[] = [];
  for (let k = 1; k < bins; k++) {
    const v = s[Math.min(s.length - 1, Math.floor((k * s.length) / bins))]!;
    if (edges.length === 0 || v > edges[edges.length - 1]!) edges.push(v);
  }
  return edges;
}

/** Counts of a sample in the bins the edges make: (−∞, e0), [e0, e1), …, [e_last, ∞). */
export function binCounts(sample: ArrayLike<number>, edges: readonly number[]): number[] {
  const out = new Array<number>(edges.length + 1).fill(0);
  for (let i = 0; i < sample.length; i++) {
    const x = sample[i]!;
    let lo = 0;
    let hi = edges.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (x >= edges[mid]!) lo = mid + 1;
      else hi = mid;
    }
    out[lo]!++;
  }
  return out;
}
