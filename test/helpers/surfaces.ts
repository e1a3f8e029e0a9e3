// The listener kinds a client can reach the proxy on ("surfaces"), each with the server settings that
// start the proxy on it and a client that speaks it: HTTP/1.1 in clear, HTTP/1.1 on the h2c port (the
// first bytes choose), h2c with prior knowledge, HTTPS, HTTP/1.1 by ALPN on the TLS HTTP/2 listener, and
// h2 by ALPN. One client surface for all: a connection carries exchanges that can be written, paused,
// aborted (HTTP/1.1: the connection is closed; HTTP/2: RST_STREAM CANCEL) and read. test/surfaces/ runs
// every live-path case against every surface with describe.each, so a new listener kind is covered the
// day it is added here.
import { rmSync } from 'node:fs';
import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { closed, readAnswer } from './raw.js';
import { makePki, opensslMissing, type TestPki } from './certs.js';

export interface SurfaceAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface SurfaceRequest {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  /** Declared body length; the body is then written with write()/end(). */
  contentLength?: number;
}

/** One request on a connection. */
export interface SurfaceExchange {
  write(chunk: string | Buffer): void;
  /** Ends the request (with a last chunk, if any). */
  end(chunk?: string | Buffer): void;
  /** The whole answer; rejects when the exchange is cut first (reset stream, closed connection). */
  answer(): Promise<SurfaceAnswer>;
  /** The client's cancel: HTTP/1.1 closes its connection, HTTP/2 resets the stream (CANCEL). */
  abort(): void;
  /** Resolves once the exchange is over for any reason (answered, reset, connection closed). */
  readonly over: Promise<void>;
}

/** One client connection to the proxy. */
export interface SurfaceConnection {
  request(req: SurfaceRequest): SurfaceExchange;
  /**
   * Sends part of a request head and nothing more (HTTP/2: nothing after its preface and SETTINGS);
   * resolves with the status of the answer that comes (HTTP/1.1), or undefined when the connection closes.
   */
  stallHead(): Promise<number | undefined>;
  /** Resolves when the connection is closed (by either side). */
  readonly closed: Promise<void>;
  /** HTTP/2: the SETTINGS the proxy advertised; HTTP/1.1: undefined. */
  remoteSettings(): Promise<http2.Settings | undefined>;
  /** HTTP/2: the code of the GOAWAY the proxy sent, once one came. */
  goawayCode(): number | undefined;
  /** Whether the connection was closed (or, HTTP/2, sent away): no new request can start. */
  isClosed(): boolean;
  /** Stops reading from the connection (HTTP/1.1) — HTTP/2 exchanges stop when their answer is not read. */
  pause(): void;
  destroy(): void;
}

export interface Surface {
  readonly name: string;
  readonly protocol: 'h1' | 'h2';
  readonly tls: boolean;
  /** Fields of the `server:` block that put the listener in this mode (flow style, maybe empty). */
  serverFields(): string;
  connect(port: number): Promise<SurfaceConnection>;
}

let pki: TestPki | undefined;
/** The reason TLS surfaces are skipped (no openssl off CI), or undefined. */
export const tlsMissing = opensslMissing();

function certs(): TestPki {
  pki ??= makePki();
  return pki;
}

/** Removes the certificates made for the TLS surfaces (call in afterAll). */
export function disposeSurfaces(): void {
  if (pki !== undefined) rmSync(pki.dir, { recursive: true, force: true });
  pki = undefined;
}

function tlsFields(): string {
  const p = certs();
  return `tls: { cert: "${p.server.cert}", key: "${p.server.key}" }`;
}

// ---- HTTP/1.1 over a socket (clear or TLS) ----

function h1Connection(socket: Duplex): SurfaceConnection {
  const gone = closed(socket as net.Socket);
  socket.on('error', () => undefined);
  return {
    request(req) {
      const fields = Object.entries(req.headers ?? {}).map(([k, v]) => `${k}: ${v}\r\n`).join('');
      const length = req.contentLength === undefined ? '' : `content-length: ${req.contentLength}\r\n`;
      const answer = readAnswer(socket as net.Socket).then((a) => ({ status: a.status, headers: a.headers, body: a.body }));
      answer.catch(() => undefined);
      socket.write(`${req.method ?? 'GET'} ${req.path} HTTP/1.1\r\nhost: gw\r\n${fields}${length}\r\n`);
      return {
        write: (chunk) => { socket.write(chunk); },
        end: (chunk) => { if (chunk !== undefined) socket.write(chunk); },
        answer: () => answer,
        abort: () => { socket.destroy(); },
        over: Promise.race([answer.then(() => undefined, () => undefined), gone]),
      };
    },
    stallHead: () => {
      const answer = readAnswer(socket as net.Socket).then((a) => a.status, () => undefined);
      socket.write('GET /v1/echo HTTP/1.1\r\nhost: gw\r\n');
      return answer;
    },
    closed: gone,
    remoteSettings: () => Promise.resolve(undefined),
    goawayCode: () => undefined,
    isClosed: () => socket.destroyed,
    pause: () => { socket.pause(); },
    destroy: () => { socket.destroy(); },
  };
}

