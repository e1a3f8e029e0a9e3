// Experiments over a real admin server on loopback: propose → approve (four eyes, the approver
// capability) → start → conclude on the route's real report; the canary gate (409, then 200 after a
// pass), an operator's override with its reason in the audit trail, and the analysis endpoint's criteria.
import { readFileSync, rmSync } from 'node:fs';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/admin/auth.js';
import { runCanaryCli } from '../../src/cli/admin-client.js';
import { ExperimentRegistry } from '../../src/experiments/index.js';
import { answer, exchange } from '../compare/helpers.js';
import { call, startFixture, type Fixture } from './fixture.js';

const T = { alice: 'alice-secret-1', bob: 'bob-secret-2', carol: 'carol-secret-3', viewer: 'viewer-secret-4' } as const;
const TOKENS = [
  { name: 'alice', role: 'operator', approver: true, sha256: sha256Hex(T.alice) },
  { name: 'bob', role: 'operator', approver: true, sha256: sha256Hex(T.bob) },
  { name: 'carol', role: 'admin', sha256: sha256Hex(T.carol) },
  { name: 'viewer', role: 'viewer', sha256: sha256Hex(T.viewer) },
];
const T0 = 1_764_000_000_000;

const EXPERIMENT = {
  id: 'exp-1', route: 'predict', hypothesis: 'the candidate labels as the incumbent does',
  criteria: [{ metric: 'disagreement', comparator: '<=', threshold: 0.05, confidence: 0.95 }, { metric: 'error rate delta', comparator: '<=', threshold: 0.01 }],
  owner: 'ml-team', privacyRiskAssessment: 'PRA-2026-14', rollbackPlan: 'canary weight 0',
};

let f: Fixture | undefined;
afterEach(async () => {
  await f?.close();
  if (f !== undefined) rmSync(f.dir, { recursive: true, force: true });
  f = undefined;
});

async function start(): Promise<Fixture> {
  f = await startFixture({ tokens: TOKENS }, { compare: { label: '$.label' }, experiments: new ExperimentRegistry(), now: () => T0 + 60_000 });
  return f;
}

function feed(fx: Fixture, n: number, flipEvery: number): void {
  for (let i = 0; i < n; i++) {
    fx.comparer.record(exchange({ incumbent: answer('incumbent', { label: 'a' }), candidate: answer('candidate', { label: flipEvery > 0 && i % flipEvery === 0 ? 'b' : 'a' }) }), T0 + i * 10);
  }
}

