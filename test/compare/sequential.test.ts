// Anytime-valid inference (issue 21): the sequences hold their false-alarm rate however often they are
// looked at, and find the effects the report says they need, at the sample size it says. Seeded, unit
// level, fast: the rates are simulated, not asserted on one draw.
import { describe, expect, it } from 'vitest';
import { RouteComparer, type RouteReport } from '../../src/compare/index.js';
import {
  differenceSequence, logGamma, observationsNeeded, proportionSequence, sequentialQuantileBounds, sequentialQuantileRanks,
} from '../../src/compare/sequential.js';
import { seededRandom } from '../../src/compare/stats.js';
import { newHistogram, recordLatency } from '../../src/compare/tally.js';
import { answer, compareConfig, exchange, gaussian } from './helpers.js';

/** Binomial draws by summing Bernoullis in blocks (n is small per look). */
function bernoullis(random: () => number, n: number, p: number): number {
  let k = 0;
  for (let i = 0; i < n; i++) if (random() < p) k++;
  return k;
}

describe('the confidence sequences', () => {
  it('logGamma is right to 1e-12 where the answer is known', () => {
    for (let n = 1; n < 20; n++) {
      let f = 0;
      for (let i = 2; i < n; i++) f += Math.log(i);
      expect(logGamma(n)).toBeCloseTo(f, 10);
    }
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 12);
  });

  it('contain the observed rate, shrink with n, and are 0 / 1 at the edges', () => {
    const a = proportionSequence(20, 200, 0.01)!;
    const b = proportionSequence(200, 2000, 0.01)!;
    expect(a.low).toBeLessThan(0.1);
    expect(a.high).toBeGreaterThan(0.1);
    expect(b.high - b.low).toBeLessThan(a.high - a.low);
    expect(proportionSequence(0, 50, 0.01)!.low).toBe(0);
    expect(proportionSequence(50, 50, 0.01)!.high).toBe(1);
    expect(proportionSequence(0, 0, 0.01)).toBeNull();
  });

  it('A/A: a rate difference crosses 0 in at most α of 1,000 runs, looked at 40 times each', () => {
    const alpha = 0.05;
    const random = seededRandom(21);
    let alarms = 0;
    for (let run = 0; run < 1000; run++) {
      let k1 = 0;
      let k2 = 0;
      let n = 0;
      for (let look = 0; look < 40; look++) {
        k1 += bernoullis(random, 50, 0.05);
        k2 += bernoullis(random, 50, 0.05);
        n += 50;
        const d = differenceSequence(k1, n, k2, n, alpha)!;
        if (d.low > 0 || d.high < 0) {
          alarms++;
          break;
        }
      }
    }
    expect(alarms / 1000).toBeLessThanOrEqual(alpha);
  });

  it('A/A: a single rate leaves its sequence in at most α of 1,000 runs, looked at after every observation', () => {
    const alpha = 0.05;
    const random = seededRandom(22);
    let alarms = 0;
    for (let run = 0; run < 1000; run++) {
      let k = 0;
      for (let n = 1; n <= 250; n++) {
        if (random() < 0.02) k++;
        const s = proportionSequence(k, n, alpha)!;
        if (s.low > 0.02 || s.high < 0.02) {
          alarms++;
          break;
        }
      }
    }
    expect(alarms / 1000).toBeLessThanOrEqual(alpha);
  });

  it('A/A: the p99 ratio bounds exclude 1 in at most α of 1,000 runs of identical latencies, looked at 20 times each', () => {
    const alpha = 0.05;
    const random = seededRandom(23);
    let alarms = 0;
    const inc = newHistogram(true);
    const cand = newHistogram(true);
    for (let run = 0; run < 1000; run++) {
      inc.reset();
      cand.reset();
      for (let look = 0; look < 20; look++) {
        for (let i = 0; i < 100; i++) {
          recordLatency(inc, 20 * Math.exp(0.5 * gaussian(random)));
          recordLatency(cand, 20 * Math.exp(0.5 * gaussian(random)));
        }
        const i = sequentialQuantileBounds(inc, 0.99, alpha / 2);
        const c = sequentialQuantileBounds(cand, 0.99, alpha / 2);
        if (c.low > i.high || c.high < i.low) {
          alarms++;
          break;
        }
      }
    }
    expect(alarms / 1000).toBeLessThanOrEqual(alpha);
  });

  it('quantile ranks bracket n·q and give no bound until there are enough values', () => {
    const r = sequentialQuantileRanks(2000, 0.5, 0.01);
    expect(r.low).toBeLessThan(1000);
    expect(r.high).toBeGreaterThan(1000);
    expect(sequentialQuantileRanks(100, 0.99, 0.001).high).toBe(101);
  });

  it('plans: more observations for a smaller effect, none for an effect not past the threshold', () => {
    expect(observationsNeeded(0.03, null, 0.01, 0.01)!).toBeGreaterThan(observationsNeeded(0.1, null, 0.01, 0.01)!);
    expect(observationsNeeded(0.02, 0, 0.03, 0.01)).toBeNull();
  });
});

