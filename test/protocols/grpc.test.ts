// gRPC through the proxy with real @grpc/grpc-js peers over h2c: unary and server-streaming calls with
// trailers intact, error statuses and deadlines, grpc-status in the metrics, and the shadow copy decoded
// with the route's .proto, anonymized by JSON paths, sent to both targets and compared by the engine.
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startFromYaml } from '../helpers/app.js';
import { oipProtoPath } from '../../src/grpc/route.js';

const PROTO = fileURLToPath(new URL('./fixtures/scorer.proto', import.meta.url));
const LOAD = { keepCase: true, longs: String, enums: String, defaults: true } as const;
type Ctor = new (address: string, creds: grpc.ChannelCredentials) => grpc.Client & Record<string, (...args: unknown[]) => unknown>;
const scorerPkg = grpc.loadPackageDefinition(protoLoader.loadSync(PROTO, LOAD)) as unknown as { demo: { v1: { Scorer: Ctor & { service: grpc.ServiceDefinition } } } };
const Scorer = scorerPkg.demo.v1.Scorer;

interface Received { metadata: grpc.Metadata; request: Record<string, unknown>; deadline: grpc.Deadline }
interface ScorerServer { port: number; received: Received[]; close(): Promise<void> }

async function startScorer(label: string, opts: { hang?: boolean } = {}): Promise<ScorerServer> {
  const received: Received[] = [];
  const server = new grpc.Server();
  server.addService(Scorer.service, {
    Score(call: grpc.ServerUnaryCall<Record<string, unknown>, unknown>, cb: grpc.sendUnaryData<unknown>) {
      received.push({ metadata: call.metadata, request: call.request, deadline: call.getDeadline() });
      if (opts.hang) return;
      const user = call.request.user as { email: string } | null;
      if (user?.email === 'missing@example.com') {
        cb({ code: grpc.status.NOT_FOUND, details: 'no such user' });
        return;
      }
      const trailer = new grpc.Metadata();
      trailer.set('x-model-trailer', label);
      cb(null, { label, score: 0.25, model: label }, trailer);
    },
    Explain(call: grpc.ServerWritableStream<Record<string, unknown>, unknown>) {
      received.push({ metadata: call.metadata, request: call.request, deadline: call.getDeadline() });
      for (let i = 0; i < 5; i++) call.write({ text: `${label}-${i}`, index: i });
      const trailer = new grpc.Metadata();
      trailer.set('x-tokens', '5');
      call.end(trailer);
    },
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  return { port, received, close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())) };
}

function unary(client: grpc.Client & Record<string, (...args: unknown[]) => unknown>, req: unknown, deadlineMs = 5000): Promise<{ err: grpc.ServiceError | null; reply: unknown; trailers: grpc.Metadata | undefined }> {
  let answer!: (v: { err: grpc.ServiceError | null; reply: unknown }) => void;
  const answered = new Promise<{ err: grpc.ServiceError | null; reply: unknown }>((resolve) => { answer = resolve; });
  const call = client.Score!(req, new grpc.Metadata(), { deadline: Date.now() + deadlineMs }, (err: grpc.ServiceError | null, reply: unknown) => answer({ err, reply })) as grpc.ClientUnaryCall;
  const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
  return Promise.all([answered, status]).then(([a, s]) => ({ ...a, trailers: s.metadata }));
}

const USER = { email: 'amelia.hart@example.com', name: 'Amelia Hart', id: '4242' };

