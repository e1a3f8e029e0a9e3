// Replay test helpers: tiny JSON model servers on 127.0.0.1 whose answers are a pure function of the request
// (plus an always-noisy nonce), and a "live run" that feeds a comparer and records the dataset as the proxy does.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, expect } from 'vitest';
import { RouteComparer, type RouteReport } from '../../src/compare/index.js';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { recordSchema } from '../../src/config/schema/record.js';
import { toDatasetRecord } from '../../src/dataset/record.js';
import { shadowRoles } from '../../src/replay/replay.js';
import { DatasetWriter } from '../../src/dataset/writer.js';
import type { ShadowExchange, ShadowResponse, ShadowRole } from '../../src/exchange.js';
import { silentLogger } from '../../src/observe/log.js';
import { createMetrics } from '../../src/observe/metrics.js';
import { ShadowDispatcher } from '../../src/pipeline/dispatch.js';
import { tempDir } from './fixtures.js';

/** The comparison clock of live runs in tests. */
export const NOW = 1_800_000_000_000;

export type Answer = (i: number) => string;
/** The incumbent's label for request i. */
export const label: Answer = (i) => ['cat', 'dog', 'bird'][i % 3]!;

export interface ModelServer {
  readonly url: string;
  /** Requests seen, and the most in flight at once. */
  readonly stats: { requests: number; inFlight: number; maxInFlight: number };
  close(): Promise<void>;
}

let serverSeq = 0;

export async function startModel(predict: Answer, onRequest?: (n: number) => void): Promise<ModelServer> {
  const stats = { requests: 0, inFlight: 0, maxInFlight: 0 };
  let nonce = 0;
  // Unique to this server: its nonces never equal another server's, so the field is always noisy.
  const tag = `s${++serverSeq}`;
  const server: Server = createServer((req, res) => {
    stats.inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const n = ++stats.requests;
      onRequest?.(n);
      const { i } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { i: number };
      const body = JSON.stringify({ prediction: predict(i), score: (i % 7) / 10, nonce: `${tag}-${++nonce}`, request_id: `id-${nonce}` });
      // Answer on a later turn so that concurrent requests really overlap in flight.
      setImmediate(() => {
        stats.inFlight--;
        res.writeHead(200, { 'content-type': 'application/json' }).end(body);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** A config with one shadowed route (`predict`, incumbent + candidate + baseline) and a latency verdict
 * that local timing noise cannot move: the verdict comes from the answers only. */
export function replayConfigYaml(incumbent: string, candidate: string, regressionAbs = 0.03): string {
  return `
upstreams:
  incumbent: { url: "${incumbent}", timeout: 5s }
  candidate: { url: "${candidate}", timeout: 5s }
routes:
  - name: predict
    match: { pathPrefix: /v1/predict }
    primary: incumbent
    shadow:
      targets: [incumbent, candidate]
      baseline: incumbent
      policy: none
      allowRawData: true
      compare:
        ignore: ["$.request_id"]
        label: "$.prediction"
        verdict: { maxP99Ratio: 1000, minLatencyEffect: 1000, minObservations: 50 }
        regression: { absThreshold: ${regressionAbs} }
`;
}

export function replayConfig(incumbent: string, candidate: string, regressionAbs?: number): Config {
  return parseConfig(replayConfigYaml(incumbent, candidate, regressionAbs), { env: {} });
}

/**
 * What the live proxy does for n requests: the same anonymized copy to every role in parallel, each
 * exchange fed to the route's comparer and written to the dataset. Returns the live report.
 */
export async function liveRun(config: Config, n: number, path: string, over: { route?: string } = {}): Promise<RouteReport> {
  const route = config.routes[0]!;
  const shadow = route.shadow!;
  const comparer = new RouteComparer(route.name, shadow.compare, { hasBaseline: shadow.baseline !== undefined });
  const dispatcher = new ShadowDispatcher(config.upstreams);
  const writer = new DatasetWriter(recordSchema.parse({ path }), { metrics: createMetrics(undefined, { defaults: false }), log: silentLogger() });
  for (let i = 0; i < n; i++) {
    const request = { method: 'POST', url: '/v1/predict', headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ i })) };
    const answers = await Promise.all(shadowRoles(shadow).map(([target, role]) => dispatcher.send(target, role, request, { maxResponseBytes: 1 << 20 })));
    const responses: Partial<Record<ShadowRole, ShadowResponse>> = {};
    for (const r of answers) responses[r.role] = r;
    const ex: ShadowExchange = { route: over.route ?? route.name, requestId: `live-${i}`, policyId: 'none', ts: NOW + i, request, responses };
    comparer.record(ex, NOW);
    expect(writer.write(toDatasetRecord(ex))).toBe(true);
  }
  await writer.close();
  await dispatcher.close();
  return comparer.report(NOW);
}

export interface ModelPair {
  readonly inc: ModelServer;
  readonly cand: ModelServer;
  readonly config: Config;
  /** The same configuration written to a file, for the CLI. */
  readonly configFile: string;
}

export interface ModelRoom {
  /** This test's temporary directory. */
  readonly dir: string;
  /** An incumbent answering `label` and a candidate answering `candidate`, closed after the test. */
  models(candidate: Answer, opts?: { onCandidateRequest?: (n: number) => void; regressionAbs?: number }): Promise<ModelPair>;
}

/** Per test: a temporary directory, and model servers that are closed (and the directory removed) after it. */
export function useModelRoom(): ModelRoom {
  let dir = '';
  let cleanup: () => Promise<void> = async () => undefined;
  let servers: ModelServer[] = [];
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(async () => {
    await Promise.all(servers.map((s) => s.close()));
    servers = [];
    await cleanup();
  });
  return {
    get dir() {
      return dir;
    },
    async models(candidate, opts = {}) {
      const inc = await startModel(label);
      const cand = await startModel(candidate, opts.onCandidateRequest);
      servers.push(inc, cand);
      const configFile = join(dir, 'shadowgate.yaml');
      await writeFile(configFile, replayConfigYaml(inc.url, cand.url, opts.regressionAbs));
      return { inc, cand, config: replayConfig(inc.url, cand.url, opts.regressionAbs), configFile };
    },
  };
}
