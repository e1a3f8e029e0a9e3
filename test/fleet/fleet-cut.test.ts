// A Redis fleet's experiment names every replica's files (issue 24, `ledger.stream: redis`), on a real
// redis-server with two replicas: the replica that starts and concludes the experiment asks the fleet to
// cut (a request on `<prefix>ledger:cut`); the other replica cuts and seals its file, forwards its files'
// `dataset.rotated` entry to the ledger inbox and answers; the `concluded` entry, chained after those
// entries, names both replicas' files, and `experiment reproduce` replays them all to the same verdict.
// Before, the entry named only the concluding replica's files.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startShadowgate, type StartedShadowgate } from '../../src/app/app.js';
import { sha256Hex } from '../../src/admin/auth.js';
import { runExperimentCli } from '../../src/cli/experiment.js';
import { readLedgerStream } from '../../src/cli/ledger.js';
import { loadConfigFile } from '../../src/config/load.js';
import { redisClass } from '../../src/state/redis.js';
import type { LedgerEntry } from '../../src/ledger/ledger.js';
import { silentLogger } from '../../src/observe/log.js';
import { send, sendMany } from '../helpers/app.js';
import { tempDir } from '../helpers/run.js';
import { label, startModel, type ModelServer } from '../dataset/models.js';
import { until } from './helpers.js';
import { redisAvailable, startRedis, type TestRedis } from './redis-server.js';
import { experimentRouteYaml, proposeAndApprove } from '../helpers/experiment-yaml.js';

const T = { alice: 'alice-secret-fleetcut-1', lead: 'lead-secret-fleetcut-2' } as const;
const N = 80;

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const sink = (to: string[]) => new Writable({ write: (c: Buffer, _e, cb) => { to.push(c.toString()); cb(); } });
  const code = await runExperimentCli(args, { stdout: sink(out), stderr: sink(err) });
  return { code, out: out.join(''), err: err.join('') };
}

