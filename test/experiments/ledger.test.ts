// An experiment's story is in the lineage ledger: its proposal and a gate override (with the operator and
// the reason) are appended as signed, chained entries that `verifyLedger` accepts.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { parsePrivateKey, signerOf, verifierOf } from '../../src/ledger/keys.js';
import { headPath } from '../../src/ledger/ledger.js';
import { verifyLedger } from '../../src/ledger/verify.js';
import { startFromYaml } from '../helpers/app.js';
import { tempDir } from '../helpers/run.js';

it('appends experiment transitions and a gate override to the ledger, verifiably', async () => {
  const dir = tempDir('sg-exp-ledger-');
  const seed = randomBytes(32).toString('base64url');
  const ledgerPath = join(dir, 'ledger.jsonl');
  const gw = await startFromYaml(`
upstreams: { incumbent: { url: "http://127.0.0.1:9" }, candidate: { url: "http://127.0.0.1:9" } }
routes: [{ name: predict, match: { pathPrefix: / }, primary: incumbent, canary: { upstream: candidate, weight: 0 } }]
ledger: { path: ${ledgerPath}, key: "${seed}" }
`);
  try {
    const json = { 'content-type': 'application/json' };
    const proposed = await fetch(`${gw.adminUrl}/admin/experiments`, {
      method: 'POST', headers: json,
      body: JSON.stringify({ id: 'v2', route: 'predict', hypothesis: 'h', criteria: [{ metric: 'agreement', comparator: '>=', threshold: 0.9 }], owner: 'o', privacyRiskAssessment: 'p', rollbackPlan: 'r' }),
    });
    expect(proposed.status).toBe(201);
    const blocked = await fetch(`${gw.adminUrl}/admin/routes/predict/canary`, { method: 'PUT', headers: json, body: '{"weight":5}' });
    expect(blocked.status).toBe(409);
    const forced = await fetch(`${gw.adminUrl}/admin/routes/predict/canary`, { method: 'PUT', headers: json, body: '{"weight":5,"override":true,"reason":"incident 42: roll forward"}' });
    expect(forced.status).toBe(200);
  } finally {
    await gw.close();
  }
  const entries = readFileSync(ledgerPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; experiment?: string; details?: Record<string, unknown> });
  expect(entries.map((e) => e.type)).toEqual(['config.loaded', 'created', 'overridden']);
  expect(entries[1]).toMatchObject({ experiment: 'v2', details: { by: 'anonymous', route: null } });
  expect(entries[2]).toMatchObject({ experiment: 'v2', details: { route: 'predict', reason: 'incident 42: roll forward' } });
  const verifiers = [verifierOf(signerOf(parsePrivateKey(seed, 'k')).publicKey)];
  expect(verifyLedger(readFileSync(ledgerPath, 'utf8'), { verifiers, head: readFileSync(headPath(ledgerPath), 'utf8') })).toMatchObject({ ok: true, entries: 3 });
});