const post = (fx: Fixture, path: string, token: string, body?: unknown) => call(fx.url, 'POST', path, { token, body: body === undefined ? undefined : JSON.stringify(body) });
const auditLines = (fx: Fixture) => readFileSync(join(fx.dir, 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

describe('experiments over the admin API', () => {
  it('refuses an experiment without its required fields, and one for an unknown route', async () => {
    const fx = await start();
    const { rollbackPlan: _, ...noPlan } = EXPERIMENT;
    const bad = await post(fx, '/admin/experiments', T.alice, noPlan);
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: { code: 'SG_ERR_BAD_REQUEST', message: expect.stringContaining('rollbackPlan') } });
    expect((await post(fx, '/admin/experiments', T.alice, { ...EXPERIMENT, route: 'ghost' })).status).toBe(404);
    expect((await post(fx, '/admin/experiments', T.viewer, EXPERIMENT)).status).toBe(403);
  });

  it('four eyes: the proposer is refused 403 with the reason, a token without the approver capability too; another approver approves', async () => {
    const fx = await start();
    expect((await post(fx, '/admin/experiments', T.alice, EXPERIMENT)).status).toBe(201);
    const self = await post(fx, '/admin/experiments/exp-1/approve', T.alice);
    expect(self.status).toBe(403);
    expect(self.body).toMatchObject({ error: { code: 'SG_ERR_FORBIDDEN', message: expect.stringMatching(/four eyes: "alice" proposed/) } });
    const noCap = await post(fx, '/admin/experiments/exp-1/approve', T.carol);
    expect(noCap.status).toBe(403);
    expect(noCap.body).toMatchObject({ error: { message: expect.stringMatching(/approver capability; "carol"/) } });
    expect((await post(fx, '/admin/experiments/exp-1/approve', T.viewer)).status).toBe(403);
    const ok = await post(fx, '/admin/experiments/exp-1/approve', T.bob);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ before: { state: 'proposed' }, after: { state: 'approved' }, experiment: { approvedBy: 'bob', proposedBy: 'alice' } });
    // Out of order: conclude before start is a conflict.
    expect((await post(fx, '/admin/experiments/exp-1/conclude', T.alice)).status).toBe(409);
    const audit = auditLines(fx);
    expect(audit.map((r) => [r.action, r.token, r.result])).toEqual([
      ['experiment.propose', 'alice', 'ok'], ['experiment.approve', 'alice', 'SG_ERR_FORBIDDEN'], ['experiment.approve', 'carol', 'SG_ERR_FORBIDDEN'],
      ['experiment.approve', 'viewer', 'SG_ERR_FORBIDDEN'], ['experiment.approve', 'bob', 'ok'], ['experiment.conclude', 'alice', 'SG_ERR_CONFLICT'],
    ]);
    expect(audit[4]!.summary).toMatch(/bob \(operator, from .*\) approved the experiment exp-1: state proposed → approved/);
  });

  it('gates the canary: 409 until the experiment concluded pass on the route\'s evidence, then 200; the analysis shows each criterion', async () => {
    const fx = await start();
    await post(fx, '/admin/experiments', T.alice, EXPERIMENT);
    const gated = await call(fx.url, 'PUT', '/admin/routes/predict/canary', { token: T.alice, body: '{"weight":10}' });
    expect(gated.status).toBe(409);
    expect(gated.body).toMatchObject({ error: { code: 'SG_ERR_EXPERIMENT_GATE', message: expect.stringMatching(/experiment "exp-1" \(proposed\)/) } });
    expect((await post(fx, '/admin/routes/predict/promote', T.alice)).status).toBe(409);
    // Weight 0 is always allowed (it takes traffic away from the candidate).
    expect((await call(fx.url, 'PUT', '/admin/routes/predict/canary', { token: T.alice, body: '{"weight":0}' })).status).toBe(200);
    await post(fx, '/admin/experiments/exp-1/approve', T.bob);
    await post(fx, '/admin/experiments/exp-1/start', T.alice);
    feed(fx, 3000, 0);
    const analysis = await call(fx.url, 'GET', '/admin/analysis/predict', { token: T.viewer });
    expect(analysis.body).toMatchObject({
      experiment: {
        id: 'exp-1', state: 'running', gate: 'closed',
        evaluation: { outcome: 'pass', criteria: [{ metric: 'disagreement', status: 'pass', bounds: { low: expect.any(Number), high: expect.any(Number) } }, { metric: 'error rate delta', status: 'pass' }] },
      },
    });
    const concluded = await post(fx, '/admin/experiments/exp-1/conclude', T.alice);
    expect(concluded.status).toBe(200);
    expect(concluded.body).toMatchObject({ after: { state: 'concluded', outcome: 'pass' }, experiment: { conclusion: { outcome: 'pass', samples: 3000 } } });
    const open = await call(fx.url, 'PUT', '/admin/routes/predict/canary', { token: T.alice, body: '{"weight":10}' });
    expect(open.status).toBe(200);
    expect(((await call(fx.url, 'GET', '/admin/analysis/predict', { token: T.viewer })).body as { experiment: { gate: string } }).experiment.gate).toBe('open');
    const one = await call(fx.url, 'GET', '/admin/experiments/exp-1', { token: T.viewer });
    expect(one.body).toMatchObject({ state: 'concluded', outcome: 'pass', current: { outcome: 'pass' }, history: [{ action: 'propose' }, { action: 'approve', by: 'bob' }, { action: 'start' }, { action: 'conclude' }] });
    // Every transition is in the audit trail, with who and the state before and after.
    expect(auditLines(fx).filter((r) => String(r.action).startsWith('experiment.')).map((r) => [r.action, r.token, (r.after as { state?: string } | null)?.state])).toEqual([
      ['experiment.propose', 'alice', 'proposed'], ['experiment.approve', 'bob', 'approved'], ['experiment.start', 'alice', 'running'], ['experiment.conclude', 'alice', 'concluded'],
    ]);
  });

  it('concludes fail on evidence of a worse candidate, and the gate stays closed', async () => {
    const fx = await start();
    await post(fx, '/admin/experiments', T.alice, EXPERIMENT);
    await post(fx, '/admin/experiments/exp-1/approve', T.bob);
    await post(fx, '/admin/experiments/exp-1/start', T.alice);
    feed(fx, 400, 3);
    const concluded = await post(fx, '/admin/experiments/exp-1/conclude', T.alice);
    expect(concluded.body).toMatchObject({ after: { outcome: 'fail' }, experiment: { conclusion: { criteria: [{ metric: 'disagreement', status: 'fail' }, {}] } } });
    const gated = await call(fx.url, 'PUT', '/admin/routes/predict/canary', { token: T.alice, body: '{"weight":5}' });
    expect(gated.body).toMatchObject({ error: { code: 'SG_ERR_EXPERIMENT_GATE', message: expect.stringMatching(/concluded fail/) } });
  });

  it('an operator overrides the gate only with a reason, and the override is audited with it', async () => {
    const fx = await start();
    await post(fx, '/admin/experiments', T.alice, EXPERIMENT);
    const noReason = await call(fx.url, 'PUT', '/admin/routes/predict/canary', { token: T.bob, body: '{"weight":10,"override":true}' });
    expect(noReason.status).toBe(400);
    const over = await call(fx.url, 'PUT', '/admin/routes/predict/canary', { token: T.bob, body: '{"weight":10,"override":true,"reason":"hotfix INC-42: the incumbent leaks memory"}' });
    expect(over.status).toBe(200);
    expect(fx.runtime.route('predict')!.weight.value).toBe(10);
    const audit = auditLines(fx);
    const record = audit.find((r) => r.action === 'experiment.override')!;
    expect(record).toMatchObject({ token: 'bob', role: 'operator', route: 'predict', reason: 'hotfix INC-42: the incumbent leaks memory', before: { id: 'exp-1', state: 'proposed' } });
    expect(record.summary).toMatch(/bob .* overrode the experiment gate of predict; reason: hotfix INC-42/);
    expect(audit.at(-1)).toMatchObject({ action: 'canary.set', token: 'bob', result: 'ok', after: { weight: 10 } });
    const promoted = await post(fx, '/admin/routes/predict/promote', T.bob, { override: true, reason: 'rollback plan rehearsal' });
    expect(promoted.status).toBe(200);
  });

  it('shadowgate canary set: refused (exit 1) with the gate\'s reason; --override REASON passes, audited', async () => {
    const fx = await start();
    await post(fx, '/admin/experiments', T.alice, EXPERIMENT);
    let err = '';
    const io = {
      stdout: new Writable({ write(_c: Buffer, _e, cb) { cb(); } }),
      stderr: new Writable({ write(c: Buffer, _e, cb) { err += c.toString(); cb(); } }),
      env: { SHADOWGATE_ADMIN_URL: fx.url, SHADOWGATE_TOKEN: T.bob },
    };
    expect(await runCanaryCli(['set', 'predict', '20'], io)).toBe(1);
    expect(err).toMatch(/SG_ERR_EXPERIMENT_GATE|experiment "exp-1"/);
    expect(await runCanaryCli(['set', 'predict', '20', '--override', 'load test in staging'], io)).toBe(0);
    expect(auditLines(fx).find((r) => r.action === 'experiment.override')).toMatchObject({ token: 'bob', reason: 'load test in staging' });
    expect(await runCanaryCli(['rollback', 'predict', '--override', 'x'], io)).toBe(2);
  });
});
