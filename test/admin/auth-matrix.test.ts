// The auth matrix: every admin endpoint × (no token, wrong token, viewer, operator, admin) over a real
// socket; denied calls get 401/403 JSON errors and change nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startFixture, TOKENS, type Fixture } from './fixture.js';

type Need = 'viewer' | 'operator' | 'admin';
const ENDPOINTS: readonly { method: string; path: string; need: Need; body?: string }[] = [
  { method: 'GET', path: '/healthz', need: 'viewer' },
  { method: 'GET', path: '/readyz', need: 'viewer' },
  { method: 'GET', path: '/metrics', need: 'viewer' },
  { method: 'GET', path: '/admin/routes', need: 'viewer' },
  { method: 'GET', path: '/admin/routes/predict', need: 'viewer' },
  { method: 'GET', path: '/admin/report', need: 'viewer' },
  { method: 'GET', path: '/admin/report?route=predict', need: 'viewer' },
  { method: 'GET', path: '/admin/samples?route=predict', need: 'viewer' },
  { method: 'PUT', path: '/admin/routes/predict/canary', need: 'operator', body: '{"weight":7}' },
  { method: 'DELETE', path: '/admin/routes/predict/canary', need: 'operator' },
  { method: 'POST', path: '/admin/routes/predict/resume', need: 'operator' },
  { method: 'POST', path: '/admin/routes/predict/pause', need: 'operator' },
  { method: 'POST', path: '/admin/routes/predict/promote', need: 'operator' },
  { method: 'POST', path: '/admin/routes/predict/rollback', need: 'operator' },
  { method: 'POST', path: '/admin/reload', need: 'admin' },
  { method: 'GET', path: '/admin/audit?limit=5', need: 'operator' },
  { method: 'GET', path: '/admin/whoami', need: 'viewer' },
  { method: 'GET', path: '/admin/datasets', need: 'viewer' },
  { method: 'GET', path: '/admin/analysis/predict', need: 'viewer' },
];
const RANK: Record<Need, number> = { viewer: 1, operator: 2, admin: 3 };
const CREDENTIALS: readonly { name: string; token?: string; rank: number }[] = [
  { name: 'no token', rank: 0 },
  { name: 'wrong token', token: 'not-a-real-token', rank: 0 },
  { name: 'viewer', token: TOKENS.viewer, rank: 1 },
  { name: 'operator', token: TOKENS.operator, rank: 2 },
  { name: 'admin', token: TOKENS.admin, rank: 3 },
];

let f: Fixture;
beforeAll(async () => {
  f = await startFixture({ openMetrics: false, openHealth: false, authFailures: { max: 1000, window: 60_000 } });
});
afterAll(async () => f.close());

describe('admin auth matrix', () => {
  for (const e of ENDPOINTS) {
    for (const c of CREDENTIALS) {
      const allowed = c.rank >= RANK[e.need];
      it(`${e.method} ${e.path} with ${c.name} → ${allowed ? 'allowed' : c.rank === 0 ? '401' : '403'}`, async () => {
        const before = f.runtime.route('predict');
        const a = await call(f.url, e.method, e.path, { token: c.token, body: e.body });
        if (allowed) {
          // 409: a rollout action not valid in the current state (e.g. pause twice) — authorized all the same.
          expect([200, 409]).toContain(a.status);
          return;
        }
        const expected = c.rank === 0 ? { status: 401, code: 'SG_ERR_UNAUTHORIZED' } : { status: 403, code: 'SG_ERR_FORBIDDEN' };
        expect(a.status).toBe(expected.status);
        expect(a.body).toMatchObject({ error: { code: expected.code, message: expect.any(String), requestId: expect.any(String) } });
        expect(f.runtime.route('predict')).toEqual(before);
      });
    }
  }

  it('answers an unknown endpoint 404 and a wrong method 405, as JSON errors', async () => {
    expect((await call(f.url, 'GET', '/admin/nope', { token: TOKENS.admin })).status).toBe(404);
    const a = await call(f.url, 'GET', '/admin/reload', { token: TOKENS.admin });
    expect(a.status).toBe(405);
    expect(a.body).toMatchObject({ error: { code: 'SG_ERR_METHOD_NOT_ALLOWED' } });
  });
});
