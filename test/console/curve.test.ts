// The report's percentile curve (compare/curve.ts): the ladder's values from the HDR histogram, monotone
// and within [min, max], so a log-scale plot of it never dips or overshoots.
import * as hdr from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import { CURVE_PERCENTILES, percentileCurve } from '../../src/compare/curve.js';
import { seededRandom } from '../../src/compare/stats.js';

describe('percentileCurve', () => {
  it('is empty for an empty histogram', () => {
    expect(percentileCurve(hdr.build({ bitBucketSize: 64 }))).toEqual([]);
  });

  it('climbs monotonically from min to max over the fixed ladder of percentiles', () => {
    for (const seed of [1, 2, 3]) {
      const random = seededRandom(seed);
      const h = hdr.build({ bitBucketSize: 64, numberOfSignificantValueDigits: 3 });
      // Long-tailed microsecond latencies (log-normal around 8 ms).
      for (let i = 0; i < 5000; i++) h.recordValue(Math.round(Math.exp(9 + 0.6 * Math.sqrt(-2 * Math.log(Math.max(random(), 1e-12))) * Math.cos(2 * Math.PI * random()))));
      const curve = percentileCurve(h);
      expect(curve.map(([p]) => p)).toEqual(CURVE_PERCENTILES);
      for (let i = 1; i < curve.length; i++) expect(curve[i]![1]).toBeGreaterThanOrEqual(curve[i - 1]![1]);
      expect(curve[0]![1]).toBe(Number((h.minNonZeroValue / 1000).toPrecision(5)));
      expect(curve.at(-1)![1]).toBe(Number((h.maxValue / 1000).toPrecision(5)));
      expect(curve.find(([p]) => p === 50)![1]).toBe(Number((h.getValueAtPercentile(50) / 1000).toPrecision(5)));
    }
  });
});