describe('gRPC through the proxy', () => {
  let inc: ScorerServer;
  let cand: ScorerServer;
  let gw: Awaited<ReturnType<typeof startFromYaml>>;
  let client: grpc.Client & Record<string, (...args: unknown[]) => unknown>;

  beforeAll(async () => {
    inc = await startScorer('legit');
    cand = await startScorer('fraud');
    gw = await startFromYaml(`
server: { http2: true, maxEventLoopDelay: 10s }
upstreams:
  incumbent: { url: "http://127.0.0.1:${inc.port}", timeout: 5s }
  candidate: { url: "http://127.0.0.1:${cand.port}", timeout: 5s }
routes:
  - name: scorer
    match: { pathPrefix: /demo.v1.Scorer/ }
    protocol: grpc
    grpc: { protos: ["${PROTO}"] }
    primary: incumbent
    shadow:
      targets: [incumbent, candidate]
      policy: grpc-users
      maxRps: 1000
      compare: { label: $.label, verdict: { minObservations: 1 } }
anonymize:
  key: \${SHADOWGATE_KEY}
  policies:
    grpc-users:
      fields: { "$.user.email": email, "$.user.name": name, "$.user.id": pseudonym }
      unknown: scan
`);
    client = new Scorer(`127.0.0.1:${gw.port}`, grpc.credentials.createInsecure());
  });
  afterAll(async () => {
    client?.close();
    await gw?.close();
    await inc?.close();
    await cand?.close();
  });

  async function settled(copies: number): Promise<void> {
    const sent = async () => (await gw.app.metrics.shadowRequests.get()).values.reduce((s, v) => s + v.value, 0);
    while ((await sent()) < copies * 2 || gw.app.routeShadow('scorer')!.inFlightCount > 0) await new Promise((r) => setTimeout(r, 5));
  }

  it('unary: the answer, its trailers and grpc-status reach the client; the metric counts OK', async () => {
    const { err, reply, trailers } = await unary(client, { user: USER, features: [0.5, 1.5], note: 'hello' });
    expect(err).toBeNull();
    expect(reply).toEqual({ label: 'legit', score: 0.25, model: 'legit' });
    expect(trailers?.get('x-model-trailer')).toEqual(['legit']);
    const live = inc.received.find((r) => r.metadata.get('x-shadowgate-shadow').length === 0)!;
    expect(live.request.user).toEqual(USER);
    const grpcMetric = (await gw.app.metrics.grpcResponses.get()).values;
    expect(grpcMetric).toEqual(expect.arrayContaining([expect.objectContaining({ labels: { route: 'scorer', upstream: 'incumbent', grpc_status: 'OK' }, value: 1 })]));
  });

  it('the shadow copy is decoded, anonymized by JSON paths, re-encoded, and the answers compared', async () => {
    await settled(1);
    const copies = [...inc.received, ...cand.received].filter((r) => r.metadata.get('x-shadowgate-shadow')[0] === '1');
    expect(copies).toHaveLength(2);
    for (const c of copies) {
      const user = c.request.user as { email: string; name: string; id: string };
      expect(user.email).not.toBe(USER.email);
      expect(user.email).toMatch(/^[^@\s]+@[^@\s]+\.[a-z]+$/);
      expect(user.name).not.toContain('Amelia');
      expect(user.id).not.toBe(USER.id);
      expect(c.request.features).toEqual([0.5, 1.5]);
      expect(JSON.stringify(c.request)).not.toContain('amelia');
    }
    // Both targets got the same anonymized copy.
    expect(copies[0]!.request).toEqual(copies[1]!.request);
    const res = await request(`${gw.adminUrl}/admin/report?route=scorer`);
    const report = (await res.body.json()) as { sinceStart: { compared: number; label: { agreement: number; confusion: { incumbent: string; candidate: string }[] }; fields: { path: string }[] } };
    expect(report.sinceStart.compared).toBe(1);
    expect(report.sinceStart.label.agreement).toBe(0);
    expect(report.sinceStart.label.confusion[0]).toMatchObject({ incumbent: 'legit', candidate: 'fraud' });
    expect(report.sinceStart.fields.map((f) => f.path)).toEqual(expect.arrayContaining(['$.label', '$.model']));
  });

  it('an error status and its message pass through, counted by name', async () => {
    const { err } = await unary(client, { user: { email: 'missing@example.com', name: 'x', id: '1' } });
    expect(err?.code).toBe(grpc.status.NOT_FOUND);
    expect(err?.details).toBe('no such user');
    const m = (await gw.app.metrics.grpcResponses.get()).values.find((v) => v.labels.grpc_status === 'NOT_FOUND');
    expect(m?.value).toBe(1);
  });

  it('server-streaming: every message and the trailers reach the client', async () => {
    const call = client.Explain!({ user: USER }, new grpc.Metadata(), { deadline: Date.now() + 5000 }) as grpc.ClientReadableStream<{ text: string; index: number }>;
    const tokens: string[] = [];
    call.on('data', (t: { text: string }) => tokens.push(t.text));
    const status = await new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
    expect(status.code).toBe(grpc.status.OK);
    expect(status.metadata.get('x-tokens')).toEqual(['5']);
    expect(tokens).toEqual(['legit-0', 'legit-1', 'legit-2', 'legit-3', 'legit-4']);
  });

  it('the client\'s deadline travels to the upstream', async () => {
    const before = inc.received.length;
    await unary(client, { user: USER }, 3000);
    const live = inc.received.slice(before).find((r) => r.metadata.get('x-shadowgate-shadow').length === 0)!;
    const remaining = Number(live.deadline) - Date.now();
    expect(remaining).toBeGreaterThan(0);
    expect(remaining).toBeLessThanOrEqual(3000);
  });
});

