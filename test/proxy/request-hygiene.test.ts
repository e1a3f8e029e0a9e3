// Issue #10 findings 4 and 5 over real sockets: one canonical request target before routing (no
// bypass of a route by absolute-form or dot-segments), passthrough bodies bounded, NGINX's request
// limits (header count, request line, duplicate Host, TRACE, OPTIONS *), and the passthrough path
// dropping hop-by-hop fields both ways exactly as the route path does.
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { echo, startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { send, startFromYaml } from '../helpers/app.js';
import { raw } from '../helpers/raw.js';

let model: TestUpstream;
let other: TestUpstream;
const otherSockets = new Set<number>();
let gw: Awaited<ReturnType<typeof startFromYaml>>;

beforeAll(async () => {
  model = await startUpstream(echo);
  other = await startUpstream((req, body, res) => {
    otherSockets.add(req.socket.remotePort ?? 0);
    res.writeHead(200, {
      'content-type': 'application/json',
      connection: 'x-upstream-private, keep-alive',
      'x-upstream-private': 'secret',
      'keep-alive': 'timeout=1234',
      'proxy-authenticate': 'Basic',
      'x-kept': 'yes',
    });
    res.end(JSON.stringify({ passthrough: true, url: req.url, headers: req.headers, bytes: body.length }));
  });
  gw = await startFromYaml(`
server: { maxBodyBytes: 1kb, passthrough: other, maxHeaders: 20 }
upstreams:
  incumbent: { url: "${model.url}" }
  other: { url: "${other.url}" }
routes:
  - name: predict
    match: { pathPrefix: /v1/predict, methods: [POST] }
    primary: incumbent
  - name: debug
    match: { pathPrefix: /debug, methods: [GET, TRACE] }
    primary: incumbent
`);
});

afterAll(async () => {
  await gw.close();
  await model.close();
  await other.close();
});

const post = (target: string, body: string, extra = '') =>
  `POST ${target} HTTP/1.1\r\nhost: gw.local\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra}connection: close\r\n\r\n${body}`;

describe('one canonical request target before routing', () => {
  it('routes an absolute-form target by its path, with the Host taken from it (RFC 9112 §3.2.2)', async () => {
    const a = await raw(gw.port, post('http://evil.example/v1/predict?x=1', '{"a":1}'));
    expect(a.status).toBe(200);
    const seen = JSON.parse(a.body);
    expect(seen.url).toBe('/v1/predict?x=1'); // the model route, not the passthrough
    expect(seen.headers['x-forwarded-host']).toBe('evil.example');
  });

  it('removes dot-segments before routing (RFC 3986 §5.2.4), and refuses a path above the root', async () => {
    const a = await raw(gw.port, post('/x/../v1/predict', '{"a":1}'));
    expect(a.status).toBe(200);
    expect(JSON.parse(a.body).url).toBe('/v1/predict');
    const enc = await raw(gw.port, post('/x/%2e%2E/v1/./predict', '{"a":1}'));
    expect(JSON.parse(enc.body).url).toBe('/v1/predict');
    const above = await raw(gw.port, post('/../v1/predict', '{}'));
    expect(above.status).toBe(400);
    expect(JSON.parse(above.body).error.code).toBe('SG_ERR_BAD_REQUEST');
  });

  it('never decodes an encoded slash', async () => {
    const a = await raw(gw.port, post('/v1%2Fpredict', '{}'));
    const seen = JSON.parse(a.body);
    expect(seen.passthrough).toBe(true);
    expect(seen.url).toBe('/v1%2Fpredict');
  });

  it('bounds passthrough bodies by maxBodyBytes, declared or streamed (413)', async () => {
    const big = 'x'.repeat(100 * 1024);
    const declared = await raw(gw.port, post('/upload', big));
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.body).error.code).toBe('SG_ERR_BODY_TOO_LARGE');
    const streamed = await request(`${gw.url}/upload`, {
      method: 'POST',
      body: Readable.from((function* () { for (let i = 0; i < 100; i++) yield Buffer.alloc(1024, 0x78); })()),
    });
    expect(streamed.statusCode).toBe(413);
    expect(JSON.parse(await streamed.body.text()).error.code).toBe('SG_ERR_BODY_TOO_LARGE');
    const small = await send(gw.url, { method: 'POST', path: '/upload', body: 'x'.repeat(512) });
    expect(JSON.parse(small.body).bytes).toBe(512);
  });
});

