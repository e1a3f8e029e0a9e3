// The experiment lifecycle as a table (every state × every action), four eyes, and criteria judged on
// the bounds of a real comparison report (RouteComparer fed seeded exchanges), not on point estimates.
import { describe, expect, it } from 'vitest';
import { RouteComparer } from '../../src/compare/index.js';
import { experimentSchema } from '../../src/config/schema/experiments.js';
import { parseConfig } from '../../src/config/load.js';
import { approvalRefusal, evaluate, ExperimentRegistry, transition, type ExperimentAction, type ExperimentState } from '../../src/experiments/index.js';
import { answer, compareConfig, exchange } from '../compare/helpers.js';

const TABLE: readonly [ExperimentState, ExperimentAction, ExperimentState | 'refused'][] = [
  ['proposed', 'approve', 'approved'], ['proposed', 'start', 'refused'], ['proposed', 'conclude', 'refused'],
  ['approved', 'approve', 'refused'], ['approved', 'start', 'running'], ['approved', 'conclude', 'refused'],
  ['running', 'approve', 'refused'], ['running', 'start', 'refused'], ['running', 'conclude', 'concluded'],
  ['concluded', 'approve', 'refused'], ['concluded', 'start', 'refused'], ['concluded', 'conclude', 'refused'],
];

describe('lifecycle', () => {
  it.each(TABLE)('%s + %s → %s', (state, action, expected) => {
    const t = transition(state, action);
    if (expected === 'refused') {
      expect(t.ok).toBe(false);
      expect(t.ok ? '' : t.reason).toMatch(action === 'approve' ? /approve|concluded/ : new RegExp(`${action}|concluded`));
    } else {
      expect(t).toEqual({ ok: true, next: expected });
    }
  });

  it('four eyes: the proposer never approves; a non-approver never does', () => {
    expect(approvalRefusal('alice', 'alice', true)).toMatch(/four eyes.*alice/);
    expect(approvalRefusal('alice', 'bob', false)).toMatch(/approver/);
    expect(approvalRefusal('alice', 'bob', true)).toBeUndefined();
  });
});

const EXPERIMENT = experimentSchema.parse({
  id: 'exp-1', route: 'predict', hypothesis: 'the candidate labels as the incumbent does, no slower',
  criteria: [
    { metric: 'disagreement', comparator: '<=', threshold: 0.05, confidence: 0.95 },
    { metric: 'agreement', comparator: '>=', threshold: 0.95 },
    { metric: 'field regressions', comparator: '<=', threshold: 0 },
  ],
  owner: 'ml-team', privacyRiskAssessment: 'PRA-2026-14', rollbackPlan: 'set the canary weight to 0; the incumbent serves all',
});

/** A report of `n` compared exchanges where the candidate's label differs on every `flipEvery`-th one. */
function reportOf(n: number, flipEvery: number): unknown {
  const c = new RouteComparer('predict', compareConfig({ label: '$.label' }));
  const t0 = 1_764_000_000_000;
  for (let i = 0; i < n; i++) {
    c.record(exchange({ incumbent: answer('incumbent', { label: 'a' }), candidate: answer('candidate', { label: flipEvery > 0 && i % flipEvery === 0 ? 'b' : 'a' }) }), t0 + i * 10);
  }
  return c.report(t0 + n * 10);
}

describe('criteria on a real report', () => {
  it('passes when every bound is past its threshold with the sample the power calculation needs', () => {
    const e = evaluate(EXPERIMENT, reportOf(3000, 0));
    expect(e.outcome).toBe('pass');
    expect(e.minSamplesFrom).toBe('power');
    expect(e.samples).toBeGreaterThanOrEqual(e.minSamples!);
    expect(e.criteria.map((c) => c.status)).toEqual(['pass', 'pass', 'pass']);
    const d = e.criteria[0]!;
    expect(d.bounds!.high).toBeLessThanOrEqual(0.05);
  });

  it('fails when a bound is past the threshold the wrong way (30% of labels flipped)', () => {
    const e = evaluate(EXPERIMENT, reportOf(400, 3));
    expect(e.outcome).toBe('fail');
    expect(e.criteria[0]).toMatchObject({ metric: 'disagreement', status: 'fail' });
    expect(e.criteria[0]!.bounds!.low).toBeGreaterThan(0.05);
    expect(e.reasons.join('\n')).toMatch(/failed: disagreement/);
  });

  it('is inconclusive, with the reason, below the minimum sample or while a bound straddles its threshold', () => {
    const few = evaluate(EXPERIMENT, reportOf(60, 0));
    expect(few.outcome).toBe('inconclusive');
    expect(few.reasons.join('\n')).toMatch(/pending: disagreement|compared exchanges of the \d+ needed/);
    const strict = evaluate({ ...EXPERIMENT, minSamples: 100_000 }, reportOf(3000, 0));
    expect(strict.outcome).toBe('inconclusive');
    expect(strict.reasons).toContain('3000 compared exchanges of the 100000 needed (the experiment\'s minSamples)');
    expect(evaluate(EXPERIMENT, undefined)).toMatchObject({ outcome: 'inconclusive', reasons: ['the route has no comparison report yet'] });
  });

  it('a criterion asking more confidence than the report\'s bounds hold stays pending', () => {
    const e = evaluate({ ...EXPERIMENT, criteria: [{ metric: 'disagreement', comparator: '<=', threshold: 0.05, confidence: 0.999 }] }, reportOf(3000, 0), 0.95);
    expect(e.outcome).toBe('inconclusive');
    expect(e.criteria[0]!.detail).toMatch(/0\.999 confidence/);
  });
});

