// The fleet's alert rules parse with promtool and name only metrics shadowgate exports.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { expect, it } from 'vitest';
import { hasBinary, skipNote } from '../helpers/binaries.js';
import { createMetrics } from '../../src/observe/metrics.js';

const RULES = fileURLToPath(new URL('../../deploy/prometheus/shadowgate-fleet.rules.yml', import.meta.url));
const promtool = hasBinary('promtool');
if (!promtool) console.warn(skipNote('promtool', 'the fleet alert rules'));

it.runIf(promtool)('deploy/prometheus/shadowgate-fleet.rules.yml passes promtool check rules', () => {
  const r = spawnSync('promtool', ['check', 'rules', RULES], { encoding: 'utf8' });
  expect(r.stdout + r.stderr).toContain('SUCCESS: 2 rules found');
  expect(r.status).toBe(0);
});

it('names only metrics shadowgate exports', async () => {
  const exported = new Set((await createMetrics(new Registry()).registry.getMetricsAsJSON()).map((m) => m.name));
  const named = [...readFileSync(RULES, 'utf8').matchAll(/\b(shadowgate_[a-z_]+)/g)].map((m) => m[1]!);
  expect(named.length).toBeGreaterThan(0);
  expect(named.filter((n) => !exported.has(n))).toEqual([]);
});
