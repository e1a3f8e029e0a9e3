// The fleet's one ledger, end to end on a real redis-server: two shadowgate replicas (state.backend redis,
// ledger.stream redis) each take an experiment proposal; both entries reach the one chain (the judge
// chains, the other replica forwards), neither replica's own file holds them, and `ledger export` writes
// a ledger that verifies with the fleet's public key.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLedgerCli } from '../../src/cli/ledger.js';
import { parsePrivateKey, signerOf, verifierOf } from '../../src/ledger/keys.js';
import { headPath, type LedgerEntry } from '../../src/ledger/ledger.js';
import { verifyLedger } from '../../src/ledger/verify.js';
import { startFromYaml } from '../helpers/app.js';
import { tempDir } from '../helpers/run.js';
import { until } from './helpers.js';
import { redisAvailable, startRedis, type TestRedis } from './redis-server.js';

describe.runIf(redisAvailable())('the fleet ledger stream in real replicas', () => {
  let redis: TestRedis;
  const replicas: Awaited<ReturnType<typeof startFromYaml>>[] = [];
  const dir = tempDir('sg-ledger-stream-');
  const prefix = `sgledger-${randomBytes(4).toString('hex')}:`;
  const seed = randomBytes(32).toString('base64url');

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    for (const r of replicas) await r.close();
    await redis?.close();
  });

  it('chains both replicas\' experiment entries once, in one verifiable ledger', async () => {
    for (const name of ['a', 'b']) {
      replicas.push(await startFromYaml(`
state:
  backend: redis
  redis: { url: "${redis.url}", keyPrefix: "${prefix}", lease: 1s, reconcile: 200ms }
upstreams: { incumbent: { url: "http://127.0.0.1:9" }, candidate: { url: "http://127.0.0.1:9" } }
routes: [{ name: predict, match: { pathPrefix: / }, primary: incumbent, canary: { upstream: candidate, weight: 0 } }]
ledger: { path: ${join(dir, `${name}.jsonl`)}, key: "${seed}", stream: redis }
`));
    }
    await until('a judge', async () => (replicas.some((r) => r.app.fleetView().judge) ? true : undefined));
    for (const [i, r] of replicas.entries()) {
      const res = await fetch(`${r.adminUrl}/admin/experiments`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id: `exp-${i}`, route: 'predict', hypothesis: 'h', criteria: [{ metric: 'agreement', comparator: '>=', threshold: 0.9 }], owner: 'o', privacyRiskAssessment: 'p', rollbackPlan: 'r' }),
      });
      expect(res.status).toBe(201);
    }
    const out = join(dir, 'fleet.jsonl');
    const exported = await until('both entries in the fleet\'s chain', async () => {
      const chunks: string[] = [];
      const io = { stdout: new Writable({ write: (c: Buffer, _e, cb) => { chunks.push(c.toString()); cb(); } }), stderr: new Writable({ write: (_c, _e, cb) => cb() }) };
      expect(await runLedgerCli(['export', '--redis', redis.url, '--prefix', prefix, '--out', out], io)).toBe(0);
      const entries = readFileSync(out, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as LedgerEntry);
      return entries.length === 2 ? entries : undefined;
    });
    expect(exported.map((e) => [e.seq, e.type]).sort()).toEqual([[1, 'created'], [2, 'created']]);
    expect(exported.map((e) => e.experiment).sort()).toEqual(['exp-0', 'exp-1']);
    const verifiers = [verifierOf(signerOf(parsePrivateKey(seed, 'k')).publicKey)];
    expect(verifyLedger(readFileSync(out, 'utf8'), { verifiers, head: readFileSync(headPath(out), 'utf8') })).toMatchObject({ ok: true, entries: 2, signaturesChecked: true });
    // Each replica's own file keeps its config loads; the experiment entries went to the fleet's stream.
    for (const name of ['a', 'b']) {
      const types = readFileSync(join(dir, `${name}.jsonl`), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as LedgerEntry).type);
      expect(types).toEqual(['config.loaded']);
    }
  });
});
