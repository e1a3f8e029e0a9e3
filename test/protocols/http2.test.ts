// HTTP/2 on both sides: the listener takes h2c with prior knowledge beside HTTP/1.1 in clear, and h2 by
// ALPN beside HTTP/1.1 over TLS; an upstream with http2: true is reached over h2 (undici allowH2).
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePki, opensslMissing, type TestPki } from '../helpers/certs.js';
import { startFromYaml } from '../helpers/app.js';
import { echo, startUpstream, type TestUpstream } from '../helpers/upstream.js';

const missing = opensslMissing();
if (missing) console.warn(missing);

interface H2Answer { status: number; headers: http2.IncomingHttpHeaders; body: string; alpn: string | false | undefined }

/** One request over a fresh node:http2 session. */
function h2get(authority: string, path: string, opts: { ca?: string; method?: string; body?: string; headers?: Record<string, string> } = {}): Promise<H2Answer> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(authority, opts.ca ? { ca: opts.ca } : {});
    session.on('error', reject);
    const req = session.request({ ':method': opts.method ?? 'GET', ':path': path, ...opts.headers });
    let body = '';
    let headers: http2.IncomingHttpHeaders = {};
    req.on('response', (h) => { headers = h; });
    req.setEncoding('utf8');
    req.on('data', (d: string) => { body += d; });
    req.on('end', () => {
      const alpn = session.alpnProtocol;
      session.close();
      resolve({ status: Number(headers[':status']), headers, body, alpn });
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

let up: TestUpstream;
beforeAll(async () => {
  up = await startUpstream((req, body, res) => {
    if (req.url === '/v1/stream') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: one\n\n');
      res.end('data: two\n\n');
      return;
    }
    echo(req, body, res);
  });
});
afterAll(async () => {
  await up.close();
});

describe('h2c with prior knowledge beside HTTP/1.1', () => {
  it('answers both protocols on one port, forwarding without pseudo-headers', async () => {
    const gw = await startFromYaml(`
server: { http2: true }
upstreams: { a: { url: "${up.url}" } }
routes: [{ name: r, match: { pathPrefix: /v1 }, primary: a }]
`);
    try {
      const a = await h2get(gw.url, '/v1/echo?q=1', { method: 'POST', body: '{"x":1}', headers: { 'content-type': 'application/json', 'x-test': 'h2' } });
      expect(a.status).toBe(200);
      expect(a.headers['x-request-id']).toBeDefined();
      const seen = JSON.parse(a.body) as { method: string; url: string; headers: Record<string, string>; body: string };
      expect(seen).toMatchObject({ method: 'POST', url: '/v1/echo?q=1', body: '{"x":1}' });
      expect(seen.headers['x-test']).toBe('h2');
      expect(seen.headers['x-forwarded-host']).toBe(`127.0.0.1:${gw.port}`);
      expect(seen.headers['x-forwarded-proto']).toBe('http');
      expect(Object.keys(seen.headers).filter((k) => k.startsWith(':'))).toEqual([]);
      const s = await h2get(gw.url, '/v1/stream');
      expect(s.body).toBe('data: one\n\ndata: two\n\n');
      const h1 = await request(`${gw.url}/v1/echo`);
      expect(h1.statusCode).toBe(200);
      expect(((await h1.body.json()) as { url: string }).url).toBe('/v1/echo');
    } finally {
      await gw.close();
    }
  });

  it('drains: an idle h2 session open at shutdown does not hold it', async () => {
    const gw = await startFromYaml(`
server: { http2: true, drainTimeout: 10s }
upstreams: { a: { url: "${up.url}" } }
routes: [{ name: r, primary: a }]
`);
    const session = http2.connect(gw.url);
    const goaway = new Promise<void>((resolve) => session.once('goaway', () => resolve()));
    const closed = new Promise<void>((resolve) => session.once('close', () => resolve()));
    session.on('error', () => undefined);
    const req = session.request({ ':path': '/v1/x' });
    req.resume();
    await new Promise((resolve) => req.once('end', resolve));
    await gw.close();
    await goaway;
    await closed;
  });
});

describe.skipIf(missing !== undefined)('h2 over TLS by ALPN, and HTTP/2 upstreams', () => {
  let pki: TestPki;
  beforeAll(() => {
    pki = makePki();
  });

  it('negotiates h2 by ALPN and still serves HTTP/1.1 over TLS on the same port', async () => {
    const gw = await startFromYaml(`
server: { http2: true, tls: { cert: "${pki.server.cert}", key: "${pki.server.key}" } }
upstreams: { a: { url: "${up.url}" } }
routes: [{ name: r, primary: a }]
`);
    const agent = new Agent({ connect: { ca: pki.read(pki.ca) } });
    try {
      const a = await h2get(`https://127.0.0.1:${gw.port}`, '/v1/echo', { ca: pki.read(pki.ca) });
      expect(a.alpn).toBe('h2');
      expect(a.status).toBe(200);
      expect((JSON.parse(a.body) as { headers: Record<string, string> }).headers['x-forwarded-proto']).toBe('https');
      const h1 = await request(`https://127.0.0.1:${gw.port}/v1/echo`, { dispatcher: agent });
      expect(h1.statusCode).toBe(200);
      expect(((await h1.body.json()) as { headers: Record<string, string> }).headers['x-forwarded-proto']).toBe('https');
    } finally {
      await agent.close();
      await gw.close();
    }
  });

  it('reaches an h2-only upstream with http2: true', async () => {
    const versions: string[] = [];
    const h2up = http2.createSecureServer({ cert: pki.read(pki.server.cert), key: pki.read(pki.server.key) }, (req, res) => {
      versions.push(req.httpVersion);
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ path: req.url })));
    });
    await new Promise<void>((resolve) => h2up.listen(0, '127.0.0.1', resolve));
    const url = `https://127.0.0.1:${(h2up.address() as AddressInfo).port}`;
    const gw = await startFromYaml(`
upstreams: { h2: { url: "${url}", http2: true, tls: { ca: "${pki.ca}" } } }
routes: [{ name: r, primary: h2 }]
`);
    try {
      const res = await request(`${gw.url}/v1/x`, { method: 'POST', body: '{}' });
      expect(res.statusCode).toBe(200);
      expect(await res.body.json()).toEqual({ path: '/v1/x' });
      expect(versions).toEqual(['2.0']);
    } finally {
      await gw.close();
      await new Promise((r) => h2up.close(r));
    }
  });
});
