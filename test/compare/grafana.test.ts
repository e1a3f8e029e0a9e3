// The Grafana dashboard only queries what shadowgate exports: every metric name in its PromQL is one
// createMetrics() registers (histograms via _bucket/_sum/_count), every label it filters or groups by
// exists on those metrics, and promtool (when installed) parses every expression.
import { hasBinary, skipNote } from '../helpers/binaries.js';
import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/observe/metrics.js';
import { tempDir } from '../helpers/run.js';

const dashboardPath = new URL('../../deploy/grafana/shadowgate.json', import.meta.url);

interface Target { readonly expr: string }
interface Panel { readonly type: string; readonly title: string; readonly targets?: readonly Target[] }
interface Dashboard {
  readonly panels: readonly Panel[];
  readonly templating: { readonly list: readonly { readonly name: string; readonly query: unknown }[] };
}

const dashboard = JSON.parse(readFileSync(dashboardPath, 'utf8')) as Dashboard;

function expressions(): string[] {
  const out: string[] = [];
  for (const p of dashboard.panels) for (const t of p.targets ?? []) out.push(t.expr);
  for (const v of dashboard.templating.list) {
    const q = v.query;
    if (q && typeof q === 'object' && 'query' in q && typeof q.query === 'string') out.push(q.query.replace(/^label_values\((\w+),\s*\w+\)$/, '$1'));
  }
  return out;
}

/** Exported series names → the labels each carries. */
function exported(): Map<string, readonly string[]> {
  const { registry } = createMetrics();
  const names = new Map<string, readonly string[]>();
  for (const m of registry.getMetricsAsArray()) {
    const labels = (m as typeof m & { labelNames?: readonly string[] }).labelNames ?? [];
    if (String(m.type) === 'histogram') {
      names.set(`${m.name}_bucket`, [...labels, 'le']);
      names.set(`${m.name}_sum`, labels);
      names.set(`${m.name}_count`, labels);
    } else {
      names.set(m.name, labels);
    }
  }
  return names;
}

describe('deploy/grafana/shadowgate.json', () => {
  const exprs = expressions();
  const metrics = exported();

  it('has panels with queries', () => {
    expect(dashboard.panels.filter((p) => p.type !== 'row').length).toBeGreaterThanOrEqual(20);
    expect(exprs.every((e) => e.length > 0)).toBe(true);
  });

  it('references only metric names that createMetrics() registers', () => {
    const referenced = new Set(exprs.flatMap((e) => [...e.matchAll(/\bshadowgate_[a-z0-9_]+/g)].map((m) => m[0])));
    expect(referenced.size).toBeGreaterThanOrEqual(15);
    expect([...referenced].filter((name) => !metrics.has(name))).toEqual([]);
  });

  it('filters and groups only by labels those metrics carry', () => {
    const problems: string[] = [];
    for (const e of exprs) {
      const names = [...e.matchAll(/\bshadowgate_[a-z0-9_]+/g)].map((m) => m[0]);
      // instance and job are the target labels Prometheus adds to every scraped series.
      const allowed = new Set(['instance', 'job', ...names.flatMap((n) => metrics.get(n) ?? [])]);
      const used = [
        ...[...e.matchAll(/\{([^}]*)\}/g)].flatMap((m) => [...m[1]!.matchAll(/(\w+)\s*(?:=~|!~|!=|=)/g)].map((l) => l[1]!)),
        ...[...e.matchAll(/\bby\s*\(([^)]*)\)/g)].flatMap((m) => m[1]!.split(',').map((s) => s.trim()).filter(Boolean)),
      ];
      for (const label of used) if (!allowed.has(label)) problems.push(`${label} in ${e}`);
    }
    expect(problems).toEqual([]);
  });

  it('every expression parses with promtool', async (ctx) => {
    if (!hasBinary('promtool')) return ctx.skip(skipNote('promtool', 'dashboard PromQL syntax'));
    const dir = tempDir('sg-grafana-');
    try {
      const rules = exprs.filter((e) => e.includes('(') || e.includes('{'))
        .map((e, i) => `      - record: dashboard:expr_${i}\n        expr: ${JSON.stringify(e.replaceAll('$route', '.*').replaceAll('$instance', '.*'))}`);
      const file = join(dir, 'rules.yml');
      writeFileSync(file, `groups:\n  - name: dashboard\n    rules:\n${rules.join('\n')}\n`);
      const { stdout } = await promisify(execFile)('promtool', ['check', 'rules', file]);
      expect(stdout).toMatch(/SUCCESS: \d+ rules found/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
