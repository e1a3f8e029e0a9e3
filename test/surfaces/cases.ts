// The live-path cases, each written once as a function over a surface (test/helpers/surfaces.ts) and run
// for every surface by live-path.test.ts. A new case is one entry in CASES; `applies` narrows it to the
// surfaces where it means something (TLS suites on TLS surfaces, SETTINGS on HTTP/2).
import { execFile } from 'node:child_process';
import type { ServerResponse } from 'node:http';
import http2 from 'node:http2';
import { expect } from 'vitest';
import { startFromYaml } from '../helpers/app.js';
import { fetchOn, serverBlock, type Surface, type SurfaceConnection } from '../helpers/surfaces.js';
import { echo, startUpstream, type TestUpstream } from '../helpers/upstream.js';

export type Gateway = Awaited<ReturnType<typeof startFromYaml>>;

/** What a case gets: the surface, a proxy running on it, its upstream, and ways to read the proxy's state. */
export interface CaseEnv {
  readonly surface: Surface;
  readonly gw: Gateway;
  readonly upstream: LiveUpstream;
  /** Starts another proxy on this surface with its own server fields (closed by the case with gw.close()). */
  start(serverFields: string): Promise<Gateway>;
}

export interface LiveCase {
  readonly name: string;
  readonly applies?: (s: Surface) => boolean;
  run(env: CaseEnv): Promise<void>;
}

/** The deadline every wait on the proxy gets: generous, for a machine with load 10+. */
export const DEADLINE_MS = 30_000;

/** Polls `check` until it holds or the deadline passes (then fails with `what`). */
export async function until(what: string, check: () => boolean | Promise<boolean>, deadlineMs = DEADLINE_MS): Promise<void> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`not within ${deadlineMs / 1000} s: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Resolves with `p`, or fails after the deadline with `what` (a promise that would never settle). */
export async function within<T>(what: string, p: Promise<T>, deadlineMs = DEADLINE_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`not within ${deadlineMs / 1000} s: ${what}`)), deadlineMs); });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

export async function closedCount(gw: Gateway, reason: string): Promise<number> {
  const m = await gw.app.metrics.connectionsClosed.get();
  return m.values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

/** The proxy's live state from its Prometheus gauges: requests in progress, route slots, busy or queued upstream calls. */
export async function liveState(gw: Gateway): Promise<{ inFlight: number; slots: number; busy: number }> {
  const m = gw.app.metrics;
  const inFlight = (await m.liveInFlight.get()).values[0]?.value ?? 0;
  const slots = (await m.routeSlotsInUse.get()).values.reduce((n, v) => n + v.value, 0);
  const busy = (await m.upstreamConnections.get()).values.filter((v) => v.labels.state !== 'open').reduce((n, v) => n + v.value, 0);
  return { inFlight, slots, busy };
}

/** Waits until nothing is held: no request in progress, every route slot and pool connection free. */
export async function settled(gw: Gateway): Promise<void> {
  let last = { inFlight: -1, slots: -1, busy: -1 };
  await until(`nothing held (last: ${JSON.stringify(last)})`, async () => {
    last = await liveState(gw);
    return last.inFlight === 0 && last.slots === 0 && last.busy === 0;
  });
}

/** The upstream the cases share: echo, a 32 MB answer, a dripped answer, a slow one, one that never answers (any path ending in /hang), one that drops the connection. */
export interface LiveUpstream extends TestUpstream {
  /** Answers the upstream had cut under it (by path), counted when their response closed unfinished. */
  cuts(path: string): number;
}

export async function startLiveUpstream(): Promise<LiveUpstream> {
  const cut = new Map<string, number>();
  const watch = (path: string, res: ServerResponse) => res.once('close', () => {
    if (!res.writableFinished) cut.set(path, (cut.get(path) ?? 0) + 1);
  });
  const up = await startUpstream((req, body, res) => {
    const path = req.url ?? '/';
    watch(path, res);
    if (path === '/v1/big') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const chunk = Buffer.alloc(1 << 20, 0x61);
      let sent = 0;
      const pump = () => {
        while (sent < 32 && res.write(chunk)) sent++;
        if (sent < 32) res.once('drain', () => { sent++; pump(); });
        else res.end();
      };
      pump();
    } else if (path === '/v1/drip') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('start\n');
      const timer = setInterval(() => res.write('.'), 20);
      res.once('close', () => clearInterval(timer));
    } else if (path === '/v1/slow') {
      // In flight long enough to be cancelled in flight, short enough for a storm to run in seconds.
      const timer = setTimeout(() => echo(req, body, res), 30);
      res.once('close', () => clearTimeout(timer));
    } else if (path === '/pt/reset') {
      res.socket?.destroy(); // an upstream that drops the connection: unavailable, not slow
    } else if (!path.endsWith('/hang')) {
      echo(req, body, res);
    }
  });
  return Object.assign(up, { cuts: (path: string) => cut.get(path) ?? 0 });
}

/** Fields of the shared proxy's server block: short client timeouts, room for storms. */
export const SHARED_SERVER = 'timeouts: { headers: 500ms, body: 500ms, send: 500ms, idle: 30s }';

export function sharedConfig(surface: Surface, upstreamUrl: string, serverFields = SHARED_SERVER): string {
  return `
