// Sticky shadow sampling through the proxy: with sampleBy sticky, a user's requests are mirrored all or
// none, keyed by the route's canary sticky key.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { json, startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { send, startFromYaml } from '../helpers/app.js';

let live: TestUpstream;
let sandbox: TestUpstream;

beforeAll(async () => {
  live = await startUpstream(json(200, { ok: true }));
  sandbox = await startUpstream(json(200, { ok: true }));
});

afterAll(async () => {
  await live.close();
  await sandbox.close();
});

it('mirrors every request of a sampled user and none of an unsampled one', async () => {
  const gw = await startFromYaml(`
server: { maxEventLoopDelay: 10s }
upstreams: { live: { url: "${live.url}" }, sandbox: { url: "${sandbox.url}" } }
routes:
  - name: predict
    match: { pathPrefix: /v1 }
    primary: live
    canary: { upstream: live, weight: 0, stickyBy: header:x-user-id }
    shadow: { targets: [sandbox], policy: none, allowRawData: true, sampleRate: 0.5, sampleBy: sticky, maxRps: 100000, compare: { enabled: false } }
`);
  try {
    const users = Array.from({ length: 40 }, (_, u) => `user-${u}`);
    for (let round = 0; round < 3; round++) {
      for (const u of users) await send(gw.url, { method: 'POST', path: `/v1/p?u=${u}`, headers: { 'x-user-id': u }, body: '{}' });
    }
    while (gw.app.routeShadow('predict')!.inFlightCount > 0) await new Promise((r) => setTimeout(r, 5));
    const mirrored = new Map<string, number>();
    for (const r of sandbox.received) mirrored.set(String(r.headers['x-user-id']), (mirrored.get(String(r.headers['x-user-id'])) ?? 0) + 1);
    // Each sampled user is mirrored in all three rounds; the others never.
    expect([...mirrored.values()].every((n) => n === 3)).toBe(true);
    expect(mirrored.size).toBeGreaterThan(8);
    expect(mirrored.size).toBeLessThan(32);
  } finally {
    await gw.close();
  }
});
