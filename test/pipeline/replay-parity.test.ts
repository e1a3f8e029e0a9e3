// One copy pipeline for live copies and replay (src/pipeline/): a dataset recorded from live traffic on a
// route with a per-target rewrite and on a gRPC route, replayed, reaches each sandbox target exactly as the
// live copies did (method, path, headers, body / gRPC metadata and message), and gives the live verdict.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteReport } from '../../src/compare/index.js';
import { parseConfig } from '../../src/config/load.js';
import { replayDataset, type ReplayResult } from '../../src/replay/replay.js';
import { oipProtoPath } from '../../src/grpc/route.js';
import { TEST_KEY, send, sendMany, startFromYaml } from '../helpers/app.js';

const PROTO = fileURLToPath(new URL('../protocols/fixtures/scorer.proto', import.meta.url));
const LOAD = { keepCase: true, longs: String, enums: String, defaults: true } as const;
type Client = grpc.Client & Record<string, (...args: unknown[]) => unknown>;
type Ctor = new (address: string, creds: grpc.ChannelCredentials) => Client;
const Scorer = (grpc.loadPackageDefinition(protoLoader.loadSync(PROTO, LOAD)) as unknown as { demo: { v1: { Scorer: Ctor & { service: grpc.ServiceDefinition } } } }).demo.v1.Scorer;
const Oip = (grpc.loadPackageDefinition(protoLoader.loadSync(oipProtoPath(), LOAD)) as unknown as { inference: { GRPCInferenceService: Ctor & { service: grpc.ServiceDefinition } } }).inference.GRPCInferenceService;

/** What a sandbox target received: the parts a replay must reproduce. */
interface Seen { shadow: string; key: string }

/** Headers a copy carries that legitimately differ between a live copy and its replay. */
const VARYING = new Set(['x-shadowgate-shadow', 'traceparent', 'host', 'connection', 'content-length', 'user-agent']);
const stable = (h: Record<string, unknown>) => Object.fromEntries(Object.entries(h).filter(([k]) => !VARYING.has(k)).sort(([a], [b]) => a.localeCompare(b)));

/** Label by request number; the candidate disagrees on every third, and fails a copy without its rewrite. */
const labelOf = (i: number, candidate: boolean) => (candidate && i % 3 === 0 ? 'fish' : ['cat', 'dog', 'bird'][i % 3]!);

interface Sandbox { url: string; seen: Seen[]; close(): Promise<void> }

