// Protocol cases of the bench, each as a ratio against its direct baseline in the same run: the time to
// first byte shadowgate adds to an SSE stream, HTTP/2 (h2c) against HTTP/1.1 through the proxy, and gRPC
// unary calls through the proxy against direct. Client, proxy and upstreams share this one process (and
// its event loop): read the ratios, not the absolute numbers. Prints one JSON line; SHADOWGATE_BENCH_QUICK=1
// runs fewer requests.
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { Registry } from 'prom-client';
import { Agent, request } from 'undici';
import { startShadowgate } from '../src/app/app.js';
import { parseConfig } from '../src/config/load.js';
import { silentLogger } from '../src/observe/log.js';
import { oipProtoPath } from '../src/grpc/route.js';

function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return Number((s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? 0).toFixed(3));
}

async function listen(server: http.Server | http2.Http2Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function gateway(yaml: string) {
  return startShadowgate(parseConfig(yaml), { logger: silentLogger(), registry: new Registry(), port: 0, admin: false });
}

/** ms from sending the request to the first body byte of an SSE answer, `n` times in sequence. */
async function sseFirstByte(url: string, n: number, agent: Agent): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const res = await request(`${url}/v1/chat`, { method: 'POST', body: '{"stream":true}', dispatcher: agent });
    let first = true;
    for await (const _chunk of res.body) {
      if (first) {
        out.push(performance.now() - t0);
        first = false;
      }
    }
  }
  return out;
}

async function sseCase(n: number) {
  const upstream = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\n');
      setImmediate(() => res.end('data: [DONE]\n\n'));
    });
  });
  const port = await listen(upstream);
  const gw = await gateway(`upstreams: { llm: { url: "http://127.0.0.1:${port}" } }\nroutes: [{ name: chat, primary: llm }]\n`);
  const agent = new Agent({ connections: 1 });
  try {
    await sseFirstByte(`http://127.0.0.1:${port}`, 20, agent); // warm-up
    await sseFirstByte(`http://127.0.0.1:${gw.port}`, 20, agent);
    const direct: number[] = [];
    const proxied: number[] = [];
    // Interleaved in small batches, so noise from elsewhere hits both alike.
    for (let b = 0; b < 10; b++) {
      direct.push(...await sseFirstByte(`http://127.0.0.1:${port}`, Math.ceil(n / 10), agent));
      proxied.push(...await sseFirstByte(`http://127.0.0.1:${gw.port}`, Math.ceil(n / 10), agent));
    }
    const d50 = percentile(direct, 50);
    const p50 = percentile(proxied, 50);
    return { requests: proxied.length, directP50Ms: d50, proxyP50Ms: p50, addedP50Ms: Number((p50 - d50).toFixed(3)), directP99Ms: percentile(direct, 99), proxyP99Ms: percentile(proxied, 99) };
  } finally {
    await agent.close();
    await gw.close();
    await new Promise((r) => upstream.close(r));
  }
}

/** Requests/s of `n` GETs over `concurrency` HTTP/1.1 connections or h2 streams of one session. */
async function h1Rate(url: string, n: number, concurrency: number): Promise<number> {
  const agent = new Agent({ connections: concurrency });
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next++ < n) {
      const res = await request(`${url}/v1/x`, { dispatcher: agent });
      await res.body.dump();
    }
  }));
  const rate = n / ((performance.now() - t0) / 1000);
  await agent.close();
  return rate;
}

async function h2Rate(url: string, n: number, concurrency: number): Promise<number> {
  const session = http2.connect(url);
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next++ < n) {
      await new Promise<void>((resolve, reject) => {
        const req = session.request({ ':path': '/v1/x' });
        req.on('error', reject);
        req.resume();
        req.on('end', resolve);
        req.end();
      });
    }
  }));
  const rate = n / ((performance.now() - t0) / 1000);
  session.close();
  return rate;
}

