// The live path, as named phases over one per-request context (ProxyExchange), read top to bottom:
// ingress → route match → live limits → canary decision → bounded body read → primary forward
// (undici dispatch; the context is the handler) → response streamed to the client → logging and the
// shadow offer, after the client's answer has ended. Nothing after the offer can touch the answer.
import type { LiveGrpc } from '../grpc/route.js';
import { readFileSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import http2 from 'node:http2';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Dispatcher, Pool } from 'undici';
import type { Logger } from 'pino';
import type { ClientTimeouts, H2Limits, RouteConfig } from '../config/schema.js';
import { errorBody, errors, type ShadowgateError } from '../errors.js';
import type { Metrics } from '../observe/metrics.js';
import type { RouteShadow } from '../shadow/shadow.js';
import type { RouteTable } from '../routing/route-table.js';
import { clientResponseHeaders, requestIdOf, upstreamRequestHeaders } from '../http/headers.js';
import { classifyUpstreamFailure } from '../http/failure.js';
import type { Passthrough } from './passthrough.js';
import { formatTraceparent, type LiveSpan, type Tracer } from '../observe/trace.js';
import { createListener, isEncrypted, type ProxyListener } from './listener.js';
import type { ListenerTlsConfig } from '../config/schema.js';
import { canonicalTarget } from './target.js';
import { H2Sessions } from './h2-sessions.js';
import { COARSE_FROM_MS, CoarseDeadlines } from './deadlines.js';

export type LiveTarget = 'incumbent' | 'candidate';

/** One route as the live path sees it; app.ts builds these from the rooms' objects. */
export interface LiveRoute {
  readonly config: RouteConfig;
  readonly name: string;
  /** Upstream names serving each live target. */
  readonly upstreams: Readonly<Record<LiveTarget, string>>;
  readonly fallbackToIncumbent: boolean;
  readonly shadow: RouteShadow | undefined;
  decide(headers: IncomingMessage['headers'], remoteAddress: string | undefined): LiveTarget;
  stickyKey(headers: IncomingMessage['headers']): string | undefined;
  /** 0 when admitted, else Retry-After seconds. */
  tryAcquire(nowMs: number): number;
  release(): void;
  /** protocol: grpc — the call goes over HTTP/2 with trailers (src/grpc/live.ts), not through undici. */
  readonly grpc?: LiveGrpc;
  /** Every finished live call: metrics, canary guardrail stats, primary latency histograms. */
  onLive(target: LiveTarget, upstream: string, status: number, latencyMs: number, fellBack: boolean): void;
}

/** A gRPC route's live forwarding (grpc/route.ts): the proxy room asks, the grpc room answers. */
export type { LiveGrpc } from '../grpc/route.js';

/** Client-side limits of the listener (server.*); read when the proxy starts. */
export interface ClientLimits {
  readonly timeouts: Readonly<ClientTimeouts>;
  readonly maxConnections: number;
  readonly maxHeaders: number;
  /** HTTP/2 sessions: streams advertised, reset budget. */
  readonly h2: Readonly<H2Limits>;
}

export interface Generation {
  readonly routes: RouteTable<LiveRoute>;
  readonly pools: ReadonlyMap<string, Pool>;
  /**
   * Per upstream, a pool whose every call gets a connection of its own (dispatched with `reset`): where an
   * idempotent request goes again after its reused keep-alive connection was closed under it.
   */
  readonly retryPools: ReadonlyMap<string, Pool>;
  /** Each upstream's deadline for a live call, from dispatch (queue time included) to its response head. */
  readonly timeouts: ReadonlyMap<string, number>;
  /** Upstreams with `maxQueue`: requests allowed to wait once `capacity` calls are in flight. */
  readonly queueLimits: ReadonlyMap<string, { readonly maxQueue: number; readonly capacity: number }>;
  readonly maxBodyBytes: number;
  readonly passthrough: Passthrough | undefined;
  /** Set only when tracing.otlp is configured: without it the live path does no tracing work. */
  readonly tracer?: Tracer;
  readonly client: ClientLimits;
}

/** The longest request line accepted (NGINX's large_client_header_buffers answers 414 past its buffer). */
export const MAX_REQUEST_LINE_BYTES = 16 * 1024;
/** node:http's bound on the whole request head; the request line and header-count limits sit below it. */
const MAX_HEAD_BYTES = 64 * 1024;

/** Live calls in flight per pool (pools outlive generations, so this is keyed by the pool itself). */
const poolLoad = new WeakMap<Pool, { inFlight: number }>();
function loadOf(pool: Pool): { inFlight: number } {
  let l = poolLoad.get(pool);
  if (l === undefined) poolLoad.set(pool, (l = { inFlight: 0 }));
  return l;
}

