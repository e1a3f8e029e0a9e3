// Issue 20, finding 7: the dataset guard took any Luhn-valid 15-digit integer in a sandbox answer for a
// card, so a model returning random 48-bit request ids lost a tenth of its records. Through a real
// shadowgate: answers with such ids (no card network's prefix) are recorded, every one.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { luhnCheckDigit } from '../../src/anonymize/checksums.js';
import { startFromYaml, send, sendMany } from '../helpers/app.js';
import { tempDir } from './fixtures.js';

/** Luhn-valid 15-digit ids starting with 1 (what 48-bit ids look like): each one a "card" by Luhn alone on 43e1ef9. */
const requestId = (i: number) => {
  const body = String(10_000_000_000_000 + i * 7_919_311);
  return body + luhnCheckDigit(body);
};

let dir = '';
let cleanup: () => Promise<void> = async () => undefined;
const servers: Server[] = [];
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => { s.closeAllConnections(); s.close(() => resolve()); })));
  await cleanup();
});

async function model(): Promise<string> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const { i } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { i: number };
      // The id as a JSON number (read as written by the guard) and as a string.
      res.writeHead(200, { 'content-type': 'application/json' }).end(`{"prediction":"cat","request_id":${requestId(i)},"trace":"${requestId(i)}"}`);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('the dataset guard and request ids', () => {
  it('records every sandbox answer carrying a Luhn-valid 15-digit id that starts with 1', async () => {
    const [inc, cand] = [await model(), await model()];
    const recordPath = join(dir, 'data', 'shadow.jsonl');
    // Overload shedding off (as in record-replay-e2e): on a loaded machine it would drop copies, and this
    // test is about the dataset guard, not admission.
    const gw = await startFromYaml(`
server: { maxEventLoopDelay: 60s }
upstreams:
  incumbent: { url: "${inc}", timeout: 5s }
  candidate: { url: "${cand}", timeout: 5s }
routes:
  - name: predict
    match: { pathPrefix: /v1/predict }
    primary: incumbent
    shadow:
      targets: [incumbent, candidate]
      baseline: incumbent
      maxRps: 100000
      maxInFlight: 1000
      policy: default
anonymize:
  key: \${SHADOWGATE_KEY}
  policies:
    default:
      headers: { keep: [content-type] }
      unknown: scan
record: { path: "${recordPath}", flushInterval: 10ms }
`);
    const N = 30;
    let text = '';
    let metrics = '';
    try {
      await sendMany(N, 4, (i) => send(gw.url, {
        method: 'POST', path: '/v1/predict', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ i }),
      }));
      // Copies finish after the client's answer: wait (up to 60 s) for every record to be written.
      const deadline = Date.now() + 60_000;
      for (;;) {
        const files = await readdir(join(dir, 'data')).catch(() => [] as string[]);
        text = (await Promise.all(files.map((f) => readFile(join(dir, 'data', f), 'utf8')))).join('');
        if (text.trimEnd().split('\n').filter((l) => l !== '').length >= N || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      metrics = (await send(gw.adminUrl, { path: '/metrics' })).body;
    } finally {
      await gw.close();
    }
    const drops = metrics.split('\n').filter((l) => /dropped_total\{/.test(l) && !/ 0$/.test(l)).join('\n');
    expect(metrics).not.toMatch(/dataset_records_dropped_total\{reason="leak"\} [1-9]/);
    expect(text.trimEnd().split('\n'), drops).toHaveLength(N);
    for (let i = 0; i < N; i++) expect(text).toContain(requestId(i));
  }, 90_000);
});
