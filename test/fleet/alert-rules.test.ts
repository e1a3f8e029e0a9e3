// The fleet's alerts (a replica without its state backend, a fleet without a judge) are in the one rules file,
// which promtool accepts.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { hasBinary, skipNote } from '../helpers/binaries.js';

const RULES = fileURLToPath(new URL('../../deploy/prometheus/shadowgate-rules.yaml', import.meta.url));
const promtool = hasBinary('promtool');
if (!promtool) console.warn(skipNote('promtool', 'the fleet alert rules'));

it.runIf(promtool)('deploy/prometheus/shadowgate-rules.yaml, with the fleet alerts, passes promtool check rules', () => {
  const r = spawnSync('promtool', ['check', 'rules', RULES], { encoding: 'utf8' });
  expect(r.stdout + r.stderr).toMatch(/SUCCESS: \d+ rules found/);
  const text = readFileSync(RULES, 'utf8');
  for (const alert of ['ShadowgateStateBackendDown', 'ShadowgateNoFleetJudge']) expect(text).toContain(`alert: ${alert}`);
  expect(r.status).toBe(0);
});

// Which metric names the rules may use is checked for the whole file by test/console/alert-rules.test.ts.