export interface ProxyDeps {
  generation(): Generation;
  readonly metrics: Metrics;
  readonly accessLog: Logger | undefined;
  readonly log: Logger;
  /** server.tls and server.http2: the listener's protocols (fixed for the process; the certificate reloads). */
  readonly tls?: ListenerTlsConfig | undefined;
  readonly http2?: boolean | undefined;
}

const kExchange = Symbol('shadowgate.exchange');
const kClosing = Symbol('shadowgate.closing');
const kUpgraded = Symbol('shadowgate.upgraded');
type Tagged<T> = T & { [kExchange]?: ProxyExchange; [kClosing]?: boolean; [kUpgraded]?: boolean };

/**
 * The connection limit actually enforced: `server.maxConnections`, but never more than three quarters of
 * the process's open-file limit (Linux: /proc/self/limits), so that the rest stays for upstream pools, files
 * and the admin API — past the descriptor limit accept() fails and every new client is reset instead.
 */
function connectionLimit(configured: number, log: Logger): number {
  let text: string;
  try {
    text = readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return configured; // not Linux: the configured limit stands
  }
  const m = /^Max open files\s+(\d+)/m.exec(text);
  if (m === null) return configured;
  const fileLimit = Number(m[1]);
  const fits = Math.max(1, Math.floor(fileLimit * 0.75));
  if (configured <= fits) return configured;
  log.warn({ maxConnections: configured, openFileLimit: fileLimit, enforced: fits },
    'server.maxConnections is above what the open-file limit allows; enforcing three quarters of that limit (raise ulimit -n to serve more)');
  return fits;
}

/**
 * node:http reports one HPE_HEADER_OVERFLOW for a long request line and for too many header bytes; the
 * packet it was parsing when the bound was crossed tells them apart: the request line's tail (a first
 * line ending in the HTTP version), a line with no end and no space (only a target has none), or the
 * start of a request line that has no end yet.
 */
function requestLineUnfinished(packet: Buffer | undefined): boolean {
  if (packet === undefined) return false;
  const nl = packet.indexOf(0x0a);
  if (nl < 0) return packet.indexOf(0x20) < 0 || /^[A-Z]+ \S+$/.test(packet.subarray(0, 64).toString('latin1'));
  return / HTTP\/1\.[01]\r?$/.test(packet.subarray(Math.max(0, nl - 10), nl).toString('latin1'))
    && (nl > MAX_REQUEST_LINE_BYTES || !/^[A-Z]+ /.test(packet.subarray(0, 16).toString('latin1')));
}

/** The per-request context and the undici handler of its primary call. */
class ProxyExchange implements Dispatcher.DispatchHandler {
  readonly requestId: string;
  readonly started = performance.now();
  route: LiveRoute | undefined;
  target: LiveTarget = 'incumbent';
  upstream = '';
  chunks: Buffer[] = [];
  bodySize = 0;
  body: Buffer = EMPTY;
  controller: Dispatcher.DispatchController | undefined;
  status = 0;
  headersSent = false;
  fellBack = false;
  /** The candidate failed on a fallback route: swallow its answer and retry on the incumbent. */
  discarding = false;
  admitted = false;
  /** The proxy's span, when spans are exported. */
  span: LiveSpan | undefined;
  /** The request reached an upstream (it is then worth a shadow copy). */
  forwarded = false;
  done = false;
  /** The pool load this exchange's upstream call counts in, until the call ends. */
  load: { inFlight: number } | undefined;
  /**
   * The whole-call deadline (queue time included), cleared when the response head arrives: a native timer
   * below a second, else a slot in the coarse wheel (deadlines.ts; dueAt, deadlineSlot).
   */
  deadline: NodeJS.Timeout | undefined;
  dueAt = 0;
  deadlineSlot = -1;
  /** Some byte of the upstream's answer arrived (a 1xx head included): the call can no longer be sent again. */
  answered = false;
  /** Sent again once already on a fresh connection (never twice). */
  retried = false;

  /** The configuration generation this request started with: a reload never splits a request. */
  constructor(readonly proxy: ProxyServer, readonly gen: Generation, readonly req: Tagged<IncomingMessage>, readonly res: Tagged<ServerResponse>) {
    this.requestId = requestIdOf(req.headers);
  }

