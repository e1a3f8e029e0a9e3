// routes[].quality under `server.workers: 2` (issue 24): each worker learns its own reference and keeps
// its own window; its quality section travels in its evidence, and the primary's gathered report carries
// every worker's, closed when any is. A drifted feature closes the gate in the primary's analysis and an
// experiment concludes inconclusive naming it.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { sha256Hex } from '../../src/admin/auth.js';
import { startCli } from '../helpers/cli.js';
import { json, startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { configFile, until } from '../fleet/helpers.js';

const T = { alice: 'alice-token-cluster-quality-0123456789', lead: 'lead-token-cluster-quality-0123456789' };
let incumbent: TestUpstream;
let candidate: TestUpstream;

beforeAll(async () => {
  incumbent = await startUpstream(json(200, { prediction: 'legit' }));
  candidate = await startUpstream(json(200, { prediction: 'legit' }));
});

afterAll(async () => {
  await incumbent.close();
  await candidate.close();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the admin API's JSON, read loosely
async function admin(port: number, method: string, path: string, token = T.alice): Promise<{ status: number; json: any }> {
  const res = await request(`http://127.0.0.1:${port}${path}`, {
    method: method as 'GET', headers: { authorization: `Bearer ${token}`, ...(method === 'GET' ? {} : { 'content-type': 'application/json' }) },
    body: method === 'GET' ? undefined : '{}',
  });
  return { status: res.statusCode, json: await res.body.json() };
}

/** Sends `n` requests whose `amount` is `base` + a spread of 0..99 (the same spread every batch). */
async function send(port: number, n: number, base: number): Promise<void> {
  const agent = new Agent({ connections: 4 });
  try {
    for (let i = 0; i < n; i += 4) {
      await Promise.all([0, 1, 2, 3].map(async (k) => {
        const res = await request(`http://127.0.0.1:${port}/v1/x`, {
          method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ amount: base + (((i + k) * 37) % 100) }),
        });
        await res.body.text();
      }));
    }
  } finally {
    await agent.close();
  }
}

it('a drifted feature closes the gate in the primary\'s analysis; the experiment concludes inconclusive naming it', async () => {
  const { file } = configFile(`
server: { host: 127.0.0.1, port: 0, workers: 2 }
admin:
  host: 127.0.0.1
  port: 0
  stateFile: {dir}/state.json
  auditFile: {dir}/audit.jsonl
  experimentsFile: {dir}/experiments.json
  tokens:
    - { name: alice, role: operator, sha256: ${sha256Hex(T.alice)} }
    - { name: lead, role: operator, approver: true, sha256: ${sha256Hex(T.lead)} }
log: { access: false, level: info }
state: { evidenceInterval: 100ms }
upstreams: { inc: { url: "${incumbent.url}" }, cand: { url: "${candidate.url}" } }
routes:
  - name: r
    match: { pathPrefix: /v1 }
    primary: inc
    canary: { upstream: cand, weight: 0 }
    shadow: { targets: [inc, cand], policy: none, allowRawData: true, maxRps: 100000, burst: 1000, maxInFlight: 1000, compare: { label: $.prediction } }
    quality: { features: [$.amount], referenceSize: 50, windowSize: 50, minWindow: 20, checkEvery: 10 }
experiments:
  - { id: r-v2, route: r, hypothesis: the candidate answers as the incumbent, owner: ml, privacyRiskAssessment: PRA-1, rollbackPlan: weight 0,
      minSamples: 10, criteria: [{ metric: field regressions, comparator: "<=", threshold: 0 }] }
`);
  const pids = new Set<number>();
  let adminPort = 0;
  const c = await startCli(['serve', '--config', file], (l) => {
    if (l.msg === 'shadowgate listening') pids.add(l.pid as number);
    if (l.msg === 'shadowgate cluster admin listening') adminPort = l.adminPort as number;
    return pids.size === 2 && adminPort > 0;
  });
  const port = c.lines.find((l) => l.msg === 'shadowgate listening')!.port as number;
  try {
    // Both workers learn their reference from the steady stream (copies are counted, not assumed).
    await until('both workers\' references', async () => {
      const q = (await admin(adminPort, 'GET', '/admin/report?route=r')).json.quality;
      if (q?.contributors?.length === 2 && q.contributors.every((x: { status: string }) => x.status === 'ok')) return q;
      await send(port, 40, 0);
      return undefined;
    });
    // Then `amount` moves by 1000 (out of the reference's range, and KS): the gate closes on the primary.
    const closed = await until('the primary\'s quality gate to close', async () => {
      const a = (await admin(adminPort, 'GET', '/admin/analysis/r')).json;
      // Out of range first (a share of the window), then drifted once enough of the window moved.
      const amount = a.quality?.features?.find((f: { name: string }) => f.name === 'amount');
      if (a.quality?.gate === 'closed' && a.quality.reasons.some((r: string) => r.includes('`amount`')) && amount?.drifted === true) return a;
      await send(port, 40, 1000);
      return undefined;
    });
    expect(closed.status).not.toBe('pass');
    const report = (await admin(adminPort, 'GET', '/admin/report?route=r')).json;
    expect(report.quality.contributors).toHaveLength(2);
    expect(report.quality.gate.open).toBe(false);

    const approved = await admin(adminPort, 'POST', '/admin/experiments/r-v2/approve', T.lead);
    expect(approved.status, JSON.stringify(approved.json)).toBe(200);
    expect((await admin(adminPort, 'POST', '/admin/experiments/r-v2/start')).status).toBe(200);
    const concluded = await admin(adminPort, 'POST', '/admin/experiments/r-v2/conclude');
    expect(concluded.status).toBe(200);
    const conclusion = concluded.json.experiment.conclusion as { outcome: string; reasons: string[] };
    expect(conclusion.outcome).toBe('inconclusive');
    expect(conclusion.reasons[0]).toMatch(/`amount`/);
  } finally {
    c.child.kill('SIGTERM');
    await c.exited;
  }
}, 180_000);
