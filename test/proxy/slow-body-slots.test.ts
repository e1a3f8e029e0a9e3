// Issue #19 finding 5: a reconnecting slow-body attacker must not keep a route down. 80 clients send a
// head and a few body bytes, then stall until the proxy answers 408 (server.timeouts.body) or cuts them,
// and at once start over; the route allows 64 requests at a time. A control client sending whole
// requests meanwhile must succeed ≥ 95% (on 43e1ef9: a few %, its requests met a route whose 64 slots
// the stalled bodies held). The proxy reads a bounded body before it takes the route slot, as NGINX reads
// it before it connects upstream (docs/slow-clients.md).
//
// The scenario is a function over a surface (a whole-request client and a stalled-body client of one
// protocol), run here on HTTP/1.1, h2c, TLS HTTP/1.1 and TLS h2, so that it folds into the live-path
// surface matrix.
import { rmSync } from 'node:fs';
import http2 from 'node:http2';
import type { Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import tls from 'node:tls';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFromYaml } from '../helpers/app.js';
import { makePki, opensslMissing, type TestPki } from '../helpers/certs.js';
import { connect } from '../helpers/raw.js';
import { echo, startUpstream, type TestUpstream } from '../helpers/upstream.js';

const noOpenssl = opensslMissing();
if (noOpenssl) console.warn(noOpenssl);

type Gw = Awaited<ReturnType<typeof startFromYaml>>;

/** What the scenario needs of one protocol the proxy serves. */
export interface SlowBodySurface {
  readonly name: string;
  /** One whole request (own connection reuse as the client likes); resolves with the status. */
  send(path: string, body: string): Promise<number>;
  /**
   * A POST whose head declares `length` body bytes, of which only `first` are sent; resolves when the
   * proxy ends it (an answer, a reset or a close) — or when `stop` is called.
   */
  stall(path: string, length: number, first: string): Promise<void>;
  /** Ends every stalled request and connection of this surface. */
  stop(): Promise<void>;
}

