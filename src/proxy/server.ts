// The live path, as named phases over one per-request context (ProxyExchange), read top to bottom:
// ingress → route match → live limits → canary decision → bounded body read → primary forward
// (undici dispatch; the context is the handler) → response streamed to the client → logging and the
// shadow offer, after the client's answer has ended. Nothing after the offer can touch the answer.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Dispatcher, Pool } from 'undici';
import type { Logger } from 'pino';
import type { RouteConfig } from '../config/schema.js';
import { errorBody, errors, type ShadowgateError } from '../errors.js';
import type { Metrics } from '../observe/metrics.js';
import type { RouteShadow } from '../shadow/shadow.js';
import type { RouteTable } from '../routing/route-table.js';
import { clientResponseHeaders, requestIdOf, upstreamRequestHeaders } from './headers.js';
import type { Passthrough } from './passthrough.js';
import { formatTraceparent, type LiveSpan, type Tracer } from '../observe/trace.js';
import { createListener, isEncrypted, type ProxyListener } from './listener.js';
import type { ListenerTlsConfig } from '../config/schema.js';

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

export interface LiveGrpc {
  forward(upstream: string, req: IncomingMessage, res: ServerResponse, body: Buffer,
    opts: { requestId: string; timeoutMs: number; proto: 'http' | 'https'; traceparent?: string }, done: (status: number) => void): void;
}

export interface Generation {
  readonly routes: RouteTable<LiveRoute>;
  readonly pools: ReadonlyMap<string, Pool>;
  readonly timeouts: ReadonlyMap<string, number>;
  readonly maxBodyBytes: number;
  readonly passthrough: Passthrough | undefined;
  /** Set only when tracing.otlp is configured: without it the live path does no tracing work. */
  readonly tracer?: Tracer;
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
type Tagged<T> = T & { [kExchange]?: ProxyExchange };

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

  /** The configuration generation this request started with: a reload never splits a request. */
  constructor(readonly proxy: ProxyServer, readonly gen: Generation, readonly req: Tagged<IncomingMessage>, readonly res: Tagged<ServerResponse>) {
    this.requestId = requestIdOf(req.headers);
  }

  // ---- undici handler: the primary call ----
  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingMessage['headers']): void {
    if (statusCode < 200) return; // 1xx: informational, not forwarded
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
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.discarding) return;
    if (!this.res.write(chunk)) {
      controller.pause();
      this.res.once('drain', resumeOnDrain);
    }
  }

  onResponseEnd(): void {
    if (this.discarding) {
      this.fallBack();
      return;
    }
    this.res.end();
    this.finish();
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
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
        ...(err.status === 413 ? { connection: 'close' } : {}),
      });
      this.res.end(body);
    }
    this.finish();
  }

  finish(): void {
    if (this.done) return;
    this.done = true;
    this.proxy.finished(this);
  }
}

const EMPTY = Buffer.alloc(0);

function resumeOnDrain(this: Tagged<ServerResponse>): void {
  this[kExchange]?.controller?.resume();
}

function isTimeout(err: Error): boolean {
  const code = (err as { code?: string }).code;
  return code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT';
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
  ex.proxy.forward(ex, ex.route!);
}

function onResponseClose(this: Tagged<ServerResponse>): void {
  const ex = this[kExchange];
  if (ex && !ex.done && !this.writableFinished) {
    // The client went away: cancel the upstream call.
    ex.controller?.abort(new Error('client closed the connection'));
    ex.status = 499;
    ex.finish();
  }
}

export class ProxyServer {
  readonly server: ProxyListener;
  private inFlight = 0;
  private draining = false;
  private idleWaiters: (() => void)[] = [];
  /** Upgraded (WebSocket) sockets leave node:http's bookkeeping; drain must close them itself. */
  private readonly upgraded = new Set<Duplex>();

  constructor(readonly deps: ProxyDeps) {
    this.server = createListener({ tls: deps.tls, http2: deps.http2, keepAliveTimeout: 65_000 }, {
      request: (req: IncomingMessage, res: ServerResponse) => this.handle(req, res),
      upgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head),
      clientError: (_err: Error, socket: Duplex) => {
        if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
        else socket.destroy();
      },
    });
  }

  get inFlightCount(): number {
    return this.inFlight;
  }

  // ---- phase 1: ingress, route match, limits, canary decision ----
  private handle(req: Tagged<IncomingMessage>, res: Tagged<ServerResponse>): void {
    this.inFlight++;
    const gen = this.deps.generation();
    const ex = new ProxyExchange(this, gen, req, res);
    req[kExchange] = ex;
    res[kExchange] = ex;
    res.on('close', onResponseClose);
    if (this.draining) res.setHeader('connection', 'close');

    // HTTP/2 names the host in :authority.
    const route = gen.routes.match(req.method ?? 'GET', req.headers.host ?? (req.headers[':authority'] as string | undefined), req.url ?? '/');
    if (route === undefined) {
      if (gen.passthrough) {
        ex.upstream = gen.passthrough.name;
        res.setHeader('x-request-id', ex.requestId);
        gen.passthrough.web(req, res, ex.requestId, (status: number) => {
          ex.status = status;
          ex.finish();
        });
        return;
      }
      ex.fail(errors.noRoute());
      return;
    }
    ex.route = route;
    const retryAfter = route.tryAcquire(Date.now());
    if (retryAfter > 0) {
      res.setHeader('retry-after', String(retryAfter));
      ex.fail(errors.rateLimited());
      return;
    }
    ex.admitted = true;
    if (gen.tracer !== undefined) ex.span = gen.tracer.startLive(req.headers.traceparent, ex.started);
    ex.target = route.decide(req.headers, req.socket.remoteAddress);

    // ---- phase 2: bounded body read ----
    const declared = Number(req.headers['content-length']);
    if (declared > gen.maxBodyBytes) {
      req.resume();
      ex.fail(errors.bodyTooLarge(gen.maxBodyBytes));
      return;
    }
    req.on('data', onRequestData);
    req.on('end', onRequestEnd);
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
    const timeout = gen.timeouts.get(upstream) ?? 2000;
    const req = ex.req;
    if (route.grpc !== undefined) {
      const proto = isEncrypted(req.socket) ? 'https' : 'http';
      route.grpc.forward(upstream, req, ex.res, ex.body, { requestId: ex.requestId, timeoutMs: timeout, proto, ...(ex.span ? { traceparent: formatTraceparent(ex.span.context) } : {}) }, (status) => {
        ex.status = status;
        ex.finish();
      });
      return;
    }
    const headers = upstreamRequestHeaders(req.headers, { remoteAddress: req.socket.remoteAddress, proto: isEncrypted(req.socket) ? 'https' : 'http', requestId: ex.requestId });
    if (ex.span !== undefined) headers.traceparent = formatTraceparent(ex.span.context);
    pool.dispatch({
      method: (req.method ?? 'GET') as Dispatcher.HttpMethod,
      path: req.url ?? '/',
      headers,
      body: ex.body.length > 0 ? ex.body : null,
      headersTimeout: timeout,
      bodyTimeout: timeout,
    }, ex);
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
      this.deps.metrics.requests.inc({ route: route?.name ?? (ex.upstream ? 'passthrough' : 'none'), upstream: ex.upstream || 'none', code: String(ex.status) });
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
