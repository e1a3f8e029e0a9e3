// The proxy's listening server, by configuration: HTTP/1.1 in clear (node:http), HTTPS (node:https),
// and with `server.http2` also HTTP/2 — h2 by ALPN beside HTTP/1.1 over TLS (http2.createSecureServer with
// allowHTTP1), or h2c with prior knowledge beside HTTP/1.1 in clear (the first bytes of a connection choose).
// Every variant gives the proxy the same request/response API and the same drain controls.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import net, { type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { ListenerTlsConfig } from '../config/schema.js';

export interface ListenerHandlers {
  request(req: IncomingMessage, res: ServerResponse): void;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  clientError(err: Error, socket: Duplex): void;
  /**
   * Every client connection, whatever the listener kind: a clear socket when accepted (before the h2c
   * preface or HTTP/1.1 head is read), a TLS socket once its handshake is done. One admission for all.
   */
  connection(transport: Duplex): void;
  /** An HTTP/2 session began on a connection `connection` admitted (the same object). */
  session(session: http2.ServerHttp2Session, transport: Duplex): void;
  /** The HTTP/1.1 side of the listener (header limits, socket timeouts), the secure h2 server's included. */
  http1(server: http.Server): void;
}

/** What the proxy needs of its server: listen/close/address (net.Server) and the drain controls. */
export interface ProxyListener extends net.Server {
  closeIdleConnections(): void;
  closeAllConnections(): void;
  /** Swaps the certificate for new connections (existing ones keep theirs); false when not serving TLS. */
  reloadTls(tls: ListenerTlsConfig): boolean;
}

export interface ListenerOptions {
  readonly tls?: ListenerTlsConfig | undefined;
  readonly http2?: boolean | undefined;
  /** node:http options of the HTTP/1.1 side (timeouts, header size), on every listener kind. */
  readonly http: http.ServerOptions;
  /** HTTP/2 session options: the SETTINGS advertised and the header-list bound. */
  readonly h2: { readonly settings: http2.Settings; readonly maxHeaderListPairs: number };
}

/** The client's connection prefix of HTTP/2 with prior knowledge (RFC 9113 §3.4). */
const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

/**
 * Mozilla's "intermediate" TLS 1.2 suites less the DHE ones: ECDHE key exchange with AEAD ciphers only
 * (no CBC: LUCKY13), and the TLS 1.3 suites Node.js offers (named, or naming TLS 1.2 suites alone would
 * leave TLS 1.3 without any).
 */
export const TLS_CIPHERS = [
  'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256', 'TLS_AES_128_GCM_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

function secureOptions(tls: ListenerTlsConfig): https.ServerOptions {
  return {
    cert: tls.cert.pem,
    key: tls.key.pem,
    minVersion: tls.minVersion,
    ciphers: TLS_CIPHERS,
    ...(tls.clientCa ? { ca: tls.clientCa.pem, requestCert: true, rejectUnauthorized: true } : {}),
  };
}

/** Whether the request came over TLS (for X-Forwarded-Proto). */
export function isEncrypted(socket: Duplex | null | undefined): boolean {
  return (socket as TLSSocket | null | undefined)?.encrypted === true;
}

/**
 * The admitted connection object itself, reachable through the proxy socket node:http2 puts in front of
 * a session's socket (which forwards property reads, not identity).
 */
const kTransport = Symbol('shadowgate.transport');
type Carrier = Duplex & { [kTransport]?: Duplex };

function transportOf(session: http2.ServerHttp2Session): Duplex {
  const carrier = session.socket as unknown as Carrier;
  return carrier[kTransport] ?? carrier;
}

export function createListener(opts: ListenerOptions, h: ListenerHandlers): ProxyListener {
  const base = opts.http;
  if (!opts.http2) {
    const server = opts.tls
      ? https.createServer({ ...base, ...secureOptions(opts.tls), handshakeTimeout: base.headersTimeout })
      : http.createServer(base);
    server.on('request', h.request);
    server.on('upgrade', h.upgrade);
    server.on('clientError', h.clientError);
    // Over TLS the connection is admitted with its handshake done (the handshake has the head's timeout).
    server.on(opts.tls ? 'secureConnection' : 'connection', h.connection);
    h.http1(server);
    return Object.assign(server, {
      reloadTls: (tls: ListenerTlsConfig) => {
        if (!(server instanceof https.Server)) return false;
        server.setSecureContext(secureOptions(tls));
        return true;
      },
    });
  }
  if (opts.tls) return secureH2(opts, opts.tls, h);
  return clearH2(opts, h);
}

/** Tracks sockets and HTTP/2 sessions of servers that lack closeIdleConnections/closeAllConnections. */
function sessionBook(server: net.Server, h: ListenerHandlers): { closeIdle(): void; closeAll(): void } {
  const sessions = new Set<http2.ServerHttp2Session>();
  const sockets = new Set<Duplex>();
  server.on('session', (s: http2.ServerHttp2Session) => {
    sessions.add(s);
    s.once('close', () => sessions.delete(s));
    h.session(s, transportOf(s));
  });
  const track = (s: Duplex) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  };
  server.on('connection', track);
  server.on('secureConnection', track);
  return {
    // GOAWAY: streams in progress finish, no new ones start.
    closeIdle: () => { for (const s of sessions) s.close(); },
    closeAll: () => {
      for (const s of sessions) s.destroy();
      for (const s of sockets) s.destroy();
    },
  };
}