describe('registry and config', () => {
  it('the gate is closed until the latest experiment of the route\'s candidate concluded pass', () => {
    const reg = new ExperimentRegistry([EXPERIMENT]);
    expect(reg.gate('predict', 'candidate')?.reason).toMatch(/exp-1.*proposed.*concluded pass/);
    expect(reg.gate('other', 'candidate')).toBeUndefined();
    reg.apply('exp-1', 'approve', { name: 'bob', approver: true });
    reg.apply('exp-1', 'start', { name: 'alice', approver: false });
    reg.apply('exp-1', 'conclude', { name: 'alice', approver: false }, evaluate(EXPERIMENT, reportOf(3000, 0)));
    expect(reg.get('exp-1')).toMatchObject({ state: 'concluded', outcome: 'pass', approvedBy: 'bob', proposedBy: 'config' });
    expect(reg.gate('predict', 'candidate')).toBeUndefined();
    // A different candidate of the route is not bound by an experiment about another one.
    reg.propose({ ...EXPERIMENT, id: 'exp-2', candidate: 'candidate-v3' }, 'alice');
    expect(reg.gate('predict', 'candidate')).toBeUndefined();
    expect(reg.gate('predict', 'candidate-v3')?.experiment.id).toBe('exp-2');
  });

  it('config: required fields, known route and candidate, unique ids', () => {
    const base = {
      upstreams: { a: { url: 'http://127.0.0.1:9' }, b: { url: 'http://127.0.0.1:9' } },
      routes: [{ name: 'predict', primary: 'a', canary: { upstream: 'b', weight: 0 } }],
    };
    const ok = parseConfig(JSON.stringify({ ...base, experiments: [{ ...EXPERIMENT, candidate: 'b' }] }));
    expect(ok.experiments[0]).toMatchObject({ id: 'exp-1', criteria: [{ confidence: 0.95 }, { confidence: 0.95 }, { confidence: 0.95 }] });
    const { rollbackPlan: _, ...noPlan } = EXPERIMENT;
    expect(() => parseConfig(JSON.stringify({ ...base, experiments: [noPlan] }))).toThrow(/experiments\.0\.rollbackPlan|experiments\[0\]\.rollbackPlan/);
    expect(() => parseConfig(JSON.stringify({ ...base, experiments: [{ ...EXPERIMENT, route: 'ghost', candidate: 'z' }, EXPERIMENT, EXPERIMENT] })))
      .toThrow(/unknown route "ghost"[\s\S]*unknown upstream "z"[\s\S]*duplicate experiment id "exp-1"/);
  });
});

describe('experiments file', () => {
  it('keeps each experiment\'s state across a restart; a configured one is not reset by it', async () => {
    const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'sg-exp-'));
    try {
      const file = join(dir, 'sub', 'experiments.json');
      const reg = new ExperimentRegistry([EXPERIMENT], file);
      reg.apply('exp-1', 'approve', { name: 'bob', approver: true });
      reg.propose({ ...EXPERIMENT, id: 'exp-2' }, 'alice');
      const again = new ExperimentRegistry([EXPERIMENT], file);
      expect(again.get('exp-1')).toMatchObject({ state: 'approved', approvedBy: 'bob' });
      expect(again.get('exp-2')).toMatchObject({ state: 'proposed', proposedBy: 'alice' });
      writeFileSync(file, '{not json');
      expect(() => new ExperimentRegistry([], file)).toThrow(/not valid JSON/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('config/example.yaml', () => {
  it('its commented experiment parses once uncommented', async () => {
    const { readFileSync } = await import('node:fs');
    const text = readFileSync(new URL('../../config/example.yaml', import.meta.url), 'utf8');
    const block = text.slice(text.indexOf('# experiments:')).split('\n').map((l) => l.replace(/^# ?/, '')).join('\n');
    const cfg = parseConfig(text.slice(0, text.indexOf('# experiments:')) + block, { env: { SHADOWGATE_KEY: 'k'.repeat(44) } });
    expect(cfg.experiments).toMatchObject([{ id: 'predict-v2', route: 'predict', criteria: [{ metric: 'disagreement' }, { metric: 'error rate delta' }, { metric: 'latency p99 ratio' }] }]);
  });
});
