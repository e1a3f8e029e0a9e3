// Statistical functions against reference values computed independently with SciPy 1.17.1 / NumPy
// (the exact calls are quoted next to each value), plus textbook examples and brute-force checks.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  Reservoir, hodgesLehmann, kthPairwiseDifference, mannWhitneyU, normalSf, oneProportionPValue, seededRandom,
  twoProportionPValue, wilsonInterval,
} from '../../src/compare/stats.js';
import { editDistance, textSimilarity } from '../../src/compare/text.js';

// Deterministic samples with many ties, regenerated identically in Python:
//   a = [(100 + (i*7919) % 211) / 10 for i in range(200)]
//   b = [(115 + (j*104729) % 197) / 10 for j in range(180)];  c = same with 130
const a = Array.from({ length: 200 }, (_, i) => (100 + ((i * 7919) % 211)) / 10);
const b = Array.from({ length: 180 }, (_, j) => (115 + ((j * 104729) % 197)) / 10);
const c = Array.from({ length: 180 }, (_, j) => (130 + ((j * 104729) % 197)) / 10);
const x = [1.83, 0.5, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.3, 1.3, 2.0];
const y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29, 2.0, 0.9, 1.5];

describe('normal tail', () => {
  it('matches scipy.stats.norm.sf to 1e-7 relative', () => {
    const ref: [number, number][] = [[0, 0.5], [1, 0.15865525393145707], [1.959963984540054, 0.025], [2.5758, 0.00500042373777868],
      [3.5, 0.00023262907903552502], [-1.2, 0.8849303297782918]];
    for (const [z, p] of ref) expect(Math.abs(normalSf(z) - p) / p).toBeLessThan(2e-7);
  });
});

describe('Mann-Whitney U', () => {
  it('matches scipy.stats.mannwhitneyu(method="asymptotic", use_continuity=True) with ties, small samples', () => {
    const r = mannWhitneyU(x, y); // scipy: statistic 92.5, pvalue 0.10920582783480366
    expect(r.u).toBe(92.5);
    expect(r.pValue).toBeCloseTo(0.10920582783480366, 6);
  });

  it('matches scipy on 200 vs 180 tied values, not significant and significant', () => {
    const r = mannWhitneyU(a, b); // scipy: 16507.0, 0.16270496766518372
    expect(r.u).toBe(16507);
    expect(r.pValue).toBeCloseTo(0.16270496766518372, 6);
    const s = mannWhitneyU(a, c); // scipy: 14078.5, 0.00024487464492002685
    expect(s.u).toBe(14078.5);
    expect(s.pValue / 0.00024487464492002685).toBeCloseTo(1, 5);
    expect(s.z).toBeLessThan(0); // a ranks lower than c
  });

  it('says nothing (p = 1) when every value is the same', () => {
    expect(mannWhitneyU([3, 3, 3], [3, 3]).pValue).toBe(1);
  });
});

describe('Hodges-Lehmann shift', () => {
  // NumPy: d = sort(subtract.outer(y, x).ravel()); k = floor(N/2 - norm.ppf(0.975)*sqrt(N*(n+m+1)/12));
  // shift = median(d), interval = (d[k-1], d[N-k]).
  it('matches the brute-force median and order statistics of all pairwise differences', () => {
    const small = hodgesLehmann(x, y)!;
    expect(small.shift).toBeCloseTo(-0.49, 12);
    expect(small.interval.low).toBeCloseTo(-0.9730000000000001, 12);
    expect(small.interval.high).toBeCloseTo(0.16999999999999993, 12);
    const big = hodgesLehmann(a, b)!;
    expect(big.shift).toBeCloseTo(0.9, 9);
    expect(big.interval.low).toBeCloseTo(-0.4, 9);
    expect(big.interval.high).toBeCloseTo(2.1, 9);
    const shifted = hodgesLehmann(a, c)!;
    expect(shifted.shift).toBeCloseTo(2.4, 9);
    expect(shifted.interval.low).toBeCloseTo(1.1, 9);
    expect(shifted.interval.high).toBeCloseTo(3.6, 9);
  });

  it('selects the same k-th pairwise difference as sorting them all (property)', () => {
    fc.assert(fc.property(
      fc.array(fc.integer({ min: -50, max: 50 }), { minLength: 1, maxLength: 12 }),
      fc.array(fc.integer({ min: -50, max: 50 }), { minLength: 1, maxLength: 12 }),
      fc.nat(),
      (xs, ys, pick) => {
        const all = ys.flatMap((v) => xs.map((u) => v / 4 - u / 4)).sort((p, q) => p - q);
        const k = (pick % all.length) + 1;
        const got = kthPairwiseDifference(Float64Array.from(xs, (u) => u / 4).sort(), Float64Array.from(ys, (v) => v / 4).sort(), k);
        expect(got).toBe(all[k - 1]);
      },
    ), { seed: 42, numRuns: 300 });
  });
});