/** The HTTP/1.1 options node:http reads from its server object (http2's secure server takes none of them). */
function carryHttp1Options(server: http2.Http2SecureServer, base: http.ServerOptions): http.Server {
  const h1 = server as unknown as http.Server & { maxHeaderSize?: number };
  if (base.headersTimeout !== undefined) h1.headersTimeout = base.headersTimeout;
  if (base.requestTimeout !== undefined) h1.requestTimeout = base.requestTimeout;
  if (base.keepAliveTimeout !== undefined) h1.keepAliveTimeout = base.keepAliveTimeout;
  // Read when the server starts listening (the sweep that finds expired heads).
  if (base.connectionsCheckingInterval !== undefined) Object.assign(h1, { connectionsCheckingInterval: base.connectionsCheckingInterval });
  if (base.maxHeaderSize !== undefined) h1.maxHeaderSize = base.maxHeaderSize;
  return h1;
}

function secureH2(opts: ListenerOptions, tls: ListenerTlsConfig, h: ListenerHandlers): ProxyListener {
  const server = http2.createSecureServer({
    ...secureOptions(tls), allowHTTP1: true, settings: opts.h2.settings, maxHeaderListPairs: opts.h2.maxHeaderListPairs,
    handshakeTimeout: opts.http.headersTimeout,
  });
  // With allowHTTP1 both protocols arrive as compat request/response objects with the same surface.
  server.on('request', h.request as unknown as (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void);
  server.on('unknownProtocol', (socket: TLSSocket) => socket.destroy());
  // HTTP/1.1 by ALPN: malformed or slow heads and upgrades are the proxy's to answer, as on plain HTTPS.
  server.on('clientError', h.clientError);
  server.on('upgrade', h.upgrade);
  server.on('secureConnection', (socket: Carrier) => {
    socket[kTransport] = socket;
    h.connection(socket);
  });
  // HTTP/1.1 by ALPN gets what plain HTTPS gets: head timeout, keep-alive, header size and count limits.
  h.http1(carryHttp1Options(server, opts.http));
  const book = sessionBook(server, h);
  return Object.assign(server, {
    closeIdleConnections: book.closeIdle,
    closeAllConnections: book.closeAll,
    reloadTls: (next: ListenerTlsConfig) => {
      server.setSecureContext(secureOptions(next));
      return true;
    },
  }) as unknown as ProxyListener;
}

/**
 * The socket as a JS stream that first yields the bytes already read. node:http2 reads a real socket's
 * handle directly, so bytes put back with unshift would never reach it; a JS stream it reads as a stream.
 */
function replayingStream(socket: Socket, first: Buffer): Duplex {
  const stream = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      socket.write(chunk, cb);
    },
    final(cb) {
      socket.end(cb);
    },
    destroy(err, cb) {
      socket.destroy(err ?? undefined);
      cb(err);
    },
  });
  stream.push(first);
  socket.on('data', (d: Buffer) => {
    if (!stream.push(d)) socket.pause();
  });
  socket.once('end', () => stream.push(null));
  socket.once('close', () => stream.destroy());
  socket.once('error', (err) => stream.destroy(err));
  // What the proxy reads of a request's socket (X-Forwarded-For).
  Object.defineProperties(stream, {
    remoteAddress: { get: () => socket.remoteAddress },
    remotePort: { get: () => socket.remotePort },
    encrypted: { value: false },
    [kTransport]: { value: socket },
  });
  return stream;
}

function clearH2(opts: ListenerOptions, h: ListenerHandlers): ProxyListener {
  const base = opts.http;
  const h1 = http.createServer(base);
  h1.on('request', h.request);
  h1.on('upgrade', h.upgrade);
  h1.on('clientError', h.clientError);
  h.http1(h1);
  const h2 = http2.createServer({ settings: opts.h2.settings, maxHeaderListPairs: opts.h2.maxHeaderListPairs });
  h2.on('request', h.request as unknown as (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void);
  const book = sessionBook(h2, h);
  const front = net.createServer((socket: Socket) => {
    // Admitted as it is accepted, before the first bytes say which protocol it speaks.
    h.connection(socket);
    if (socket.destroyed) return;
    // The first bytes choose the protocol: the h2 preface, or anything else for HTTP/1.1. They are put
    // back before the chosen server reads. A client that sends nothing is closed by the keep-alive timeout.
    // The h2 session writes through a JS stream (below), where Nagle's algorithm would hold small frames.
    socket.setNoDelay(true);
    let seen: Buffer = Buffer.alloc(0);
    const idle = setTimeout(() => socket.destroy(), base.headersTimeout ?? 60_000).unref();
    const onData = (chunk: Buffer) => {
      seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
      const n = Math.min(seen.length, H2_PREFACE.length);
      const h2Prefix = seen.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
      if (h2Prefix && n < H2_PREFACE.length) return; // wait for the rest of the preface
      clearTimeout(idle);
      socket.off('data', onData);
      if (h2Prefix) {
        h2.emit('connection', replayingStream(socket, seen));
        return;
      }
      socket.pause();
      socket.unshift(seen);
      h1.emit('connection', socket);
      socket.resume();
    };
    socket.on('data', onData);
    socket.once('close', () => clearTimeout(idle));
  });
  const h1Sockets = new Set<Socket>();
  front.on('connection', (s: Socket) => {
    h1Sockets.add(s);
    s.once('close', () => h1Sockets.delete(s));
  });
  // node:http sweeps for expired heads (headersTimeout) from its 'listening' event; h1 never listens itself.
  front.on('listening', () => h1.emit('listening'));
  return Object.assign(front, {
    closeIdleConnections: () => {
      h1.closeIdleConnections();
      book.closeIdle();
    },
    closeAllConnections: () => {
      h1.closeAllConnections();
      book.closeAll();
      for (const s of h1Sockets) s.destroy();
    },
    reloadTls: () => false,
    close(cb?: (err?: Error) => void) {
      h1.close();
      h2.close();
      return net.Server.prototype.close.call(front, cb);
    },
  }) as unknown as ProxyListener;
}
