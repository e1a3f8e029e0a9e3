// `shadowgate experiment reproduce` on a fleet's ledger (`ledger.stream: redis`, issue 24), on a real
// redis-server: the experiment's entries are chained in the Redis stream, not in the replica's file, and
// reproduce reads them from Redis directly (`--redis URL`, or the configuration's ledger.stream and
// state.redis) — no `ledger export` first. Its datasets are the files sealed since the start (the start's
// position in the replica's file), not files picked by their manifests' time range.
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
import type { LedgerEntry } from '../../src/ledger/ledger.js';
import { silentLogger } from '../../src/observe/log.js';
import { send, sendMany } from '../helpers/app.js';
import { tempDir } from '../helpers/run.js';
import { label, startModel, type ModelServer } from '../dataset/models.js';
import { until } from './helpers.js';
import { redisAvailable, startRedis, type TestRedis } from './redis-server.js';
import { experimentRouteYaml, proposeAndApprove } from '../helpers/experiment-yaml.js';

const T = { alice: 'alice-secret-stream-1', lead: 'lead-secret-stream-2' } as const;
const N = 120;

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const sink = (to: string[]) => new Writable({ write: (c: Buffer, _e, cb) => { to.push(c.toString()); cb(); } });
  const code = await runExperimentCli(args, { stdout: sink(out), stderr: sink(err) });
  return { code, out: out.join(''), err: err.join('') };
}

describe.runIf(redisAvailable())('experiment reproduce from the fleet\'s ledger stream', () => {
  let redis: TestRedis;
  const models: ModelServer[] = [];
  let gw: StartedShadowgate | undefined;
  const dir = tempDir('sg-stream-reproduce-');
  const prefix = `sgrepro-${randomBytes(4).toString('hex')}:`;

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await gw?.close();
    await Promise.all(models.map((m) => m.close()));
    await redis?.close();
  });

  it('reads the chain from Redis (--redis, or the config\'s ledger.stream) and reaches the same verdict', async () => {
    const inc = await startModel(label);
    const cand = await startModel(label);
    models.push(inc, cand);
    const seed = randomBytes(32).toString('base64url');
    const configFile = join(dir, 'shadowgate.yaml');
    writeFileSync(configFile, `
server: { maxEventLoopDelay: 60s }
admin:
  stateFile: ${join(dir, 'state.json')}
  auditFile: ${join(dir, 'audit.jsonl')}
  experimentsFile: ${join(dir, 'experiments.json')}
  tokens:
    - { name: alice, role: operator, sha256: "${sha256Hex(T.alice)}" }
    - { name: lead, role: operator, approver: true, sha256: "${sha256Hex(T.lead)}" }
state:
  backend: redis
  redis: { url: "${redis.url}", keyPrefix: "${prefix}", lease: 1s, reconcile: 200ms }
${experimentRouteYaml(inc.url, cand.url)}
record: { path: "${join(dir, 'data', 'shadow.jsonl')}", flushInterval: 10ms, gzip: true }
ledger: { path: "${join(dir, 'ledger.jsonl')}", key: "${seed}", stream: redis }
`);
    gw = await startShadowgate(loadConfigFile(configFile), { configPath: configFile, logger: silentLogger(), registry: new Registry(), port: 0, adminPort: 0 });
    await gw.app.shadowThreads.ready;
    const app = gw.app;
    await until('the judge\'s lease', async () => (app.fleetView().judge ? true : undefined));
    const admin = `http://127.0.0.1:${gw.adminPort}`;
    const post = async (path: string, token: string, body?: unknown) => {
      const res = await fetch(`${admin}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) });
      return { status: res.status, body: await res.json() as Record<string, unknown> };
    };
    const url = `http://127.0.0.1:${gw.port}`;
    const shadow = app.routeShadow('predict')!;
    const traffic = async (from: number) => {
      await sendMany(N, 4, (i) => send(url, { method: 'POST', path: '/v1/predict', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ i: from + i }) }));
      await until('the copies compared', async () => (shadow.inFlightCount === 0 ? true : undefined));
    };

    // Traffic before the start (recorded, not the experiment's), then the experiment's own.
    await traffic(1000);
    await proposeAndApprove(post, T.alice, T.lead, 100);
    expect((await post('/admin/experiments/predict-v2/start', T.alice)).status).toBe(200);
    await traffic(0);
    const concluded = await post('/admin/experiments/predict-v2/conclude', T.alice);
    expect(concluded.status).toBe(200);

    // The judge chains the concluded entry into the stream; the replica's file holds none of the experiment's.
    const entry = await until('the concluded entry in the fleet\'s chain', async () => {
      const { text } = await readLedgerStream(redis.url, prefix);
      return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as LedgerEntry).find((e) => e.type === 'concluded');
    });
    expect(entry.datasets!.reduce((n, d) => n + (d.records ?? 0), 0)).toBe(N);

    // From Redis directly: named on the command line…
    const byUrl = await cli(['reproduce', 'predict-v2', '--config', configFile, '--redis', redis.url, '--prefix', prefix, '--json']);
    expect(byUrl.code, byUrl.err).toBe(0);
    const result = JSON.parse(byUrl.out) as { checks: string[] };
    expect(result).toMatchObject({ same: true, reproduced: { outcome: 'pass', samples: N }, replay: { sent: N } });
    expect(result.checks[0]).toMatch(new RegExp(`^ledger .*${prefix}ledger:chain intact \\(\\d+ entries, signatures checked\\)$`));
    // …or as the configuration says (ledger.stream: redis, state.redis).
    const byConfig = await cli(['reproduce', 'predict-v2', '--config', configFile]);
    expect(byConfig.code, byConfig.err).toBe(0);
    expect(byConfig.out).toContain('same verdict: pass');
    // A prefix with no chain: refused with the reason.
    const empty = await cli(['reproduce', 'predict-v2', '--config', configFile, '--redis', redis.url, '--prefix', 'nothing-here:']);
    expect(empty.code).toBe(2);
    expect(empty.err).toContain('nothing-here:ledger:chain is empty');
  }, 120_000);
});
