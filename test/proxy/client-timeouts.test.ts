// Issue #10 findings 1 and 2 over real sockets: a slow or hostile client holds nothing for ever (headers,
// body, idle, send timeouts; maxConnections), and a live call's deadline includes its wait for a pool
// connection (504), with an optional queue bound (503 at once).
import type { ServerResponse } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { echo, startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { send, startFromYaml } from '../helpers/app.js';
import { closed, connect, readAnswer } from '../helpers/raw.js';

type Gw = Awaited<ReturnType<typeof startFromYaml>>;

async function closedCount(gw: Gw, reason: string): Promise<number> {
  const m = await gw.app.metrics.connectionsClosed.get();
  return m.values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

/** An upstream answer that sends its head and one chunk, then one more every 20 ms until the call is cut. */
function drip(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.write('start\n');
  const timer = setInterval(() => res.write('.'), 20);
  res.once('close', () => clearInterval(timer));
}

describe('client timeouts (NGINX client_header/client_body/keepalive/send timeouts)', () => {
  let upstream: TestUpstream;
  let gw: Gw;
  const cuts: string[] = [];
  let bigClosed: () => void = () => undefined;
  const held: ServerResponse[] = [];

  beforeAll(async () => {
    upstream = await startUpstream((req, body, res) => {
      if (req.url === '/v1/big' || req.url === '/big') {
        // 32 MB the client will not read: far past every socket buffer on the way.
        res.once('close', () => {
          cuts.push(res.writableFinished ? 'finished' : 'cut');
          bigClosed();
        });
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        const chunk = Buffer.alloc(1 << 20, 0x61);
        let sent = 0;
        const pump = () => {
          while (sent < 32 && res.write(chunk)) sent++;
          if (sent < 32) res.once('drain', () => { sent++; pump(); });
          else res.end();
        };
        pump();
        return;
      }
      if (req.url === '/hold') {
        held.push(res); // answered when the test releases it
        return;
      }
      echo(req, body, res);
    });
    gw = await startFromYaml(`
server:
  timeouts: { headers: 300ms, body: 200ms, idle: 300ms, send: 300ms }
  maxConnections: 20
  passthrough: incumbent
upstreams:
  incumbent: { url: "${upstream.url}", timeout: 5s, connections: 1 }
routes:
  - name: predict
    match: { pathPrefix: /v1 }
    primary: incumbent
    limits: { maxConcurrency: 3 }
`);
  });

  afterAll(async () => {
    await gw.close();
    await upstream.close();
  });

  it('cuts connections that send a head and 5 of 100 body bytes after `body` (408), holding no route slot meanwhile', async () => {
    const slow = await Promise.all([0, 1, 2].map(() => connect(gw.port)));
    const answers = slow.map((s) => readAnswer(s));
    for (const s of slow) s.write('POST /v1/predict HTTP/1.1\r\nhost: gw\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"a":');
    // Their pending bodies hold no route slot (maxConcurrency: 3): the slot is taken once a body is whole.
    const beside = await send(gw.url, { method: 'POST', path: '/v1/predict', body: '{}' });
    expect(beside.status).toBe(200);
    for (const a of await Promise.all(answers)) {
      expect(a.status).toBe(408);
      expect(JSON.parse(a.body).error.code).toBe('SG_ERR_CLIENT_TIMEOUT');
      expect(a.headers.connection).toBe('close');
    }
    await Promise.all(slow.map(closed));
    const ok = await send(gw.url, { method: 'POST', path: '/v1/predict', body: '{}' });
    expect(ok.status).toBe(200);
    expect(await closedCount(gw, 'body')).toBe(3);
  });

  it('cuts a connection whose request head does not complete within `headers` (408)', async () => {
    const s = await connect(gw.port);
    const answer = readAnswer(s);
    s.write('GET /v1/predict HTTP/1.1\r\nhost: gw\r\nx-slow: ');
    const a = await answer;
    expect(a.status).toBe(408);
    await closed(s);
    expect(await closedCount(gw, 'headers')).toBe(1);
    expect(await closedCount(gw, 'invalid')).toBe(0); // its close after the 408 is not a second reason
    // A connection that never sends a byte is held no longer (the 1,100 idle connections).
    const silent = await connect(gw.port);
    silent.resume(); // reads, so that it sees the close
    await closed(silent);
    expect(await closedCount(gw, 'headers')).toBe(2);
  });

  it('closes a keep-alive connection idle longer than `idle`', async () => {
    const s = await connect(gw.port);
    const answer = readAnswer(s);
    s.write('GET /v1/predict HTTP/1.1\r\nhost: gw\r\n\r\n');
    expect((await answer).status).toBe(200);
    const before = await closedCount(gw, 'idle');
    await closed(s);
    expect(await closedCount(gw, 'idle')).toBe(before + 1);
  });

  it('cuts a client that stops reading its answer after `send` and cancels the upstream call, freeing its pool connection', async () => {
    const upstreamClosed = new Promise<void>((resolve) => { bigClosed = resolve; });
    const s = await connect(gw.port);
    s.pause(); // never reads a byte (so it cannot see the close either: the upstream's side is watched)
    s.write('GET /v1/big HTTP/1.1\r\nhost: gw\r\n\r\n');
    await upstreamClosed;
    s.destroy();
    expect(await closedCount(gw, 'send')).toBe(1);
    // The pool has one connection: the next live request gets it only if the stalled call was cancelled.
    const next = await send(gw.url, { path: '/v1/predict' });
    expect(next.status).toBe(200);
    expect(cuts).toEqual(['cut']);
  });

  it('cuts a client that stops reading a passthrough answer after `send`, and the upstream call with it', async () => {
    const upstreamClosed = new Promise<void>((resolve) => { bigClosed = resolve; });
    const before = await closedCount(gw, 'send');
    const s = await connect(gw.port);
    s.pause();
    s.write('GET /big HTTP/1.1\r\nhost: gw\r\n\r\n');
    await upstreamClosed;
    s.destroy();
    expect(await closedCount(gw, 'send')).toBe(before + 1);
    expect(cuts.at(-1)).toBe('cut');
  });

  it('at server.maxConnections, closes the oldest idle connection to admit a new client', async () => {
    const idle = [];
    // Each of these is served and then idles on keep-alive: open, but with no request in progress.
    for (let i = 0; i < 20; i++) {
      const s = await connect(gw.port);
      const a = readAnswer(s);
      s.write('GET /v1/predict HTTP/1.1\r\nhost: gw\r\n\r\n');
      expect((await a).status).toBe(200);
      idle.push(s);
    }
    const oldestClosed = closed(idle[0]!);
    const fresh = await send(gw.url, { path: '/v1/predict' });
    expect(fresh.status).toBe(200);
    await oldestClosed;
    expect(await closedCount(gw, 'evicted')).toBeGreaterThanOrEqual(1);
    expect(await closedCount(gw, 'max_connections')).toBe(0);
    for (const s of idle) s.destroy();
  });

  it('refuses a new connection at once when every connection has a request in progress', async () => {
    const busy = await Promise.all(Array.from({ length: 20 }, () => connect(gw.port)));
    for (const s of busy) {
      s.on('data', () => undefined);
      s.write('GET /hold HTTP/1.1\r\nhost: gw\r\n\r\n');
    }
    while (gw.app.proxy.inFlightCount < 20) await new Promise((r) => setImmediate(r));
    const extra = await connect(gw.port);
    extra.resume();
    await closed(extra);
    expect(await closedCount(gw, 'max_connections')).toBe(1);
    for (const s of busy) s.destroy();
    for (const res of held.splice(0)) res.end();
  });
});

describe('upstream deadline including the wait for a pool connection', () => {
  let upstream: TestUpstream;
  let gw: Gw | undefined;
  beforeAll(async () => {
    upstream = await startUpstream((req, body, res) => (req.url === '/v1/drip' ? drip(res) : echo(req, body, res)));
  });
  afterEach(async () => {
    await gw?.close();
    gw = undefined;
  });
  afterAll(async () => {
    await upstream.close();
  });

  it('answers 504 SG_ERR_UPSTREAM_TIMEOUT to a request still queued for a connection when its timeout passes', async () => {
    gw = await startFromYaml(`
upstreams:
  incumbent: { url: "${upstream.url}", timeout: 300ms, connections: 1 }
routes:
  - { name: predict, match: { pathPrefix: /v1 }, primary: incumbent }
`);
    const s = await connect(gw.port);
    const streaming = readAnswer(s).catch(() => undefined);
    s.on('data', () => undefined);
    s.write('GET /v1/drip HTTP/1.1\r\nhost: gw\r\n\r\n');
    // The drip holds the only connection (a chunk every 20 ms: its body timeout never fires).
    await new Promise<void>((resolve) => s.once('data', () => resolve()));
    const queued = await send(gw.url, { path: '/v1/predict' });
    expect(queued.status).toBe(504);
    expect(JSON.parse(queued.body).error.code).toBe('SG_ERR_UPSTREAM_TIMEOUT');
    s.destroy();
    await streaming;
  });

  it('answers 503 SG_ERR_UPSTREAM_BUSY with Retry-After at once when maxQueue requests already wait', async () => {
    gw = await startFromYaml(`
upstreams:
  incumbent: { url: "${upstream.url}", timeout: 5s, connections: 1, maxQueue: 1 }
routes:
  - { name: predict, match: { pathPrefix: /v1 }, primary: incumbent }
`);
    const s = await connect(gw.port);
    s.on('data', () => undefined);
    const first = new Promise<void>((resolve) => s.once('data', () => resolve()));
    s.write('GET /v1/drip HTTP/1.1\r\nhost: gw\r\n\r\n');
    await first;
    // One request may wait (maxQueue: 1); the next is refused at once.
    const waiting = send(gw.url, { path: '/v1/predict' });
    let busy = await send(gw.url, { path: '/v1/predict' });
    expect(busy.status).toBe(503);
    expect(busy.headers['retry-after']).toBe('1');
    expect(JSON.parse(busy.body).error.code).toBe('SG_ERR_UPSTREAM_BUSY');
    s.destroy();
    expect((await waiting).status).toBe(200);
    busy = await send(gw.url, { path: '/v1/predict' });
    expect(busy.status).toBe(200);
  });
});
