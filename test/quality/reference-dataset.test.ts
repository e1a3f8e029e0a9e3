// quality.reference.dataset (issue 24): a recorded dataset as a route's quality reference. A real
// shadowgate records demo-shaped traffic A (the email replaced by the policy, so profiled by its shape);
// the file is sealed with its manifest. A second shadowgate reads its reference from that file at start:
// the profile equals the one the first built live from the same copies; live traffic A keeps the gate
// open with no alert; traffic with `amount` shifted makes the experiment conclude inconclusive naming
// `amount` alone. A changed byte in the file, or a file without its manifest, refuses the start with the
// path in the configuration.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sha256Hex } from '../../src/admin/auth.js';
import { startShadowgate } from '../../src/app/app.js';
import { parseConfig } from '../../src/config/load.js';
import { manifestPath, scanRecords, writeManifest } from '../../src/dataset/manifest.js';
import { TrafficGenerator } from '../../src/demo/traffic.js';
import { silentLogger } from '../../src/observe/log.js';
import { send, sendMany, startFromYaml, TEST_KEY } from '../helpers/app.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/run.js';
import { json, startUpstream, type TestUpstream } from '../helpers/upstream.js';

const T = { alice: 'alice-token-quality-ref-0123456789', lead: 'lead-token-quality-ref-0123456789' };
const REFERENCE = 200;
const dir = tempDir('sg-quality-ref-');
const recorded = join(dir, 'rec', 'shadow.jsonl');
let inc: TestUpstream;
let cand: TestUpstream;
const open: { close(): Promise<void> }[] = [];

const quality = (reference: string) => `
    quality:
      features: [$.transaction.amount, $.transaction.country, $.transaction.device, $.transaction.hour, $.user.email]
      referenceSize: ${REFERENCE}
      windowSize: 200
      minWindow: 150
      checkEvery: 50${reference}`;
const route = (name: string, reference = '') => `
  - name: ${name}
    match: { pathPrefix: /${name} }
    primary: inc
    canary: { upstream: cand, weight: 0 }
    shadow: { targets: [inc, cand], maxRps: 10000, maxInFlight: 512, policy: demo, compare: { label: $.prediction } }${quality(reference)}`;
const yaml = (routes: string, extra = '') => `
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
routes:${routes}
${extra}`;
const fromDataset = `\n      reference: { dataset: ${recorded}, route: predict }`;

beforeAll(async () => {
  inc = await startUpstream(json(200, { prediction: 'legit', score: 0.1 }));
  cand = await startUpstream(json(200, { prediction: 'legit', score: 0.1 }));
});

afterAll(async () => {
  for (const o of open) await o.close();
  await inc?.close();
  await cand?.close();
});

type Gw = Awaited<ReturnType<typeof startFromYaml>>;
interface FeatureReport { name: string; mode: string; kind: string; reference: unknown }
interface Quality { status: string; reference: { rows: number; dataset?: string[] }; window: { rows: number }; alerts: { feature: string; check: string }[]; features: FeatureReport[]; gate: { open: boolean; reasons: string[] } }

