// Admin API behaviour beyond the matrix: audit records (on disk before the answer, before/after, who),
// body validation, per-source failure limiting, refusing an exposed tokenless port, open health and
// metrics, reload refusals.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { adminSchema } from '../../src/config/schema/canary.js';
import { silentLogger } from '../../src/observe/log.js';
import { startAdminServer } from '../../src/admin/server.js';
import type { AdminContext } from '../../src/admin/context.js';
import { call, startFixture, TOKENS, type Fixture } from './fixture.js';

let f: Fixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

describe('audit', () => {
  it('writes who, what, before and after to the audit file before answering, and serves the latest N', async () => {
    f = await startFixture();
    const a = await call(f.url, 'PUT', '/admin/routes/predict/canary', { token: TOKENS.operator, body: '{"weight":12.5}' });
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({ before: { weight: 2, state: 'idle' }, after: { weight: 12.5, state: 'paused' } });
    // Read right after the answer: the record must already be on disk.
    const lines = readFileSync(join(f.dir, 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      token: 'operator-token', role: 'operator', source: expect.stringMatching(/127\.0\.0\.1/), action: 'canary.set', route: 'predict',
      before: { weight: 2 }, after: { weight: 12.5 }, result: 'ok', time: expect.any(String),
    });
    await call(f.url, 'POST', '/admin/routes/predict/rollback', { token: TOKENS.admin });
    const latest = await call(f.url, 'GET', '/admin/audit?limit=1', { token: TOKENS.operator });
    expect(latest.body).toMatchObject({ records: [{ action: 'canary.rollback', token: 'admin-token', after: { weight: 0, state: 'rolled_back' } }] });
  });

  it('audits a refused mutation with its error code', async () => {
    f = await startFixture();
    const a = await call(f.url, 'POST', '/admin/routes/predict/pause', { token: TOKENS.operator });
    expect(a.status).toBe(409);
    const latest = await call(f.url, 'GET', '/admin/audit?limit=1', { token: TOKENS.operator });
    expect(latest.body).toMatchObject({ records: [{ action: 'canary.pause', result: 'SG_ERR_CONFLICT' }] });
  });

  it('restores the in-memory tail from the file at start', async () => {
    f = await startFixture();
    await call(f.url, 'POST', '/admin/routes/predict/promote', { token: TOKENS.operator });
    const { AuditLog } = await import('../../src/state/audit.js');
    const again = new AuditLog(join(f.dir, 'audit.jsonl'), silentLogger());
    expect(again.latest(10).map((r) => r.action)).toEqual(['canary.promote']);
  });
});

describe('validation', () => {
  it('rejects weights outside 0..100, non-JSON bodies and unknown fields with 400, unknown routes with 404', async () => {
    f = await startFixture();
    for (const body of ['{"weight":150}', '{"weight":-1}', '{"weight":"5"}', 'not json', '{"weight":5,"x":1}', '{}']) {
      const a = await call(f.url, 'PUT', '/admin/routes/predict/canary', { token: TOKENS.operator, body });
      expect(a.status, body).toBe(400);
      expect(a.body).toMatchObject({ error: { code: 'SG_ERR_BAD_REQUEST' } });
    }
    expect(f.runtime.route('predict')!.weight.value).toBe(2);
    const missing = await call(f.url, 'PUT', '/admin/routes/ghost/canary', { token: TOKENS.operator, body: '{"weight":5}' });
    expect(missing.status).toBe(404);
    expect((await call(f.url, 'GET', '/admin/report?route=ghost', { token: TOKENS.viewer })).status).toBe(404);
    expect((await call(f.url, 'GET', '/admin/samples', { token: TOKENS.viewer })).status).toBe(400);
    expect((await call(f.url, 'GET', '/admin/audit?limit=0', { token: TOKENS.operator })).status).toBe(400);
  });

  it('says where each weight comes from', async () => {
    f = await startFixture();
    const before = await call(f.url, 'GET', '/admin/routes', { token: TOKENS.viewer });
    expect(before.body).toMatchObject({ routes: [{ name: 'predict', weight: { value: 2, source: 'config', config: 2 } }] });
    await call(f.url, 'PUT', '/admin/routes/predict/canary', { token: TOKENS.operator, body: '{"weight":30}' });
    const after = await call(f.url, 'GET', '/admin/routes/predict', { token: TOKENS.viewer });
    expect(after.body).toMatchObject({ weight: { value: 30, source: 'runtime', config: 2 } });
  });

  it('refuses a failed reload with 422 and its problems', async () => {
    f = await startFixture();
    f.reloadResult = { ok: false, problems: ['routes[0].primary: unknown upstream "x"'] };
    const a = await call(f.url, 'POST', '/admin/reload', { token: TOKENS.admin });
    expect(a.status).toBe(422);
    expect(a.body).toMatchObject({ error: { code: 'SG_ERR_CONFIG', message: expect.stringContaining('routes[0].primary') } });
  });
});

describe('authentication limits', () => {
  it('paces guesses past the failure limit per source address, without locking out a correct token', async () => {
    f = await startFixture({ authFailures: { max: 2, window: 400 } });
    for (let i = 0; i < 2; i++) expect((await call(f.url, 'GET', '/admin/routes', { token: `guess-${i}` })).status).toBe(401);
    // Past the limit one guess is checked per window/max; a burst beyond a window's worth is refused at once.
    const burst = await Promise.all(Array.from({ length: 6 }, (_, i) => call(f!.url, 'GET', '/admin/routes', { token: `burst-${i}` })));
    const statuses = burst.map((a) => a.status).sort();
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(3);
    expect(statuses).toContain(429);
    const limited = burst.find((a) => a.status === 429)!;
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.body).toMatchObject({ error: { code: 'SG_ERR_AUTH_RATE_LIMITED' } });
    // The operator's correct token still gets in (after its turn), and clears the record.
    const ok = await call(f.url, 'GET', '/admin/routes', { token: TOKENS.admin });
    expect(ok.status).toBe(200);
    expect((await call(f.url, 'GET', '/admin/routes', { token: TOKENS.viewer })).status).toBe(200);
  });

  it('serves health and metrics without a token when configured open, and nothing else', async () => {
    f = await startFixture({ openMetrics: true, openHealth: true });
    expect((await call(f.url, 'GET', '/healthz')).status).toBe(200);
    expect((await call(f.url, 'GET', '/readyz')).status).toBe(200);
    const m = await call(f.url, 'GET', '/metrics');
    expect(m.status).toBe(200);
    expect(String(m.body)).toContain('shadowgate_canary_weight_percent');
    expect((await call(f.url, 'GET', '/admin/routes')).status).toBe(401);
  });

  it('refuses to start on a non-loopback address with no tokens', async () => {
    const cfg = adminSchema.parse({ host: '0.0.0.0', port: 0, tokens: [] });
    const ctx = {} as AdminContext;
    await expect(startAdminServer(ctx, cfg, silentLogger())).rejects.toMatchObject({ code: 'SG_ERR_ADMIN_INSECURE' });
  });

  it('compares tokens in full: a prefix of a real token is refused', async () => {
    f = await startFixture();
    expect((await call(f.url, 'GET', '/admin/routes', { token: TOKENS.admin.slice(0, -1) })).status).toBe(401);
    expect((await call(f.url, 'GET', '/admin/routes', { token: `${TOKENS.admin}x` })).status).toBe(401);
  });
});