/** One seeded run of `n` exchanges: labels flip at `flip`, the candidate errs at `errors`, its latency is `scale`× the incumbent's law. */
function run(seed: number, n: number, cfg: ReturnType<typeof compareConfig>, opts: { flip?: number; errors?: number; scale?: number }): RouteReport {
  const random = seededRandom(seed);
  const c = new RouteComparer('predict', cfg, { seed });
  for (let i = 0; i < n; i++) {
    const label = random() < 0.5 ? 'a' : 'b';
    const flipped = random() < (opts.flip ?? 0) ? (label === 'a' ? 'b' : 'a') : label;
    const inc = 20 * Math.exp(0.5 * gaussian(random));
    const cand = (opts.scale ?? 1) * 20 * Math.exp(0.5 * gaussian(random));
    const fails = random() < (opts.errors ?? 0);
    c.record(exchange({
      incumbent: answer('incumbent', { label }, { latencyMs: inc }),
      candidate: answer('candidate', { label: flipped }, { latencyMs: cand, status: fails ? 500 : 200 }),
    }), 0);
  }
  return c.report(0);
}

const check = (r: RouteReport, metric: string) => r.window.checks.find((c) => c.metric === metric);

describe('power at the sample size the report says it needs (9 of 10 runs)', () => {
  it('a 3% label flip against a 0.5% threshold', () => {
    const cfg = compareConfig({ label: '$.label', verdict: { maxDisagreement: 0.005, mde: { rate: 0.03 } } });
    const needed = check(run(1, 200, cfg, {}), 'disagreement')!.power!.needed!;
    expect(needed).toBeGreaterThan(200);
    let found = 0;
    for (let seed = 100; seed < 110; seed++) if (check(run(seed, needed, cfg, { flip: 0.03 }), 'disagreement')!.outcome === 'fail') found++;
    expect(found).toBeGreaterThanOrEqual(9);
  });

  it('a 2% error rate against a 0.5-point threshold', () => {
    const cfg = compareConfig({ verdict: { maxErrorRateDelta: 0.005, mde: { errorRateDelta: 0.02 } } });
    const needed = check(run(2, 200, cfg, {}), 'error rate delta')!.power!.needed!;
    let found = 0;
    for (let seed = 200; seed < 210; seed++) if (check(run(seed, needed, cfg, { errors: 0.02 }), 'error rate delta')!.outcome === 'fail') found++;
    expect(found).toBeGreaterThanOrEqual(9);
  });

  it('a doubled p99 against the default 1.25× threshold', () => {
    const cfg = compareConfig({ verdict: { mde: { p99Ratio: 2 } } });
    const needed = check(run(3, 2000, cfg, {}), 'latency p99 ratio')!.power!.needed!;
    let found = 0;
    for (let seed = 300; seed < 310; seed++) if (check(run(seed, needed, cfg, { scale: 2 }), 'latency p99 ratio')!.outcome === 'fail') found++;
    expect(found).toBeGreaterThanOrEqual(9);
  });
});
