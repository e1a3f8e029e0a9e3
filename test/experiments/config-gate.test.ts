// The experiment gate on a configuration reload, in a real shadowgate: a reload that raises a gated
// candidate's canary weight, or adds a rollout that starts itself, is refused with the reason and the
// running configuration stays; lowering it, or raising it once the experiment concluded pass, goes through.
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { Evaluation } from '../../src/experiments/index.js';
import { startFromYaml, TEST_KEY } from '../helpers/app.js';
import { tempDir } from '../helpers/run.js';

const dir = tempDir('sg-config-gate-');
const yaml = (canary: string, extra = '') => `
admin: { stateFile: ${join(dir, 'state.json')}, auditFile: ${join(dir, 'audit.jsonl')}, experimentsFile: ${join(dir, 'experiments.json')} }
upstreams: { incumbent: { url: "http://127.0.0.1:9" }, candidate: { url: "http://127.0.0.1:9" } }
routes: [{ name: predict, match: { pathPrefix: / }, primary: incumbent, canary: ${canary} }]
experiments:
  - { id: predict-v2, route: predict, hypothesis: h, criteria: [{ metric: disagreement, comparator: "<=", threshold: 0.05 }], owner: o, privacyRiskAssessment: p, rollbackPlan: r }
${extra}`;
const config = (text: string) => parseConfig(text, { env: { SHADOWGATE_KEY: TEST_KEY } });

let gw: Awaited<ReturnType<typeof startFromYaml>> | undefined;
afterAll(async () => {
  await gw?.close();
});

it('refuses a reload that gives a gated candidate traffic, with the reason; lets a pass through', async () => {
  gw = await startFromYaml(yaml('{ upstream: candidate, weight: 0 }'));
  const weight = () => gw!.app.routing.route('predict')?.weight.value;

  const raised = await gw.app.reload(config(yaml('{ upstream: candidate, weight: 20 }')));
  expect(raised).toMatchObject({ ok: false });
  const problem = (raised as { problems: string[] }).problems.join('\n');
  expect(problem).toContain('route "predict": canary.weight 20 (was 0) would give candidate "candidate" live traffic, but route "predict"\'s candidate is bound to experiment "predict-v2" (proposed)');
  expect(weight()).toBe(0);

  const rollout = await gw.app.reload(config(yaml('{ upstream: candidate, weight: 0, rollout: { steps: [5, 50], stepDuration: 1m } }')));
  expect((rollout as { problems: string[] }).problems.join('\n')).toContain('canary.rollout with autoStart would give candidate "candidate" live traffic');
  expect(gw.app.routing.route('predict')).toMatchObject({ state: 'static' });
  // An idle rollout (no autoStart) is allowed: it gives no traffic until resumed, and resume is gated.
  expect(await gw.app.reload(config(yaml('{ upstream: candidate, weight: 0, rollout: { steps: [5, 50], stepDuration: 1m, autoStart: false } }')))).toEqual({ ok: true });

  // A new experiment in the same file closes the gate for its candidate at once.
  const added = await gw.app.reload(config(yaml('{ upstream: candidate, weight: 20 }', `  - { id: predict-v3, route: predict, candidate: candidate, hypothesis: h, criteria: [{ metric: agreement, comparator: ">=", threshold: 0.9 }], owner: o, privacyRiskAssessment: p, rollbackPlan: r }`)));
  expect((added as { problems: string[] }).problems.join('\n')).toMatch(/bound to experiment "predict-v(2|3)"/);

  // Once the experiment concluded pass, the same reload goes through.
  const reg = gw.app.experiments;
  const pass: Evaluation = { samples: 100, minSamples: 50, minSamplesFrom: 'experiment', criteria: [], outcome: 'pass', reasons: [] };
  reg.apply('predict-v2', 'approve', { name: 'lead', approver: true });
  reg.apply('predict-v2', 'start', { name: 'alice', approver: false });
  reg.apply('predict-v2', 'conclude', { name: 'alice', approver: false }, pass);
  expect(await gw.app.reload(config(yaml('{ upstream: candidate, weight: 20 }')))).toEqual({ ok: true });
  expect(weight()).toBe(20);
  // Lowering is never gated.
  expect(await gw.app.reload(config(yaml('{ upstream: candidate, weight: 5 }')))).toEqual({ ok: true });
});
