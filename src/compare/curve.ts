// A latency histogram's percentile curve (HDR's "percentile distribution"): the value at a fixed ladder of
// percentiles, dense in the tail, so the console can draw control and candidate on one log-scaled plot.
import type * as hdr from 'hdr-histogram-js';

/** Percentiles sampled: even steps to the median, then each "nine" of the tail. */
export const CURVE_PERCENTILES: readonly number[] = [0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 100];

/** [percentile, milliseconds] pairs, monotone and within [min, max] of the recorded values. */
export function percentileCurve(h: hdr.Histogram): [number, number][] {
  if (h.totalCount === 0) return [];
  const ms = (us: number) => Number((us / 1000).toPrecision(5));
  const min = h.minNonZeroValue;
  const max = h.maxValue;
  let last = 0;
  return CURVE_PERCENTILES.map((p) => {
    const us = p === 0 ? min : p === 100 ? max : h.getValueAtPercentile(p);
    last = Math.max(last, Math.min(max, Math.max(min, us)));
    return [p, ms(last)];
  });
}
