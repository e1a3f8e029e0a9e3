// `shadowgate experiment reproduce` end to end: a real shadowgate (started from its YAML file) with real
// model servers records a dataset while an experiment runs through the admin API (four eyes); the
// experiment concludes pass, and its `concluded` ledger entry holds what a reproduction needs. Replaying
// from the ledger reaches the same verdict; a tampered dataset file and a changed configuration are
// refused with the reason; a candidate that answers differently now gives a different verdict and the diff.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { startShadowgate, type StartedShadowgate } from '../../src/app/app.js';
import { sha256Hex } from '../../src/admin/auth.js';
import { runExperimentCli } from '../../src/cli/experiment.js';
import { loadConfigFile } from '../../src/config/load.js';
import type { LedgerEntry } from '../../src/ledger/ledger.js';
import { silentLogger } from '../../src/observe/log.js';
import { send, sendMany } from '../helpers/app.js';
import { tempDir } from '../helpers/run.js';
import { label, startModel, type ModelServer } from '../dataset/models.js';
import { experimentRouteYaml, proposeAndApprove } from '../helpers/experiment-yaml.js';

const T = { alice: 'alice-secret-1', lead: 'lead-secret-2' } as const;
const N = 120;

function sink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  return { stream: new Writable({ write: (c: Buffer, _e, cb) => { chunks.push(c.toString()); cb(); } }), text: () => chunks.join('') };
}

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = sink();
  const err = sink();
  const code = await runExperimentCli(args, { stdout: out.stream, stderr: err.stream });
  return { code, out: out.text(), err: err.text() };
}

const yaml = (dir: string, inc: string, cand: string, seed: string) => `
server: { maxEventLoopDelay: 60s }
admin:
  stateFile: ${join(dir, 'state.json')}
  auditFile: ${join(dir, 'audit.jsonl')}
  experimentsFile: ${join(dir, 'experiments.json')}
  tokens:
    - { name: alice, role: operator, sha256: "${sha256Hex(T.alice)}" }
    - { name: lead, role: operator, approver: true, sha256: "${sha256Hex(T.lead)}" }
${experimentRouteYaml(inc, cand)}
record: { path: "${join(dir, 'data', 'shadow.jsonl')}", flushInterval: 10ms, gzip: true }
ledger: { path: "${join(dir, 'ledger.jsonl')}", key: "${seed}" }
`;

const dir = tempDir('sg-reproduce-');
const models: ModelServer[] = [];
let gw: StartedShadowgate | undefined;
afterAll(async () => {
  await gw?.close();
  await Promise.all(models.map((m) => m.close()));
});

