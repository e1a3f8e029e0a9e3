// A real Prometheus scrapes a running shadowgate, and PromQL over its histograms answers per upstream:
// the metrics are not only well-formed text but usable the way dashboards and alerts use them.
import { hasBinary, skipNote } from '../helpers/binaries.js';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { request } from 'undici';
import { closedPort, startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { send, startFromYaml } from '../helpers/app.js';
import { spawnTracked, tempDir } from '../helpers/run.js';

const available = hasBinary('prometheus');
let incumbent: TestUpstream;
let candidate: TestUpstream;
let gw: Awaited<ReturnType<typeof startFromYaml>>;
let prom: ChildProcess | undefined;

beforeAll(async () => {
  incumbent = await startUpstream((_q, _b, res) => res.end('{"p":"legit"}'));
  candidate = await startUpstream((_q, _b, res) => res.end('{"p":"legit"}'));
  gw = await startFromYaml(`
upstreams: { incumbent: { url: "${incumbent.url}" }, candidate: { url: "${candidate.url}" } }
routes:
  - name: predict
    match: { pathPrefix: /v1 }
    primary: incumbent
    canary: { upstream: candidate, weight: 50 }
`);
});

afterAll(async () => {
  prom?.kill('SIGKILL');
  await gw.close();
  await incumbent.close();
  await candidate.close();
});

async function query(base: string, promql: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const res = await request(`${base}/api/v1/query?query=${encodeURIComponent(promql)}`);
  if (res.statusCode !== 200) {
    await res.body.dump();
    return [];
  }
  const body = (await res.body.json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
  return body.data.result;
}

it('is scraped by a real Prometheus, and a p99 per upstream comes back through PromQL', async (ctx) => {
  if (!available) return ctx.skip(skipNote('prometheus', 'the real scrape'));
  const dir = tempDir('sg-prom-');
  writeFileSync(join(dir, 'prometheus.yml'), `
global: { scrape_interval: 1s, evaluation_interval: 1s }
scrape_configs:
  - job_name: shadowgate
    static_configs: [{ targets: ["127.0.0.1:${gw.adminPort}"] }]
`);
  const port = await closedPort();
  prom = spawnTracked('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
  const base = `http://127.0.0.1:${port}`;
  const promql = 'histogram_quantile(0.99, sum by (le, upstream) (rate(shadowgate_request_duration_seconds_bucket[1m])))';
  // Traffic keeps flowing until Prometheus has two scrapes with a difference, so rate() has something to say.
  let result: Awaited<ReturnType<typeof query>> = [];
  for (let round = 0; round < 120 && result.length < 2; round++) {
    for (let i = 0; i < 20; i++) await send(gw.url, { path: `/v1/p?${round}-${i}` });
    result = await query(base, promql).catch(() => []);
    if (result.length < 2) await new Promise((r) => setTimeout(r, 250));
  }
  const byUpstream = Object.fromEntries(result.map((r) => [r.metric.upstream, Number(r.value[1])]));
  expect(Object.keys(byUpstream).sort()).toEqual(['candidate', 'incumbent']);
  for (const v of Object.values(byUpstream)) {
    expect(Number.isFinite(v)).toBe(true);
    expect(v).toBeGreaterThan(0);
  }
  const up = await query(base, 'up{job="shadowgate"}');
  expect(up[0]?.value[1]).toBe('1');
});
