// The slow-body probe of issue #10 (finding 1), as a measurement, not a test: N connections send a full
// request head and 5 of 100 declared body bytes to a route limited to N (or --limit) concurrent requests, while a
// prober sends one legitimate request every 50 ms. Reports what the prober got before and after
// `server.timeouts.body`, and what the proxy closed. One process: shadowgate, its upstream, the attackers
// and the prober share it (the attackers are idle sockets).
//
//   node dist/bench/slowloris.js [--connections 512] [--limit N] [--body 5s] [--duration 12s] [--reconnect]
// Issue #19 finding 5 (a reconnecting attacker, 80 connections, route limit 64):
//   node dist/bench/slowloris.js --connections 80 --limit 64 --body 3s --duration 12s --reconnect
import http from 'node:http';
import net from 'node:net';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { Registry } from 'prom-client';
import { parseConfig } from '../src/config/load.js';
import { startShadowgate } from '../src/app/app.js';
import { silentLogger } from '../src/observe/log.js';
import { parseDuration } from '../src/config/units.js';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '512' },
    limit: { type: 'string' },
    body: { type: 'string', default: '5s' },
    duration: { type: 'string', default: '12s' },
    reconnect: { type: 'boolean', default: false },
  },
});
const n = Number(values.connections);
const limit = values.limit === undefined ? n : Number(values.limit);
const bodyMs = parseDuration(values.body!)!;
const durationMs = parseDuration(values.duration!)!;

const model = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => res.end('{"prediction":"a"}'));
});
await new Promise<void>((resolve) => model.listen(0, '127.0.0.1', resolve));
const upstream = { url: `http://127.0.0.1:${(model.address() as net.AddressInfo).port}` };
const gw = await startShadowgate(parseConfig(`
server: { host: 127.0.0.1, port: 0, timeouts: { body: ${bodyMs}ms } }
admin: { port: 0, stateFile: /tmp/sg-slowloris-state.json, auditFile: /tmp/sg-slowloris-audit.jsonl }
log: { access: false }
upstreams: { model: { url: "${upstream.url}", timeout: 2s } }
routes:
  - { name: predict, match: { pathPrefix: /v1/predict }, primary: model, limits: { maxConcurrency: ${limit} } }
`), { logger: silentLogger(), registry: new Registry(), admin: false });

const started = performance.now();
const elapsed = () => performance.now() - started;
let attackerAnswers = 0;
let attackersOpen = 0;
let stopping = false;
function attack(): void {
  const s = net.connect(gw.port, '127.0.0.1', () => {
    attackersOpen++;
    s.write('POST /v1/predict HTTP/1.1\r\nhost: gw\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"a":');
  });
  s.once('data', () => attackerAnswers++);
  s.on('error', () => undefined);
  s.once('close', () => {
    attackersOpen--;
    if (values.reconnect && !stopping) attack();
  });
  sockets.add(s);
}
const sockets = new Set<net.Socket>();
for (let i = 0; i < n; i++) attack();

type Sample = { at: number; status: number };
const samples: Sample[] = [];
const agent = new Agent({ connections: 4 });
const prober = setInterval(() => {
  const at = elapsed();
  request(`http://127.0.0.1:${gw.port}/v1/predict`, { method: 'POST', body: '{"x":1}', dispatcher: agent })
    .then(async (res) => {
      await res.body.dump();
      samples.push({ at, status: res.statusCode });
    }, () => samples.push({ at, status: 0 }));
}, 50);
await new Promise((r) => setTimeout(r, durationMs));
clearInterval(prober);
stopping = true;

const closed = Object.fromEntries((await gw.app.metrics.connectionsClosed.get()).values.map((v) => [v.labels.reason, v.value]));
const summarize = (xs: Sample[]) => {
  const by: Record<string, number> = {};
  for (const x of xs) by[x.status] = (by[x.status] ?? 0) + 1;
  return by;
};
const before = samples.filter((x) => x.at < bodyMs);
const after = samples.filter((x) => x.at >= bodyMs + 500); // the cut itself takes a moment for 512 sockets
const ok = samples.filter((x) => x.status === 200).length;
const first200 = samples.filter((x) => x.status === 200).map((x) => x.at).sort((a, b) => a - b)[0];
console.log(JSON.stringify({
  connections: n, maxConcurrency: limit, bodyTimeoutMs: bodyMs, durationMs, reconnect: values.reconnect,
  proberBeforeTimeout: summarize(before),
  proberAfterTimeout: summarize(after),
  first200AtMs: first200 === undefined ? null : Math.round(first200),
  proberSuccess: `${ok}/${samples.length} (${samples.length === 0 ? 0 : Math.round((1000 * ok) / samples.length) / 10}%)`,
  attackerAnswers, attackersStillOpen: attackersOpen,
  connectionsClosed: closed,
}, null, 2));
for (const s of sockets) s.destroy();
await agent.close();
await gw.close();
model.closeAllConnections();
await new Promise((resolve) => model.close(resolve));
