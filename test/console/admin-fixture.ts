// A real admin server over real routing and comparison engines for several routes, fed synthetic
// exchanges: the analysis hook and the console endpoints are tested against what they would read live.
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { AuditLog } from '../../src/state/audit.js';
import { sha256Hex } from '../../src/admin/auth.js';
import type { AdminContext } from '../../src/admin/context.js';
import { startAdminServer } from '../../src/admin/server.js';
import { RouteComparer } from '../../src/compare/index.js';
import { parseConfig } from '../../src/config/load.js';
import { adminSchema } from '../../src/config/schema/canary.js';
import type { RecordConfig } from '../../src/config/schema.js';
import { createMetrics, type Metrics } from '../../src/observe/metrics.js';
import { silentLogger } from '../../src/observe/log.js';
import { RoutingRuntime } from '../../src/routing/runtime.js';
import { TOKENS } from '../admin/fixture.js';
import { answer, compareConfig, exchange } from '../compare/helpers.js';
import { tempDir } from '../helpers/run.js';

export { TOKENS, call } from '../admin/fixture.js';

export interface ConsoleFixture {
  readonly url: string;
  readonly dir: string;
  readonly runtime: RoutingRuntime;
  readonly comparers: Map<string, RouteComparer>;
  readonly metrics: Metrics;
  close(): Promise<void>;
}

const COMPARE = { verdict: { minObservations: 100 } };

/** Identical answers and latencies: the comparison passes. */
export function feedIdentical(c: RouteComparer, n: number, nowMs: number): void {
  for (let i = 0; i < n; i++) {
    c.record(exchange({ incumbent: answer('incumbent', { label: 'ok', score: 0.5 }, { latencyMs: 10 }), candidate: answer('candidate', { label: 'ok', score: 0.5 }, { latencyMs: 10 }) }, nowMs), nowMs);
  }
}

/** The candidate gives another label every time: a field regression, the comparison fails. */
export function feedBroken(c: RouteComparer, n: number, nowMs: number): void {
  for (let i = 0; i < n; i++) {
    c.record(exchange({ incumbent: answer('incumbent', { label: 'ok', score: 0.5 }, { latencyMs: 10 }), candidate: answer('candidate', { label: 'fraud', score: 0.5 }, { latencyMs: 10 }) }, nowMs), nowMs);
  }
}

export async function startConsoleFixture(routes: readonly string[], opts: { record?: RecordConfig } = {}): Promise<ConsoleFixture> {
  const dir = tempDir('sg-console-');
  const log = silentLogger();
  const metrics = createMetrics(new Registry(), { defaults: false });
  const config = parseConfig(JSON.stringify({
    upstreams: { incumbent: { url: 'http://127.0.0.1:9' }, candidate: { url: 'http://127.0.0.1:9' } },
    routes: routes.map((name) => ({ name, primary: 'incumbent', match: { pathPrefix: `/${name}` }, canary: { upstream: 'candidate', weight: 5 } })),
  }));
  const runtime = new RoutingRuntime(config, { metrics, log, timers: false });
  const cfg = adminSchema.parse({
    port: 0,
    tokens: Object.entries(TOKENS).map(([role, token]) => ({ name: `${role}-token`, role, sha256: sha256Hex(token) })),
    auditFile: join(dir, 'audit.jsonl'),
    stateFile: join(dir, 'state.json'),
    authFailures: { max: 1000, window: 60_000 },
  });
  const audit = new AuditLog(cfg.auditFile, log);
  const comparers = new Map(routes.map((r) => [r, new RouteComparer(r, compareConfig(COMPARE))]));
  const ctx: AdminContext = {
    ready: () => true,
    metrics: async () => ({ contentType: metrics.registry.contentType, body: await metrics.registry.metrics() }),
    // Asynchronous, as a cluster primary's is (it asks its workers).
    report: async (route) => {
      const now = Date.now();
      if (route === undefined) return { reports: [...comparers.values()].map((c) => c.report(now)) };
      return comparers.get(route)?.report(now);
    },
    samples: (route) => comparers.get(route)?.samples(),
    reload: async () => ({ ok: true }),
    recordConfig: () => opts.record,
    routing: runtime,
    audit,
  };
  const server = await startAdminServer(ctx, cfg, log);
  return {
    url: `http://127.0.0.1:${server.port}`, dir, runtime, comparers, metrics,
    close: async () => {
      await server.close();
      await audit.close();
      runtime.close();
    },
  };
}
