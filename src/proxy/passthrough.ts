// Paths that are not model routes, and WebSocket upgrades, pass through with http-proxy-3: no shadow, no
// comparison, the answer streamed unbuffered. The request body (bounded by maxBodyBytes) was read whole
// before: a client that drips it holds no upstream connection (docs/slow-clients.md). The header rules
// are the route path's own (headers.ts): the request's hop-by-hop and Connection-named fields are dropped before it leaves, and the answer's are
// dropped before the client sees it (http-proxy-3 would echo the client's Connection and copy the
// upstream's hop-by-hop fields, so the answer is written here: selfHandleResponse).
import { classifyUpstreamFailure } from '../http/failure.js';
import { Agent as HttpAgent, type IncomingMessage, type ServerResponse } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { PassThrough, type Duplex } from 'node:stream';
import { createProxyServer } from 'http-proxy-3';
import { errorBody, errors } from '../errors.js';
import { clientResponseHeaders, upstreamRequestHeaders } from '../http/headers.js';

export interface PassthroughHooks {
  /** The upstream's answer head is being written to the client. */
  onResponse(): void;
  /** The exchange is over (the client's response closed), with the status it got. */
  done(status: number): void;
}

export interface Passthrough {
  readonly name: string;
  /** `body`: the request's body, already read (the request stream is consumed). */
  web(req: IncomingMessage, res: ServerResponse, requestId: string, body: Buffer, hooks: PassthroughHooks): void;
  ws(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  close(): void;
}

const kCall = Symbol('shadowgate.passthrough');
type Tagged = IncomingMessage & { [kCall]?: { hooks: PassthroughHooks; requestId: string; timedOut?: boolean } };

/**
 * Idle upstream connections are closed after this, below the usual 5 s keep-alive of an upstream (node's
 * default), so that a request rarely meets a connection the upstream is closing at the same moment.
 */
const IDLE_UPSTREAM_MS = 4_000;

export function createPassthrough(name: string, url: string, timeoutMs: number, connections = 64): Passthrough {
  // Keep-alive to the upstream (without an agent http-proxy-3 sends `connection: close` on every request).
  const options = { keepAlive: true, maxSockets: connections, timeout: IDLE_UPSTREAM_MS };
  const agent = url.startsWith('https:') ? new HttpsAgent(options) : new HttpAgent(options);
  let retired = false;
  agent.on('free', (socket: { destroy(): void }) => {
    if (retired) socket.destroy();
  });
  const proxy = createProxyServer({ target: url, ws: true, xfwd: false, changeOrigin: true, proxyTimeout: timeoutMs, selfHandleResponse: true, agent });
  // http-proxy-3 ends a call past proxyTimeout by destroying it without an error (the error that follows
  // is a plain "socket hang up" reset): its 'timeout' event, emitted first, is what says it was a deadline.
  proxy.on('proxyReq', (proxyReq, req) => {
    proxyReq.once('timeout', () => {
      const call = (req as Tagged)[kCall];
      if (call !== undefined) call.timedOut = true;
    });
  });
  proxy.on('proxyRes', (proxyRes, req, res) => {
    const call = (req as Tagged)[kCall];
    if (call === undefined || res.headersSent || res.destroyed) {
      proxyRes.resume();
      return;
    }
    call.hooks.onResponse();
    (res as ServerResponse).writeHead(proxyRes.statusCode ?? 502, clientResponseHeaders(proxyRes.headers, call.requestId));
    proxyRes.pipe(res as ServerResponse);
    // A reset mid-answer: the only honest signal left is to cut the client's connection too.
    proxyRes.once('error', () => (res as ServerResponse).destroy());
    proxyRes.once('aborted', () => (res as ServerResponse).destroy());
  });
  return {
    name,
    web(req, res, requestId, body, hooks) {
      const call: NonNullable<Tagged[typeof kCall]> = { hooks, requestId };
      (req as Tagged)[kCall] = call;
      const headers = upstreamRequestHeaders(req.headers, { remoteAddress: req.socket.remoteAddress, proto: 'http', requestId });
      // The body was read whole: it goes with its exact length (a chunked one too), or none when there was none.
      if (body.length > 0 || req.headers['content-length'] !== undefined) headers['content-length'] = String(body.length);
      // An own property: HTTP/2's request object has only a getter for its headers (assigning throws).
      Object.defineProperty(req, 'headers', { value: headers, writable: true, configurable: true, enumerable: true });
      res.once('close', () => hooks.done(res.statusCode));
      proxy.web(req, res, { buffer: new PassThrough().end(body) }, (err) => {
        if (res.headersSent || res.destroyed) {
          res.destroy();
          return;
        }
        const e = call.timedOut === true || classifyUpstreamFailure(err) === 'timeout' ? errors.upstreamTimeout(name) : errors.upstreamUnavailable(name);
        const body = errorBody(e, requestId);
        res.writeHead(e.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-request-id': requestId });
        res.end(body);
      });
    },
    ws(req, socket, head) {
      // An upgraded connection leaves HTTP: it gets its own socket, not one of the keep-alive pool.
      proxy.ws(req, socket, head, { agent: false }, () => socket.destroy());
    },
    close() {
      // Retired by a reload: calls in flight finish on their sockets, which then close instead of idling.
      proxy.close();
      retired = true;
      for (const sockets of Object.values(agent.freeSockets)) for (const s of sockets ?? []) s.destroy();
    },
  };
}
