// The live path as HTTP says a reverse proxy must behave (RFC 9110 §7.6), over real loopback sockets.
import net from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { closedPort, echo, json, startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { send, startFromYaml } from '../helpers/app.js';

let upstream: TestUpstream;
let other: TestUpstream;
let gw: Awaited<ReturnType<typeof startFromYaml>>;
let deadPort: number;

beforeAll(async () => {
  upstream = await startUpstream(echo);
  other = await startUpstream(json(200, { passthrough: true }));
  other.behaviour = (req, _body, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'x-seen-path': req.url ?? '' });
    res.end('passthrough');
  };
  deadPort = await closedPort();
  gw = await startFromYaml(`
server: { maxBodyBytes: 1kb, passthrough: other }
upstreams:
  incumbent: { url: "${upstream.url}", timeout: 300ms }
  other: { url: "${other.url}" }
  dead: { url: "http://127.0.0.1:${deadPort}" }
routes:
  - name: predict
    match: { pathPrefix: /v1/predict, methods: [POST, GET, HEAD] }
    primary: incumbent
  - name: down
    match: { pathPrefix: /v1/down }
    primary: dead
`);
});

afterAll(async () => {
  await gw.close();
  await upstream.close();
  await other.close();
});

describe('primary forwarding', () => {
  it('forwards method, path, query and body, and streams the answer back', async () => {
    const res = await send(gw.url, { method: 'POST', path: '/v1/predict?x=1', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    expect(res.status).toBe(200);
    const seen = JSON.parse(res.body);
    expect(seen).toMatchObject({ method: 'POST', url: '/v1/predict?x=1', body: '{"a":1}' });
    expect(seen.headers['content-type']).toBe('application/json');
  });

  it('keeps a client x-request-id and generates one otherwise, on both legs', async () => {
    const kept = await send(gw.url, { path: '/v1/predict', headers: { 'x-request-id': 'abc-123' } });
    expect(kept.headers['x-request-id']).toBe('abc-123');
    expect(JSON.parse(kept.body).headers['x-request-id']).toBe('abc-123');
    const fresh = await send(gw.url, { path: '/v1/predict' });
    expect(fresh.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(fresh.body).headers['x-request-id']).toBe(fresh.headers['x-request-id']);
  });

  it('drops hop-by-hop fields and those named in Connection, and adds X-Forwarded-* and Via', async () => {
    // Raw bytes: HTTP clients refuse to send a Connection header naming arbitrary fields.
    const raw = await new Promise<string>((resolve, reject) => {
      const sock = net.connect(gw.port, '127.0.0.1', () => {
        sock.write([
          'GET /v1/predict HTTP/1.1', `Host: 127.0.0.1:${gw.port}`, 'Connection: close, x-secret-hop',
          'X-Secret-Hop: 1', 'Keep-Alive: timeout=5', 'Proxy-Authorization: Basic eA==', 'TE: trailers',
          'X-Forwarded-For: 10.0.0.1', 'Via: 1.0 edge', 'X-Kept: yes', '', '',
        ].join('\r\n'));
      });
      let buf = '';
      sock.on('data', (d) => { buf += d.toString(); });
      sock.on('end', () => resolve(buf));
      sock.on('error', reject);
    });
    const [head, body] = raw.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1.1 200/);
    expect(head!.toLowerCase()).toContain('via: 1.1 shadowgate');
    const h = JSON.parse(body!).headers;
    expect(h['x-secret-hop']).toBeUndefined();
    expect(h['keep-alive']).toBeUndefined();
    expect(h['proxy-authorization']).toBeUndefined();
    expect(h.te).toBeUndefined();
    expect(h['x-kept']).toBe('yes');
    expect(h['x-forwarded-for']).toBe('10.0.0.1, 127.0.0.1');
    expect(h['x-forwarded-proto']).toBe('http');
    expect(h['x-forwarded-host']).toBe(`127.0.0.1:${gw.port}`);
    expect(h.via).toBe('1.0 edge, 1.1 shadowgate');
  });

  it('never lets Connection remove a header the proxy adds itself', async () => {
    upstream.behaviour = (_req, _body, res) => {
      res.writeHead(200, { connection: 'via, x-request-id, x-upstream-hop', 'x-upstream-hop': '1', 'content-length': '2' });
      res.end('ok');
    };
    try {
      const res = await send(gw.url, { path: '/v1/predict' });
      expect(res.headers['x-upstream-hop']).toBeUndefined();
      expect(res.headers.via).toBe('1.1 shadowgate');
      expect(res.headers['x-request-id']).toBeDefined();
    } finally {
      upstream.behaviour = echo;
    }
  });

  it('answers 413 with a JSON error when the body exceeds server.maxBodyBytes, declared or chunked', async () => {
    const big = Buffer.alloc(2048, 'a');
    const declared = await send(gw.url, { method: 'POST', path: '/v1/predict', body: big });
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.body).error).toMatchObject({ code: 'SG_ERR_BODY_TOO_LARGE' });
    const chunked = await request(`${gw.url}/v1/predict`, {
      method: 'POST',
      body: Readable.from((function* () { for (let i = 0; i < 4; i++) yield Buffer.alloc(512, 'b'); })()),
    });
    expect(chunked.statusCode).toBe(413);
    const err = (await chunked.body.json()) as { error: { code: string; requestId: string } };
    expect(err.error.code).toBe('SG_ERR_BODY_TOO_LARGE');
    expect(err.error.requestId).toBeTruthy();
  });

  it('forwards a chunked request body whole and streams a chunked answer', async () => {
    upstream.behaviour = (_req, body, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('got:');
      res.write(String(body.length));
      res.end();
    };
    try {
      const res = await request(`${gw.url}/v1/predict`, {
        method: 'POST',
        body: Readable.from([Buffer.from('abc'), Buffer.from('def')]),
      });
      expect(res.headers['transfer-encoding']).toBe('chunked');
      expect(await res.body.text()).toBe('got:6');
    } finally {
      upstream.behaviour = echo;
    }
  });

  it('answers 404 for a request no route matches and nothing passes through', async () => {
    const res = await send(gw.url, { method: 'DELETE', path: '/v1/predict' });
    // DELETE matches no route's methods, and the passthrough takes it.
    expect(res.body).toBe('passthrough');
    const g2 = await startFromYaml(`
upstreams: { a: { url: "${upstream.url}" } }
routes: [{ name: r, match: { pathPrefix: /only }, primary: a }]
`);
    try {
      const miss = await send(g2.url, { path: '/elsewhere' });
      expect(miss.status).toBe(404);
      expect(JSON.parse(miss.body).error.code).toBe('SG_ERR_NO_ROUTE');
    } finally {
      await g2.close();
    }
  });

  it('answers 502 when the upstream refuses and 504 when it does not answer in time', async () => {
    const refused = await send(gw.url, { path: '/v1/down' });
    expect(refused.status).toBe(502);
    expect(JSON.parse(refused.body).error.code).toBe('SG_ERR_UPSTREAM_UNAVAILABLE');
    upstream.behaviour = () => undefined; // never answers
    try {
      const slow = await send(gw.url, { path: '/v1/predict' });
      expect(slow.status).toBe(504);
      expect(JSON.parse(slow.body).error.code).toBe('SG_ERR_UPSTREAM_TIMEOUT');
    } finally {
      upstream.behaviour = echo;
    }
  });

  it('answers 502 when the upstream resets the connection', async () => {
    upstream.behaviour = (req) => req.socket.destroy();
    try {
      const res = await send(gw.url, { path: '/v1/predict' });
      expect(res.status).toBe(502);
    } finally {
      upstream.behaviour = echo;
    }
  });

  it('keeps HEAD, 204 and 304 answers bodiless', async () => {
    upstream.behaviour = (req, _b, res) => {
      if (req.url === '/v1/predict/204') { res.writeHead(204); res.end(); return; }
      if (req.url === '/v1/predict/304') { res.writeHead(304, { etag: '"x"' }); res.end(); return; }
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '5' });
      res.end(req.method === 'HEAD' ? undefined : 'hello');
    };
    try {
      const head = await send(gw.url, { method: 'HEAD', path: '/v1/predict' });
      expect(head.status).toBe(200);
      expect(head.headers['content-length']).toBe('5');
      expect(head.body).toBe('');
      const nc = await send(gw.url, { path: '/v1/predict/204' });
      expect(nc.status).toBe(204);
      expect(nc.body).toBe('');
      const nm = await send(gw.url, { path: '/v1/predict/304' });
      expect(nm.status).toBe(304);
      expect(nm.headers.etag).toBe('"x"');
      expect(nm.body).toBe('');
    } finally {
      upstream.behaviour = echo;
    }
  });

  it('cancels the upstream request when the client disconnects', async () => {
    const upstreamClosed = new Promise<void>((resolve) => {
      upstream.behaviour = (req) => req.socket.once('close', () => resolve());
    });
    const agent = new Agent();
    const ac = new AbortController();
    const pending = request(`${gw.url}/v1/predict`, { dispatcher: agent, signal: ac.signal }).catch(() => 'aborted');
    while (upstream.open() === 0) await new Promise((r) => setImmediate(r));
    ac.abort();
    expect(await pending).toBe('aborted');
    await upstreamClosed; // resolves only if the proxy tore down its upstream call
    upstream.behaviour = echo;
    await agent.close();
  });

  it('passes paths that are not model routes through unbuffered, with the proxy headers', async () => {
    const res = await send(gw.url, { path: '/static/app.js' });
    expect(res.body).toBe('passthrough');
    expect(res.headers['x-seen-path']).toBe('/static/app.js');
    expect(res.headers.via).toBe('1.1 shadowgate');
  });

  it('passes WebSocket upgrades through to the passthrough upstream, both ways', async () => {
    const echoed = await new Promise<string>((resolve, reject) => {
      const sock = net.connect(gw.port, '127.0.0.1', () => {
        sock.write('GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
      });
      let buf = '';
      let upgraded = false;
      sock.on('data', (d) => {
        buf += d.toString();
        if (!upgraded && buf.includes('\r\n\r\n')) {
          expect(buf.startsWith('HTTP/1.1 101')).toBe(true);
          upgraded = true;
          buf = '';
          sock.write('ping-frame');
        } else if (upgraded && buf === 'ping-frame') {
          sock.destroy();
          resolve(buf);
        }
      });
      sock.on('error', reject);
    });
    expect(echoed).toBe('ping-frame');
  });
});