async function httpModel(candidate: boolean): Promise<Sandbox> {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const h: IncomingHttpHeaders = req.headers;
      const shadow = typeof h['x-shadowgate-shadow'] === 'string' ? h['x-shadowgate-shadow'] : '';
      seen.push({ shadow, key: JSON.stringify({ method: req.method, url: req.url, headers: stable(h), body }) });
      const doc = JSON.parse(body) as { i: number; model?: string };
      // The candidate serves only its own model name: a copy that missed the rewrite is refused.
      if (candidate && doc.model !== 'chat-v2') {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"unknown model"}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ label: labelOf(doc.i, candidate) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function grpcModel(candidate: boolean): Promise<Sandbox> {
  const seen: Seen[] = [];
  const server = new grpc.Server();
  server.addService(Scorer.service, {
    Score(call: grpc.ServerUnaryCall<Record<string, unknown>, unknown>, cb: grpc.sendUnaryData<unknown>) {
      const md = call.metadata.getMap();
      const shadow = typeof md['x-shadowgate-shadow'] === 'string' ? md['x-shadowgate-shadow'] : '';
      seen.push({ shadow, key: JSON.stringify({ path: call.getPath(), metadata: stable(md), request: call.request }) });
      const i = Number(call.request.note);
      const model = candidate && md['x-model'] !== 'scorer-v2' ? 'wrong' : 'ok';
      cb(null, { label: labelOf(i, candidate), score: 0.25, model });
    },
    Explain(call: grpc.ServerWritableStream<Record<string, unknown>, unknown>) {
      call.end();
    },
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  return { url: `http://127.0.0.1:${port}`, seen, close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())) };
}

/** An Open Inference Protocol model: its own name and id, a tensor within the preset's tolerance of the other's. */
async function oipModel(name: string, value: number): Promise<Sandbox> {
  const seen: Seen[] = [];
  const server = new grpc.Server();
  server.addService(Oip.service, {
    ModelInfer(call: grpc.ServerUnaryCall<{ id: string }, unknown>, cb: grpc.sendUnaryData<unknown>) {
      const md = call.metadata.getMap();
      const shadow = typeof md['x-shadowgate-shadow'] === 'string' ? md['x-shadowgate-shadow'] : '';
      seen.push({ shadow, key: JSON.stringify({ path: call.getPath(), metadata: stable(md), request: call.request }) });
      cb(null, { model_name: name, model_version: '1', id: `${name}-${call.request.id}`, outputs: [{ name: 'prob', datatype: 'FP32', shape: ['1'], contents: { fp32_contents: [value] } }] });
    },
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  return { url: `http://127.0.0.1:${port}`, seen, close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())) };
}

const N = 12;
const ROUTES = ['chat', 'scorer', 'infer'];
const verdict = '{ minObservations: 5, maxP99Ratio: 1000, minLatencyEffect: 1000 }';
const yaml = (s: { inc: string; cand: string; ginc: string; gcand: string; oinc: string; ocand: string }, recordPath: string) => `
server: { http2: true, maxEventLoopDelay: 60s }
upstreams:
  incumbent: { url: "${s.inc}", timeout: 10s }
  candidate: { url: "${s.cand}", timeout: 10s }
  g-incumbent: { url: "${s.ginc}", timeout: 10s }
  g-candidate: { url: "${s.gcand}", timeout: 10s }
  o-incumbent: { url: "${s.oinc}", timeout: 10s }
  o-candidate: { url: "${s.ocand}", timeout: 10s }
routes:
  - name: chat
    match: { pathPrefix: /v1/chat }
    primary: incumbent
    shadow:
      targets: [incumbent, candidate]
      maxRps: 100000
      maxInFlight: 1000
      policy: users
      rewrite: { candidate: { body: { "$.model": chat-v2 }, headers: { set: { x-model: chat-v2 }, remove: [x-tenant] } } }
      compare: { label: $.label, verdict: ${verdict} }
  - name: scorer
    match: { pathPrefix: /demo.v1.Scorer/ }
    protocol: grpc
    grpc: { protos: ["${PROTO}"] }
    primary: g-incumbent
    shadow:
      targets: [g-incumbent, g-candidate]
      maxRps: 100000
      maxInFlight: 1000
      policy: users
      rewrite: { g-candidate: { body: { "$.features[0]": 2 }, headers: { set: { x-model: scorer-v2 } } } }
      compare: { label: $.label, verdict: ${verdict} }
  - name: infer
    protocol: grpc
    grpc: { preset: oip }
    primary: o-incumbent
    shadow:
      targets: [o-incumbent, o-candidate]
      maxRps: 100000
      maxInFlight: 1000
      policy: none
      allowRawData: true
      rewrite: { o-candidate: { body: { "$.model_name": fraud-v2 } } }
      compare: { verdict: ${verdict} }
anonymize:
  key: \${SHADOWGATE_KEY}
  policies:
    users:
      headers: { keep: [content-type, x-tenant] }
      fields: { "$.user.email": email, "$.user.name": name }
      unknown: scan
record: { path: "${recordPath}", flushInterval: 10ms }
`;

function essence(r: RouteReport) {
  const s = r.sinceStart;
  return {
    verdict: s.verdict,
    compared: s.compared,
    agreement: s.label?.agreement,
    fields: s.fields.map((f) => ({ path: f.path, status: f.status, candidateRate: f.candidateRate })),
  };
}

async function until(what: string, ok: () => boolean | Promise<boolean>, limitMs = 60_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The copies a target received with one shadow mark, as a sorted list (live and replay run in any order). */
const copies = (s: Sandbox, mark: string) => s.seen.filter((x) => x.shadow === mark).map((x) => x.key).sort();

describe('replay through the one copy pipeline', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sg-parity-'));
  const sandboxes: Sandbox[] = [];
  let inc: Sandbox, cand: Sandbox, ginc: Sandbox, gcand: Sandbox, oinc: Sandbox, ocand: Sandbox;
  const live = new Map<string, RouteReport>();
  let replay: ReplayResult;

  beforeAll(async () => {
    sandboxes.push(inc = await httpModel(false), cand = await httpModel(true), ginc = await grpcModel(false), gcand = await grpcModel(true));
    sandboxes.push(oinc = await oipModel('fraud-v1', 0.5), ocand = await oipModel('fraud-v2', 0.50001));
    const text = yaml({ inc: inc.url, cand: cand.url, ginc: ginc.url, gcand: gcand.url, oinc: oinc.url, ocand: ocand.url }, join(dir, 'data', 'shadow.jsonl'));
    const gw = await startFromYaml(text);
    const client = new Scorer(`127.0.0.1:${gw.port}`, grpc.credentials.createInsecure());
    const oipClient = new Oip(`127.0.0.1:${gw.port}`, grpc.credentials.createInsecure());
    try {
      await sendMany(N, 3, (i) => send(gw.url, {
        method: 'POST', path: `/v1/chat?n=${i}`,
        headers: { 'content-type': 'application/json', 'x-tenant': 'acme', authorization: 'Bearer secret' },
        body: JSON.stringify({ i, model: 'chat-v1', user: { email: `person${i}@example.org`, name: 'Amelia Hart' } }),
      }));
      for (let i = 0; i < N; i++) {
        await new Promise<void>((resolve, reject) => {
          client.Score!({ user: { email: `person${i}@example.org`, name: 'Amelia Hart', id: '7' }, features: [0.5, 1.5], note: String(i) }, new grpc.Metadata(), { deadline: Date.now() + 30_000 }, (err: grpc.ServiceError | null) => (err ? reject(err) : resolve()));
        });
        await new Promise<void>((resolve, reject) => {
          const req = { model_name: 'fraud-v1', id: `r${i}`, inputs: [{ name: 'x', datatype: 'FP32', shape: ['1'], contents: { fp32_contents: [i] } }] };
          oipClient.ModelInfer!(req, new grpc.Metadata(), { deadline: Date.now() + 30_000 }, (err: grpc.ServiceError | null) => (err ? reject(err) : resolve()));
        });
      }
      // Every copy answered and compared: N live copies at each target, nothing in flight.
      await until('the live copies', () => sandboxes.every((s) => copies(s, '1').length === N)
        && ROUTES.every((r) => gw.app.routeShadow(r)!.inFlightCount === 0));
      await until('the live comparisons', () => ROUTES.every((r) => (gw.app.report(r) as RouteReport).sinceStart.exchanges === N));
      for (const r of ROUTES) live.set(r, gw.app.report(r) as RouteReport);
    } finally {
      client.close();
      oipClient.close();
      await gw.close();
    }
    replay = await replayDataset({ config: parseConfig(text, { env: { SHADOWGATE_KEY: TEST_KEY } }), datasets: [join(dir, 'data')] });
  }, 120_000);

  afterAll(async () => {
    await Promise.all(sandboxes.map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('replays every recorded copy with no failed call', () => {
    expect(replay).toMatchObject({ sent: ROUTES.length * N, failedCalls: 0, skipped: { unknownRoute: 0, notAnonymized: 0, unreadable: 0 } });
  });

  it('a rewritten route: each target receives the same request from replay as from the live copy', () => {
    for (const target of [inc, cand]) {
      expect(copies(target, 'replay')).toHaveLength(N);
      expect(copies(target, 'replay')).toEqual(copies(target, '1'));
    }
    // The rewrite did reach the candidate, and only it (the control's copy keeps the client's model name).
    expect(copies(cand, '1').every((k) => k.includes('chat-v2') && !k.includes('x-tenant'))).toBe(true);
    expect(copies(inc, '1').every((k) => k.includes('chat-v1') && k.includes('x-tenant'))).toBe(true);
  });

  it('a gRPC route: replay sends protobuf over HTTP/2 with the same metadata and message as the live copy', () => {
    for (const target of [ginc, gcand]) {
      expect(copies(target, 'replay')).toHaveLength(N);
      expect(copies(target, 'replay')).toEqual(copies(target, '1'));
    }
    expect(copies(gcand, '1').every((k) => k.includes('scorer-v2'))).toBe(true);
    for (const target of [oinc, ocand]) expect(copies(target, 'replay')).toEqual(copies(target, '1'));
    expect(copies(ocand, '1').every((k) => k.includes('fraud-v2'))).toBe(true);
  });

  it('the replayed verdict and comparison match the live ones, route by route', () => {
    for (const route of ROUTES) {
      const replayed = replay.reports.find((r) => r.route === route)!;
      expect(replayed, route).toBeDefined();
      expect(essence(replayed)).toEqual(essence(live.get(route)!));
    }
    expect(essence(live.get('chat')!).verdict).toBe('fail');
  });

  it('a gRPC preset route is judged by the preset\'s rules in replay too (other ids, names, tensors within tolerance)', () => {
    const replayed = replay.reports.find((r) => r.route === 'infer')!;
    expect(replayed.sinceStart.compared).toBe(N);
    expect(replayed.sinceStart.fields.filter((f) => f.candidateDiffs > 0)).toEqual([]);
    expect(live.get('infer')!.sinceStart.fields.filter((f) => f.candidateDiffs > 0)).toEqual([]);
  });
});
