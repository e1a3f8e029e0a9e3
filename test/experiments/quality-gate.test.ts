// Data quality gates a real experiment end to end: a real shadowgate (proxy, shadow threads, admin API
// from YAML) in front of real upstreams, demo-shaped traffic anonymized by a policy (the email replaced,
// so profiled by its shape only). Two routes learn their reference from their first 200 copies; then one
// keeps its stream (A/A) and the other's `amount` shifts. Both experiments are approved (four eyes),
// started and concluded: the A/A one passes, the drifted one is inconclusive naming `amount`.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sha256Hex } from '../../src/admin/auth.js';
import { TrafficGenerator } from '../../src/demo/traffic.js';
import { send, sendMany, startFromYaml } from '../helpers/app.js';
import { json, startUpstream, type TestUpstream } from '../helpers/upstream.js';

const T = { alice: 'alice-token-quality-gate-0123456789', lead: 'lead-token-quality-gate-0123456789' };
const REFERENCE = 200;
let inc: TestUpstream;
let cand: TestUpstream;
let gw: Awaited<ReturnType<typeof startFromYaml>>;

beforeAll(async () => {
  inc = await startUpstream(json(200, { prediction: 'legit', score: 0.1 }));
  cand = await startUpstream(json(200, { prediction: 'legit', score: 0.1 }));
  const route = (name: string) => `
  - name: ${name}
    match: { pathPrefix: /${name} }
    primary: inc
    canary: { upstream: cand, weight: 0 }
    shadow:
      targets: [inc, cand]
      maxRps: 10000
      maxInFlight: 512
      policy: demo
      compare: { label: $.prediction }
    quality:
      features: [$.transaction.amount, $.transaction.country, $.transaction.device, $.transaction.hour, $.user.email]
      referenceSize: ${REFERENCE}
      windowSize: 200
      minWindow: 150
      checkEvery: 50
      predictions: { score: $.score }`;
  const experiment = (name: string) => `
  - { id: ${name}-v2, route: ${name}, hypothesis: the candidate answers as the incumbent, owner: ml, privacyRiskAssessment: PRA-1, rollbackPlan: weight 0,
      minSamples: 100, criteria: [{ metric: field regressions, comparator: "<=", threshold: 0 }, { metric: drift, comparator: "<=", threshold: 1 }] }`;
  gw = await startFromYaml(`
server: { maxEventLoopDelay: 2s }
admin:
  tokens:
    - { name: alice, role: operator, sha256: ${sha256Hex(T.alice)} }
    - { name: lead, role: operator, approver: true, sha256: ${sha256Hex(T.lead)} }
upstreams: { inc: { url: "${inc.url}" }, cand: { url: "${cand.url}" } }
anonymize:
  key: \${SHADOWGATE_KEY}
  policies:
    demo: { fields: { "$.user.email": email, "$.user.id": pseudonym, "$.user.dob": year, "$.payment.card": card }, unknown: scan }
routes:${route('steady')}${route('drifted')}
experiments:${experiment('steady')}${experiment('drifted')}
`);
}, 60_000);

afterAll(async () => {
  await gw?.close();
  await inc?.close();
  await cand?.close();
});

