// A real admin server over a stub AdminContext (real routing runtime and audit log, fake report,
// samples, metrics and reload), bound to 127.0.0.1 port 0, plus a small JSON client.
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { adminSchema } from '../../src/config/schema/canary.js';
import { compareSchema } from '../../src/config/schema/compare.js';
import { RouteComparer } from '../../src/compare/index.js';
import { parseConfig } from '../../src/config/load.js';
import { createMetrics } from '../../src/observe/metrics.js';
import { silentLogger } from '../../src/observe/log.js';
import { RoutingRuntime } from '../../src/routing/runtime.js';
import { AuditLog } from '../../src/state/audit.js';
import { sha256Hex } from '../../src/admin/auth.js';
import type { AdminContext } from '../../src/admin/context.js';
import { startAdminServer } from '../../src/admin/server.js';
import { tempDir } from '../helpers/run.js';
import type { ExperimentRegistry } from '../../src/experiments/index.js';

export const TOKENS = { viewer: 'viewer-secret-1', operator: 'operator-secret-2', admin: 'admin-secret-3' } as const;

export const CONFIG = parseConfig(JSON.stringify({
  upstreams: { incumbent: { url: 'http://127.0.0.1:9' }, candidate: { url: 'http://127.0.0.1:9' } },
  routes: [{
    name: 'predict', primary: 'incumbent',
    canary: { upstream: 'candidate', weight: 2, rollout: { steps: [1, 5], stepDuration: '1m', minRequests: 10, autoStart: false } },
  }],
}));

export interface Fixture {
  readonly url: string;
  readonly dir: string;
  readonly runtime: RoutingRuntime;
  readonly audit: AuditLog;
  /** The route's comparer: tests record exchanges into it, the report is built from it. */
  readonly comparer: RouteComparer;
  reloadResult: { ok: true } | { ok: false; problems: string[] };
  close(): Promise<void>;
}

export async function startFixture(admin: Record<string, unknown> = {}, opts: { compare?: Record<string, unknown>; experiments?: ExperimentRegistry; now?: () => number } = {}): Promise<Fixture> {
  const dir = tempDir('sg-admin-');
  const log = silentLogger();
  const metrics = createMetrics(new Registry(), { defaults: false });
  const runtime = new RoutingRuntime(CONFIG, { metrics, log, timers: false });
  const cfg = adminSchema.parse({
    port: 0,
    tokens: Object.entries(TOKENS).map(([role, token]) => ({ name: `${role}-token`, role, sha256: sha256Hex(token) })),
    auditFile: join(dir, 'audit.jsonl'),
    stateFile: join(dir, 'state.json'),
    ...admin,
  });
  const audit = new AuditLog(cfg.auditFile, log);
  const comparer = new RouteComparer('predict', compareSchema.parse(opts.compare ?? {}));
  const now = opts.now ?? Date.now;
  const fixture = {
    reloadResult: { ok: true } as Fixture['reloadResult'],
  };
  const ctx: AdminContext = {
    ready: () => true,
    metrics: async () => ({ contentType: metrics.registry.contentType, body: await metrics.registry.metrics() }),
    report: (route) => (route === undefined || route === 'predict' ? { reports: [comparer.report(now())] } : undefined),
    samples: (route) => (route === 'predict' ? { route, samples: [] } : undefined),
    reload: async () => fixture.reloadResult,
    routing: runtime,
    audit,
    experiments: opts.experiments,
    reportConfidence: () => 1 - compareSchema.parse(opts.compare ?? {}).regression.alpha,
  };
  const server = await startAdminServer(ctx, cfg, log);
  return Object.assign(fixture, {
    url: `http://127.0.0.1:${server.port}`, dir, runtime, audit, comparer,
    close: async () => {
      await server.close();
      await audit.close();
      runtime.close();
    },
  });
}

export interface Answer { status: number; headers: Headers; body: unknown }

export async function call(base: string, method: string, path: string, opts: { token?: string; body?: string } = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined || method !== 'GET') headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${path}`, { method, headers, body: opts.body });
  const text = await res.text();
  let body: unknown = text;
  if ((res.headers.get('content-type') ?? '').startsWith('application/json')) body = JSON.parse(text);
  return { status: res.status, headers: res.headers, body };
}
