// The passthrough (http-proxy-3) answers an upstream that passed its deadline as the live path does: 504
// SG_ERR_UPSTREAM_TIMEOUT, not 502. http-proxy-3 ends a call past `proxyTimeout` by destroying it without
// an error, which surfaces as a plain "socket hang up" reset; the timeout is told apart by the request's
// own 'timeout' event, and everything else goes through the one upstream failure classifier (http/).
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { echo, startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { send, startFromYaml } from '../helpers/app.js';

describe('passthrough upstream failures', () => {
  let upstream: TestUpstream;
  let gw: Awaited<ReturnType<typeof startFromYaml>>;
  const held: ServerResponse[] = [];

  beforeAll(async () => {
    upstream = await startUpstream((req, body, res) => {
      if (req.url === '/hang') {
        held.push(res); // never answered: the deadline must end the call
        return;
      }
      if (req.url === '/reset') {
        res.socket?.destroy(); // an upstream that drops the connection: unavailable, not slow
        return;
      }
      echo(req, body, res);
    });
    gw = await startFromYaml(`
server:
  passthrough: incumbent
upstreams:
  incumbent: { url: "${upstream.url}", timeout: 400ms }
routes:
  - name: predict
    match: { pathPrefix: /v1 }
    primary: incumbent
`);
  });

  afterAll(async () => {
    for (const r of held) r.destroy();
    await gw.close();
    await upstream.close();
  });

  it('an upstream past its timeout: 504 SG_ERR_UPSTREAM_TIMEOUT', async () => {
    const a = await send(`http://127.0.0.1:${gw.port}`, { path: '/hang' });
    expect(a.status).toBe(504);
    expect((JSON.parse(a.body) as { error: { code: string } }).error.code).toBe('SG_ERR_UPSTREAM_TIMEOUT');
  });

  it('an upstream that drops the connection: 502, and an ordinary call still passes', async () => {
    const a = await send(`http://127.0.0.1:${gw.port}`, { path: '/reset' });
    expect(a.status).toBe(502);
    expect((JSON.parse(a.body) as { error: { code: string } }).error.code).not.toBe('SG_ERR_UPSTREAM_TIMEOUT');
    const ok = await send(`http://127.0.0.1:${gw.port}`, { path: '/echo' });
    expect(ok.status).toBe(200);
  });
});