describe('request limits like NGINX', () => {
  it('answers 431 JSON to more than server.maxHeaders header fields, and to 2,500 of them', async () => {
    const fields = (n: number) => Array.from({ length: n }, (_, i) => `x-h${i}: v\r\n`).join('');
    const over = await raw(gw.port, `GET /static HTTP/1.1\r\nhost: gw\r\n${fields(20)}\r\n`);
    expect(over.status).toBe(431);
    expect(JSON.parse(over.body).error.code).toBe('SG_ERR_HEADERS_TOO_LARGE');
    const flood = await raw(gw.port, `GET /static HTTP/1.1\r\nhost: gw\r\n${fields(2500)}\r\n`);
    expect(flood.status).toBe(431);
    const within = await raw(gw.port, `GET /static HTTP/1.1\r\nhost: gw\r\n${fields(10)}connection: close\r\n\r\n`);
    expect(within.status).toBe(200);
  });

  it('answers 414 JSON to a request line over 16 KB', async () => {
    for (const size of [17 * 1024, 70 * 1024]) {
      const a = await raw(gw.port, `GET /static?q=${'a'.repeat(size)} HTTP/1.1\r\nhost: gw\r\n\r\n`);
      expect(a.status).toBe(414);
      expect(JSON.parse(a.body).error.code).toBe('SG_ERR_URI_TOO_LONG');
    }
  });

  it('answers 400 to a duplicate Host', async () => {
    const a = await raw(gw.port, 'GET /static HTTP/1.1\r\nhost: a.example\r\nhost: b.example\r\n\r\n');
    expect(a.status).toBe(400);
    expect(JSON.parse(a.body).error.code).toBe('SG_ERR_BAD_REQUEST');
  });

  it('answers TRACE with 405 unless a route allows it', async () => {
    const before = other.received.length;
    const refused = await raw(gw.port, 'TRACE /static HTTP/1.1\r\nhost: gw\r\n\r\n');
    expect(refused.status).toBe(405);
    expect(JSON.parse(refused.body).error.code).toBe('SG_ERR_METHOD_NOT_ALLOWED');
    expect(other.received.length).toBe(before);
    const allowed = await raw(gw.port, 'TRACE /debug HTTP/1.1\r\nhost: gw\r\nconnection: close\r\n\r\n');
    expect(allowed.status).toBe(200);
    expect(JSON.parse(allowed.body).method).toBe('TRACE');
  });

  it('answers OPTIONS * itself instead of forwarding OPTIONS /*', async () => {
    const before = other.received.length;
    const a = await raw(gw.port, 'OPTIONS * HTTP/1.1\r\nhost: gw\r\nconnection: close\r\n\r\n');
    expect(a.status).toBe(200);
    expect(a.headers.allow).toContain('GET');
    expect(other.received.length).toBe(before);
  });
});

describe('passthrough header hygiene, as on the route path', () => {
  const hostile = 'connection: x-client-private, keep-alive\r\nx-client-private: secret\r\nte: trailers\r\nkeep-alive: timeout=99\r\nupgrade: h2c\r\nproxy-authorization: Basic Zm9vOmJhcg==\r\nx-kept: yes\r\n';

  for (const [name, target] of [['passthrough', '/static/x'], ['route', '/debug/x']] as const) {
    it(`drops hop-by-hop and Connection-named fields both ways on the ${name} path`, async () => {
      const a = await raw(gw.port, `GET ${target} HTTP/1.1\r\nhost: gw\r\n${hostile}\r\n`);
      expect(a.status).toBe(200);
      const forwarded = JSON.parse(a.body).headers as Record<string, string>;
      for (const f of ['x-client-private', 'te', 'upgrade', 'proxy-authorization']) expect(forwarded[f]).toBeUndefined();
      expect(forwarded['keep-alive']).toBeUndefined();
      expect(forwarded.connection ?? '').not.toContain('x-client-private');
      expect(forwarded['x-kept']).toBe('yes');
      if (name === 'passthrough') {
        // The answer: the upstream's hop-by-hop fields stop here, and the client's Connection is not echoed.
        expect(a.headers['x-upstream-private']).toBeUndefined();
        expect(a.headers['proxy-authenticate']).toBeUndefined();
        expect(a.headers['keep-alive'] ?? '').not.toContain('1234');
        expect(a.headers.connection ?? '').not.toContain('x-client-private');
        expect(a.headers.connection ?? '').not.toContain('x-upstream-private');
        expect(a.headers['x-kept']).toBe('yes');
        expect(a.headers.via).toBe('1.1 shadowgate');
      }
    });
  }
});

describe('passthrough connections', () => {
  it('keeps both the client connection and the upstream connection alive across requests', async () => {
    otherSockets.clear();
    const agent = new Agent({ connections: 1 });
    try {
      for (let i = 0; i < 20; i++) {
        const res = await request(`${gw.url}/static/${i}`, { dispatcher: agent });
        expect(res.statusCode).toBe(200);
        // The upstream's keep-alive fields are its own; the client's connection stays open.
        expect(res.headers.connection).not.toBe('close');
        await res.body.dump();
      }
      expect(otherSockets.size).toBe(1); // one upstream connection, reused 20 times
    } finally {
      await agent.close();
    }
  });
});