  // ---- undici handler: the primary call ----
  onRequestStart(controller: Dispatcher.DispatchController): void {
    // The client left, or the deadline passed (answered 504), while this call waited for a connection.
    // Throwing here makes undici drop the call before writing it and keep the connection for the next
    // one (onResponseError runs; callEnded releases the load); controller.abort() would destroy the
    // pooled connection, and a storm of cancelled requests then churns every connection of the pool.
    if (this.done) throw new Error('the exchange ended while its call was queued');
    this.controller = controller;
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingMessage['headers']): void {
    this.answered = true;
    if (statusCode < 200) return; // 1xx: informational, not forwarded
    this.clearDeadline();
    this.status = statusCode;
    if (statusCode >= 500 && this.canFallBack()) {
      this.discarding = true;
      return;
    }
    if (this.res.destroyed) {
      controller.abort(new Error('client went away'));
      return;
    }
    this.res.writeHead(statusCode, clientResponseHeaders(headers, this.requestId));
    this.headersSent = true;
    // From here the client must keep reading: `send` without progress cuts it and cancels this call.
    armTimeout(this.req, this.gen.client.timeouts.send);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.discarding) return;
    if (!this.res.write(chunk)) {
      controller.pause();
      this.res.once('drain', resumeOnDrain);
    }
  }

  onResponseEnd(): void {
    this.callEnded();
    if (this.discarding) {
      this.fallBack();
      return;
    }
    this.res.end();
    this.finish();
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    // A reused connection the upstream closed before any byte of the answer: once more, on a fresh one.
    if (!this.answered && !this.retried && !this.done && this.proxy.retry(this, err)) return;
    this.callEnded();
    if (this.done) return;
    if (!this.headersSent && this.canFallBack()) {
      this.fallBack();
      return;
    }
    if (this.headersSent) {
      // Mid-body failure: the only honest signal left is to cut the connection.
      this.status = 502;
      this.res.destroy(err);
      this.finish();
      return;
    }
    this.fail(isTimeout(err) ? errors.upstreamTimeout(this.upstream) : errors.upstreamUnavailable(this.upstream));
  }

  /** The upstream call is over (answered, failed or aborted): it no longer counts against the pool. */
  callEnded(): void {
    this.clearDeadline();
    if (this.load !== undefined) {
      this.load.inFlight--;
      this.load = undefined;
    }
  }

  canFallBack(): boolean {
    return this.target === 'candidate' && !this.fellBack && this.route !== undefined && this.route.fallbackToIncumbent;
  }

  fallBack(): void {
    const route = this.route!;
    route.onLive(this.target, this.upstream, this.status || 502, performance.now() - this.started, false);
    this.fellBack = true;
    this.discarding = false;
    this.status = 0;
    this.target = 'incumbent';
    this.proxy.forward(this, route);
  }

  /** Answers with a JSON error (when nothing was sent yet) and finishes. */
  fail(err: ShadowgateError): void {
    this.status = err.status;
    if (!this.res.headersSent && !this.res.destroyed) {
      const body = errorBody(err, this.requestId);
      this.res.writeHead(err.status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        'x-request-id': this.requestId,
        // HTTP/2 has no connection field (a reset stream ends the exchange, not the session).
        ...(CLOSES_CONNECTION.has(err.status) && this.req.httpVersionMajor !== 2 ? { connection: 'close' } : {}),
      });
      this.res.end(body);
    }
    this.finish();
  }

  armDeadline(ms: number): void {
    if (ms >= COARSE_FROM_MS) wheel.arm(this, ms);
    else this.deadline = setTimeout(onDeadline, ms, this);
  }

  clearDeadline(): void {
    if (this.deadlineSlot >= 0) wheel.disarm(this);
    if (this.deadline !== undefined) {
      clearTimeout(this.deadline);
      this.deadline = undefined;
    }
  }

  finish(): void {
    if (this.done) return;
    this.done = true;
    this.clearDeadline();
    this.proxy.finished(this);
  }
}

const EMPTY = Buffer.alloc(0);
/** Answers after which the connection cannot be trusted for another request (NGINX closes them too). */
const CLOSES_CONNECTION = new Set([400, 408, 413, 414, 431]);

/** The live calls' deadlines of a second or more (one wheel for the process: exchanges outlive generations). */
const wheel = new CoarseDeadlines<ProxyExchange>((ex) => onDeadline(ex));

/** The deadline of a live upstream call passed before its response head arrived. */
function onDeadline(ex: ProxyExchange): void {
  if (ex.done || ex.headersSent) return;
  ex.deadline = undefined;
  if (ex.controller !== undefined) {
    // On a connection: abort it; onResponseError answers 504 (or falls back to the incumbent).
    ex.controller.abort(Object.assign(new Error('live deadline'), { code: 'UND_ERR_HEADERS_TIMEOUT' }));
    return;
  }
  // Still queued for a connection: answer now; onRequestStart drops the call when it gets one.
  ex.fail(errors.upstreamTimeout(ex.upstream));
}

function resumeOnDrain(this: Tagged<ServerResponse>): void {
  this[kExchange]?.controller?.resume();
}

/** Methods sent again after a lost connection on every route (RFC 9110 §9.2.1 safe methods, as NGINX). */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Why an upstream call failed, when it is the keep-alive race: the upstream closed (FIN: undici's
 * "other side closed" on a socket that had read earlier answers, i.e. a reused one) or reset (RST, EPIPE:
 * no socket details come with these) the connection the request went out on.
 */
