// The running gateway writes its ledger: `config.loaded` on start and on each reload (config digest,
// the policies in use), signed and chained; a reload with a bad ledger key is refused (checked in build, before the swap).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { parsePrivateKey, signerOf, verifierOf } from '../../src/ledger/keys.js';
import { headPath } from '../../src/ledger/ledger.js';
import { verifyLedger } from '../../src/ledger/verify.js';
import { startFromYaml, TEST_KEY } from '../helpers/app.js';
import { startUpstream } from '../helpers/upstream.js';

const dir = mkdtempSync(join(tmpdir(), 'sg-app-ledger-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const seed = randomBytes(32).toString('base64url');
const ledgerPath = join(dir, 'ledger.jsonl');
const yaml = (url: string, weight: number, key = seed) => `
upstreams: { incumbent: { url: "${url}" }, candidate: { url: "${url}" } }
routes:
  - name: predict
    match: { pathPrefix: /v1 }
    primary: incumbent
    canary: { upstream: candidate, weight: ${weight} }
    shadow: { targets: [candidate], policy: default }
anonymize:
  key: \${SHADOWGATE_KEY}
  policies:
    default: { fields: { "$.user.email": email } }
ledger: { path: ${ledgerPath}, key: "${key}" }
`;

describe('the gateway\'s ledger', () => {
  it('appends a signed config.loaded on start and reload; a reload with a bad ledger key is refused before the swap', async () => {
    const up = await startUpstream((_q, _b, res) => res.end('{"p":"x"}'));
    const gw = await startFromYaml(yaml(up.url, 10));
    try {
      expect((await gw.app.reload(parseConfig(yaml(up.url, 20), { env: { SHADOWGATE_KEY: TEST_KEY } }))).ok).toBe(true);
      const bad = await gw.app.reload(parseConfig(yaml(up.url, 30, 'c2hvcnQ'), { env: { SHADOWGATE_KEY: TEST_KEY } }));
      expect(bad.ok).toBe(false);
      expect(bad.ok ? [] : bad.problems.join('\n')).toMatch(/ledger\.key: not an Ed25519 private key/);
      expect(bad.ok ? '' : bad.problems.join('\n')).not.toContain('c2hvcnQ');
    } finally {
      await gw.close();
      await up.close();
    }
    const text = readFileSync(ledgerPath, 'utf8');
    const verifiers = [verifierOf(signerOf(parsePrivateKey(seed, 'k')).publicKey)];
    expect(verifyLedger(text, { verifiers, head: readFileSync(headPath(ledgerPath), 'utf8') })).toMatchObject({ ok: true, entries: 2 });
    const entries = text.trim().split('\n').map((l) => JSON.parse(l) as { type: string; configDigest: string; policies: { name: string; digest: string }[] });
    expect(entries.map((e) => e.type)).toEqual(['config.loaded', 'config.loaded']);
    expect(entries[0]!.configDigest).toMatch(/^[0-9a-f]{64}$/);
    expect(entries[0]!.configDigest).not.toBe(entries[1]!.configDigest);
    expect(entries[0]!.policies).toEqual([{ name: 'default', digest: expect.stringMatching(/^[0-9a-f]{12}$/) }]);
  }, 60_000);
});
