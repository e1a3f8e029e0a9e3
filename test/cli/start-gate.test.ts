// The experiment gate on the configuration a process starts with (issue 24): `serve` and `check-config`
// refuse a file that gives a gated candidate live traffic from the start — a canary weight above 0, or a
// rollout that starts itself — naming the path in the file and exiting 2; an experiment concluded pass,
// or an override recorded in the audit trail for the experiment as it stands, lets it start. The real CLI (dist/).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { runCli, startCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/run.js';

const experiment = { id: 'predict-v2', route: 'predict', hypothesis: 'h', criteria: [{ metric: 'disagreement', comparator: '<=', threshold: 0.05 }], owner: 'o', privacyRiskAssessment: 'p', rollbackPlan: 'r' };

function setup(canary: string): { dir: string; file: string } {
  const dir = tempDir('sg-start-gate-');
  const file = join(dir, 'shadowgate.yaml');
  writeFileSync(file, `
server: { port: 0 }
admin: { port: 0, stateFile: ${join(dir, 'state.json')}, auditFile: ${join(dir, 'audit.jsonl')}, experimentsFile: ${join(dir, 'experiments.json')} }
upstreams: { incumbent: { url: "http://127.0.0.1:9" }, candidate: { url: "http://127.0.0.1:9" } }
routes:
  - name: predict
    match: { pathPrefix: / }
    primary: incumbent
    canary: ${canary}
experiments:
  - ${JSON.stringify(experiment)}
`);
  return { dir, file };
}

function experimentsFile(dir: string, state: string, outcome: string | null): void {
  const e = { ...experiment, state, outcome, proposedBy: 'config', approvedBy: 'lead', conclusion: null, history: [] };
  writeFileSync(join(dir, 'experiments.json'), JSON.stringify({ experiments: [e] }));
}

it('refuses to start with a gated candidate\'s canary weight above 0: check-config and serve exit 2 naming the path', async () => {
  const { file } = setup('{ upstream: candidate, weight: 20 }');
  const checked = await runCli(['check-config', '--config', file]);
  expect(checked.code).toBe(2);
  expect(checked.stderr).toContain(`${file}: routes[0].canary.weight: a canary weight of 20 at start would give candidate "candidate" of route "predict" live traffic, but route "predict"'s candidate is bound to experiment "predict-v2" (proposed): a canary needs it concluded pass`);
  expect(checked.stderr).toContain(`${file}: the experiment gate refuses to start with this configuration (1 problem) (SG_ERR_EXPERIMENT_GATE)`);
  const served = await runCli(['serve', '--config', file]);
  expect(served.code).toBe(2);
  expect(served.stderr).toBe(checked.stderr);
});

it('refuses a rollout that starts itself; an idle rollout and weight 0 start', async () => {
  const auto = setup('{ upstream: candidate, weight: 0, rollout: { steps: [5, 50], stepDuration: 1m } }');
  const refused = await runCli(['check-config', '--config', auto.file]);
  expect(refused.code).toBe(2);
  expect(refused.stderr).toContain(`${auto.file}: routes[0].canary.rollout.autoStart: a rollout that starts itself would give candidate "candidate"`);
  expect((await runCli(['serve', '--config', auto.file])).code).toBe(2);

  const idle = setup('{ upstream: candidate, weight: 0, rollout: { steps: [5, 50], stepDuration: 1m, autoStart: false } }');
  expect(await runCli(['check-config', '--config', idle.file])).toMatchObject({ code: 0, stderr: '' });
  const zero = setup('{ upstream: candidate, weight: 0 }');
  expect(await runCli(['check-config', '--config', zero.file])).toMatchObject({ code: 0, stderr: '' });
});

it('lets the start through once the experiment concluded pass (serve listens), not when it concluded fail', async () => {
  const { dir, file } = setup('{ upstream: candidate, weight: 20 }');
  experimentsFile(dir, 'concluded', 'fail');
  const failed = await runCli(['check-config', '--config', file]);
  expect(failed.code).toBe(2);
  expect(failed.stderr).toContain('(concluded fail): a canary needs it concluded pass');

  experimentsFile(dir, 'concluded', 'pass');
  expect(await runCli(['check-config', '--config', file])).toMatchObject({ code: 0, stderr: '' });
  const { child, exited } = await startCli(['serve', '--config', file], (l) => l.msg === 'shadowgate listening');
  try {
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

it('lets the start through with an override recorded in the audit trail for the experiment as it stands', async () => {
  const { dir, file } = setup('{ upstream: candidate, weight: 20 }');
  const override = (state: string) => `${JSON.stringify({
    time: new Date().toISOString(), token: 'ops', role: 'operator', source: '127.0.0.1', action: 'experiment.override', route: 'predict',
    before: { id: 'predict-v2', route: 'predict', state, outcome: null }, after: null, result: 'ok', reason: 'incident 42: the incumbent is down',
  })}\n`;
  // An override of the experiment while it was still proposed no longer counts once it runs.
  experimentsFile(dir, 'running', null);
  writeFileSync(join(dir, 'audit.jsonl'), override('proposed'));
  expect((await runCli(['check-config', '--config', file])).code).toBe(2);
  writeFileSync(join(dir, 'audit.jsonl'), override('proposed') + override('running'));
  expect(await runCli(['check-config', '--config', file])).toMatchObject({ code: 0, stderr: '' });
});