function lostConnection(err: Error): 'closed' | 'reset' | undefined {
  const e = err as { code?: string; socket?: { bytesRead?: number } };
  if (e.code === 'UND_ERR_SOCKET') return (e.socket?.bytesRead ?? 0) > 0 ? 'closed' : undefined;
  return e.code === 'ECONNRESET' || e.code === 'EPIPE' ? 'reset' : undefined;
}

function isTimeout(err: Error): boolean {
  return classifyUpstreamFailure(err) === 'timeout';
}

/** The primary call as undici dispatches it: the request's forwarded head and its buffered body. */
function upstreamCall(ex: ProxyExchange, timeout: number): Dispatcher.DispatchOptions {
  const req = ex.req;
  const headers = upstreamRequestHeaders(req.headers, { remoteAddress: req.socket.remoteAddress, proto: isEncrypted(req.socket) ? 'https' : 'http', requestId: ex.requestId });
  if (ex.span !== undefined) headers.traceparent = formatTraceparent(ex.span.context);
  return {
    method: (req.method ?? 'GET') as Dispatcher.HttpMethod,
    path: req.url ?? '/',
    headers,
    body: ex.body.length > 0 ? ex.body : null,
    headersTimeout: timeout,
    bodyTimeout: timeout,
  };
}

/** Pseudo-header fields (:method, :path…) in an HTTP/2 request's raw headers; maxHeaders counts the rest. */
function pseudoFields(raw: readonly string[]): number {
  let n = 0;
  for (let i = 0; i < raw.length && raw[i]!.charCodeAt(0) === 0x3a; i += 2) n++;
  return n;
}

type H2Request = IncomingMessage & { stream?: Tagged<http2.ServerHttp2Stream> };

/**
 * Arms the inactivity timeout of the request's current phase (body, send): on its socket for HTTP/1.1,
 * on its stream for HTTP/2 (the compat socket's setTimeout would time the whole session).
 */
function armTimeout(req: IncomingMessage, ms: number): void {
  const stream = (req as H2Request).stream;
  if (stream !== undefined) stream.setTimeout(ms);
  else req.socket.setTimeout(ms);
}

/** An HTTP/2 stream was inactive for its phase's timeout (armTimeout). */
function onStreamTimeout(this: Tagged<http2.ServerHttp2Stream>): void {
  const ex = this[kExchange];
  if (ex !== undefined) ex.proxy.streamTimeout(ex, this);
}

// ---- request body: bounded, read with module-level listeners (no closures per request) ----
function onRequestData(this: Tagged<IncomingMessage>, chunk: Buffer): void {
  const ex = this[kExchange]!;
  ex.bodySize += chunk.length;
  const limit = ex.gen.maxBodyBytes;
  if (ex.bodySize > limit) {
    this.removeListener('data', onRequestData);
    this.removeListener('end', onRequestEnd);
    this.resume(); // discard the rest; the answer closes the connection
    ex.chunks = [];
    ex.fail(errors.bodyTooLarge(limit));
    return;
  }
  ex.chunks.push(chunk);
}

function onRequestEnd(this: Tagged<IncomingMessage>): void {
  const ex = this[kExchange]!;
  ex.body = ex.chunks.length === 0 ? EMPTY : ex.chunks.length === 1 ? ex.chunks[0]! : Buffer.concat(ex.chunks, ex.bodySize);
  ex.chunks = [];
  if (ex.route !== undefined) ex.proxy.admitRequest(ex, ex.route);
  else ex.proxy.passOn(ex);
}

function onResponseClose(this: Tagged<ServerResponse>): void {
  const ex = this[kExchange];
  // An HTTP/1.1 connection carries one exchange at a time (HTTP/2 streams never tag their session's socket).
  const socket = ex === undefined || ex.req.httpVersionMajor === 2 ? undefined : ex.req.socket as Tagged<Socket>;
  if (socket !== undefined && socket[kExchange] === ex) socket[kExchange] = undefined;
  // The answer ended only when the proxy ended it and it was flushed: an HTTP/2 compat response whose
  // stream the client reset or whose session closed reports writableFinished too, but never writableEnded.
  if (ex && !ex.done && !(this.writableEnded && this.writableFinished)) {
    // The client went away (reset, closed, timed out): cancel the upstream call, release the slot.
    ex.controller?.abort(new Error('client closed the connection'));
    ex.status = 499;
    ex.finish();
  }
}

