// Paths that are not model routes, and WebSocket upgrades, pass through unbuffered with http-proxy-3:
// no body read, no shadow, no comparison; just the proxy headers and a JSON error if the upstream fails.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { createProxyServer } from 'http-proxy-3';
import { errorBody, errors } from '../errors.js';
import { VIA } from './headers.js';

export interface Passthrough {
  readonly name: string;
  web(req: IncomingMessage, res: ServerResponse, requestId: string, done: (status: number) => void): void;
  ws(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  close(): void;
}

export function createPassthrough(name: string, url: string, timeoutMs: number): Passthrough {
  const proxy = createProxyServer({ target: url, ws: true, xfwd: true, changeOrigin: true, proxyTimeout: timeoutMs });
  proxy.on('proxyRes', (proxyRes, _req, res) => {
    const via = proxyRes.headers.via;
    res.setHeader('via', via ? `${String(via)}, ${VIA}` : VIA);
  });
  return {
    name,
    web(req, res, requestId, done) {
      req.headers['x-request-id'] = requestId;
      res.once('close', () => done(res.statusCode));
      proxy.web(req, res, {}, (err) => {
        if (res.headersSent || res.destroyed) {
          res.destroy();
          return;
        }
        const code = (err as { code?: string }).code;
        const e = code === 'ECONNRESET' && !res.headersSent && /timeout/i.test(String(err)) ? errors.upstreamTimeout(name) : errors.upstreamUnavailable(name);
        const body = errorBody(e, requestId);
        res.writeHead(e.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      });
    },
    ws(req, socket, head) {
      proxy.ws(req, socket, head, {}, () => socket.destroy());
    },
    close() {
      proxy.close();
    },
  };
}
