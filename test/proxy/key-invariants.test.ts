// Invariant 4 end to end: pseudonyms are the same across restarts for one key and differ for another,
// and the key never appears in logs, metrics, the report or the samples.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { request } from 'undici';
import { createLogger } from '../../src/observe/log.js';
import { echo, startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { send, startFromYaml, TEST_KEY } from '../helpers/app.js';

let live: TestUpstream;
let sandbox: TestUpstream;

beforeAll(async () => {
  live = await startUpstream(echo);
  sandbox = await startUpstream(echo);
});

afterAll(async () => {
  await live.close();
  await sandbox.close();
});

const OTHER_KEY = 'another-key-9876543210fedcba9876543210fedcba';
const body = JSON.stringify({ user: { id: 'customer-4711', email: 'maria.lopez@example.org' }, amount: 12 });

const yaml = (key: string) => `
server: { maxEventLoopDelay: 10s }
log: { level: debug }
upstreams: { live: { url: "${live.url}" }, sandbox: { url: "${sandbox.url}" } }
routes:
  - name: predict
    match: { pathPrefix: /v1 }
    primary: live
    shadow: { targets: [sandbox, sandbox], policy: p, maxRps: 1000, compare: { label: "$.user.id" } }
anonymize:
  key: "${key}"
  policies:
    p: { headers: { keep: [content-type] }, fields: { "$.user.id": pseudonym, "$.user.email": email } }
`;

/** Runs one gateway "process" lifetime: one request, then everything it exposes. */
async function lifetime(key: string): Promise<{ copy: { user: { id: string; email: string } }; exposed: string }> {
  const lines: string[] = [];
  const sink = new Writable({ write(c: Buffer, _e, cb) { lines.push(c.toString()); cb(); } });
  const gw = await startFromYaml(yaml(key), { logger: createLogger('debug', sink) });
  try {
    const before = sandbox.received.length;
    await send(gw.url, { method: 'POST', path: '/v1/score', headers: { 'content-type': 'application/json' }, body });
    while (sandbox.received.length < before + 2 || gw.app.routeShadow('predict')!.inFlightCount > 0) await new Promise((r) => setTimeout(r, 5));
    const copy = JSON.parse(sandbox.received.at(-1)!.body.toString()) as { user: { id: string; email: string } };
    const get = async (path: string) => (await request(gw.adminUrl + path)).body.text();
    const exposed = [
      await get('/metrics'), await get('/admin/report'), await get('/admin/samples?route=predict'), await get('/admin/routes'),
    ].join('\n');
    await gw.close();
    return { copy, exposed: `${exposed}\n${lines.join('')}` };
  } catch (err) {
    await gw.close();
    throw err;
  }
}

it('keeps pseudonyms across restarts for one key, changes them with another, and never shows the key', async () => {
  const first = await lifetime(TEST_KEY);
  const restarted = await lifetime(TEST_KEY);
  const rekeyed = await lifetime(OTHER_KEY);
  expect(first.copy.user.id).not.toBe('customer-4711');
  expect(restarted.copy.user).toEqual(first.copy.user);
  expect(rekeyed.copy.user.id).not.toBe(first.copy.user.id);
  expect(rekeyed.copy.user.email).not.toBe(first.copy.user.email);
  for (const run of [first, restarted, rekeyed]) {
    expect(run.exposed).toContain('shadowgate_requests_total');
    expect(run.exposed).not.toContain(TEST_KEY);
    expect(run.exposed).not.toContain(OTHER_KEY);
    expect(run.exposed).not.toContain('maria.lopez');
    expect(run.exposed).not.toContain('customer-4711');
  }
});
