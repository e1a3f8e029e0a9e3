// Real HTTP upstreams on 127.0.0.1:0 for integration tests, with behaviours chosen per test and a
// record of what they received and how many requests they held at once.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Behaviour = (req: IncomingMessage, body: Buffer, res: ServerResponse) => void;

export interface TestUpstream {
  readonly url: string;
  readonly port: number;
  readonly received: { method: string; url: string; headers: IncomingMessage['headers']; body: Buffer }[];
  /** Most requests open at the same time. */
  readonly maxConcurrent: () => number;
  readonly open: () => number;
  behaviour: Behaviour;
  close(): Promise<void>;
}

export const json = (status: number, value: unknown): Behaviour => (_req, _body, res) => {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
};

/** Echoes what it received, so tests can see what the proxy forwarded. */
export const echo: Behaviour = (req, body, res) => {
  const out = JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body: body.toString('utf8') });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
  res.end(out);
};

export async function startUpstream(behaviour: Behaviour): Promise<TestUpstream> {
  let open = 0;
  let max = 0;
  const sockets = new Set<import('node:net').Socket>();
  const received: TestUpstream['received'] = [];
  const server = http.createServer((req, res) => {
    open++;
    max = Math.max(max, open);
    res.on('close', () => open--);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handle.behaviour(req, body, res);
    });
  });
  // Upgrades (WebSocket handshakes) are accepted and then echo every byte back.
  server.on('upgrade', (_req, socket) => {
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    socket.on('data', (d: Buffer) => socket.write(d));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const handle: TestUpstream = {
    url: `http://127.0.0.1:${port}`,
    port,
    received,
    maxConcurrent: () => max,
    open: () => open,
    behaviour,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
  return handle;
}

/** A port that nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