${serverBlock(surface, serverFields)}
upstreams: { incumbent: { url: "${upstreamUrl}", timeout: 1500ms, connections: 4 } }
routes: [{ name: predict, match: { pathPrefix: /v1 }, primary: incumbent, limits: { maxConcurrency: 8 } }]
`;
}

/** A control request answered 200 on a fresh connection. */
async function control(env: CaseEnv, gw: Gateway = env.gw): Promise<void> {
  const a = await within('a control answer', fetchOn(env.surface, gw.port, { path: '/v1/echo' }));
  expect(a.status).toBe(200);
}

/** Storm requests sent at once: the route's maxConcurrency, so that each is in flight (not refused 429) when reset. */
const STORM_BATCH = 8;

/** Runs `count` cancelled requests against the proxy: HTTP/2 resets streams in flight, HTTP/1.1 drops connections. */
export async function resetStorm(env: CaseEnv, count: number): Promise<number[]> {
  const goaways: number[] = [];
  const { surface, gw } = env;
  let sent = 0;
  if (surface.protocol === 'h2') {
    while (sent < count) {
      const c = await surface.connect(gw.port);
      // A session is used until the proxy sends it away (the reset budget) or the storm is over.
      while (sent < count && !c.isClosed()) {
        const batch = [];
        for (let i = 0; i < STORM_BATCH && sent < count; i++, sent++) {
          try {
            batch.push(c.request({ path: '/v1/slow' }));
          } catch {
            break; // the session is closing
          }
        }
        for (const ex of batch) ex.end();
        // Let the proxy take them up (route slot, upstream call), then cancel them all in flight.
        await new Promise((r) => setTimeout(r, 2));
        for (const ex of batch) ex.abort();
        await Promise.all(batch.map((ex) => ex.over));
      }
      const code = c.goawayCode();
      if (code !== undefined) goaways.push(code);
      c.destroy();
    }
    return goaways;
  }
  const one = async () => {
    const c = await surface.connect(gw.port);
    const ex = c.request({ path: '/v1/slow' });
    await new Promise((r) => setTimeout(r, 2));
    ex.abort();
    await c.closed;
  };
  await Promise.all(Array.from({ length: STORM_BATCH }, async () => {
    while (sent < count) {
      sent++;
      await one().catch(() => undefined);
    }
  }));
  return goaways;
}

/** A TLS 1.2 handshake by `openssl s_client` offering only `cipher` (asynchronous: the proxy runs in this process). */
function openssl(port: number, cipher: string): Promise<{ ok: boolean; out: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-tls1_2', '-cipher', cipher], { timeout: DEADLINE_MS },
      (err, stdout, stderr) => resolve({ ok: err === null, out: `${stdout}\n${stderr}` }));
    child.on('error', reject);
    child.stdin?.end();
  });
}

/** A connection that completed one request and now idles. */
async function idleConnection(surface: Surface, port: number): Promise<SurfaceConnection> {
  const c = await surface.connect(port);
  const ex = c.request({ path: '/v1/echo' });
  ex.end();
  expect((await within('the first answer', ex.answer())).status).toBe(200);
  return c;
}

export const CASES: readonly LiveCase[] = [
  {
    name: 'stalled head: 408 (HTTP/1.1) or session closed (HTTP/2) after timeouts.headers, counted as headers',
    async run({ surface, gw }) {
      const before = await closedCount(gw, 'headers');
      const c = await surface.connect(gw.port);
      const status = await within('the stalled head cut', c.stallHead());
      if (surface.protocol === 'h1') expect(status).toBe(408);
      await within('the connection closed', c.closed);
      await until('closed_total{headers} counted', async () => (await closedCount(gw, 'headers')) > before);
    },
  },
  {
    name: 'stalled body: 408 after timeouts.body, the route slot released',
    async run(env) {
      const { surface, gw } = env;
      const before = await closedCount(gw, 'body');
      const c = await surface.connect(gw.port);
      try {
        const ex = c.request({ method: 'POST', path: '/v1/echo', headers: { 'content-type': 'application/json' }, contentLength: 100 });
        ex.write('{"a":');
        const a = await within('the 408', ex.answer());
        expect(a.status).toBe(408);
        expect(JSON.parse(a.body)).toMatchObject({ error: { code: 'SG_ERR_CLIENT_TIMEOUT' } });
      } finally {
        c.destroy();
      }
      await settled(gw);
      expect(await closedCount(gw, 'body')).toBe(before + 1);
      await control(env);
    },
  },
  {
    name: 'idle: a connection (session) with nothing in progress is closed after timeouts.idle, counted as idle',
    async run(env) {
      const gw = await env.start('timeouts: { idle: 500ms }');
      try {
        const c = await idleConnection(env.surface, gw.port);
        await within('the idle connection closed', c.closed);
        await until('closed_total{idle} counted', async () => (await closedCount(gw, 'idle')) >= 1);
      } finally {
        await gw.close();
      }
    },
  },
  {
    name: 'client that stops reading: cut after timeouts.send, the upstream call cancelled',
    async run(env) {
      const { surface, gw, upstream } = env;
      const before = await closedCount(gw, 'send');
      const cutBefore = upstream.cuts('/v1/big');
      const c = await surface.connect(gw.port);
      try {
        c.request({ path: '/v1/big' }).end(); // its answer is never read
        c.pause();
        await until('the upstream answer cut', () => upstream.cuts('/v1/big') > cutBefore);
      } finally {
        c.destroy();
      }
      await settled(gw);
      expect(await closedCount(gw, 'send')).toBe(before + 1);
      await control(env);
    },
  },
  {
    name: 'abort mid-request: the request is released at once, and its half body never held a route slot',
    async run(env) {
      const { surface, gw } = env;
      const c = await surface.connect(gw.port);
      const ex = c.request({ method: 'POST', path: '/v1/echo', contentLength: 100 });
      ex.write('{"a":');
      // The body is read before the route slot is taken (docs/slow-clients.md): in progress, no slot.
      await until('the request in progress', async () => (await liveState(gw)).inFlight === 1);
      expect((await liveState(gw)).slots).toBe(0);
      ex.abort();
      await settled(gw);
      c.destroy();
      await control(env);
    },
  },
  {
    name: 'abort mid-answer: the upstream call is cancelled and everything released',
    async run(env) {
      const { surface, gw, upstream } = env;
      const cutBefore = upstream.cuts('/v1/drip');
      const c = await surface.connect(gw.port);
      const ex = c.request({ path: '/v1/drip' });
      ex.end();
      await until('the answer streaming', async () => upstream.open() > 0 && (await liveState(gw)).busy === 1);
      ex.abort();
      await until('the upstream answer cut', () => upstream.cuts('/v1/drip') > cutBefore);
      await settled(gw);
      c.destroy();
      await control(env);
    },
  },
  {
    name: 'reset storm: after 2,000 cancelled streams (200 aborted HTTP/1.1 requests) the route has all its slots and connections, and answers 200',
    async run(env) {
      const { surface, gw } = env;
      // 2,000 reset streams (HTTP/2); HTTP/1.1 pays a connection per abort, so 200 of those.
      const goaways = await resetStorm(env, surface.protocol === 'h2' ? 2000 : 200);
      await settled(gw);
      for (let i = 0; i < 3; i++) await control(env);
      // HTTP/2: past the reset budget (256 by default) a session is sent GOAWAY ENHANCE_YOUR_CALM.
      if (surface.protocol === 'h2') expect(goaways).toContain(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
    },
  },
  {
    name: 'header flood: more fields than maxHeaders get 431 JSON; a target over 16 KB gets 414',
    async run(env) {
      const { surface, gw } = env;
      const flood = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`x-flood-${i}`, 'v']));
      const a = await within('the 431', fetchOn(surface, gw.port, { path: '/v1/echo', headers: flood }));
      expect(a.status).toBe(431);
      expect(JSON.parse(a.body)).toMatchObject({ error: { code: 'SG_ERR_HEADERS_TOO_LARGE' } });
      const b = await within('the 414', fetchOn(surface, gw.port, { path: `/v1/echo?q=${'a'.repeat(17 * 1024)}` }));
      expect(b.status).toBe(414);
      await settled(gw);
      await control(env);
    },
  },
  {
    name: 'advertises SETTINGS_MAX_CONCURRENT_STREAMS 128',
    applies: (s) => s.protocol === 'h2',
    async run({ surface, gw }) {
      const c = await surface.connect(gw.port);
      try {
        expect((await within('the SETTINGS', c.remoteSettings()))?.maxConcurrentStreams).toBe(128);
      } finally {
        c.destroy();
      }
    },
  },
  {
    name: 'connection limit: the oldest idle connection (session) makes room for a new client, counted as evicted',
    async run(env) {
      const gw = await env.start('maxConnections: 4');
      const open: SurfaceConnection[] = [];
      try {
        for (let i = 0; i < 4; i++) open.push(await idleConnection(env.surface, gw.port));
        const fresh = await within('the newcomer answered', fetchOn(env.surface, gw.port, { path: '/v1/echo' }));
        expect(fresh.status).toBe(200);
        await within('the oldest connection closed', open[0]!.closed);
        expect(await closedCount(gw, 'evicted')).toBeGreaterThanOrEqual(1);
        expect(await closedCount(gw, 'max_connections')).toBe(0);
      } finally {
        for (const c of open) c.destroy();
        await gw.close();
      }
    },
  },
  {
    name: 'hung upstream: 504 at the upstream deadline, everything released',
    async run(env) {
      const { surface, gw } = env;
      const a = await within('the 504', fetchOn(surface, gw.port, { path: '/v1/hang' }));
      expect(a.status).toBe(504);
      await settled(gw);
      await control(env);
    },
  },
  {
    name: 'passthrough (a path no route serves): hung upstream 504 SG_ERR_UPSTREAM_TIMEOUT, dropped connection 502, everything released',
    async run(env) {
      const gw = await env.start(`${SHARED_SERVER}, passthrough: incumbent`);
      try {
        const hung = await within('the 504', fetchOn(env.surface, gw.port, { path: '/pt/hang' }));
        expect(hung.status).toBe(504);
        expect((JSON.parse(hung.body) as { error: { code: string } }).error.code).toBe('SG_ERR_UPSTREAM_TIMEOUT');
        const dropped = await within('the 502', fetchOn(env.surface, gw.port, { path: '/pt/reset' }));
        expect(dropped.status).toBe(502);
        expect((JSON.parse(dropped.body) as { error: { code: string } }).error.code).not.toBe('SG_ERR_UPSTREAM_TIMEOUT');
        const ok = await within('a passthrough answer', fetchOn(env.surface, gw.port, { path: '/pt/echo' }));
        expect(ok.status).toBe(200);
        await settled(gw);
      } finally {
        await gw.close();
      }
    },
  },
  {
    name: 'TLS 1.2 offers ECDHE with AEAD suites only: a CBC suite is refused, ECDHE-GCM accepted',
    applies: (s) => s.tls,
    async run({ gw }) {
      for (const cbc of ['AES128-SHA', 'ECDHE-ECDSA-AES128-SHA', 'ECDHE-ECDSA-AES128-SHA256']) {
        const r = await openssl(gw.port, `${cbc}:@SECLEVEL=0`);
        expect(r.ok, `${cbc} was accepted:\n${r.out}`).toBe(false);
      }
      const gcm = await openssl(gw.port, 'ECDHE-ECDSA-AES128-GCM-SHA256');
      expect(gcm.ok, gcm.out).toBe(true);
      expect(gcm.out).toContain('ECDHE-ECDSA-AES128-GCM-SHA256');
    },
  },
];
