// Data quality and drift on demo-shaped traffic (the demo's seeded fraud-scoring requests), through the
// pure engine: one feature drifted at a time (a numeric shift, a new category, missingness) concludes an
// otherwise passing experiment inconclusive naming that feature; an identical stream never does (A/A
// over 20 seeds, small and large references).
import { describe, expect, it } from 'vitest';
import { qualitySchema } from '../../src/config/schema/quality.js';
import { evaluate } from '../../src/experiments/index.js';
import { compileFeatures, observeFeatures, RouteQuality, type QualityReport } from '../../src/quality/index.js';
import { TrafficGenerator, type DemoRequestBody } from '../../src/demo/traffic.js';

const FEATURES = ['$.transaction.amount', '$.transaction.country', '$.transaction.device', '$.transaction.hour', '$.transaction.merchant_category',
  '$.transaction.distance_km', '$.transaction.card_present', '$.user.email'];

type Mutable = { transaction: Record<string, unknown>; user: Record<string, unknown> } & Record<string, unknown>;
type Drift = (body: Mutable, i: number) => void;

/** The anonymized copy as a policy makes it: the email replaced by a same-length pseudonym (shape only). */
function anonymized(body: DemoRequestBody): Mutable {
  const copy = structuredClone(body) as unknown as Mutable;
  const email = String(copy.user.email);
  copy.user.email = `${'x'.repeat(Math.max(0, email.length - 12))}@example.org`;
  return copy;
}

/** referenceSize copies of the seed's traffic, then `window` more, each drifted by `drift` when given. */
function run(seed: number, referenceSize: number, drift?: Drift, window = 1000): { q: RouteQuality; report: QualityReport } {
  const cfg = qualitySchema.parse({ features: FEATURES, referenceSize, windowSize: window });
  const q = new RouteQuality('predict', cfg);
  const compiled = compileFeatures(cfg.features);
  const gen = new TrafficGenerator(seed);
  const t0 = Date.UTC(2026, 11, 7, 14, 0);
  for (let i = 0; i < referenceSize + window; i++) {
    // The traffic itself drifts (before the policy runs): the client sends something else.
    const body = structuredClone(gen.next()) as unknown as Mutable;
    if (drift && i >= referenceSize) drift(body, i);
    q.observe({ features: observeFeatures(compiled, anonymized(body as unknown as DemoRequestBody), body) }, t0 + i * 100);
  }
  return { q, report: q.report(t0 + (referenceSize + window) * 100) };
}

/** A report whose comparison would pass (no regressed field, enough exchanges), with the quality section. */
function conclude(quality: QualityReport) {
  return evaluate({ criteria: [{ metric: 'field regressions', comparator: '<=', threshold: 0, confidence: 0.95 }], minSamples: 100 },
    { route: 'predict', window: { compared: 5000, fields: [] }, quality });
}

const shift: Drift = (b) => { b.transaction.amount = Number(b.transaction.amount) * 1.6 + 20; };
const newCategory: Drift = (b, i) => { if (i % 4 === 0) b.transaction.country = 'ZZ'; };
const missing: Drift = (b, i) => { if (i % 4 === 0) delete b.transaction.device; };

