// A fleet's quality section (issue 24): each process's own QualityReport travels in its evidence and the
// fleet's report combines them, not merging profiles (docs/quality.md, "Across processes"): the gate is
// closed when any contributor's is, with its reasons, and an experiment on the fleet's report concludes
// inconclusive naming the drifted feature.
import { describe, expect, it } from 'vitest';
import { RouteComparer } from '../../src/compare/index.js';
import { parseConfig } from '../../src/config/load.js';
import { evaluate } from '../../src/experiments/evaluate.js';
import { combineQuality, compileFeatures, observeFeatures, RouteQuality, type QualityReport } from '../../src/quality/index.js';
import { fleetReport, type FleetReport } from '../../src/state/report.js';

const config = parseConfig(`
upstreams: { a: { url: "http://127.0.0.1:9" }, b: { url: "http://127.0.0.1:9" } }
routes:
  - name: r
    primary: a
    shadow: { targets: [a, b], policy: none, allowRawData: true }
    quality: { features: [$.amount, $.country], referenceSize: 50, windowSize: 50, minWindow: 20, checkEvery: 10 }
`);
const route = config.routes[0]!;

/** One process's quality: 50 copies of reference, then 50 more, `amount` shifted by `shift`. */
function processReport(shift: number, rows = 100): QualityReport {
  const q = new RouteQuality('r', route.quality!);
  const compiled = compileFeatures(route.quality!.features);
  for (let i = 0; i < rows; i++) {
    const body = { amount: (i >= 50 ? shift : 0) + ((i * 37) % 100), country: ['FR', 'DE', 'IT'][i % 3] };
    q.observe({ features: observeFeatures(compiled, body, body) }, 1_000 + i);
  }
  return q.report(10_000);
}

const fleet = (parts: QualityReport[]): FleetReport => {
  const snaps = parts.map((quality, i) => ({ replica: `w${i + 1}`, at: 10_000, routes: { r: { compare: new RouteComparer('r', route.shadow!.compare).snapshot(), quality } } }));
  return fleetReport(config, snaps, 'r', 10_000) as FleetReport;
};

describe('a fleet\'s quality section', () => {
  it('is open when every contributor\'s gate is open, and lists each', () => {
    const q = fleet([processReport(0), processReport(0)]).quality!;
    expect(q.gate).toEqual({ enabled: true, open: true, reasons: [] });
    expect(q.contributors.map((c) => [c.replica, c.status, c.gate.open])).toEqual([['w1', 'ok', true], ['w2', 'ok', true]]);
  });

  it('closes when any contributor\'s gate is closed: its reasons, its features, and the experiment is inconclusive naming the feature', () => {
    const steady = processReport(0);
    const drifted = processReport(1000);
    expect(drifted.gate.open).toBe(false);
    const report = fleet([steady, drifted]);
    const q = report.quality!;
    expect(q.gate.open).toBe(false);
    expect(q.gate.reasons).toEqual(drifted.gate.reasons);
    expect(q.gate.reasons.some((r) => r.includes('`amount`'))).toBe(true);
    // The governing report is the closed one: the `drift` criterion counts its drifted features.
    expect(q.features.find((f) => f.name === 'amount')?.drift?.drifted).toBe(true);
    expect(q.contributors.map((c) => c.gate.open)).toEqual([true, false]);
    const e = evaluate({ criteria: [{ metric: 'field regressions', comparator: '<=', threshold: 0, confidence: 0.95 }], minSamples: 100 },
      { route: 'r', window: { compared: 5000, fields: [] }, quality: JSON.parse(JSON.stringify(q)) });
    expect(e.outcome).toBe('inconclusive');
    expect(e.reasons[0]).toMatch(/`amount`/);
  });

  it('stays closed while any contributor is still learning its reference; a report without quality carries none', () => {
    const q = combineQuality([{ replica: 'w1', quality: processReport(0) }, { replica: 'w2', quality: processReport(0, 30) }])!;
    expect(q.gate.open).toBe(false);
    expect(q.gate.reasons).toEqual(['data quality: the reference is being learned (30 of 50 copies)']);
    expect(combineQuality([])).toBeUndefined();
    expect(fleet([]).quality).toBeUndefined();
  });

  it('a contributor with quality.gate: false does not close it', () => {
    const off = { ...processReport(1000), gate: { enabled: false, open: true, reasons: [] } };
    expect(combineQuality([{ replica: 'w1', quality: processReport(0) }, { replica: 'w2', quality: off }])!.gate.open).toBe(true);
  });
});
