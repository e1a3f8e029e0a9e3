// Each drift statistic against known values: scipy 1.17 for the tests (KS, chi²) and distances
// (wasserstein_distance, jensenshannon), hand computation for the PSI.
import { describe, expect, it } from 'vitest';
import { qualityStats as s } from '../../src/quality/index.js';

const A = [0.61, 0.29, 0.06, 0.59, -1.73, -0.74, 0.51, -0.56, 0.39, 1.64, 0.05, -0.06, 0.64, -0.82, 0.37, 1.77, 1.09, -1.28, 2.36, 1.31, 1.05, -0.32, -0.4, 1.06, -2.47];
const B = [2.2, 1.66, 1.38, 0.2, 0.36, 0, 0.96, 1.56, 0.44, 1.5, -0.3, 0.66, 2.31, 3.29, -0.27, -0.37, -0.38, -0.84, -0.13, -0.88, -0.22, 1.14, 0.28, 0.7, 1.21, 1.92, 0.8, 1.06];

describe('drift statistics', () => {
  it('Kolmogorov distribution: scipy.stats.kstwobign.sf', () => {
    expect(s.kolmogorovSf(0.5)).toBeCloseTo(0.9639452436648751, 9);
    expect(s.kolmogorovSf(1.0)).toBeCloseTo(0.26999967167735456, 9);
    expect(s.kolmogorovSf(1.36)).toBeCloseTo(0.049485876755377876, 9);
    expect(s.kolmogorovSf(2.0)).toBeCloseTo(0.0006709252557796953, 12);
  });

  it('two-sample KS: the statistic of scipy.stats.ks_2samp, its p-value within a few percent', () => {
    const t = s.ksTwoSample(A, B);
    expect(t.statistic).toBeCloseTo(0.25571428571428567, 12);
    // Stephens' correction: kstwobign.sf((√ne + 0.12 + 0.11/√ne)·D) = 0.306188; ks_2samp asymp 0.308055, exact 0.289561.
    expect(t.pValue).toBeCloseTo(0.30618787086394145, 9);
    expect(Math.abs(t.pValue - 0.30805490377988864) / 0.308).toBeLessThan(0.01);
    expect(s.ksTwoSample(A, A).pValue).toBe(1);
  });

  it('chi-squared: scipy.stats.chisquare and chi2.sf', () => {
    const t = s.chiSquaredTest([16, 18, 16, 14, 12, 12], [16, 16, 16, 16, 16, 8]);
    expect(t.statistic).toBeCloseTo(3.5, 12);
    expect(t.pValue).toBeCloseTo(0.6233876277495822, 10);
    expect(s.chiSquaredSf(20, 3)).toBeCloseTo(0.00016974243555282632, 12);
    expect(s.chiSquaredSf(0.5, 1)).toBeCloseTo(0.47950012218695337, 10);
    expect(s.chiSquaredSf(100, 40) / 4.791357300338064e-7).toBeCloseTo(1, 8);
    // A category the reference never saw (expected 0): infinite statistic, p 0 (Evidently's reading).
    expect(s.chiSquaredTest([5, 5, 1], [5.5, 5.5, 0]).pValue).toBe(0);
    // The two-sample form the drift check uses: scipy.stats.chi2_contingency(..., correction=False).
    const h = s.chiSquaredDrift([16, 18, 16, 14, 12, 12], [30, 20, 10, 14, 12, 0]);
    expect(h.statistic).toBeCloseTo(17.73010206492991, 10);
    expect(h.pValue).toBeCloseTo(0.003304393980938964, 10);
    expect(s.chiSquaredDrift([32, 36, 32, 28, 24, 24], [16, 18, 16, 14, 12, 12]).pValue).toBeCloseTo(1, 12);
  });

  it('Wasserstein: scipy.stats.wasserstein_distance; normalized by the reference std (numpy ddof 0)', () => {
    expect(s.wasserstein([0, 1, 3], [5, 6, 8])).toBeCloseTo(5, 12);
    expect(s.wasserstein([0, 1], [0, 1, 2])).toBeCloseTo(0.5, 12);
    expect(s.wasserstein(A, B)).toBeCloseTo(0.5068857142857143, 12);
    expect(s.std(A)).toBeCloseTo(1.0890835780600128, 12);
    expect(s.normalizedWasserstein(A, B)).toBeCloseTo(0.5068857142857143 / 1.0890835780600128, 12);
    expect(s.normalizedWasserstein([1, 1], [1, 1])).toBe(0);
    expect(s.normalizedWasserstein([1, 1], [2, 2])).toBe(Infinity);
  });

  it('Jensen–Shannon distance: scipy.spatial.distance.jensenshannon (base e)', () => {
    expect(s.jensenShannon([1, 0], [0.5, 0.5])).toBeCloseTo(0.464501404022459, 12);
    expect(s.jensenShannon([10, 20, 30], [30, 20, 10])).toBeCloseTo(0.29531004717204934, 12);
    expect(s.jensenShannon([3, 4], [6, 8])).toBe(0);
  });

  it('PSI: by hand, Σ (ref − cur)·ln(ref/cur), an empty bin counted 0.0001', () => {
    // shares [0.5, 0.5] vs [0.25, 0.75]: 0.25·ln 2 + (−0.25)·ln(2/3) = 0.1732868 + 0.1013663 = 0.2746531
    expect(s.psi([50, 50], [25, 75])).toBeCloseTo(0.25 * Math.log(2) - 0.25 * Math.log(2 / 3), 12);
    expect(s.psi([50, 50], [25, 75])).toBeCloseTo(0.2746531, 6);
    // [1, 0] vs [0.5, 0.5]: (1 − 0.5)·ln(2) + (0.0001 − 0.5)·ln(0.0001/0.5)
    expect(s.psi([10, 0], [5, 5])).toBeCloseTo(0.5 * Math.log(2) + (0.0001 - 0.5) * Math.log(0.0001 / 0.5), 12);
    expect(s.psi([1, 2, 3], [2, 4, 6])).toBe(0);
  });

  it('bins: deciles of the reference, counts per bin', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i);
    expect(s.quantileEdges(xs, 10)).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90]);
    expect(s.binCounts([-5, 0, 10, 95, 200], [10, 20, 90])).toEqual([2, 1, 0, 2]);
  });
});
