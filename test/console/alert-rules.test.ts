// The shipped alert rules (deploy/prometheus): promtool accepts them and its unit tests pass (each alert
// fires on its incident and stays quiet before and after), and they only query metrics shadowgate exports.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createMetrics } from '../../src/observe/metrics.js';
import { hasBinary, skipNote } from '../helpers/binaries.js';

const run = promisify(execFile);
const rulesPath = fileURLToPath(new URL('../../deploy/prometheus/shadowgate-rules.yaml', import.meta.url));
const testsPath = fileURLToPath(new URL('../../deploy/prometheus/shadowgate-rules.test.yaml', import.meta.url));
const promtool = hasBinary('promtool');

interface Rule { readonly alert?: string; readonly record?: string; readonly expr: string }
const rules = (parse(readFileSync(rulesPath, 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);


describe('alert rules', () => {
  it('ships the alerts the operator needs', () => {
    expect(rules.flatMap((r) => (r.alert ? [r.alert] : [])).sort()).toEqual([
      'ShadowgateCanaryRolledBack', 'ShadowgateLeakGuardDropping', 'ShadowgateNoFleetJudge', 'ShadowgateP99Regression', 'ShadowgateRolloutStepOverdue', 'ShadowgateShadowCopiesShed',
      'ShadowgateSliceFlagged', 'ShadowgateStateBackendDown',
    ]);
  });

  it('queries only metrics shadowgate exports (histograms through _bucket/_count)', async () => {
    const registry = new Registry();
    createMetrics(registry, { defaults: false });
    const exported = new Set<string>();
    for (const m of await registry.getMetricsAsJSON()) {
      exported.add(m.name);
      if (String(m.type) === 'histogram') for (const s of ['_bucket', '_count', '_sum']) exported.add(m.name + s);
    }
    const recorded = new Set(rules.flatMap((r) => (r.record ? [r.record] : [])));
    const used = new Set(rules.flatMap((r) => [...r.expr.matchAll(/\b(shadowgate[:_][a-z0-9_:]+)/g)].map((m) => m[1]!)));
    const unknown = [...used].filter((n) => !exported.has(n) && !recorded.has(n));
    expect(unknown).toEqual([]);
  });

  it('promtool check rules accepts the file', async (ctx) => {
    if (!promtool) return ctx.skip(skipNote('promtool', 'the alert rules\' syntax'));
    const { stdout } = await run('promtool', ['check', 'rules', rulesPath]);
    expect(stdout).toMatch(/SUCCESS: 10 rules found/);
  });

  it('promtool test rules: each alert fires on its incident and is quiet before and after', async (ctx) => {
    if (!promtool) return ctx.skip(skipNote('promtool', 'the alert rules\' unit tests'));
    const r = await run('promtool', ['test', 'rules', testsPath]).catch((err: { stdout?: string; stderr?: string }) => ({ stdout: `${err.stdout ?? ''}${err.stderr ?? ''}`, failed: true }));
    expect(r.stdout).toContain('SUCCESS');
    expect('failed' in r).toBe(false);
  });
});
