// Tiny JSON model servers on 127.0.0.1 for replay tests: answers are a pure function of the request
// (plus a per-call nonce, a field that is always noisy), so a live run and its replay see the same.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';

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
      onRequest?.(++stats.requests);
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
export function replayConfigYaml(incumbent: string, candidate: string): string {
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
`;
}

export function replayConfig(incumbent: string, candidate: string): Config {
  return parseConfig(replayConfigYaml(incumbent, candidate), { env: {} });
}
