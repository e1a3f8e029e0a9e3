// Issue #19 finding 7, the keep-alive reuse race: the upstream closes an idle keep-alive connection at
// the instant the proxy reuses it. Here a raw upstream answers the first request of each connection with
// keep-alive, then closes the connection on the first byte of the next request — every reuse meets the
// race. GET (and a method the route marks idempotent) is sent again once on a fresh connection and
// answered 200; a POST may have been read and acted on, and is answered 502, never sent twice.
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { send, startFromYaml } from '../helpers/app.js';

type Gw = Awaited<ReturnType<typeof startFromYaml>>;

interface RacingUpstream {
  readonly url: string;
  /** Request lines and bodies of the requests it answered (first on their connection). */
  readonly answered: { line: string; body: string }[];
  /** Connections it closed on a reused request's first byte. */
  readonly cut: () => number;
  close(): Promise<void>;
}

/** `how`: `reset` destroys the socket with the request unread (RST), `close` half-closes it (FIN). */
async function racingUpstream(how: 'reset' | 'close'): Promise<RacingUpstream> {
  const answered: RacingUpstream['answered'] = [];
  const sockets = new Set<net.Socket>();
  let cut = 0;
  const server = net.createServer((s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    let served = false;
    s.on('data', (d: Buffer) => {
      if (served) {
        // The connection was idle and kept alive; the proxy reuses it: close it under the request.
        cut++;
        if (how === 'reset') s.destroy();
        else s.end();
        return;
      }
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.subarray(0, end).toString('latin1');
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
      if (buf.length < end + 4 + length) return;
      served = true;
      const line = head.split('\r\n')[0]!;
      answered.push({ line, body: buf.subarray(end + 4, end + 4 + length).toString('utf8') });
      const body = JSON.stringify({ ok: true });
      s.write(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: keep-alive\r\n\r\n${line.startsWith('HEAD ') ? '' : body}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    answered,
    cut: () => cut,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

async function retries(gw: Gw, route: string): Promise<number> {
  const m = await gw.app.metrics.upstreamRetries.get();
  return m.values.filter((v) => v.labels.route === route).reduce((a, v) => a + v.value, 0);
}

for (const how of ['reset', 'close'] as const) {
  describe(`an upstream that ${how === 'reset' ? 'resets' : 'closes'} a reused keep-alive connection on its first byte`, () => {
    let upstream: RacingUpstream;
    let gw: Gw;

    beforeAll(async () => {
      upstream = await racingUpstream(how);
      // One connection: every request after the first on it is a reuse, so every other request races.
      gw = await startFromYaml(`
upstreams:
  model: { url: "${upstream.url}", timeout: 5s, connections: 1 }
routes:
  - name: plain
    match: { pathPrefix: /v1 }
    primary: model
  - name: pure
    match: { pathPrefix: /pure }
    primary: model
    idempotentMethods: [post]
`);
    });

    afterAll(async () => {
      await gw.close();
      await upstream.close();
    });

    it('sends a GET again on a fresh connection: all 200, each retry counted', async () => {
      const cutBefore = upstream.cut();
      const statuses: number[] = [];
      for (let i = 0; i < 10; i++) statuses.push((await send(gw.url, { path: `/v1/get/${i}` })).status);
      statuses.push((await send(gw.url, { method: 'HEAD', path: '/v1/head' })).status);
      expect(statuses).toEqual(new Array(11).fill(200));
      const cuts = upstream.cut() - cutBefore;
      expect(cuts).toBeGreaterThanOrEqual(4); // the race happened, and each one was answered by a retry
      expect(await retries(gw, 'plain')).toBe(cuts);
    });

    it('answers a POST that met the race 502 and never sends it twice', async () => {
      const before = upstream.answered.length;
      const cutBefore = upstream.cut();
      const retriesBefore = await retries(gw, 'plain');
      const statuses: number[] = [];
      for (let i = 0; i < 10; i++) statuses.push((await send(gw.url, { method: 'POST', path: '/v1/post', body: `{"n":${i}}`, headers: { 'content-type': 'application/json' } })).status);
      const cuts = upstream.cut() - cutBefore;
      expect(cuts).toBeGreaterThanOrEqual(4);
      expect(statuses.filter((s) => s === 502)).toHaveLength(cuts);
      expect(statuses.filter((s) => s === 200)).toHaveLength(10 - cuts);
      expect(upstream.answered.length - before).toBe(10 - cuts);
      expect(await retries(gw, 'plain')).toBe(retriesBefore);
    });

    it('sends a POST again when the route marks POST idempotent, body and all', async () => {
      const before = upstream.answered.length;
      const cutBefore = upstream.cut();
      const statuses: number[] = [];
      for (let i = 0; i < 10; i++) statuses.push((await send(gw.url, { method: 'POST', path: '/pure/post', body: `{"n":${i}}`, headers: { 'content-type': 'application/json' } })).status);
      expect(statuses).toEqual(new Array(10).fill(200));
      const cuts = upstream.cut() - cutBefore;
      expect(cuts).toBeGreaterThanOrEqual(4);
      expect(await retries(gw, 'pure')).toBe(cuts);
      // Each body reached the model exactly once (the cut copies were never read).
      expect(upstream.answered.slice(before).map((a) => a.body)).toEqual(Array.from({ length: 10 }, (_, i) => `{"n":${i}}`));
    });
  });
}