describe('proportions', () => {
  it('Wilson interval matches scipy.stats.binomtest(k, n).proportion_ci(0.95, "wilson") (Newcombe 1998: 81/263)', () => {
    const i = wilsonInterval(81, 263)!; // scipy: (0.2552885198782742, 0.36620957698280004)
    expect(i.low).toBeCloseTo(0.2552885198782742, 9);
    expect(i.high).toBeCloseTo(0.36620957698280004, 9);
    const zero = wilsonInterval(0, 50)!; // scipy: (0.0, 0.07134759913335872)
    expect(zero.low).toBe(0);
    expect(zero.high).toBeCloseTo(0.07134759913335872, 9);
    expect(wilsonInterval(0, 0)).toBeNull();
  });

  it('two-proportion z test equals the uncorrected chi-square on the 2x2 table, halved (one-sided)', () => {
    // scipy.stats.chi2_contingency([[30,170],[12,188]], correction=False).pvalue / 2 = 0.0016630857655603383
    expect(twoProportionPValue(30, 200, 12, 200) / 0.0016630857655603383).toBeCloseTo(1, 5);
    expect(twoProportionPValue(12, 200, 30, 200)).toBeGreaterThan(0.99);
    expect(twoProportionPValue(0, 100, 0, 100)).toBe(1);
  });

  it('one-proportion score test is one-sided around p0', () => {
    // z = (0.1 - 0.03) / sqrt(0.03*0.97/400) = 8.2078; scipy.stats.norm.sf(8.2078) ≈ 1.1e-16
    expect(oneProportionPValue(40, 400, 0.03)).toBeLessThan(1e-12);
    expect(oneProportionPValue(12, 400, 0.03)).toBeCloseTo(0.5, 6); // z = 0 exactly
  });
});

describe('reservoir and text', () => {
  it('keeps at most its capacity and a uniform-looking sample of a long stream', () => {
    const r = new Reservoir(500, seededRandom(1));
    for (let i = 0; i < 100_000; i++) r.offer(i);
    expect(r.values().length).toBe(500);
    expect(r.count).toBe(100_000);
    const mean = r.values().reduce((s, v) => s + v, 0) / 500;
    // Uniform on [0, 1e5): mean 5e4, sd of the mean ≈ 28867/√500 ≈ 1291; 5 sd is a loose bound.
    expect(Math.abs(mean - 50_000)).toBeLessThan(6500);
  });

  it('edit distance of the textbook pair kitten/sitting is 3; similarity folds case and spaces', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(textSimilarity('Hello   World', 'hello world')).toBe(1);
    expect(textSimilarity('kitten', 'sitting')).toBeCloseTo(1 - 3 / 7, 12);
    const long = 'the quick brown fox jumps over the lazy dog '.repeat(10);
    // 8 distinct tokens a side, 7 shared, 9 in the union.
    expect(textSimilarity(long, long.replaceAll('lazy', 'sleepy'))).toBeCloseTo(7 / 9, 12);
  });
});