describe('data quality and drift on demo traffic', () => {
  for (const [regime, size] of [['small (KS, chi²)', 1000], ['large (Wasserstein, Jensen–Shannon)', 2000]] as const) {
    describe(`${regime} reference`, () => {
      it('a shifted numeric feature concludes inconclusive, naming it', () => {
        const { report } = run(7, size, shift);
        expect(report.status).toBe('alert');
        const e = conclude(report);
        expect(e.outcome).toBe('inconclusive');
        const stat = size <= 1000 ? 'KS p' : 'Wasserstein';
        expect(e.reasons.find((r) => r.startsWith('inputs drifted: `amount`'))).toMatch(new RegExp(`^inputs drifted: \`amount\` ${stat} .* since 14:\\d\\d UTC$`));
        expect(report.alerts.every((a) => a.feature === 'amount')).toBe(true);
      });

      it('a new category concludes inconclusive, naming the feature', () => {
        const { report } = run(8, size, newCategory);
        const e = conclude(report);
        expect(e.outcome).toBe('inconclusive');
        expect(e.reasons.some((r) => r.startsWith('data quality: `country` has categories the reference never saw in 25'))).toBe(true);
        expect(e.reasons.some((r) => r.startsWith('inputs drifted: `country`'))).toBe(true);
        expect(new Set(report.alerts.map((a) => a.feature))).toEqual(new Set(['country']));
      });

      it('missingness concludes inconclusive, naming the feature, since the check that found it', () => {
        // The first check starts once the window holds minWindow (200) copies and takes one feature per copy.
        const { report } = run(9, size, missing);
        const e = conclude(report);
        expect(e.outcome).toBe('inconclusive');
        expect(e.reasons).toContain(`data quality: \`device\` missing in 25% of the window (reference 0.0%, a required field) since ${new Date(Date.UTC(2026, 11, 7, 14, 0) + (size + 199 + FEATURES.length) * 100).toISOString().slice(11, 16)} UTC`);
        expect(new Set(report.alerts.map((a) => a.feature))).toEqual(new Set(['device']));
      });

      it('A/A: an identical stream never closes the gate (20 seeds)', () => {
        const flagged: string[] = [];
        for (let seed = 1; seed <= 20; seed++) {
          const { report } = run(1000 + seed, size);
          expect(report.status).not.toBe('learning');
          const e = conclude(report);
          if (e.outcome !== 'pass') flagged.push(`seed ${1000 + seed}: ${e.reasons.join('; ')}`);
        }
        expect(flagged).toEqual([]);
      });
    });
  }

  it('a type change and out-of-range values are named; a kept field the policy starts replacing is a type change', () => {
    const types = run(21, 1000, (b, i) => { if (i % 5 === 0) b.transaction.amount = String(b.transaction.amount); }).report;
    expect(types.alerts.map((a) => [a.feature, a.check])).toContainEqual(['amount', 'type']);
    expect(conclude(types).reasons).toContainEqual(expect.stringMatching(/^data quality: `amount` is not number in 20% of the window \(type changed\) since/));
    const range = run(22, 1000, (b, i) => { if (i % 10 === 0) b.transaction.hour = 30; }).report;
    expect(range.alerts.map((a) => [a.feature, a.check])).toContainEqual(['hour', 'range']);
    // The policy starts replacing the device (a new rule): the sandbox sees a pseudonym, the profile a type change.
    const cfg = qualitySchema.parse({ features: ['$.transaction.device'], referenceSize: 100, windowSize: 100, minWindow: 50 });
    const q = new RouteQuality('predict', cfg);
    const compiled = compileFeatures(cfg.features);
    const gen = new TrafficGenerator(5);
    for (let i = 0; i < 200; i++) {
      const body = gen.next();
      const anon = structuredClone(body) as unknown as Mutable;
      if (i >= 100) anon.transaction.device = 'zzzzzz';
      q.observe({ features: observeFeatures(compiled, anon, body) }, i);
    }
    const r = q.report(200);
    expect(r.features[0]).toMatchObject({ mode: 'value', window: { typeChanged: 1 } });
    expect(JSON.stringify(r)).not.toContain('zzzzzz');
  });

  it('the pseudonymized field is profiled by its shape only: no value of it in the report', () => {
    const { report } = run(3, 1000);
    const email = report.features.find((f) => f.name === 'email')!;
    expect(email).toMatchObject({ mode: 'shape', kind: 'shape', reference: { type: 'string', categories: null, min: null, max: null } });
    expect(JSON.stringify(report)).not.toMatch(/@/);
    const amount = report.features.find((f) => f.name === 'amount')!;
    expect(amount).toMatchObject({ mode: 'value', kind: 'numeric', drift: { statistic: 'ks' } });
    expect(report.features.find((f) => f.name === 'country')).toMatchObject({ mode: 'value', kind: 'categorical', drift: { statistic: 'chi2' } });
  });

  it('the gate is closed while the reference is learned, and the drift criterion counts drifted features', () => {
    const cfg = qualitySchema.parse({ features: FEATURES, referenceSize: 100 });
    const q = new RouteQuality('predict', cfg);
    expect(conclude(q.report(0))).toMatchObject({ outcome: 'inconclusive', reasons: ['data quality: the reference is being learned (0 of 100 copies)'] });
    const drifted = run(7, 1000, shift).report;
    const e = evaluate({ criteria: [{ metric: 'drift', comparator: '<=', threshold: 0, confidence: 0.95 }], minSamples: 1 }, { window: { compared: 10 }, quality: drifted });
    expect(e.criteria[0]).toMatchObject({ metric: 'drift', value: 1, status: 'fail' });
    expect(e.outcome).toBe('fail');
    const clean = run(7, 1000).report;
    expect(evaluate({ criteria: [{ metric: 'drift', comparator: '<=', threshold: 0, confidence: 0.95 }], minSamples: 1 }, { window: { compared: 10 }, quality: clean }).outcome).toBe('pass');
  });
});

describe('prediction drift (reported, not gated)', () => {
  it('the candidate\'s labels and scores against the incumbent\'s, over the window', () => {
    const cfg = qualitySchema.parse({ features: ['$.x'], referenceSize: 100, windowSize: 500, minWindow: 200 });
    const same = new RouteQuality('p', cfg);
    const moved = new RouteQuality('p', cfg);
    let s = 12345;
    const u = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296);
    for (let i = 0; i < 600; i++) {
      const label = u() < 0.3 ? 'fraud' : 'legit';
      const score = u();
      same.observe({ features: [u()], scores: [score, score] }, i, [label, label]);
      // The candidate calls 40% of the legit ones fraud and scores 0.2 higher.
      const flipped = label === 'legit' && u() < 0.4 ? 'fraud' : label;
      moved.observe({ features: [u()], scores: [score, score + 0.2] }, i, [label, flipped]);
    }
    const a = same.report(600);
    expect(a.predictions.map((p) => [p.kind, p.statistic, p.drifted])).toEqual([['label', 'chi2', false], ['score', 'ks', false]]);
    expect(a.gate.open).toBe(true);
    const b = moved.report(600);
    expect(b.predictions.map((p) => [p.kind, p.drifted])).toEqual([['label', true], ['score', true]]);
    expect(b.predictions.find((p) => p.kind === 'score')!.distance).toBeGreaterThan(0.5);
    // Reported beside the inputs: the prediction drift alone does not close the gate.
    expect(b.gate.open).toBe(true);
  });
});
