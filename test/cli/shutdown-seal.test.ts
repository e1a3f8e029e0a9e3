// A graceful shutdown seals the dataset file in progress (issue 24): SIGTERM to a real `shadowgate serve`
// rotates the active file as a rotation does — encrypted as configured, a signed manifest beside it —
// and its `dataset.rotated` entry is in the ledger before the ledger closes, so `shadowgate ledger verify`
// passes, the file's manifest matches, and `shadowgate replay` of the file replays every record. Before,
// the active file was left as it was: no manifest, no ledger entry, nothing that could be verified.
// Under `server.workers: 2` each worker seals its file and the primary's ledger names both.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/admin/auth.js';
import { manifestPath } from '../../src/dataset/manifest.js';
import type { LedgerEntry } from '../../src/ledger/ledger.js';
import { runCli, startCli } from '../helpers/cli.js';
import { label, startModel, type ModelServer } from '../dataset/models.js';
import { configFile, until } from '../fleet/helpers.js';
import { experimentRouteYaml } from '../helpers/experiment-yaml.js';

const TOKEN = 'alice-token-shutdown-seal-0123456789';
const N = 120;
const models: ModelServer[] = [];

afterAll(async () => {
  await Promise.all(models.map((m) => m.close()));
});

async function compared(port: number): Promise<number | undefined> {
  const res = await request(`http://127.0.0.1:${port}/admin/report?route=predict`, { headers: { authorization: `Bearer ${TOKEN}` } });
  const r = await res.body.json() as { sinceStart?: { exchanges?: number } };
  return r.sinceStart?.exchanges;
}

async function send(port: number, n: number): Promise<void> {
  const agent = new Agent({ connections: 4, pipelining: 1 });
  try {
    let next = 0;
    await Promise.all([0, 1, 2, 3].map(async () => {
      while (next < n) {
        const i = next++;
        const res = await request(`http://127.0.0.1:${port}/v1/predict`, { method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ i }) });
        await res.body.text();
      }
    }));
  } finally {
    await agent.close();
  }
}

async function scenario(workers: number): Promise<void> {
  const inc = await startModel(label);
  const cand = await startModel(label);
  models.push(inc, cand);
  const seed = randomBytes(32).toString('base64url');
  const dataKey = randomBytes(32).toString('base64url');
  const { file, dir } = configFile(`
server: { host: 127.0.0.1, port: 0, workers: ${workers}, maxEventLoopDelay: 60s }
admin:
  host: 127.0.0.1
  port: 0
  stateFile: {dir}/state.json
  auditFile: {dir}/audit.jsonl
  tokens:
    - { name: alice, role: operator, sha256: ${sha256Hex(TOKEN)} }
log: { access: false, level: info }
${experimentRouteYaml(inc.url, cand.url, { canary: false })}
record: { path: "{dir}/data/shadow.jsonl", flushInterval: 10ms, gzip: true, encryption: { keyId: k1, key: "${dataKey}" } }
ledger: { path: "{dir}/ledger.jsonl", key: "${seed}" }
`);
  const pids = new Set<number>();
  let adminPort = 0;
  const c = await startCli(['serve', '--config', file], (l) => {
    if (l.msg === 'shadowgate listening') pids.add(l.pid as number);
    if (workers === 1 && l.msg === 'shadowgate listening') adminPort = l.adminPort as number;
    if (l.msg === 'shadowgate cluster admin listening') adminPort = l.adminPort as number;
    return pids.size === workers && adminPort > 0;
  });
  let code: number | null;
  try {
    const port = c.lines.find((l) => l.msg === 'shadowgate listening')!.port as number;
    await send(port, N);
    // Every copy compared (and so handed to the writer) before the shutdown abandons shadow work.
    await until(`${N} exchanges compared`, async () => ((await compared(adminPort)) === N ? true : undefined));
  } finally {
    c.child.kill('SIGTERM');
    code = await c.exited;
  }
  expect(code).toBe(0);

  // The ledger names the sealed files (every worker's, in the primary's ledger), with every record.
  const ledgerPath = join(dir, 'ledger.jsonl');
  const entries = readFileSync(ledgerPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as LedgerEntry);
  const sealed = entries.filter((e) => e.type === 'dataset.rotated').flatMap((e) => e.datasets ?? []);
  expect(sealed.reduce((n, d) => n + (d.records ?? 0), 0), JSON.stringify(entries.map((e) => e.type))).toBe(N);
  if (workers > 1) {
    const byWorker = new Set(entries.filter((e) => e.type === 'dataset.rotated').map((e) => e.details?.worker));
    expect(byWorker.size, 'both workers sealed a file').toBe(2);
  }
  for (const d of sealed) {
    expect(d.file).toMatch(/shadow(\.w\d+)?-.*\.jsonl\.gz$/);
    expect(existsSync(manifestPath(d.file)), `manifest of ${d.file}`).toBe(true);
    const manifest = JSON.parse(readFileSync(manifestPath(d.file), 'utf8')) as { sha256: string; encryption?: { keyId: string } };
    expect(manifest.sha256).toBe(d.sha256);
    expect(manifest.encryption?.keyId).toBe('k1');
  }

  // The ledger verifies under its public key (chain, head, signatures).
  const pub = await runCli(['ledger', 'export-key', '--config', file]);
  expect(pub.code, pub.stderr).toBe(0);
  const pubFile = join(dir, 'ledger.pub');
  writeFileSync(pubFile, pub.stdout);
  const verified = await runCli(['ledger', 'verify', '--ledger', ledgerPath, '--public-key', pubFile]);
  expect(verified.code, verified.stdout + verified.stderr).toBe(0);

  // The sealed files replay (each checked against its signed manifest, decrypted): every record.
  const replayed = await runCli(['replay', '--config', file, '--json', '--fail-on', 'fail', ...sealed.flatMap((d) => ['--dataset', d.file])]);
  expect([0, 1], replayed.stderr).toContain(replayed.code);
  const report = JSON.parse(replayed.stdout) as { replay: { sent: number } };
  expect(report.replay.sent, replayed.stdout).toBe(N);
}

describe('SIGTERM seals the dataset file in progress', () => {
  it('a single process: sealed, in the ledger, verified, replayed', async () => {
    await scenario(1);
  }, 120_000);

  it('server.workers: 2 — each worker seals its file, the primary\'s ledger names both', async () => {
    await scenario(2);
  }, 180_000);
});
