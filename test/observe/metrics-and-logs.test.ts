// Observability: the exported metrics pass `promtool check metrics`, carry bounded labels, and the
// access log has one line per request with route, upstream, status, duration and request id — and no
// body, query string or header value.
import { hasBinary, skipNote } from '../helpers/binaries.js';
import { spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLogger } from '../../src/observe/log.js';
import { echo, startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { send, sendMany, startFromYaml } from '../helpers/app.js';

let upstream: TestUpstream;
let gw: Awaited<ReturnType<typeof startFromYaml>>;
const lines: string[] = [];

beforeAll(async () => {
  upstream = await startUpstream(echo);
  const sink = new Writable({ write(chunk: Buffer, _enc, cb) { lines.push(...chunk.toString().split('\n').filter(Boolean)); cb(); } });
  gw = await startFromYaml(`
server: { maxEventLoopDelay: 10s }
upstreams: { incumbent: { url: "${upstream.url}" }, candidate: { url: "${upstream.url}" } }
routes:
  - name: predict
    match: { pathPrefix: /v1/predict }
    primary: incumbent
    shadow: { targets: [incumbent, candidate], policy: none, allowRawData: true, maxRps: 1000 }
`, { logger: createLogger('info', sink) });
});

afterAll(async () => {
  await gw.close();
  await upstream.close();
});

const promtool = hasBinary('promtool');

it('exports metrics that promtool accepts, with the documented names', async () => {
  await sendMany(20, 4, (i) => send(gw.url, { method: 'POST', path: `/v1/predict?user=u${i}`, body: '{"a":1}' }));
  await send(gw.url, { path: '/nowhere' });
  // Shadow results arrive after the client's answers: wait until all 20 copies are counted.
  while ((await gw.app.metrics.shadowRequests.get()).values.reduce((s, v) => s + v.value, 0) < 40) await new Promise((r) => setTimeout(r, 10));
  const text = await gw.app.metrics.registry.metrics();
  for (const name of ['shadowgate_requests_total', 'shadowgate_request_duration_seconds_bucket', 'shadowgate_shadow_requests_total',
    'shadowgate_config_reloads_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_p99_seconds', 'shadowgate_build_info', 'shadowgate_raw_data_mirroring']) {
    expect(text).toContain(name);
  }
  expect(text).toMatch(/shadowgate_requests_total\{route="predict",upstream="incumbent",code="200"\} 20/);
  expect(text).toMatch(/shadowgate_raw_data_mirroring\{route="predict"\} 1/);
  // Bounded labels: no raw path or query value becomes a label.
  expect(text).not.toContain('user=u');
  expect(text).not.toContain('/v1/predict');
  if (!promtool) {
    console.warn(skipNote('promtool', 'promtool check metrics'));
    return;
  }
  const check = spawnSync('promtool', ['check', 'metrics'], { input: text });
  expect(check.stderr.toString() + check.stdout.toString()).toBe('');
  expect(check.status).toBe(0);
});

it('writes one access line per request, without bodies, query strings or header values', async () => {
  lines.length = 0;
  await send(gw.url, {
    method: 'POST', path: '/v1/predict?email=jane.doe%40example.com',
    headers: { 'x-user-email': 'jane.doe@example.com', authorization: 'Bearer s3cr3t-token', 'x-request-id': 'log-test-1' },
    body: '{"email":"jane.doe@example.com","card":"4111111111111111"}',
  });
  await new Promise<void>((resolve) => gw.app.log.flush(() => resolve()));
  while (!lines.some((l) => l.includes('log-test-1'))) await new Promise((r) => setTimeout(r, 5));
  const access = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.log === 'access');
  expect(access).toHaveLength(1);
  expect(access[0]).toMatchObject({ requestId: 'log-test-1', route: 'predict', upstream: 'incumbent', status: 200, method: 'POST' });
  expect(typeof access[0]!.durationMs).toBe('number');
  const all = lines.join('\n');
  for (const secret of ['jane.doe', 'example.com', '4111111111111111', 's3cr3t', 'email=']) expect(all).not.toContain(secret);
});
