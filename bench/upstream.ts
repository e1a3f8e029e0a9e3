// A fast model-server stand-in, run in its own process: answers every request with a fixed ≈300-byte
// JSON over keep-alive, optionally after a delay (the slow candidate of the isolation runs).
// Usage: node upstream.js --role incumbent|candidate|baseline [--delay-ms N]
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';
import { ANSWERS, type UpstreamRole } from './fixtures.js';
import { announceReady } from './child-ipc.js';

const { values } = parseArgs({ options: { role: { type: 'string', default: 'incumbent' }, 'delay-ms': { type: 'string', default: '0' } } });
const role = values.role as UpstreamRole;
if (!(role in ANSWERS)) throw new Error(`unknown role ${role}`);
const body = Buffer.from(ANSWERS[role]);
const headers = { 'content-type': 'application/json', 'content-length': String(body.length) };
const delayMs = Number(values['delay-ms']);

function respond(res: ServerResponse): void {
  res.writeHead(200, headers);
  res.end(body);
}

// The request body is drained before answering so that the connection stays reusable.
function handle(req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  req.on('end', delayMs > 0 ? () => setTimeout(respond, delayMs, res) : () => respond(res));
}

const server = createServer({ keepAliveTimeout: 60_000 }, handle);
server.listen(0, '127.0.0.1', () => announceReady(server));