async function h2Case(n: number) {
  const upstream = http.createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': 11 }).end('{"ok":true}');
  });
  upstream.keepAliveTimeout = 30_000;
  const port = await listen(upstream);
  const gw = await gateway(`server: { http2: true }\nupstreams: { a: { url: "http://127.0.0.1:${port}", connections: 16 } }\nroutes: [{ name: r, primary: a }]\n`);
  const url = `http://127.0.0.1:${gw.port}`;
  try {
    await h1Rate(url, 200, 8);
    await h2Rate(url, 200, 8);
    const h1: number[] = [];
    const h2: number[] = [];
    for (let b = 0; b < 3; b++) {
      h1.push(await h1Rate(url, Math.ceil(n / 3), 8));
      h2.push(await h2Rate(url, Math.ceil(n / 3), 8));
    }
    const h1Median = percentile(h1, 50);
    const h2Median = percentile(h2, 50);
    return { requests: n, concurrency: 8, http1Rps: Math.round(h1Median), h2cRps: Math.round(h2Median), h2cOverHttp1: Number((h2Median / h1Median).toFixed(3)) };
  } finally {
    await gw.close();
    upstream.closeAllConnections();
    await new Promise((r) => upstream.close(r));
  }
}

type InferClient = grpc.Client & { ModelInfer(req: unknown, cb: (err: Error | null, r: unknown) => void): void };

async function grpcRate(client: InferClient, n: number, concurrency: number): Promise<{ rps: number; p50Ms: number }> {
  let next = 0;
  const latencies: number[] = [];
  const t0 = performance.now();
  const body = { model_name: 'm', id: 'x', inputs: [{ name: 'x', datatype: 'FP32', shape: ['4'], contents: { fp32_contents: [1, 2, 3, 4] } }] };
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next++ < n) {
      const s = performance.now();
      await new Promise<void>((resolve, reject) => client.ModelInfer(body, (err) => (err ? reject(err) : resolve())));
      latencies.push(performance.now() - s);
    }
  }));
  return { rps: n / ((performance.now() - t0) / 1000), p50Ms: percentile(latencies, 50) };
}

async function grpcCase(n: number) {
  const pkg = grpc.loadPackageDefinition(protoLoader.loadSync(oipProtoPath(), { keepCase: true, longs: String, enums: String, defaults: true })) as unknown as
    { inference: { GRPCInferenceService: (new (a: string, c: grpc.ChannelCredentials) => InferClient) & { service: grpc.ServiceDefinition } } };
  const Svc = pkg.inference.GRPCInferenceService;
  const server = new grpc.Server();
  server.addService(Svc.service, {
    ModelInfer(call: grpc.ServerUnaryCall<{ id: string }, unknown>, cb: grpc.sendUnaryData<unknown>) {
      cb(null, { model_name: 'm', id: call.request.id, outputs: [{ name: 'p', datatype: 'FP32', shape: ['1'], contents: { fp32_contents: [0.5] } }] });
    },
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  const gw = await gateway(`server: { http2: true }\nupstreams: { t: { url: "http://127.0.0.1:${port}" } }\nroutes: [{ name: infer, protocol: grpc, grpc: { preset: oip }, primary: t }]\n`);
  const direct = new Svc(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const proxied = new Svc(`127.0.0.1:${gw.port}`, grpc.credentials.createInsecure());
  try {
    await grpcRate(direct, 200, 8);
    await grpcRate(proxied, 200, 8);
    const d = await grpcRate(direct, n, 8);
    const p = await grpcRate(proxied, n, 8);
    return { calls: n, concurrency: 8, directRps: Math.round(d.rps), proxyRps: Math.round(p.rps), proxyOverDirect: Number((p.rps / d.rps).toFixed(3)), directP50Ms: d.p50Ms, proxyP50Ms: p.p50Ms };
  } finally {
    direct.close();
    proxied.close();
    await gw.close();
    await new Promise<void>((r) => server.tryShutdown(() => r()));
  }
}

export async function main(): Promise<Record<string, unknown>> {
  const quick = process.env.SHADOWGATE_BENCH_QUICK === '1';
  return {
    sse: await sseCase(quick ? 100 : 1000),
    h2: await h2Case(quick ? 600 : 6000),
    grpc: await grpcCase(quick ? 600 : 6000),
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then((r) => console.log(JSON.stringify(r)), (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