/** HTTP/1.1 in clear, or over TLS (ALPN http/1.1) when `ca` (PEM) is given. */
export function h1Surface(port: number, ca?: string): SlowBodySurface {
  const agent = new Agent({ connections: 4, ...(ca ? { connect: { ca } } : {}) });
  const sockets = new Set<Socket>();
  const open = (): Promise<Socket> => ca === undefined ? connect(port) : new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, ca, ALPNProtocols: ['http/1.1'] }, () => resolve(s));
    s.once('error', reject);
  });
  return {
    name: ca ? 'TLS HTTP/1.1' : 'HTTP/1.1',
    async send(path, body) {
      const res = await request(`${ca ? 'https' : 'http'}://127.0.0.1:${port}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json' }, dispatcher: agent });
      await res.body.dump();
      return res.statusCode;
    },
    async stall(path, length, first) {
      const s = await open();
      sockets.add(s);
      s.on('error', () => undefined);
      s.resume(); // takes the 408 (or a 429) and sees the close
      const ended = new Promise<void>((resolve) => {
        s.once('close', () => resolve());
        s.once('data', () => s.destroy()); // any answer: this attempt is over, start over
      });
      s.write(`POST ${path} HTTP/1.1\r\nhost: gw\r\ncontent-type: application/json\r\ncontent-length: ${length}\r\n\r\n${first}`);
      await ended;
      sockets.delete(s);
    },
    async stop() {
      for (const s of sockets) s.destroy();
      await agent.close();
    },
  };
}

/** HTTP/2: h2c with prior knowledge for an http:// URL, h2 by ALPN for https:// (trusting `ca`). */
export function h2Surface(url: string, ca?: string): SlowBodySurface {
  const sessions = new Set<http2.ClientHttp2Session>();
  const open = (): http2.ClientHttp2Session => {
    const s = http2.connect(url, ca ? { ca } : {});
    sessions.add(s);
    s.on('error', () => undefined);
    s.once('close', () => sessions.delete(s));
    return s;
  };
  let control: http2.ClientHttp2Session | undefined;
  return {
    name: ca ? 'TLS h2' : 'h2c',
    send(path, body) {
      if (control === undefined || control.closed || control.destroyed) control = open();
      const session = control;
      return new Promise<number>((resolve, reject) => {
        const stream = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/json' });
        let status = 0;
        stream.on('response', (h) => { status = Number(h[':status']); });
        stream.on('error', reject);
        stream.resume();
        stream.on('close', () => resolve(status));
        stream.end(body);
      });
    },
    stall(path, length, first) {
      // One session per stalled request: the attacker's connections, each with one stream.
      const session = open();
      return new Promise<void>((resolve) => {
        const stream = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/json', 'content-length': String(length) });
        stream.on('error', () => undefined);
        stream.resume();
        stream.once('response', () => stream.close());
        stream.once('close', () => {
          session.destroy();
          resolve();
        });
        session.once('close', () => resolve());
        stream.write(first);
      });
    },
    async stop() {
      for (const s of sessions) s.destroy();
    },
  };
}

export interface SlowBodyOutcome {
  readonly sent: number;
  readonly ok: number;
  readonly statuses: Record<string, number>;
  /** Stalled requests the attackers started (their first ones included). */
  readonly attempts: number;
}

/**
 * `attackers` stalled-body requests, each started over as soon as the proxy ends it, while a control
 * client sends whole requests one after another (paced `gapMs` apart) until it has sent `minSent` and the
 * attackers have started over `cycles` times each — or it has sent `maxSent`.
 */
export async function slowBodyScenario(gw: Gw, surface: SlowBodySurface, opts: { attackers: number; minSent: number; maxSent: number; cycles: number; gapMs: number; path: string }): Promise<SlowBodyOutcome> {
  let running = true;
  let attempts = 0;
  const base = gw.app.proxy.inFlightCount;
  const attacker = async (): Promise<void> => {
    while (running) {
      attempts++;
      await surface.stall(opts.path, 1000, '{"a":');
    }
  };
  const attackers = Array.from({ length: opts.attackers }, attacker);
  // Every attacker has a request in the proxy (64 of them hold slots, on a proxy that gives slots first).
  for (const deadline = Date.now() + 30_000; gw.app.proxy.inFlightCount - base < Math.min(opts.attackers, 64) || attempts < opts.attackers;) {
    if (Date.now() > deadline) throw new Error(`attackers not in: ${gw.app.proxy.inFlightCount} in flight, ${attempts} attempts`);
    await delay(10);
  }
  const statuses: Record<string, number> = {};
  let sent = 0;
  let ok = 0;
  const firstAttempts = attempts;
  try {
    while (sent < opts.maxSent && (sent < opts.minSent || attempts - firstAttempts < opts.cycles * opts.attackers)) {
      const status = await surface.send(opts.path, '{"control":true}').catch(() => 0);
      sent++;
      if (status === 200) ok++;
      statuses[status] = (statuses[status] ?? 0) + 1;
      await delay(opts.gapMs); // pacing: the control's requests spread over the attackers' cycles
    }
  } finally {
    running = false;
    await surface.stop();
    await Promise.all(attackers);
  }
  return { sent, ok, statuses, attempts };
}

describe('a reconnecting slow-body attacker leaves a control client ≥ 95% success (route maxConcurrency 64)', () => {
  let upstream: TestUpstream;
  let other: TestUpstream;
  let gw: Gw;

  beforeAll(async () => {
    upstream = await startUpstream(echo);
    other = await startUpstream(echo);
    gw = await startFromYaml(`
server:
  http2: true
  timeouts: { body: 1s, send: 2s }
  passthrough: other
  drainTimeout: 1s
upstreams:
  incumbent: { url: "${upstream.url}", timeout: 5s }
  other: { url: "${other.url}", timeout: 5s, connections: 2 }
routes:
  - name: predict
    match: { pathPrefix: /v1 }
    primary: incumbent
    limits: { maxConcurrency: 64 }
`);
  });

  afterAll(async () => {
    await gw.close();
    await upstream.close();
    await other.close();
  });

  const surfaces: [string, () => SlowBodySurface][] = [
    ['HTTP/1.1', () => h1Surface(gw.port)],
    ['h2c', () => h2Surface(gw.url)],
  ];
  for (const [name, make] of surfaces) {
    it(`${name}: 80 stalled bodies, started over at each 408, take no route slot`, async () => {
      const out = await slowBodyScenario(gw, make(), { attackers: 80, minSent: 60, maxSent: 150, cycles: 2, gapMs: 20, path: '/v1/predict' });
      expect(out.sent).toBeGreaterThanOrEqual(60);
      expect(out.ok / out.sent, JSON.stringify(out)).toBeGreaterThanOrEqual(0.95);
      // Every slot comes back once the attack is over.
      const after = h1Surface(gw.port);
      expect(await after.send('/v1/predict', '{}')).toBe(200);
      await after.stop();
    }, 60_000);
  }

  it('passthrough over h2c: the body, read first, reaches the upstream with its length', async () => {
    const session = http2.connect(gw.url);
    try {
      const body = await new Promise<string>((resolve, reject) => {
        const stream = session.request({ ':method': 'POST', ':path': '/static/h2', 'content-type': 'application/json' });
        let text = '';
        stream.setEncoding('utf8');
        stream.on('data', (d: string) => { text += d; });
        stream.on('end', () => resolve(text));
        stream.on('error', reject);
        stream.write('{"a":');
        setImmediate(() => stream.end('1}'));
      });
      // node:http2's request has only a getter for its headers: 43e1ef9 threw assigning them.
      const seen = JSON.parse(body) as { url: string; body: string; headers: Record<string, string> };
      expect(seen).toMatchObject({ url: '/static/h2', body: '{"a":1}' });
      expect(seen.headers['content-length']).toBe('7');
    } finally {
      session.close();
    }
  });

  it('passthrough: stalled bodies hold none of the upstream\'s connections (bodies are read before it is called)', async () => {
    const surface = h1Surface(gw.port);
    let running = true;
    let attempts = 0;
    const base = gw.app.proxy.inFlightCount;
    const seenBefore = other.received.length;
    const stallers = Array.from({ length: 20 }, async () => {
      while (running) {
        attempts++;
        await surface.stall('/static/upload', 1000, 'abcde');
      }
    });
    try {
      for (const deadline = Date.now() + 30_000; gw.app.proxy.inFlightCount - base < 20 || attempts < 20;) {
        if (Date.now() > deadline) throw new Error(`stallers not in: ${gw.app.proxy.inFlightCount} in flight`);
        await delay(10);
      }
      // The passthrough upstream (2 connections) has not seen one of them, and serves a whole request.
      expect(other.open()).toBe(0);
      expect(await surface.send('/static/whole', '{}')).toBe(200);
      expect(other.received.slice(seenBefore).map((r) => r.url)).toEqual(['/static/whole']);
    } finally {
      running = false;
      await surface.stop();
      await Promise.all(stallers);
    }
  }, 60_000);
});

describe.skipIf(noOpenssl !== undefined)('the same attacker over TLS (http2: true: HTTP/1.1 and h2 by ALPN)', () => {
  let upstream: TestUpstream;
  let pki: TestPki;
  let ca: string;
  let gw: Gw;

  beforeAll(async () => {
    pki = makePki();
    ca = pki.read(pki.ca);
    upstream = await startUpstream(echo);
    gw = await startFromYaml(`
server:
  http2: true
  tls: { cert: "${pki.server.cert}", key: "${pki.server.key}" }
  timeouts: { body: 1s, send: 2s }
  drainTimeout: 1s
upstreams:
  incumbent: { url: "${upstream.url}", timeout: 5s }
routes:
  - name: predict
    match: { pathPrefix: /v1 }
    primary: incumbent
    limits: { maxConcurrency: 64 }
`);
  });

  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
    if (pki !== undefined) rmSync(pki.dir, { recursive: true, force: true });
  });

  const surfaces: [string, () => SlowBodySurface][] = [
    ['TLS HTTP/1.1', () => h1Surface(gw.port, ca)],
    ['TLS h2', () => h2Surface(`https://127.0.0.1:${gw.port}`, ca)],
  ];
  for (const [name, make] of surfaces) {
    it(`${name}: 80 stalled bodies take no route slot`, async () => {
      const out = await slowBodyScenario(gw, make(), { attackers: 80, minSent: 60, maxSent: 150, cycles: 2, gapMs: 20, path: '/v1/predict' });
      expect(out.ok / out.sent, JSON.stringify(out)).toBeGreaterThanOrEqual(0.95);
    }, 60_000);
  }
});
