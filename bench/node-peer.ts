// The Node peers shadowgate is measured against, each run in its own process with keep-alive to the
// upstream: http-proxy (node:http + an Agent) and @fastify/reply-from (fastify + undici); and `floor`,
// the least a node:http + undici proxy does (body read whole, one dispatch, answer streamed, no header
// rules, limits or metrics): what shadowgate's live thread costs without any of its own work.
// Usage: node node-peer.js --kind http-proxy|reply-from|floor --target http://127.0.0.1:PORT
import { Agent, createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Pool, type Dispatcher } from 'undici';
import { parseArgs } from 'node:util';
import httpProxy from 'http-proxy';
import Fastify from 'fastify';
import replyFrom from '@fastify/reply-from';
import type { Server } from 'node:net';
import { announceReady } from './child-ipc.js';

const { values } = parseArgs({ options: { kind: { type: 'string' }, target: { type: 'string' }, connections: { type: 'string', default: '64' } } });
const target = values.target;
if (target === undefined) throw new Error('--target is required');
const connections = Number(values.connections);

async function startHttpProxy(): Promise<Server> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections });
  const proxy = httpProxy.createProxyServer({ target, agent });
  proxy.on('error', (_err, _req, res) => {
    if ('writeHead' in res && !res.headersSent) res.writeHead(502);
    res.end();
  });
  const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => proxy.web(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

async function startReplyFrom(): Promise<Server> {
  const app = Fastify({ logger: false, keepAliveTimeout: 60_000 });
  // Forward the body untouched, as the other proxies do, instead of parsing and re-serializing JSON.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
  await app.register(replyFrom, { base: target, undici: { connections, pipelining: 1 } });
  app.all('/*', (req, reply) => reply.from(req.url));
  await app.listen({ port: 0, host: '127.0.0.1' });
  return app.server;
}

/** The floor's undici handler: the answer's head and bytes go straight to the client's response. */
class FloorCall implements Dispatcher.DispatchHandler {
  constructor(private readonly res: ServerResponse) {}
  onRequestStart(): void {}
  onResponseStart(_c: Dispatcher.DispatchController, status: number, headers: IncomingMessage['headers']): void {
    this.res.writeHead(status, headers);
  }
  onResponseData(_c: Dispatcher.DispatchController, chunk: Buffer): void {
    this.res.write(chunk);
  }
  onResponseEnd(): void {
    this.res.end();
  }
  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    if (!this.res.headersSent) this.res.writeHead(502).end();
    else this.res.destroy(err);
  }
}

async function startFloor(): Promise<Server> {
  const pool = new Pool(target!, { connections, pipelining: 1, keepAliveTimeout: 30_000 });
  const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const headers: Record<string, string> = { 'content-type': req.headers['content-type'] ?? 'application/octet-stream', 'content-length': String(body.length) };
      pool.dispatch({ method: (req.method ?? 'GET') as Dispatcher.HttpMethod, path: req.url ?? '/', headers, body }, new FloorCall(res));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

const starters: Record<string, () => Promise<Server>> = { 'http-proxy': startHttpProxy, 'reply-from': startReplyFrom, floor: startFloor };
const start = starters[values.kind ?? ''];
if (start === undefined) throw new Error(`--kind must be one of ${Object.keys(starters).join(', ')}`);
announceReady(await start());
