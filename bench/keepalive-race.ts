// The keep-alive reuse race of issue #19 (finding 7), as a measurement, not a test: an upstream that closes
// a connection idle for --idle without announcing it (no Keep-Alive: timeout, as many servers), and
// --clients clients each sending --requests requests (GET and POST in turn) with a random 12–28 ms pause,
// so that many requests go out on a connection the upstream is closing. Reports the answers per method
// and the proxy's retries (shadowgate_upstream_retries_total).
//
//   node dist/bench/keepalive-race.js [--clients 4] [--requests 300] [--idle 20ms] [--post-idempotent]
import net from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { Registry } from 'prom-client';
import { parseConfig } from '../src/config/load.js';
import { startShadowgate } from '../src/app/app.js';
import { silentLogger } from '../src/observe/log.js';
import { parseDuration } from '../src/config/units.js';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '4' },
    requests: { type: 'string', default: '300' },
    idle: { type: 'string', default: '20ms' },
    'post-idempotent': { type: 'boolean', default: false },
  },
});
const idleMs = parseDuration(values.idle!)!;

const sockets = new Set<net.Socket>();
const model = net.createServer((s) => {
  sockets.add(s);
  s.once('close', () => sockets.delete(s));
  s.on('error', () => undefined);
  let buf = Buffer.alloc(0);
  let idle: NodeJS.Timeout | undefined;
  s.on('data', (d: Buffer) => {
    clearTimeout(idle);
    buf = Buffer.concat([buf, d]);
    for (;;) {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const len = Number(/\r\ncontent-length: *(\d+)/i.exec(buf.subarray(0, end).toString('latin1'))?.[1] ?? 0);
      if (buf.length < end + 4 + len) return;
      buf = buf.subarray(end + 4 + len);
      s.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
      idle = setTimeout(() => s.end(), idleMs);
    }
  });
});
await new Promise<void>((resolve) => model.listen(0, '127.0.0.1', resolve));
const port = (model.address() as net.AddressInfo).port;
const gw = await startShadowgate(parseConfig(`
server: { host: 127.0.0.1, port: 0, drainTimeout: 1s }
admin: { port: 0, stateFile: /tmp/sg-keepalive-race-state.json, auditFile: /tmp/sg-keepalive-race-audit.jsonl }
log: { access: false }
upstreams: { model: { url: "http://127.0.0.1:${port}", timeout: 5s, connections: 4 } }
routes:
  - { name: predict, match: { pathPrefix: / }, primary: model${values['post-idempotent'] ? ', idempotentMethods: [POST]' : ''} }
`), { logger: silentLogger(), registry: new Registry(), admin: false });

const agent = new Agent({ connections: 1 });
const answers: Record<string, number> = {};
const started = performance.now();
await Promise.all(Array.from({ length: Number(values.clients) }, async (_, c) => {
  for (let i = 0; i < Number(values.requests); i++) {
    const method = (i + c) % 2 === 0 ? 'GET' : 'POST';
    let key: string;
    try {
      const res = await request(`http://127.0.0.1:${gw.port}/x`, { method, body: method === 'POST' ? '{}' : null, dispatcher: agent });
      await res.body.dump();
      key = `${method} ${res.statusCode}`;
    } catch {
      key = `${method} error`;
    }
    answers[key] = (answers[key] ?? 0) + 1;
    await delay(12 + Math.random() * 16);
  }
}));
const retries = Object.fromEntries((await gw.app.metrics.upstreamRetries.get()).values.map((v) => [v.labels.reason, v.value]));
console.log(JSON.stringify({ clients: Number(values.clients), requests: Number(values.requests), upstreamIdleMs: idleMs, postIdempotent: values['post-idempotent'], seconds: Math.round((performance.now() - started) / 100) / 10, answers, retries }, null, 2));
await agent.close();
await gw.close();
for (const s of sockets) s.destroy();
await new Promise((resolve) => model.close(resolve));
