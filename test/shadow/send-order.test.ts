// Send order without bias: the targets of a copy start in a random order per exchange (seeded), so the
// control is not always first and the candidate does not pay for the control's write. Observed where it
// matters, at the two upstreams: which one received each exchange first. Order only; what the verdict
// makes of the latencies is the comparison engine's test.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/compare/stats.js';
import { ShadowDispatcher, sendToAll } from '../../src/pipeline/dispatch.js';
import { json, startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { sendMany, send, startFromYaml } from '../helpers/app.js';

type Side = 'control' | 'candidate';
/** Exchange id → the upstream whose 'request' event (headers parsed) fired first for it. */
const firstSeen = new Map<string, Side>();
const servers: http.Server[] = [];
const urls: Record<Side, string> = { control: '', candidate: '' };
let live: TestUpstream;

async function arrivalRecorder(side: Side): Promise<void> {
  const server = http.createServer((req, res) => {
    const id = String(req.headers['x-exchange'] ?? '');
    if (id !== '' && !firstSeen.has(id)) firstSeen.set(id, side);
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  urls[side] = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  live = await startUpstream(json(200, { ok: true }));
  await arrivalRecorder('control');
  await arrivalRecorder('candidate');
});

afterAll(async () => {
  await live.close();
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

function controlFirstShare(prefix: string): { share: number; n: number } {
  const sides = [...firstSeen].filter(([id]) => id.startsWith(prefix)).map(([, side]) => side);
  return { share: sides.filter((s) => s === 'control').length / sides.length, n: sides.length };
}

describe('send order', () => {
  it('starts control and candidate in a seeded random order per exchange (dispatch, replay)', async () => {
    const d = new ShadowDispatcher({ control: { url: urls.control, timeout: 5000, connections: 4, pipelining: 1 }, candidate: { url: urls.candidate, timeout: 5000, connections: 4, pipelining: 1 } });
    try {
      const random = seededRandom(7);
      for (let i = 0; i < 80; i++) {
        const req = { method: 'POST', url: '/p', headers: { 'x-exchange': `d${i}` }, body: Buffer.from('{}') };
        await sendToAll(d, [['control', 'incumbent'], ['candidate', 'candidate']], () => req, { maxResponseBytes: 1024 }, random);
      }
    } finally {
      await d.close();
    }
    const { share, n } = controlFirstShare('d');
    expect(n).toBe(80);
    // A fixed control-first order puts this near 1; a fair coin near 0.5 (0.2–0.8 is > 5 sd either side).
    expect(share).toBeGreaterThan(0.2);
    expect(share).toBeLessThan(0.8);
  });

  it('does the same for live shadow copies sent from the shadow threads', async () => {
    const registry = new Registry();
    const gw = await startFromYaml(`
server: { maxEventLoopDelay: 10s, shadowThreads: 1 }
upstreams: { live: { url: "${live.url}" }, control: { url: "${urls.control}" }, candidate: { url: "${urls.candidate}" } }
routes:
  - name: predict
    match: { pathPrefix: /v1/predict }
    primary: live
    shadow: { targets: [control, candidate], maxRps: 100000, policy: none, allowRawData: true }
`, { registry });
    try {
      await sendMany(80, 1, (i) => send(gw.url, { method: 'POST', path: '/v1/predict', headers: { 'content-type': 'application/json', 'x-exchange': `l${i}` }, body: '{}' }));
      const shadow = gw.app.routeShadow('predict')!;
      // Every copy either reaches the recorders or is counted as dropped (a loaded machine may shed some):
      // wait for all 80 fates, not for 80 arrivals, within a generous limit.
      const dropped = async (): Promise<number> => (await registry.getSingleMetric('shadowgate_shadow_dropped_total')!.get()).values.reduce((a, v) => a + v.value, 0);
      const end = Date.now() + 60_000;
      while (shadow.inFlightCount > 0 || controlFirstShare('l').n + await dropped() < 80) {
        if (Date.now() > end) throw new Error(`copies unaccounted for: ${controlFirstShare('l').n} arrived, ${await dropped()} dropped, ${shadow.inFlightCount} in flight`);
        await new Promise((r) => setTimeout(r, 5));
      }
    } finally {
      await gw.close();
    }
    const { share, n } = controlFirstShare('l');
    // 40 exchanges still put 0.2–0.8 more than 3.5 sd from a fair coin's 0.5.
    expect(n).toBeGreaterThanOrEqual(40);
    expect(share).toBeGreaterThan(0.2);
    expect(share).toBeLessThan(0.8);
  });
});