const admin = async (gw: Gw, method: string, path: string, token = T.alice) => {
  const res = await fetch(`${gw.adminUrl}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
  return { status: res.status, body: await res.json() as Record<string, unknown> };
};
const reportOf = async (gw: Gw, name: string) => ((await admin(gw, 'GET', `/admin/report?route=${name}`)).body as { quality?: Quality }).quality;

/** Sends copies to the routes until `done` holds for each (copies may be shed under load: counted, not assumed). */
async function feed(gw: Gw, gens: Record<string, TrafficGenerator>, done: (q: Quality) => boolean, drift: (name: string, b: Record<string, Record<string, unknown>>) => void = () => undefined): Promise<Record<string, Quality>> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const names = Object.keys(gens);
    const qs = await Promise.all(names.map((n) => reportOf(gw, n)));
    if (qs.every((q) => q !== undefined && done(q))) return Object.fromEntries(names.map((n, i) => [n, qs[i]!]));
    if (Date.now() > deadline) throw new Error(`quality did not get there in 60 s: ${JSON.stringify(qs.map((q) => [q?.status, q?.reference.rows, q?.window.rows]))}`);
    for (const name of names) {
      await sendMany(50, 8, () => {
        const body = structuredClone(gens[name]!.next()) as unknown as Record<string, Record<string, unknown>>;
        drift(name, body);
        return send(gw.url, { method: 'POST', path: `/${name}`, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      });
    }
  }
}

const profile = (q: Quality) => q.features.map((f) => ({ name: f.name, mode: f.mode, kind: f.kind, reference: f.reference }));

it('a reference read from a recorded dataset equals the live one; traffic A keeps the gate open, a shifted `amount` concludes inconclusive naming it', async () => {
  // 1. Record traffic A; the recorder learns its own reference live from the same copies.
  const recorder = await startFromYaml(yaml(route('predict'), `record: { path: ${recorded} }`));
  open.push(recorder);
  const live = (await feed(recorder, { predict: new TrafficGenerator(11) }, (q) => q.reference.rows >= REFERENCE && q.window.rows >= 150)).predict!;
  await recorder.close();
  open.pop();
  // Each record says which features the policy kept: the email was replaced, the transaction kept.
  const first = JSON.parse(readFileSync(recorded, 'utf8').split('\n')[0]!) as { features: Record<string, string> };
  expect(first.features).toEqual({ '$.transaction.amount': 'kept', '$.transaction.country': 'kept', '$.transaction.device': 'kept', '$.transaction.hour': 'kept', '$.user.email': 'replaced' });
  // Sealed as a rotated file is: its manifest beside it.
  await writeManifest(recorded, await scanRecords(recorded), { gzip: false });

  // 2. A new process reads its reference from the file at start: no copy is needed to learn it.
  const gw = await startFromYaml(yaml(route('steady', fromDataset) + route('drifted', fromDataset), `experiments:
  - { id: drifted-v2, route: drifted, hypothesis: h, owner: ml, privacyRiskAssessment: PRA-1, rollbackPlan: weight 0, minSamples: 100,
      criteria: [{ metric: field regressions, comparator: "<=", threshold: 0 }, { metric: drift, comparator: "<=", threshold: 1 }] }`));
  open.push(gw);
  const before = (await reportOf(gw, 'steady'))!;
  expect(before.reference).toMatchObject({ rows: REFERENCE, dataset: [recorded] });
  expect(before.status).toBe('waiting');

  // Traffic A: the same population of users (the generator's seed), later requests than the recorded ones.
  const later = (skip: number) => {
    const g = new TrafficGenerator(11);
    for (let i = 0; i < skip; i++) g.next();
    return g;
  };
  const gens = { steady: later(2000), drifted: later(4000) };
  const after = await feed(gw, gens, (q) => q.window.rows >= 200, (name, b) => { if (name === 'drifted') b.transaction!.amount = Number(b.transaction!.amount) * 1.6 + 20; });
  // The same profile as the recorder learned live (types, missingness, ranges, domains; email by its shape).
  expect(profile(after.steady!)).toEqual(profile(live));
  expect(after.steady!.features.find((f) => f.name === 'email')).toMatchObject({ mode: 'shape' });
  // Traffic A: no alert, the gate open.
  expect(after.steady).toMatchObject({ status: 'ok', alerts: [], gate: { open: true, reasons: [] } });
  // One feature shifted: named alone.
  expect(after.drifted!.gate.open).toBe(false);
  expect(new Set(after.drifted!.alerts.map((a) => a.feature))).toEqual(new Set(['amount']));

  expect((await admin(gw, 'POST', '/admin/experiments/drifted-v2/approve', T.lead)).status).toBe(200);
  expect((await admin(gw, 'POST', '/admin/experiments/drifted-v2/start')).status).toBe(200);
  const concluded = await admin(gw, 'POST', '/admin/experiments/drifted-v2/conclude');
  const conclusion = (concluded.body.experiment as { conclusion: { outcome: string; reasons: string[] } }).conclusion;
  expect(conclusion.outcome).toBe('inconclusive');
  expect(conclusion.reasons[0]).toMatch(/^inputs drifted: `amount` /);
  expect(conclusion.reasons.every((r) => !/`(country|device|hour|email)`/.test(r))).toBe(true);
}, 240_000);

it('refuses to start on a changed byte in the reference file, or a file without its manifest, naming the path in the configuration', async () => {
  const config = () => parseConfig(yaml(route('steady', fromDataset)), { env: { SHADOWGATE_KEY: TEST_KEY } });
  const start = () => startShadowgate({ ...config(), admin: { ...config().admin, stateFile: join(dir, 's.json'), auditFile: join(dir, 'a.jsonl'), experimentsFile: join(dir, 'e.json') } },
    { logger: silentLogger(), registry: new Registry(), port: 0, adminPort: 0 });
  const text = readFileSync(recorded, 'utf8');
  // One digit of one amount changed: the file no longer matches its manifest.
  const at = text.indexOf('"amount":') + '"amount":'.length;
  const digit = text[at]!;
  writeFileSync(recorded, text.slice(0, at) + (digit === '1' ? '2' : '1') + text.slice(at + 1));
  await expect(start()).rejects.toThrow(/^routes\[0\]\.quality\.reference\.dataset \(.*shadow\.jsonl\): dataset file .*shadow\.jsonl refused: its SHA-256 .* does not match its manifest's .*: the file was changed$/);
  // check-config reads it as serve does (the real CLI).
  const file = join(dir, 'shadowgate.yaml');
  writeFileSync(file, yaml(route('steady', fromDataset)));
  const checked = await runCli(['check-config', '--config', file], { env: { SHADOWGATE_KEY: TEST_KEY } });
  expect(checked.code).toBe(1);
  expect(checked.stderr).toMatch(/^.*shadowgate\.yaml: routes\[0\]\.quality\.reference\.dataset \(.*\): dataset file .* refused: its SHA-256 .* the file was changed$/m);

  // A reload that adds a reference the process cannot verify: the configuration is in force, the gate closed with the reason.
  const gw = await startFromYaml(yaml(route('steady')));
  open.push(gw);
  expect(await gw.app.reload(config())).toEqual({ ok: true });
  await expect.poll(async () => (await reportOf(gw, 'steady'))?.gate.reasons[0], { timeout: 30_000 }).toMatch(/^data quality: the reference dataset was refused: routes\[0\]\.quality\.reference\.dataset .* the file was changed$/);

  writeFileSync(recorded, text);
  expect((await runCli(['check-config', '--config', file], { env: { SHADOWGATE_KEY: TEST_KEY } })).code).toBe(0);
  rmSync(manifestPath(recorded));
  await expect(start()).rejects.toThrow(/^routes\[0\]\.quality\.reference\.dataset \(.*\): dataset file .* has no manifest beside it/);
});

it('reads its reference from rotated files as the writer seals them (gzip, encrypted, manifests), through a glob', async () => {
  const rec = join(dir, 'sealed', 'shadow.jsonl');
  const dataKey = Buffer.alloc(32, 7).toString('base64');
  // keepFiles: every sealed file kept (the default 10 prunes the oldest, and with them the first copies,
  // when a loaded run rotates more often; the shutdown seals one more).
  const recording = `record: { path: ${rec}, maxFileBytes: 64kb, keepFiles: 1000, gzip: true, manifest: true, encryption: { keyId: k1, key: "${dataKey}" } }`;
  const recorder = await startFromYaml(yaml(route('predict'), recording));
  open.push(recorder);
  // Enough copies that the rotated files hold the reference (the active file, sealed at shutdown, is one of them).
  const live = (await feed(recorder, { predict: new TrafficGenerator(21) }, (q) => q.reference.rows >= REFERENCE && q.window.rows >= 200)).predict!;
  await recorder.close();
  open.pop();

  const sealed = `\n      reference: { dataset: "${join(dir, 'sealed', 'shadow-*.jsonl.gz')}", route: predict }`;
  const gw = await startFromYaml(yaml(route('steady', sealed), `record: { path: ${join(dir, 'other', 'shadow.jsonl')}, enabled: false, encryption: { keyId: k1, key: "${dataKey}" } }`));
  open.push(gw);
  const before = (await reportOf(gw, 'steady'))!;
  expect(before.reference.rows).toBe(REFERENCE);
  expect(before.reference.dataset!.length).toBeGreaterThan(1);
  expect(before.reference.dataset!.every((f) => f.endsWith('.jsonl.gz'))).toBe(true);
  const later = new TrafficGenerator(21);
  for (let i = 0; i < 3000; i++) later.next();
  const after = (await feed(gw, { steady: later }, (q) => q.window.rows >= 150)).steady!;
  expect(profile(after)).toEqual(profile(live));
}, 240_000);
