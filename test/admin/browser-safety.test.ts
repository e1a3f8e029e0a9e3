// Issue #10 finding 6 over real sockets: a page in the operator's browser cannot drive the admin API
// (CSRF, DNS rebinding), and every refused mutation is in the audit trail.
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { call, startFixture, TOKENS, type Fixture } from './fixture.js';

let f: Fixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

/** A request with the Host, Origin and Content-Type a browser page would send (fetch cannot set Host). */
function browserLike(base: string, method: string, path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, method, path, headers: { ...headers, 'content-length': '0' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.once('error', reject);
    req.end();
  });
}

async function weight(fx: Fixture): Promise<number> {
  return fx.runtime.route('predict')!.weight.value;
}

describe('admin API without tokens (loopback only)', () => {
  it('refuses a rebinding Host, a cross-site Origin and a non-JSON mutation with 403/415, and audits each', async () => {
    f = await startFixture({ tokens: [] });
    const port = new URL(f.url).port;
    const before = await weight(f);
    // The probe: a page on attacker.example, its name rebound to 127.0.0.1.
    const rebound = await browserLike(f.url, 'POST', '/admin/routes/predict/promote', { host: 'attacker.example', origin: 'http://attacker.example', 'content-type': 'text/plain' });
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.body).error.code).toBe('SG_ERR_FORBIDDEN_ORIGIN');
    // A cross-site form or fetch to 127.0.0.1 itself: the Host is fine, the Origin is not.
    const crossSite = await browserLike(f.url, 'POST', '/admin/routes/predict/promote', { host: `127.0.0.1:${port}`, origin: 'https://attacker.example', 'content-type': 'application/json' });
    expect(crossSite.status).toBe(403);
    const nullOrigin = await browserLike(f.url, 'POST', '/admin/routes/predict/promote', { host: `127.0.0.1:${port}`, origin: 'null', 'content-type': 'application/json' });
    expect(nullOrigin.status).toBe(403);
    // A simple (preflight-free) request type is not a mutation the API accepts.
    const plain = await browserLike(f.url, 'POST', '/admin/routes/predict/promote', { host: `127.0.0.1:${port}`, 'content-type': 'text/plain' });
    expect(plain.status).toBe(415);
    expect(JSON.parse(plain.body).error.code).toBe('SG_ERR_UNSUPPORTED_MEDIA_TYPE');
    // A read through a rebound name is refused too (it would leak reports and samples).
    const read = await browserLike(f.url, 'GET', '/admin/routes', { host: 'attacker.example' });
    expect(read.status).toBe(403);
    expect(await weight(f)).toBe(before);

    const audit = await call(f.url, 'GET', '/admin/audit?limit=10');
    const records = (audit.body as { records: { action: string; result: string }[] }).records;
    expect(records.map((r) => r.result)).toEqual(['SG_ERR_FORBIDDEN_ORIGIN', 'SG_ERR_FORBIDDEN_ORIGIN', 'SG_ERR_FORBIDDEN_ORIGIN', 'SG_ERR_UNSUPPORTED_MEDIA_TYPE']);
    expect(records.every((r) => r.action === 'canary.promote')).toBe(true);

    // The operator's own tools (loopback Host, same-origin or no Origin, JSON) still work.
    const ok = await browserLike(f.url, 'POST', '/admin/routes/predict/promote', { host: `localhost:${port}`, origin: `http://localhost:${port}`, 'content-type': 'application/json' });
    expect(ok.status).toBe(200);
    expect(await weight(f)).toBe(100);
  });
});

describe('admin API with tokens', () => {
  it('audits refused mutations: no token (401), a low role (403), a non-JSON body type (415)', async () => {
    f = await startFixture();
    expect((await call(f.url, 'POST', '/admin/routes/predict/rollback')).status).toBe(401);
    expect((await call(f.url, 'POST', '/admin/routes/predict/rollback', { token: TOKENS.viewer })).status).toBe(403);
    const plain = await browserLike(f.url, 'POST', '/admin/routes/predict/rollback', { host: 'x', authorization: `Bearer ${TOKENS.operator}`, 'content-type': 'text/plain' });
    expect(plain.status).toBe(415);
    const audit = await call(f.url, 'GET', '/admin/audit?limit=10', { token: TOKENS.operator });
    const records = (audit.body as { records: { action: string; result: string; token: string }[] }).records;
    expect(records.map((r) => [r.action, r.result, r.token])).toEqual([
      ['canary.rollback', 'SG_ERR_UNAUTHORIZED', 'anonymous'],
      ['canary.rollback', 'SG_ERR_FORBIDDEN', 'viewer-token'],
      ['canary.rollback', 'SG_ERR_UNSUPPORTED_MEDIA_TYPE', 'anonymous'],
    ]);
  });
});