const admin = async (method: string, path: string, token: string) => {
  const res = await fetch(`${gw.adminUrl}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
  return { status: res.status, body: await res.json() as Record<string, unknown> };
};

interface Quality { status: string; reference: { rows: number }; window: { rows: number }; alerts: { feature: string }[] }
const quality = async (route: string) => ((await admin('GET', `/admin/report?route=${route}`, T.alice)).body as { quality?: Quality }).quality;

/** Sends copies to both routes until `done` holds for both (copies may be shed under load: counted, not assumed). */
async function feed(gens: Record<string, TrafficGenerator>, drift: (route: string, body: Record<string, Record<string, unknown>>) => void, done: (q: Quality) => boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const qs = await Promise.all(['steady', 'drifted'].map(quality));
    if (qs.every((q) => q !== undefined && done(q))) return;
    if (Date.now() > deadline) {
      const m = await (await fetch(`${gw.adminUrl}/metrics`, { headers: { authorization: `Bearer ${T.alice}` } })).text();
      const rep = (await admin('GET', '/admin/report?route=steady', T.alice)).body;
      throw new Error(`quality did not get there in 60 s: ${JSON.stringify(qs.map((q) => [q?.status, q?.reference.rows, q?.window.rows]))} ${m.split('\n').filter((l) => /shadow_(dropped|copies|comparisons)/.test(l)).join('\n')} ${JSON.stringify(rep).slice(0, 600)}`);
    }
    for (const route of ['steady', 'drifted']) {
      await sendMany(50, 8, () => {
        const body = structuredClone(gens[route]!.next()) as unknown as Record<string, Record<string, unknown>>;
        drift(route, body);
        return send(gw.url, { method: 'POST', path: `/${route}`, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      });
    }
  }
}

it('an experiment whose inputs drifted concludes inconclusive naming the feature; the A/A route\'s passes', async () => {
  const gens = { steady: new TrafficGenerator(11), drifted: new TrafficGenerator(12) };
  await feed(gens, () => undefined, (q) => q.reference.rows >= REFERENCE);
  await feed(gens, (route, b) => { if (route === 'drifted') b.transaction!.amount = Number(b.transaction!.amount) * 1.6 + 20; }, (q) => q.window.rows >= 200);

  for (const id of ['steady-v2', 'drifted-v2']) {
    expect((await admin('POST', `/admin/experiments/${id}/approve`, T.lead)).status).toBe(200);
    expect((await admin('POST', `/admin/experiments/${id}/start`, T.alice)).status).toBe(200);
  }
  const drifted = await admin('POST', '/admin/experiments/drifted-v2/conclude', T.alice);
  expect(drifted.status).toBe(200);
  const conclusion = (drifted.body.experiment as { conclusion: { outcome: string; reasons: string[]; quality: { status: string } } }).conclusion;
  expect(conclusion.outcome).toBe('inconclusive');
  expect(conclusion.quality.status).toBe('alert');
  expect(conclusion.reasons[0]).toMatch(/^inputs drifted: `amount` KS p \S+ < 0\.002 since \d\d:\d\d UTC$/);
  expect(conclusion.reasons.every((r) => !/`(country|device|hour|email)`/.test(r))).toBe(true);

  const steady = await admin('POST', '/admin/experiments/steady-v2/conclude', T.alice);
  expect((steady.body.experiment as { conclusion: { outcome: string; reasons: string[] } }).conclusion).toMatchObject({ outcome: 'pass' });

  // The gate: the drifted route's canary stays closed (409), the steady one opens.
  const put = (route: string) => fetch(`${gw.adminUrl}/admin/routes/${route}/canary`, { method: 'PUT', headers: { authorization: `Bearer ${T.alice}`, 'content-type': 'application/json' }, body: '{"weight":5}' });
  expect((await put('drifted')).status).toBe(409);
  expect((await put('steady')).status).toBe(200);

  // The analysis endpoint shows the quality section; the email is profiled by its shape, never a value.
  const analysis = (await admin('GET', '/admin/analysis/drifted', T.alice)).body as { quality: { gate: string; features: { name: string; mode: string; drifted: boolean }[] } };
  expect(analysis.quality.gate).toBe('closed');
  expect(analysis.quality.features.find((f) => f.name === 'amount')).toMatchObject({ mode: 'value', drifted: true });
  expect(analysis.quality.features.find((f) => f.name === 'email')).toMatchObject({ mode: 'shape', drifted: false });
  const report = JSON.stringify((await admin('GET', '/admin/report?route=drifted', T.alice)).body);
  expect(report).not.toMatch(/@/);

  // Prometheus: the drifted feature, by route.
  const metrics = await (await fetch(`${gw.adminUrl}/metrics`, { headers: { authorization: `Bearer ${T.alice}` } })).text();
  expect(metrics).toMatch(/shadowgate_quality_drifted\{route="drifted",feature="amount"\} 1/);
  expect(metrics).toMatch(/shadowgate_quality_drifted\{route="steady",feature="amount"\} 0/);
  expect(metrics).toMatch(/shadowgate_quality_gate_open\{route="steady"\} 1/);
  expect(metrics).toMatch(/shadowgate_quality_alerts\{route="drifted",check="drift"\} 1/);
}, 180_000);
