// The gate in a real shadowgate (proxy + admin from YAML): a configured experiment closes the canary of its
// route's candidate (409 with the reason) and the analysis endpoint lists its criteria.
import { afterAll, expect, it } from 'vitest';
import { startFromYaml } from '../helpers/app.js';

let gw: Awaited<ReturnType<typeof startFromYaml>> | undefined;
afterAll(async () => {
  await gw?.close();
});

it('a configured experiment gates the canary of a real shadowgate, and the analysis shows its criteria', async () => {
  gw = await startFromYaml(`
upstreams: { incumbent: { url: "http://127.0.0.1:9" }, candidate: { url: "http://127.0.0.1:9" } }
routes: [{ name: predict, match: { pathPrefix: / }, primary: incumbent, canary: { upstream: candidate, weight: 0 } }]
experiments:
  - id: predict-v2
    route: predict
    hypothesis: v2 labels as v1 does
    criteria: [{ metric: disagreement, comparator: "<=", threshold: 0.05 }]
    owner: ml-platform
    privacyRiskAssessment: PRA-1
    rollbackPlan: weight 0
`);
  const put = await fetch(`${gw.adminUrl}/admin/routes/predict/canary`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"weight":5}' });
  expect(put.status).toBe(409);
  expect(await put.json()).toMatchObject({ error: { code: 'SG_ERR_EXPERIMENT_GATE', message: expect.stringContaining('"predict-v2" (proposed)') } });
  const analysis = await (await fetch(`${gw.adminUrl}/admin/analysis/predict`)).json() as { experiment: unknown };
  expect(analysis.experiment).toMatchObject({ id: 'predict-v2', gate: 'closed', evaluation: { criteria: [{ metric: 'disagreement', status: 'pending' }] } });
  // Loopback without tokens: one anonymous identity, no approver — approval is refused (four eyes).
  const approve = await fetch(`${gw.adminUrl}/admin/experiments/predict-v2/approve`, { method: 'POST', headers: { 'content-type': 'application/json' } });
  expect(approve.status).toBe(403);
  const start = await fetch(`${gw.adminUrl}/admin/experiments`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id: 'predict-v3', route: 'predict', hypothesis: 'h', criteria: [{ metric: 'agreement', comparator: '>=', threshold: 0.9 }], owner: 'o', privacyRiskAssessment: 'p', rollbackPlan: 'r' }),
  });
  expect(start.status).toBe(201);
  expect(gw.app.experiments.list().map((e) => [e.id, e.state, e.proposedBy])).toEqual([['predict-v2', 'proposed', 'config'], ['predict-v3', 'proposed', 'anonymous']]);
});

it('resuming (starting) a rollout is gated too: 409 while the experiment runs, then through with an audited override', async () => {
  const rollout = await startFromYaml(`
upstreams: { incumbent: { url: "http://127.0.0.1:9" }, candidate: { url: "http://127.0.0.1:9" } }
routes:
  - name: predict
    match: { pathPrefix: / }
    primary: incumbent
    canary: { upstream: candidate, weight: 0, rollout: { steps: [5, 50], stepDuration: 1m, autoStart: false } }
experiments:
  - { id: predict-v2, route: predict, hypothesis: h, criteria: [{ metric: disagreement, comparator: "<=", threshold: 0.05 }], owner: o, privacyRiskAssessment: p, rollbackPlan: r }
`);
  try {
    const json = { 'content-type': 'application/json' };
    const refused = await fetch(`${rollout.adminUrl}/admin/routes/predict/resume`, { method: 'POST', headers: json });
    expect(refused.status).toBe(409);
    expect(await refused.json()).toMatchObject({ error: { code: 'SG_ERR_EXPERIMENT_GATE' } });
    expect(rollout.app.routing.route('predict')).toMatchObject({ state: 'idle' });
    const noReason = await fetch(`${rollout.adminUrl}/admin/routes/predict/resume`, { method: 'POST', headers: json, body: '{"override":true}' });
    expect(noReason.status).toBe(400);
    const forced = await fetch(`${rollout.adminUrl}/admin/routes/predict/resume`, { method: 'POST', headers: json, body: '{"override":true,"reason":"INC-7"}' });
    expect(forced.status).toBe(200);
    expect(rollout.app.routing.route('predict')).toMatchObject({ state: 'running' });
    const audit = await (await fetch(`${rollout.adminUrl}/admin/audit`)).json() as { records: { action: string; reason?: string }[] };
    expect(audit.records.map((r) => r.action)).toEqual(expect.arrayContaining(['experiment.override', 'canary.resume']));
    expect(audit.records.find((r) => r.action === 'experiment.override')?.reason).toBe('INC-7');
  } finally {
    await rollout.close();
  }
});