describe('gRPC deadlines at the proxy', () => {
  it('an upstream that never answers gets DEADLINE_EXCEEDED to the client at the upstream timeout', async () => {
    const hung = await startScorer('x', { hang: true });
    const gw = await startFromYaml(`
server: { http2: true }
upstreams: { hung: { url: "http://127.0.0.1:${hung.port}", timeout: 100ms } }
routes: [{ name: g, protocol: grpc, grpc: { protos: ["${PROTO}"] }, primary: hung }]
`);
    const client = new Scorer(`127.0.0.1:${gw.port}`, grpc.credentials.createInsecure());
    try {
      const { err } = await unary(client, { user: USER }, 10_000);
      expect(err?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
      // The upstream was told the proxy's own deadline, not the client's 10 s.
      expect(Number(hung.received[0]!.deadline) - Date.now()).toBeLessThan(1000);
      const m = (await gw.app.metrics.grpcResponses.get()).values.find((v) => v.labels.grpc_status === 'DEADLINE_EXCEEDED');
      expect(m?.value).toBe(1);
    } finally {
      client.close();
      await gw.close();
      await hung.close();
    }
  });
});

describe('Open Inference Protocol preset', () => {
  it('ModelInfer through the proxy: tensors within tolerance and other model names count as a match', async () => {
    const oip = grpc.loadPackageDefinition(protoLoader.loadSync(oipProtoPath(), LOAD)) as unknown as { inference: { GRPCInferenceService: Ctor & { service: grpc.ServiceDefinition } } };
    const Svc = oip.inference.GRPCInferenceService;
    const start = async (name: string, value: number) => {
      const server = new grpc.Server();
      server.addService(Svc.service, {
        ModelInfer(call: grpc.ServerUnaryCall<{ id: string }, unknown>, cb: grpc.sendUnaryData<unknown>) {
          cb(null, { model_name: name, model_version: '1', id: call.request.id, outputs: [{ name: 'prob', datatype: 'FP32', shape: ['1'], contents: { fp32_contents: [value] } }] });
        },
      });
      const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
      return { port, close: () => new Promise<void>((r) => server.tryShutdown(() => r())) };
    };
    const a = await start('fraud-v1', 0.5);
    const b = await start('fraud-v2', 0.50001);
    const gw = await startFromYaml(`
server: { http2: true, maxEventLoopDelay: 10s }
upstreams: { a: { url: "http://127.0.0.1:${a.port}" }, b: { url: "http://127.0.0.1:${b.port}" } }
routes:
  - name: infer
    protocol: grpc
    grpc: { preset: oip }
    primary: a
    shadow: { targets: [a, b], policy: none, allowRawData: true, maxRps: 1000, rewrite: { b: { body: { "$.model_name": fraud-v2 } } } }
`);
    const client = new Svc(`127.0.0.1:${gw.port}`, grpc.credentials.createInsecure());
    try {
      const reply = await new Promise<{ model_name: string }>((resolve, reject) => client.ModelInfer!({ model_name: 'fraud-v1', id: 'r1', inputs: [{ name: 'x', datatype: 'FP32', shape: ['1'], contents: { fp32_contents: [1] } }] },
        (err: Error | null, r: { model_name: string }) => (err ? reject(err) : resolve(r))));
      expect(reply.model_name).toBe('fraud-v1');
      const results = async () => (await gw.app.metrics.comparisons.get()).values;
      while ((await results()).length === 0) await new Promise((r) => setTimeout(r, 5));
      expect(await results()).toEqual([expect.objectContaining({ labels: { route: 'infer', result: 'match' }, value: 1 })]);
    } finally {
      client.close();
      await gw.close();
      await a.close();
      await b.close();
    }
  });
});