function connectClear(port: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

function connectTls(port: number, alpn: string[] | undefined): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ port, host: '127.0.0.1', ca: certs().read(certs().ca), ...(alpn ? { ALPNProtocols: alpn } : {}) }, () => resolve(s));
    s.once('error', reject);
  });
}

// ---- HTTP/2 (h2c with prior knowledge, or h2 by ALPN) ----

function h2Connection(session: http2.ClientHttp2Session): SurfaceConnection {
  session.on('error', () => undefined);
  let goaway: number | undefined;
  session.on('goaway', (code: number) => { goaway = code; });
  const gone = new Promise<void>((resolve) => {
    if (session.destroyed) resolve();
    else session.once('close', () => resolve());
  });
  const settings = new Promise<http2.Settings>((resolve) => session.once('remoteSettings', (s: http2.Settings) => resolve(s)));
  return {
    request(req) {
      const headers: http2.OutgoingHttpHeaders = { ':method': req.method ?? 'GET', ':path': req.path, ...req.headers };
      if (req.contentLength !== undefined) headers['content-length'] = String(req.contentLength);
      const stream = session.request(headers, { endStream: false });
      stream.on('error', () => undefined);
      const over = new Promise<void>((resolve) => stream.once('close', () => resolve()));
      let answer: Promise<SurfaceAnswer> | undefined;
      return {
        write: (chunk) => { stream.write(chunk); },
        end: (chunk) => { stream.end(chunk); },
        answer: () => {
          answer ??= new Promise<SurfaceAnswer>((resolve, reject) => {
            let head: http2.IncomingHttpHeaders = {};
            let body = '';
            stream.on('response', (h) => { head = h; });
            stream.setEncoding('utf8');
            stream.on('data', (d: string) => { body += d; });
            stream.once('end', () => resolve({ status: Number(head[':status']), headers: head, body }));
            stream.once('close', () => reject(new Error(`stream closed before its answer ended (rst ${stream.rstCode})`)));
          });
          return answer;
        },
        abort: () => { stream.close(http2.constants.NGHTTP2_CANCEL); },
        over,
      };
    },
    stallHead: () => gone.then(() => undefined),
    closed: gone,
    remoteSettings: () => Promise.race([settings, gone.then(() => undefined)]),
    goawayCode: () => goaway,
    isClosed: () => goaway !== undefined || session.closed || session.destroyed,
    pause: () => undefined,
    destroy: () => { session.destroy(); },
  };
}

function connectH2(url: string, opts: http2.SecureClientSessionOptions): Promise<SurfaceConnection> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(url, opts);
    session.once('error', reject);
    session.once('connect', () => {
      session.off('error', reject);
      resolve(h2Connection(session));
    });
  });
}

export const SURFACES: readonly Surface[] = [
  { name: 'HTTP/1.1', protocol: 'h1', tls: false, serverFields: () => '',
    connect: async (port) => h1Connection(await connectClear(port)) },
  { name: 'HTTP/1.1 on the h2c port', protocol: 'h1', tls: false, serverFields: () => 'http2: true',
    connect: async (port) => h1Connection(await connectClear(port)) },
  { name: 'h2c', protocol: 'h2', tls: false, serverFields: () => 'http2: true',
    connect: (port) => connectH2(`http://127.0.0.1:${port}`, {}) },
  { name: 'HTTPS (HTTP/1.1)', protocol: 'h1', tls: true, serverFields: tlsFields,
    connect: async (port) => h1Connection(await connectTls(port, undefined)) },
  { name: 'TLS, ALPN http/1.1', protocol: 'h1', tls: true, serverFields: () => `http2: true, ${tlsFields()}`,
    connect: async (port) => h1Connection(await connectTls(port, ['http/1.1'])) },
  { name: 'TLS, ALPN h2', protocol: 'h2', tls: true, serverFields: () => `http2: true, ${tlsFields()}`,
    connect: (port) => connectH2(`https://127.0.0.1:${port}`, { ca: certs().read(certs().ca) }) },
];

/** The `server:` block of a config for this surface, with the test's own fields after it. */
export function serverBlock(surface: Surface, fields: string): string {
  return `server: { ${[surface.serverFields(), fields].filter((f) => f !== '').join(', ')} }`;
}

/** One request on a fresh connection, answered in full; the connection is closed after. */
export async function fetchOn(surface: Surface, port: number, req: SurfaceRequest & { body?: string }): Promise<SurfaceAnswer> {
  const c = await surface.connect(port);
  try {
    const ex = c.request({ ...req, ...(req.body !== undefined ? { contentLength: Buffer.byteLength(req.body) } : {}) });
    ex.end(req.body);
    return await ex.answer();
  } finally {
    c.destroy();
  }
}
