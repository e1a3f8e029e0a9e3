// The shadow results reach the comparison engine (metrics and /admin/report), and compare.enabled:
// false mirrors without comparing.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { request } from 'undici';
import { json, startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { send, sendMany, startFromYaml } from '../helpers/app.js';

let a: TestUpstream;
let b: TestUpstream;

beforeAll(async () => {
  a = await startUpstream(json(200, { prediction: 'legit', score: 0.1 }));
  b = await startUpstream(json(200, { prediction: 'fraud', score: 0.1 }));
});

afterAll(async () => {
  await a.close();
  await b.close();
});

const yaml = (enabled: boolean) => `
server: { maxEventLoopDelay: 10s }
upstreams: { a: { url: "${a.url}" }, b: { url: "${b.url}" } }
routes:
  - name: predict
    match: { pathPrefix: /v1 }
    primary: a
    shadow: { targets: [a, b], policy: none, allowRawData: true, maxRps: 10000, compare: { enabled: ${enabled}, label: "$.prediction" } }
`;

async function settled(gw: Awaited<ReturnType<typeof startFromYaml>>, copies: number): Promise<void> {
  const sent = async () => (await gw.app.metrics.shadowRequests.get()).values.reduce((s, v) => s + v.value, 0);
  while ((await sent()) < copies * 2 || gw.app.routeShadow('predict')!.inFlightCount > 0) await new Promise((r) => setTimeout(r, 5));
}

it('feeds every shadow result to the comparison engine: metrics, report and samples', async () => {
  const gw = await startFromYaml(yaml(true));
  try {
    await sendMany(30, 3, (i) => send(gw.url, { method: 'POST', path: '/v1/p', headers: { 'content-type': 'application/json' }, body: `{"i":${i}}` }));
    await settled(gw, 30);
    const comparisons = await gw.app.metrics.comparisons.get();
    expect(comparisons.values).toEqual([expect.objectContaining({ value: 30, labels: { route: 'predict', result: 'mismatch' } })]);
    const fields = await gw.app.metrics.fieldMismatches.get();
    expect(fields.values.find((v) => v.labels.field === '$.prediction')?.value).toBe(30);
    const res = await request(`${gw.adminUrl}/admin/report?route=predict`);
    const report = (await res.body.json()) as { route: string; sinceStart: { compared: number; label: { agreement: number } } };
    expect(res.statusCode).toBe(200);
    expect(JSON.stringify(report)).toContain('"route":"predict"');
    const samples = await (await request(`${gw.adminUrl}/admin/samples?route=predict`)).body.text();
    expect(samples).toContain('$.prediction');
  } finally {
    await gw.close();
  }
});

it('mirrors without comparing when compare.enabled is false', async () => {
  const gw = await startFromYaml(yaml(false));
  try {
    await sendMany(10, 2, (i) => send(gw.url, { method: 'POST', path: '/v1/p', body: `{"i":${i}}` }));
    await settled(gw, 10);
    expect((await gw.app.metrics.comparisons.get()).values).toEqual([]);
    expect(b.received.length).toBeGreaterThanOrEqual(10);
    const res = await request(`${gw.adminUrl}/admin/report?route=predict`);
    expect(res.statusCode).toBe(404);
    await res.body.dump();
  } finally {
    await gw.close();
  }
});