export class ProxyServer {
  readonly server: ProxyListener;
  private inFlight = 0;
  private started = 0;
  private draining = false;
  private idleWaiters: (() => void)[] = [];
  /** Upgraded (WebSocket) sockets leave node:http's bookkeeping; drain must close them itself. */
  private readonly upgraded = new Set<Duplex>();
  /** Open client connections, oldest first. */
  private readonly sockets = new Set<Tagged<Socket>>();
  private readonly connectionLimit: number;
  /** HTTP/2 sessions: idle and head timeouts, reset budget, and whether one is busy (for eviction). */
  private readonly h2: H2Sessions;

  constructor(readonly deps: ProxyDeps) {
    const limits = deps.generation().client;
    const t = limits.timeouts;
    this.connectionLimit = connectionLimit(limits.maxConnections, deps.log);
    this.h2 = new H2Sessions(limits.h2, t, (reason) => deps.metrics.connectionsClosed.inc({ reason }));
    this.server = createListener({
      tls: deps.tls,
      http2: deps.http2,
      h2: {
        settings: { maxConcurrentStreams: limits.h2.maxConcurrentStreams, maxHeaderListSize: MAX_HEAD_BYTES, enableConnectProtocol: false },
        // Enough pairs for any head within MAX_HEAD_BYTES, so that a flood gets hygiene()'s 431, not a reset.
        maxHeaderListPairs: MAX_HEAD_BYTES / 32 + 8,
      },
      http: {
        // node:http's headersTimeout is NGINX's client_header_timeout (it runs from a connection's or a
        // request's first byte until its head is complete); its requestTimeout would bound a whole upload,
        // so it stays 0 and the body is timed per gap instead (socket inactivity, below). Expired heads are
        // found by a sweep every connectionsCheckingInterval: a tenth of the timeout keeps it within 10%.
        headersTimeout: t.headers,
        requestTimeout: 0,
        connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(t.headers / 10))),
        // node:http keeps an idle socket 1 s past keepAliveTimeout (and advertises keepAliveTimeout in
        // Keep-Alive): subtracting it closes at `idle` (1 s at the least).
        keepAliveTimeout: Math.max(1, t.idle - 1000),
        maxHeaderSize: MAX_HEAD_BYTES,
      },
    }, {
      request: (req: IncomingMessage, res: ServerResponse) => this.handle(req, res),
      upgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head),
      clientError: (err: Error, socket: Duplex) => this.clientError(err, socket as Tagged<Socket>, t.send),
      // node's own server.maxConnections would refuse the newcomer; at the limit the oldest idle one gives way.
      connection: (transport: Duplex) => this.admit(transport as Tagged<Socket>),
      session: (session, transport) => this.h2.add(session, transport),
      http1: (server) => {
        // One over the limit is kept, so that "too many" can be seen (node drops the rest silently).
        server.maxHeadersCount = limits.maxHeaders + 1;
        server.on('timeout', (socket: Socket) => this.socketTimeout(socket));
      },
    });
  }

  private clientError(err: Error & { code?: string; rawPacket?: Buffer }, socket: Tagged<Socket>, sendTimeout: number): void {
    const closed = this.deps.metrics.connectionsClosed;
    // The peer closed or reset mid-request (or after our error answer): nothing to answer, nothing we closed.
    if (socket[kClosing] === true || err.code === 'HPE_INVALID_EOF_STATE' || err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    let e: ShadowgateError;
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      e = errors.clientTimeout('complete request head');
      closed.inc({ reason: 'headers' });
    } else {
      e = err.code === 'HPE_HEADER_OVERFLOW'
        ? (requestLineUnfinished(err.rawPacket) ? errors.uriTooLong(MAX_REQUEST_LINE_BYTES) : errors.headersTooLarge(`over ${MAX_HEAD_BYTES} bytes`))
        : errors.badRequest('malformed HTTP request');
      closed.inc({ reason: 'invalid' });
    }
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    socket[kClosing] = true;
    const body = errorBody(e, crypto.randomUUID());
    socket.end(`HTTP/1.1 ${e.status} ${http.STATUS_CODES[e.status] ?? ''}\r\ncontent-type: application/json\r\nconnection: close\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    // A peer that reads nothing must not hold the socket open: it gets `send` to take the answer.
    socket.setTimeout(sendTimeout, () => socket.destroy());
  }

  /**
   * Every listener kind's connections (HTTP/1.1, h2c, TLS with either protocol) are admitted here. Past
   * the connection limit, the oldest connection with no request in progress (one that has sent no complete
   * head yet, idles between requests, or is an HTTP/2 session with no open stream) is closed to make room, so that idle or slow-head
   * connections can never lock new clients out; only when every connection is busy is the newcomer refused.
   */
  private admit(socket: Tagged<Socket>): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    if (this.sockets.size <= this.connectionLimit) return;
    const closed = this.deps.metrics.connectionsClosed;
    for (const s of this.sockets) {
      if (s !== socket && s[kExchange] === undefined && s[kUpgraded] !== true && H2Sessions.busy(s) !== true) {
        closed.inc({ reason: 'evicted' });
        s.destroy();
        return;
      }
    }
    closed.inc({ reason: 'max_connections' });
    socket.destroy();
  }

  /**
   * A client socket was inactive for its phase's timeout: reading the body (`body`), taking the
   * answer (`send`), or keep-alive between requests (`idle`, set by node:http after each answer).
   */
  private socketTimeout(socket: Tagged<Socket>): void {
    const ex = socket[kExchange];
    if (socket[kClosing] === true) {
      socket.destroy(); // an error answer the peer did not take; counted when it was sent
      return;
    }
    const phase = ex === undefined || ex.res.writableFinished ? 'idle' : this.stalled(ex);
    if (phase === 'body') {
      // The 408 goes out with connection: close; a client that does not take it is cut after `send`.
      socket.setTimeout(ex!.gen.client.timeouts.send);
    } else if (phase !== 'upstream') {
      // Idle between requests, or the client stopped reading its answer: onResponseClose cancels the call.
      this.deps.metrics.connectionsClosed.inc({ reason: phase });
      socket.destroy();
    }
  }

  /**
   * An HTTP/2 stream was inactive for its phase's timeout: the same phases as a socket's, on the stream
   * alone (its session and the other streams carry on); `send` resets it with CANCEL.
   */
  streamTimeout(ex: ProxyExchange, stream: http2.ServerHttp2Stream): void {
    // Finished: an answer (a 408) the client does not take; counted when it was given.
    const phase = ex.done ? 'unread' : this.stalled(ex);
    if (phase === 'body') {
      stream.setTimeout(ex.gen.client.timeouts.send);
    } else if (phase !== 'upstream') {
      if (phase === 'send') this.deps.metrics.connectionsClosed.inc({ reason: 'send' });
      stream.close(http2.constants.NGHTTP2_CANCEL);
    }
  }

  /**
   * What an inactive exchange was doing: a body that stopped coming is answered 408 here (slot released);
   * an answer the client stopped taking is `send`; otherwise it waits on its upstream, which has its own
   * deadline.
   */
  private stalled(ex: ProxyExchange): 'body' | 'send' | 'upstream' {
    if (!ex.req.complete && !ex.res.headersSent) {
      this.deps.metrics.connectionsClosed.inc({ reason: 'body' });
      ex.req.removeListener('data', onRequestData);
      ex.req.removeListener('end', onRequestEnd);
      ex.chunks = [];
      ex.fail(errors.clientTimeout(`request body bytes for ${Math.round(ex.gen.client.timeouts.body / 1000)}s`));
      return 'body';
    }
    return ex.res.headersSent ? 'send' : 'upstream';
  }

  get inFlightCount(): number {
    return this.inFlight;
  }

  /** Live requests started since the server was made (read by the idle GC's sampler, observe/idle-gc.ts). */
  get startedCount(): number {
    return this.started;
  }

  // ---- phase 1: ingress, route match, limits, canary decision ----
  private handle(req: Tagged<IncomingMessage>, res: Tagged<ServerResponse>): void {
    this.inFlight++;
    this.started++;
    const gen = this.deps.generation();
    const ex = new ProxyExchange(this, gen, req, res);
    req[kExchange] = ex;
    res[kExchange] = ex;
    res.on('close', onResponseClose);
    const stream = (req as H2Request).stream;
    if (stream === undefined) {
      (req.socket as Tagged<Socket>)[kExchange] = ex;
      if (this.draining) res.setHeader('connection', 'close');
    } else {
      // HTTP/2: the phases' timeouts are the stream's own (the session's idle is the H2Sessions sweep).
      stream[kExchange] = ex;
      stream.on('timeout', onStreamTimeout);
    }
    // The body (if any) must keep coming: no gap longer than `body` (NGINX's client_body_timeout).
    armTimeout(req, gen.client.timeouts.body);

    // ---- phase 1a: the request's shape (limits, one canonical target) before anything reads it ----
    const refused = this.hygiene(req, gen);
    if (refused !== undefined) {
      if (refused.status === 405) res.setHeader('allow', 'GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS');
      req.resume();
      ex.fail(refused);
      return;
    }
    const method = req.method ?? 'GET';
    if (method === 'OPTIONS' && req.url === '*') {
      // The server-wide OPTIONS (RFC 9110 §9.3.7) is the proxy's own to answer, not an upstream path.
      req.resume();
      ex.status = 200;
      res.writeHead(200, { allow: 'GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS', 'content-length': 0, 'x-request-id': ex.requestId });
      res.end();
      ex.finish();
      return;
    }
    const target = canonicalTarget(req.url ?? '/');
    if (!target.ok) {
      req.resume();
      ex.fail(errors.badRequest(target.message));
      return;
    }
    req.url = target.url;
    // RFC 9112 §3.2.2: with an absolute-form target the Host field is replaced by its authority.
    if (target.host !== undefined) req.headers.host = target.host;

    // HTTP/2 names the host in :authority.
    const route = gen.routes.match(method, req.headers.host ?? (req.headers[':authority'] as string | undefined), target.url);
    if (method === 'TRACE' && route?.config.match.methods?.includes('TRACE') !== true) {
      req.resume();
      res.setHeader('allow', 'GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS');
      ex.fail(errors.methodNotAllowed(method));
      return;
    }
    const declared = Number(req.headers['content-length']);
    if (route === undefined) {
      if (gen.passthrough) {
        // Passthrough bodies are bounded and read first too: a slow client holds no upstream connection.
        if (declared > gen.maxBodyBytes) {
          req.resume();
          ex.fail(errors.bodyTooLarge(gen.maxBodyBytes));
          return;
        }
        ex.upstream = gen.passthrough.name;
        req.on('data', onRequestData);
        req.on('end', onRequestEnd);
        return;
      }
      ex.fail(errors.noRoute());
      return;
    }
    ex.route = route;

    // ---- phase 2: bounded body read, BEFORE the route's slot is taken (docs/slow-clients.md) ----
    // A client that drips its body holds a connection and a buffer of at most maxBodyBytes, never a
    // route slot (maxConcurrency) or an upstream connection: those are taken in admitRequest() once it is whole.
    if (declared > gen.maxBodyBytes) {
      req.resume();
      ex.fail(errors.bodyTooLarge(gen.maxBodyBytes));
      return;
    }
    req.on('data', onRequestData);
    req.on('end', onRequestEnd);
  }

  /** A path no route serves, its body read: to the passthrough upstream (unbuffered answer, no shadow). */
  passOn(ex: ProxyExchange): void {
    const pt = ex.gen.passthrough;
    if (ex.done || ex.res.destroyed || pt === undefined) return;
    const { req, res, gen } = ex;
    res.setHeader('x-request-id', ex.requestId);
    pt.web(req, res, ex.requestId, ex.body, {
      onResponse: () => armTimeout(req, gen.client.timeouts.send),
      done: (status: number) => {
        ex.status = ex.status || status;
        ex.finish();
      },
    });
  }

  // ---- phase 2b: the body is whole: route limits (slot), canary decision, then the primary forward ----
  admitRequest(ex: ProxyExchange, route: LiveRoute): void {
    if (ex.done || ex.res.destroyed) return;
    const retryAfter = route.tryAcquire(Date.now());
    if (retryAfter > 0) {
      ex.res.setHeader('retry-after', String(retryAfter));
      ex.fail(errors.rateLimited());
      return;
    }
    ex.admitted = true;
    const req = ex.req;
    if (ex.gen.tracer !== undefined) ex.span = ex.gen.tracer.startLive(req.headers.traceparent, ex.started);
    ex.target = route.decide(req.headers, req.socket.remoteAddress);
    this.forward(ex, route);
  }

  /** NGINX's request limits: header count, request-line length, one Host. */
  private hygiene(req: IncomingMessage, gen: Generation): ShadowgateError | undefined {
    const raw = req.rawHeaders;
    if ((raw.length / 2) - (req.httpVersionMajor === 2 ? pseudoFields(raw) : 0) > gen.client.maxHeaders) return errors.headersTooLarge(`more than ${gen.client.maxHeaders} fields`);
    if ((req.url ?? '').length > MAX_REQUEST_LINE_BYTES) return errors.uriTooLong(MAX_REQUEST_LINE_BYTES);
    let hosts = 0;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!;
      if (name.length === 4 && name.toLowerCase() === 'host' && ++hosts > 1) return errors.badRequest('more than one Host header field');
    }
    return undefined;
  }

  // ---- phase 3: primary forward ----
  forward(ex: ProxyExchange, route: LiveRoute): void {
    if (ex.done || ex.res.destroyed) return;
    const upstream = route.upstreams[ex.target];
    let gen = ex.gen;
    let pool = gen.pools.get(upstream);
    if (pool !== undefined && (pool.closed || pool.destroyed)) {
      // A reload retired this pool while the body was still arriving: use the live generation's.
      gen = this.deps.generation();
      pool = gen.pools.get(upstream);
    }
    ex.upstream = upstream;
    ex.forwarded = true;
    if (pool === undefined) {
      ex.fail(errors.upstreamUnavailable(upstream));
      return;
    }
    if (route.grpc !== undefined) {
      // gRPC keeps its own deadline (the client's grpc-timeout or this one) and its own HTTP/2 session.
      const req = ex.req;
      const proto = isEncrypted(req.socket) ? 'https' : 'http';
      const timeoutMs = gen.timeouts.get(upstream) ?? 2000;
      route.grpc.forward(upstream, req, ex.res, ex.body, { requestId: ex.requestId, timeoutMs, proto, ...(ex.span ? { traceparent: formatTraceparent(ex.span.context) } : {}) }, (status) => {
        ex.status = status;
        ex.finish();
      });
      return;
    }
    const load = loadOf(pool);
    const queue = gen.queueLimits.get(upstream);
    if (queue !== undefined && load.inFlight - queue.capacity >= queue.maxQueue) {
      // Envoy's pending-request limit: refuse at once rather than wait behind a full queue.
      ex.res.setHeader('retry-after', '1');
      ex.fail(errors.upstreamBusy(upstream));
      return;
    }
    const timeout = gen.timeouts.get(upstream) ?? 2000;
    load.inFlight++;
    ex.load = load;
    ex.controller = undefined;
    ex.armDeadline(timeout);
    pool.dispatch(upstreamCall(ex, timeout), ex);
  }

  /**
   * The keep-alive race (issue 19 finding 7): the upstream closed a reused connection as the request went
   * out, before any byte of the answer. An idempotent request (GET, HEAD, OPTIONS, the route's
   * idempotentMethods) goes once more, on a connection of its own, within the same deadline; any other may
   * have been read and acted on, and gets 502. The buffered body is sent again as it is.
   */
  retry(ex: ProxyExchange, err: Error): boolean {
    const reason = lostConnection(err);
    const route = ex.route;
    if (reason === undefined || route === undefined || ex.res.destroyed) return false;
    const method = ex.req.method ?? 'GET';
    if (!IDEMPOTENT.has(method) && !route.config.idempotentMethods.includes(method)) return false;
    const pool = ex.gen.retryPools.get(ex.upstream);
    if (pool === undefined || pool.closed || pool.destroyed) return false;
    ex.retried = true;
    ex.controller = undefined;
    this.deps.metrics.upstreamRetries.inc({ route: route.name, reason });
    pool.dispatch({ ...upstreamCall(ex, ex.gen.timeouts.get(ex.upstream) ?? 2000), reset: true }, ex);
    return true;
  }

  // ---- phase 4: logging, live stats, and the shadow offer (after the answer ended) ----
  finished(ex: ProxyExchange): void {
    this.inFlight--;
    const ms = performance.now() - ex.started;
    const route = ex.route;
    if (route !== undefined && ex.admitted) {
      route.release();
      if (ex.upstream) route.onLive(ex.target, ex.upstream, ex.status, ms, ex.fellBack);
      if (ex.span !== undefined) ex.gen.tracer?.endLive(ex.span, { route: route.name, upstream: ex.upstream || 'none', method: ex.req.method ?? 'GET', status: ex.status }, performance.now());
      // Offered after the client's answer ended; a request the client abandoned is not mirrored.
      if (route.shadow !== undefined && ex.forwarded && ex.status !== 499) {
        route.shadow.offer({
          requestId: ex.requestId, method: ex.req.method ?? 'GET', url: ex.req.url ?? '/',
          headers: ex.req.headers, body: ex.body,
          stickyKey: route.shadow.wantsStickyKey ? route.stickyKey(ex.req.headers) : undefined,
          liveTrace: ex.span?.context,
        });
      }
    } else {
      // The child for (route, upstream, code) is kept by the counter (LiveCounter): no label hashing per request.
      this.deps.metrics.requests.labels(route?.name ?? (ex.upstream ? 'passthrough' : 'none'), ex.upstream || 'none', String(ex.status)).inc();
    }
    this.deps.accessLog?.info({
      requestId: ex.requestId, route: route?.name ?? null, upstream: ex.upstream || null, target: route ? ex.target : null,
      method: ex.req.method, status: ex.status, durationMs: Math.round(ms * 1000) / 1000,
    }, 'access');
    ex.body = EMPTY;
    if (this.inFlight === 0 && this.idleWaiters.length > 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const pt = this.deps.generation().passthrough;
    if (pt === undefined || this.draining) {
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    this.upgraded.add(socket);
    (socket as Tagged<Duplex>)[kUpgraded] = true;
    socket.once('close', () => this.upgraded.delete(socket));
    pt.ws(req, socket, head);
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        const addr = this.server.address();
        resolve(typeof addr === 'object' && addr ? addr.port : port);
      });
    });
  }

  /** Stops accepting, lets in-flight requests finish (up to timeoutMs), closes idle keep-alive sockets. */
  async drain(timeoutMs: number): Promise<boolean> {
    this.draining = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    const idle = this.inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), timeoutMs); });
    const clean = await Promise.race([idle.then(() => true), timedOut]);
    clearTimeout(timer);
    this.server.closeAllConnections();
    for (const s of this.upgraded) s.destroy();
    await closed;
    return clean;
  }
}