describe.runIf(redisAvailable())('a Redis fleet\'s experiment cuts every replica\'s files', () => {
  let redis: TestRedis;
  const models: ModelServer[] = [];
  const replicas: StartedShadowgate[] = [];
  const dir = tempDir('sg-fleet-cut-');
  const prefix = `sgcut-${randomBytes(4).toString('hex')}:`;

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    for (const r of replicas) await r.close();
    await Promise.all(models.map((m) => m.close()));
    await redis?.close();
  });

  it('the concluded entry names both replicas\' files, after their dataset.rotated entries; reproduce gets the same verdict; a replica that does not finish is named missing', async () => {
    const inc = await startModel(label);
    const cand = await startModel(label);
    models.push(inc, cand);
    const seed = randomBytes(32).toString('base64url');
    const configOf = (name: string): string => {
      const d = join(dir, name);
      const file = join(dir, `${name}.yaml`);
      writeFileSync(file, `
server: { maxEventLoopDelay: 60s }
admin:
  stateFile: ${join(d, 'state.json')}
  auditFile: ${join(d, 'audit.jsonl')}
  experimentsFile: ${join(d, 'experiments.json')}
  tokens:
    - { name: alice, role: operator, sha256: "${sha256Hex(T.alice)}" }
    - { name: lead, role: operator, approver: true, sha256: "${sha256Hex(T.lead)}" }
state:
  backend: redis
  redis: { url: "${redis.url}", keyPrefix: "${prefix}", lease: 1s, reconcile: 200ms }
${experimentRouteYaml(inc.url, cand.url)}
record: { path: "${join(d, 'data', 'shadow.jsonl')}", flushInterval: 10ms, gzip: true }
ledger: { path: "${join(d, 'ledger.jsonl')}", key: "${seed}", stream: redis, cutTimeout: 3s }
`);
      return file;
    };
    const files = { a: configOf('a'), b: configOf('b') };
    for (const file of [files.a, files.b]) {
      const gw = await startShadowgate(loadConfigFile(file), { configPath: file, logger: silentLogger(), registry: new Registry(), port: 0, adminPort: 0 });
      replicas.push(gw);
      await gw.app.shadowThreads.ready;
    }
    const [a, b] = replicas as [StartedShadowgate, StartedShadowgate];
    await until('a judge', async () => (replicas.some((r) => r.app.fleetView().judge) ? true : undefined));
    const post = async (path: string, token: string, body?: unknown) => {
      const res = await fetch(`http://127.0.0.1:${a.adminPort}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) });
      return { status: res.status, body: await res.json() as Record<string, unknown> };
    };
    // N copies to each replica, each compared (and handed to its writer) before this resolves.
    const traffic = async (from: number) => {
      for (const r of replicas) {
        const url = `http://127.0.0.1:${r.port}`;
        await sendMany(N, 4, (i) => send(url, { method: 'POST', path: '/v1/predict', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ i: from + i }) }));
        const shadow = r.app.routeShadow('predict')!;
        await until('the copies compared', async () => (shadow.inFlightCount === 0 ? true : undefined));
      }
    };

    // Traffic before the start: recorded by both replicas, and left out by both start cuts.
    await traffic(1000);
    await proposeAndApprove(post, T.alice, T.lead, 50);
    expect((await post('/admin/experiments/predict-v2/start', T.alice)).status).toBe(200);
    await traffic(0);
    const concluded = await post('/admin/experiments/predict-v2/conclude', T.alice);
    expect(concluded.status, JSON.stringify(concluded.body)).toBe(200);

    const entries = await until('the concluded entry in the fleet\'s chain', async () => {
      const { text } = await readLedgerStream(redis.url, prefix);
      const all = text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as LedgerEntry);
      return all.some((e) => e.type === 'concluded') ? all : undefined;
    });
    const entry = entries.find((e) => e.type === 'concluded')!;
    const named = entry.datasets!.map((d) => d.file);
    expect(named.some((f) => f.startsWith(join(dir, 'a', 'data'))), named.join(', ')).toBe(true);
    expect(named.some((f) => f.startsWith(join(dir, 'b', 'data'))), named.join(', ')).toBe(true);
    // Exactly the experiment's copies of both replicas: the start cut left the earlier traffic out on each.
    expect(entry.datasets!.reduce((n, d) => n + (d.records ?? 0), 0)).toBe(2 * N);
    expect(entry.details?.fleet).toMatchObject({ missing: [], unanswered: 0 });
    expect((entry.details?.fleet as { replicas: unknown[] }).replicas).toHaveLength(2);
    // Both replicas' dataset.rotated entries are chained before the concluded entry.
    const rotated = entries.filter((e) => e.type === 'dataset.rotated' && e.experiment === 'predict-v2');
    expect(rotated.map((e) => e.details?.replica).sort()).toEqual([a.app.backend.replica, b.app.backend.replica].sort());
    for (const e of rotated) expect(e.seq).toBeLessThan(entry.seq);
    expect(rotated.flatMap((e) => e.datasets!.map((d) => d.file)).sort()).toEqual([...named].sort());

    const same = await cli(['reproduce', 'predict-v2', '--config', files.a, '--redis', redis.url, '--prefix', prefix, '--json']);
    expect(same.code, same.err).toBe(0);
    expect(JSON.parse(same.out)).toMatchObject({ same: true, reproduced: { outcome: 'pass', samples: 2 * N }, replay: { sent: 2 * N } });

    // A third subscriber that takes the request and never finishes (a stuck replica, speaking the protocol
    // over Redis): past ledger.cutTimeout the entry is written anyway, naming it missing, with b's files.
    const Redis = redisClass();
    const cmd = new Redis(redis.url);
    const sub = new Redis(redis.url);
    try {
      sub.on('message', (_channel: string, text: string) => {
        const req = JSON.parse(text) as { id: string };
        void cmd.rpush(`${prefix}ledger:cut:${req.id}`, JSON.stringify({ replica: 'stuck-replica', state: 'cutting' }));
      });
      await sub.subscribe(`${prefix}ledger:cut`);
      expect((await post('/admin/experiments', T.alice, {
        id: 'predict-v3', route: 'predict', hypothesis: 'v3 labels as v1 does',
        criteria: [{ metric: 'disagreement', comparator: '<=', threshold: 0.3 }], minSamples: 50,
        owner: 'ml', privacyRiskAssessment: 'PRA-1', rollbackPlan: 'weight 0',
      })).status).toBe(201);
      expect((await post('/admin/experiments/predict-v3/approve', T.lead)).status).toBe(200);
      expect((await post('/admin/experiments/predict-v3/start', T.alice)).status).toBe(200);
      await traffic(2000);
      expect((await post('/admin/experiments/predict-v3/conclude', T.alice)).status).toBe(200);
    } finally {
      sub.disconnect();
      cmd.disconnect();
    }
    const v3 = await until('predict-v3 concluded in the chain', async () => {
      const { text } = await readLedgerStream(redis.url, prefix);
      return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as LedgerEntry).find((e) => e.type === 'concluded' && e.experiment === 'predict-v3');
    });
    expect(v3.details?.fleet).toMatchObject({ missing: ['stuck-replica'], unanswered: 0 });
    expect(v3.datasets!.some((d) => d.file.startsWith(join(dir, 'b', 'data')))).toBe(true);
    expect(v3.datasets!.reduce((n, d) => n + (d.records ?? 0), 0)).toBe(2 * N);
  }, 180_000);
});
