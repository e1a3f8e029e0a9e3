// Per-route results live beside the route, per config generation (src/app/route-results.ts): a reload that
// keeps a route's comparison keeps its tallies, one that changes it starts afresh, and a route without
// comparison has none. The cluster primary is a state backend kind of its own (src/state/primary.ts),
// shown in /admin/fleet as the store underneath it.
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { RouteResults } from '../../src/app/route-results.js';
import { parseConfig } from '../../src/config/load.js';
import type { RouteConfig } from '../../src/config/schema.js';
import { silentLogger } from '../../src/observe/log.js';
import { createMetrics } from '../../src/observe/metrics.js';
import { fleetViewOf } from '../../src/state/evidence.js';
import { PrimaryBackend } from '../../src/state/primary.js';
import { tempDir } from '../helpers/run.js';

function route(compare: Record<string, unknown> | undefined): RouteConfig {
  const cfg = parseConfig(JSON.stringify({
    upstreams: { a: { url: 'http://127.0.0.1:9' }, b: { url: 'http://127.0.0.1:9' } },
    anonymize: { key: 'k'.repeat(32), policies: { p: {} } },
    routes: [{ name: 'r', primary: 'a', ...(compare ? { shadow: { targets: ['a', 'b'], policy: 'p', compare } } : {}) }],
  }));
  return cfg.routes[0]!;
}

const sinks = { metrics: createMetrics(new Registry(), { defaults: false }), writer: () => undefined };

describe('RouteResults, per generation', () => {
  it('keeps the comparer (and its tallies) when the route\'s comparison is unchanged, and starts afresh when it changes', () => {
    const first = new RouteResults(route({}), undefined, sinks);
    expect(first.comparer).toBeDefined();
    first.comparer!.recordPrimary('a', 12, 200, Date.now());
    const same = new RouteResults(route({}), first, sinks);
    expect(same.comparer).toBe(first.comparer);
    const changed = new RouteResults(route({ topFields: 3 }), same, sinks);
    expect(changed.comparer).toBeDefined();
    expect(changed.comparer).not.toBe(first.comparer);
  });

  it('has no comparer (and no report) for a route that does not compare', () => {
    expect(new RouteResults(route(undefined), undefined, sinks).report(Date.now())).toBeUndefined();
    expect(new RouteResults(route({ enabled: false }), undefined, sinks).comparer).toBeUndefined();
  });
});

describe('the cluster primary as a state backend', () => {
  it('judges over its state file and shows itself as the file backend in the fleet view', async () => {
    const dir = tempDir('sg-primary-');
    const backend = new PrimaryBackend({ log: silentLogger(), evidenceIntervalMs: 1000, stateFile: join(dir, 'state.json') });
    expect(backend.kind).toBe('primary');
    expect(fleetViewOf(backend, Date.now())).toMatchObject({ backend: 'file', replica: `primary:${process.pid}`, up: true, judge: true, contributors: [], pending: [] });
    await backend.close();
  });
});
