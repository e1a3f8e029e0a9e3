// How shadowgate, a Flagger-style and a Kayenta-style judge decide on the same simulated canary data
// (issue 21): run with `npx esbuild bench/decisions-compare.ts --bundle --platform=node --format=esm
// --packages=external --outfile=/tmp/dc.mjs && node /tmp/dc.mjs`. Seeded; a second or two.
//
// Data: 20 req/s to the candidate and 180 req/s to the incumbent (10% canary) for 20 minutes, lognormal
// latencies around 20 ms (σ 0.5), incumbent 0.5% errors. Scenarios: A/A; candidate errs 2%; candidate
// p99 doubled (every latency ×2). Judges, looking every minute:
// - shadowgate: the step's cumulative counts and histogram, confidence sequences at α = 0.001
//   (guardrails' default confidence 0.999): error-rate delta bound > 0.01, p99 ratio bound > 1.25.
// - Flagger: per 1-minute interval, a threshold on the interval's point estimate (success rate ≥ 99%,
//   p99 ≤ 1.25 × the incumbent's p99 of that minute, as a custom metric); rollback after 5 failed checks.
// - Kayenta: per 1-minute interval, Mann-Whitney of candidate vs incumbent per metric (errors as 0/1,
//   latency) at 95% confidence two-sided, a metric "fails" when significantly worse; score = % metrics
//   passing; a run fails when an interval scores below 75 (its default marginal threshold).
import { mannWhitneyU, seededRandom } from '../src/compare/stats.js';
import { differenceSequence, sequentialQuantileBounds } from '../src/compare/sequential.js';
import { newHistogram, recordLatency } from '../src/compare/tally.js';

function gaussian(r: () => number): number {
  return Math.sqrt(-2 * Math.log(Math.max(r(), 1e-12))) * Math.cos(2 * Math.PI * r());
}

type Scenario = { name: string; errors: number; scale: number };
const SCENARIOS: Scenario[] = [{ name: 'A/A', errors: 0.005, scale: 1 }, { name: 'errors 2%', errors: 0.02, scale: 1 }, { name: 'p99 doubled', errors: 0.005, scale: 2 }];

function run(s: Scenario, seed: number) {
  const r = seededRandom(seed);
  const hInc = newHistogram(true);
  const hCand = newHistogram(true);
  let ke = 0; let kn = 0; let ie = 0; let iN = 0;
  const out = { shadowgate: -1, flagger: -1, kayenta: -1 };
  let flaggerFails = 0;
  for (let minute = 1; minute <= 20; minute++) {
    const candLat: number[] = []; const incLat: number[] = []; const candErr: number[] = []; const incErr: number[] = [];
    for (let i = 0; i < 60 * 20; i++) {
      const e = r() < s.errors ? 1 : 0; const ms = s.scale * 20 * Math.exp(0.5 * gaussian(r));
      candErr.push(e); candLat.push(ms); kn++; ke += e; recordLatency(hCand, ms);
    }
    for (let i = 0; i < 60 * 180; i++) {
      const e = r() < 0.005 ? 1 : 0; const ms = 20 * Math.exp(0.5 * gaussian(r));
      incErr.push(e); incLat.push(ms); iN++; ie += e; recordLatency(hInc, ms);
    }
    // shadowgate
    if (out.shadowgate < 0) {
      const d = differenceSequence(ke, kn, ie, iN, 0.001)!;
      const c = sequentialQuantileBounds(hCand, 0.99, 0.0005);
      const i = sequentialQuantileBounds(hInc, 0.99, 0.0005);
      const incHigh = Number.isFinite(i.high) ? i.high : hInc.maxValue;
      if (d.low > 0.01 || c.low / incHigh > 1.25) out.shadowgate = minute;
    }
    // Flagger
    if (out.flagger < 0) {
      const rate = candErr.reduce((a, b) => a + b, 0) / candErr.length;
      const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(0.99 * xs.length)]!;
      if (1 - rate < 0.99 || p99(candLat) > 1.25 * p99(incLat)) flaggerFails++;
      if (flaggerFails >= 5) out.flagger = minute;
    }
    // Kayenta
    if (out.kayenta < 0) {
      const worse = (x: number[], y: number[]) => { const m = mannWhitneyU(x, y); return m.pValue < 0.05 && m.z < 0; };
      const failed = [worse(incErr.slice(0, 1200), candErr), worse(incLat.slice(0, 1200), candLat)].filter(Boolean).length;
      const score = 100 * (2 - failed) / 2;
      if (score < 75) out.kayenta = minute;
    }
  }
  return out;
}

for (const s of SCENARIOS) {
  const rows = Array.from({ length: 20 }, (_, i) => run(s, 1000 + i));
  const sum = (k: 'shadowgate' | 'flagger' | 'kayenta') => {
    const hits = rows.filter((x) => x[k] > 0).map((x) => x[k]).sort((a, b) => a - b);
    return `${hits.length}/20 failed${hits.length ? `, median at minute ${hits[Math.floor(hits.length / 2)]}` : ''}`;
  };
  console.log(`${s.name.padEnd(12)} shadowgate: ${sum('shadowgate').padEnd(34)} Flagger-style: ${sum('flagger').padEnd(34)} Kayenta-style: ${sum('kayenta')}`);
}
