// The Node peers shadowgate is measured against, each run in its own process with keep-alive to the
// upstream: http-proxy (node:http + an Agent) and @fastify/reply-from (fastify + undici).
// Usage: node node-peer.js --kind http-proxy|reply-from --target http://127.0.0.1:PORT
import { Agent, createServer } from 'node:http';
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

const starters: Record<string, () => Promise<Server>> = { 'http-proxy': startHttpProxy, 'reply-from': startReplyFrom };
const start = starters[values.kind ?? ''];
if (start === undefined) throw new Error(`--kind must be one of ${Object.keys(starters).join(', ')}`);
announceReady(await start());
