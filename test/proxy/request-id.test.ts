// One request-id rule (src/kernel/request-id.ts) for the proxy and the admin API. On 43e1ef9 they differed:
// the proxy kept a caller's token of up to 128 characters with `:`, the admin API replaced anything past 64
// characters or with a `:` by a fresh UUID, so one caller's id did not follow its call across both.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { json, startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { send, startFromYaml } from '../helpers/app.js';

let live: TestUpstream;

beforeAll(async () => {
  live = await startUpstream(json(200, { ok: true }));
});

afterAll(async () => {
  await live.close();
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

it('the proxy and the admin API keep the same caller ids and replace the same malformed ones', async () => {
  const gw = await startFromYaml(`
upstreams: { live: { url: "${live.url}" } }
routes:
  - name: predict
    match: { pathPrefix: /v1 }
    primary: live
`);
  try {
    const kept = ['trace:2f1c-7.a_b', `svc:${'x'.repeat(120)}`, 'a'];
    for (const id of kept) {
      const viaProxy = await send(gw.url, { path: '/v1/p', headers: { 'x-request-id': id } });
      const viaAdmin = await send(gw.adminUrl, { path: '/healthz', headers: { 'x-request-id': id } });
      expect(viaProxy.status).toBe(200);
      expect(viaProxy.headers['x-request-id']).toBe(id);
      expect(viaAdmin.headers['x-request-id']).toBe(id);
    }
    for (const bad of ['has space', 'x'.repeat(129), 'semi;colon']) {
      const viaProxy = await send(gw.url, { path: '/v1/p', headers: { 'x-request-id': bad } });
      const viaAdmin = await send(gw.adminUrl, { path: '/healthz', headers: { 'x-request-id': bad } });
      expect(viaProxy.headers['x-request-id']).toMatch(UUID);
      expect(viaAdmin.headers['x-request-id']).toMatch(UUID);
    }
  } finally {
    await gw.close();
  }
});