describe('experiment reproduce', () => {
  it('reproduces a concluded experiment from its ledger entry, and refuses a tampered dataset or a changed config', async () => {
    let flip = false;
    const inc = await startModel(label);
    const cand = await startModel((i) => (flip ? `not-${label(i)}` : label(i)));
    models.push(inc, cand);
    const configFile = join(dir, 'shadowgate.yaml');
    const seed = randomBytes(32).toString('base64url');
    writeFileSync(configFile, yaml(dir, inc.url, cand.url, seed));
    gw = await startShadowgate(loadConfigFile(configFile), { configPath: configFile, logger: silentLogger(), registry: new Registry(), port: 0, adminPort: 0 });
    await gw.app.shadowThreads.ready;
    const admin = `http://127.0.0.1:${gw.adminPort}`;
    const post = async (path: string, token: string, body?: unknown) => {
      const res = await fetch(`${admin}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: res.status, body: await res.json() as Record<string, unknown> };
    };

    await proposeAndApprove(post, T.alice, T.lead, 100);
    expect((await post('/admin/experiments/predict-v2/start', T.alice)).status).toBe(200);

    const url = `http://127.0.0.1:${gw.port}`;
    await sendMany(N, 4, (i) => send(url, { method: 'POST', path: '/v1/predict', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ i }) }));
    const shadow = gw.app.routeShadow('predict')!;
    const deadline = Date.now() + 30_000;
    while (shadow.inFlightCount > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));

    const concluded = await post('/admin/experiments/predict-v2/conclude', T.alice);
    expect(concluded.status).toBe(200);
    expect(concluded.body).toMatchObject({ experiment: { outcome: 'pass' } });

    // The concluded entry: config digest and path, the policy, seeds, the dataset files with SHA-256, the verdict.
    const ledgerPath = join(dir, 'ledger.jsonl');
    const entries = readFileSync(ledgerPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as LedgerEntry);
    const entry = entries.find((e) => e.type === 'concluded')!;
    expect(entry).toMatchObject({
      experiment: 'predict-v2', configDigest: expect.stringMatching(/^[0-9a-f]{64}$/),
      policies: [{ name: 'default', digest: expect.stringMatching(/^[0-9a-f]{12}$/) }],
      seeds: { compare: expect.any(Number), replayOrder: 1 },
      verdict: { verdict: 'pass', evidence: { criteria: [{ metric: 'disagreement', status: 'pass' }] } },
      details: { configPath: configFile, experiment: { route: 'predict', criteria: [{ metric: 'disagreement' }] } },
    });
    expect(entry.datasets!.length).toBeGreaterThan(0);
    expect(entry.datasets!.reduce((n, d) => n + (d.records ?? 0), 0)).toBe(N);
    for (const d of entry.datasets!) expect(d.file).toMatch(/shadow-.*\.jsonl\.gz$/);

    // Same verdict, from the ledger alone (the config path it recorded, the key's public half).
    const same = await cli(['reproduce', 'predict-v2', '--config', configFile, '--json']);
    expect(same.code, same.err).toBe(0);
    const result = JSON.parse(same.out) as { same: boolean; recorded: { outcome: string }; reproduced: { outcome: string; samples: number }; replay: { sent: number } };
    expect(result).toMatchObject({ same: true, recorded: { outcome: 'pass' }, reproduced: { outcome: 'pass', samples: N }, replay: { sent: N } });
    const text = await cli(['reproduce', 'predict-v2', '--ledger', ledgerPath]);
    expect(text.code, text.err).toBe(0);
    expect(text.out).toContain('same verdict: pass');
    expect(text.err).toContain('signatures are not checked');

    // A tampered dataset file: refused, naming the file and both digests.
    const file = entry.datasets![0]!.file;
    const original = readFileSync(file);
    const bad = Buffer.from(original);
    bad[bad.length >> 1] = bad[bad.length >> 1]! ^ 1;
    writeFileSync(file, bad);
    const tampered = await cli(['reproduce', 'predict-v2', '--config', configFile]);
    expect(tampered.code).toBe(2);
    expect(tampered.err).toContain(`dataset file ${file} changed: its SHA-256`);
    expect(tampered.err).toContain(entry.datasets![0]!.sha256);
    writeFileSync(file, original);

    // A changed configuration (one timeout): refused with both digests.
    const changed = join(dir, 'changed.yaml');
    writeFileSync(changed, readFileSync(configFile, 'utf8').replace('timeout: 5s }\n  candidate', 'timeout: 4s }\n  candidate'));
    const refused = await cli(['reproduce', 'predict-v2', '--config', changed, '--ledger', ledgerPath]);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain(`the configuration changed: ${changed} has digest`);
    expect(refused.err).toContain(entry.configDigest!);

    // A tampered ledger: refused before anything in it is believed.
    const ledgerText = readFileSync(ledgerPath, 'utf8');
    writeFileSync(ledgerPath, ledgerText.replace('"verdict":"pass"', '"verdict":"fail"'));
    const forged = await cli(['reproduce', 'predict-v2', '--config', configFile]);
    expect(forged.code).toBe(2);
    expect(forged.err).toContain('the ledger does not verify');
    writeFileSync(ledgerPath, ledgerText);

    // The candidate now answers differently: a different verdict, and the diff says where.
    flip = true;
    const different = await cli(['reproduce', 'predict-v2', '--config', configFile]);
    expect(different.code).toBe(1);
    expect(different.out).toContain('DIFFERENT verdict');
    expect(different.out).toContain('verdict: recorded pass, reproduced fail');
    expect(different.out).toMatch(/criterion disagreement <= 0\.3: recorded pass .*reproduced fail/);
  }, 120_000);
});
