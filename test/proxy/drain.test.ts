// Lifecycle: SIGTERM-style drain stops accepting, finishes every accepted request, then closes.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { startFromYaml } from '../helpers/app.js';

let upstream: TestUpstream;
const release: (() => void)[] = [];

beforeAll(async () => {
  // Holds every request until the test releases it, so we know they are in flight during the drain.
  upstream = await startUpstream((_req, _body, res) => {
    release.push(() => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
      res.end('ok');
    });
  });
});

afterAll(async () => {
  await upstream.close();
});

it('drains: no accepted request is lost, readiness turns 503, new connections are refused', async () => {
  const gw = await startFromYaml(`
server: { drainTimeout: 10s }
upstreams: { incumbent: { url: "${upstream.url}" } }
routes: [{ name: predict, match: { pathPrefix: / }, primary: incumbent }]
`);
  const agent = new Agent({ connections: 16 });
  const inFlight = Array.from({ length: 10 }, (_, i) =>
    request(`${gw.url}/r/${i}`, { dispatcher: agent }).then(async (r) => ({ status: r.statusCode, body: await r.body.text() })));
  while (release.length < 10) await new Promise((r) => setImmediate(r));

  const drained = gw.close();
  // Readiness flips at once; the in-flight requests are still held by the upstream.
  const ready = await request(`${gw.adminUrl}/readyz`);
  expect(ready.statusCode).toBe(503);
  await ready.body.dump();
  await expect(request(`${gw.url}/late`, { dispatcher: new Agent() })).rejects.toThrow();

  for (const r of release.splice(0)) r();
  const answers = await Promise.all(inFlight);
  expect(answers).toEqual(Array.from({ length: 10 }, () => ({ status: 200, body: 'ok' })));
  await drained;
  await agent.close();
});
