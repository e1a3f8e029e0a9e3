// The lineage ledger: a hash-chained, Ed25519-signed JSONL file. Any single changed byte, a dropped
// entry or a swapped adjacent pair fails `verifyLedger` naming the first bad line; an intact ledger passes.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportPublicKey, generatePrivateKeyPem, parsePrivateKey, parsePublicKey, signerOf, verifierOf } from '../../src/ledger/keys.js';
import { configDigest, headPath, Ledger, policyRef } from '../../src/ledger/ledger.js';
import { verifyLedger } from '../../src/ledger/verify.js';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'sg-ledger-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pem = generatePrivateKeyPem();
const signer = signerOf(parsePrivateKey(pem, 'test'));
const verifiers = [verifierOf(signer.publicKey)];

/** A small ledger of five entries of every kind; returns its text and head. */
async function sample(name: string): Promise<{ path: string; text: string; head: string }> {
  const path = join(dir, `${name}.jsonl`);
  const ledger = new Ledger(path, signer);
  const policies = [policyRef('default@0123456789ab', '3')];
  await ledger.append({ type: 'config.loaded', configDigest: configDigest({ a: 1 }), policies });
  await ledger.append({ type: 'created', experiment: 'exp-1', seeds: { traffic: 7 } });
  await ledger.append({ type: 'dataset.rotated', datasets: [{ file: 'shadow-1.jsonl', sha256: 'ab'.repeat(32), bytes: 10, records: 2 }], policies });
  await ledger.append({ type: 'started', experiment: 'exp-1' });
  await ledger.append({ type: 'concluded', experiment: 'exp-1', verdict: { verdict: 'pass', evidence: { agreement: 0.99, n: 400 } } });
  await ledger.close();
  return { path, text: readFileSync(path, 'utf8'), head: readFileSync(headPath(path), 'utf8') };
}

/** A deterministic sample of positions (xorshift), so a failure names the same byte on every run. */
function positions(length: number, count: number, seed: number): number[] {
  let x = seed;
  const out = new Set<number>();
  while (out.size < Math.min(count, length)) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out.add(x % length);
  }
  return [...out];
}

describe('ledger', () => {
  let s: { path: string; text: string; head: string };
  beforeAll(async () => { s = await sample('base'); });

  it('an intact ledger verifies, with and without the head', () => {
    const r = verifyLedger(s.text, { verifiers, head: s.head });
    expect(r).toMatchObject({ ok: true, entries: 5, signaturesChecked: true });
    expect(verifyLedger(s.text, { verifiers }).ok).toBe(true);
  });

  it('entries carry the chain, the signature, the code version and the fields given', () => {
    const lines = s.text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(lines[0]!.prev).toBe('0'.repeat(64));
    expect(lines[0]).toMatchObject({ type: 'config.loaded', policies: [{ name: 'default', digest: '0123456789ab', version: '3' }], keyId: signer.keyId });
    expect(typeof lines[0]!.codeVersion).toBe('string');
    expect(lines[4]).toMatchObject({ verdict: { verdict: 'pass' } });
  });

  it('reopening continues the chain', async () => {
    const more = await sample('reopen');
    const ledger = new Ledger(more.path, signer);
    await ledger.append({ type: 'overridden', experiment: 'exp-1', details: { reason: 'hotfix', operator: 'ops' } });
    await ledger.close();
    const r = verifyLedger(readFileSync(more.path, 'utf8'), { verifiers, head: readFileSync(headPath(more.path), 'utf8') });
    expect(r).toMatchObject({ ok: true, entries: 6 });
  });

  it('any single changed byte fails (every byte for the first 2 lines, a seeded sample elsewhere)', () => {
    const bytes = Buffer.from(s.text);
    const firstTwo = s.text.indexOf('\n', s.text.indexOf('\n') + 1) + 1;
    const at = [...Array.from({ length: firstTwo }, (_, i) => i), ...positions(bytes.length, 600, 24)];
    const passed: number[] = [];
    for (const i of at) {
      for (const delta of [1, 0x20]) {
        const b = Buffer.from(bytes);
        b[i] = b[i]! ^ delta;
        const r = verifyLedger(b.toString('latin1'), { verifiers, head: s.head });
        if (r.ok) passed.push(i);
      }
    }
    expect(passed).toEqual([]);
  });

  it('a changed byte fails with the head alone, or the chain alone, too', () => {
    const lines = s.text.split('\n');
    // The last entry's text changed: without keys only the head catches it.
    const last = lines.length - 2;
    const edited = [...lines];
    edited[last] = edited[last]!.replace('"pass"', '"fail"');
    expect(verifyLedger(edited.join('\n'), { verifiers: [], head: s.head })).toMatchObject({ ok: false, line: 5 });
    // An earlier entry changed: without keys or head the next entry's prev catches it.
    const early = [...lines];
    early[1] = early[1]!.replace('"traffic":7', '"traffic":8');
    expect(verifyLedger(early.join('\n'), { verifiers: [] })).toMatchObject({ ok: false, line: 3 });
  });

  it('dropping any entry fails, naming the line where the gap shows', () => {
    const lines = s.text.trim().split('\n');
    for (let i = 0; i < lines.length; i++) {
      const text = `${lines.filter((_, j) => j !== i).join('\n')}\n`;
      const r = verifyLedger(text, { verifiers, head: s.head });
      expect(r, `drop ${i + 1}`).toMatchObject({ ok: false, line: i + 1 });
    }
  });

  it('swapping any adjacent pair fails at the first swapped line', () => {
    const lines = s.text.trim().split('\n');
    for (let i = 0; i + 1 < lines.length; i++) {
      const swapped = [...lines];
      [swapped[i], swapped[i + 1]] = [swapped[i + 1]!, swapped[i]!];
      const r = verifyLedger(`${swapped.join('\n')}\n`, { verifiers, head: s.head });
      expect(r, `swap ${i + 1},${i + 2}`).toMatchObject({ ok: false, line: i + 1 });
    }
  });

  it('a signature by another key fails; a rewritten chain signed by another key fails', async () => {
    const other = signerOf(generateKeyPairSync('ed25519').privateKey);
    const forged = join(dir, 'forged.jsonl');
    const l = new Ledger(forged, other);
    await l.append({ type: 'created', experiment: 'x' });
    await l.close();
    expect(verifyLedger(readFileSync(forged, 'utf8'), { verifiers })).toMatchObject({ ok: false, line: 1, reason: expect.stringContaining('not among') });
    // Same key id, bad signature: a signature bit flipped and re-encoded.
    const line = JSON.parse(s.text.split('\n')[0]!) as { sig: string };
    const sig = Buffer.from(line.sig, 'base64');
    sig[3] = sig[3]! ^ 1;
    const bad = s.text.replace(line.sig, sig.toString('base64'));
    expect(verifyLedger(bad, { verifiers })).toMatchObject({ ok: false, line: 1, reason: 'bad signature' });
  });

  it('a torn last line is cut on open (an unacknowledged append), and the chain continues', async () => {
    const t = await sample('torn');
    writeFileSync(t.path, `${t.text}{"v":1,"seq":6,"ty`);
    const l = new Ledger(t.path, signer);
    await l.append({ type: 'started', experiment: 'exp-2' });
    await l.close();
    expect(verifyLedger(readFileSync(t.path, 'utf8'), { verifiers, head: readFileSync(headPath(t.path), 'utf8') })).toMatchObject({ ok: true, entries: 6 });
  });

  it('keys: a base64 seed works like PEM; a non-Ed25519 key is refused without quoting it', () => {
    const seed = Buffer.alloc(32, 7).toString('base64url');
    expect(signerOf(parsePrivateKey(seed, 'k')).keyId).toMatch(/^[0-9a-f]{16}$/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(() => parsePrivateKey(rsa, 'k')).toThrow(/not Ed25519/);
    expect(() => parsePrivateKey('c2VjcmV0', 'k')).toThrow(/^k: not an Ed25519 private key/);
    expect(parsePublicKey(exportPublicKey(signer.publicKey), 'pub').keyId).toBe(signer.keyId);
  });
});

describe('shadowgate ledger (CLI)', () => {
  it('verify exits 0 on an intact ledger and 1 naming the line of a tampered one; export-key prints the public key', async () => {
    const s = await sample('cli');
    const keyFile = join(dir, 'ledger.pem');
    writeFileSync(keyFile, pem);
    const pubFile = join(dir, 'ledger.pub');
    const exported = await runCli(['ledger', 'export-key', '--key-file', keyFile]);
    expect(exported.code).toBe(0);
    expect(exported.stdout).toBe(exportPublicKey(signer.publicKey));
    writeFileSync(pubFile, exported.stdout);

    const ok = await runCli(['ledger', 'verify', '--ledger', s.path, '--public-key', pubFile]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/intact \(5 entries/);

    const lines = s.text.trim().split('\n');
    [lines[1], lines[2]] = [lines[2]!, lines[1]!];
    writeFileSync(s.path, `${lines.join('\n')}\n`);
    const bad = await runCli(['ledger', 'verify', '--ledger', s.path, '--public-key', pubFile]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`${s.path}:2: seq 3 where 2 was expected`);

    const usage = await runCli(['ledger', 'verify']);
    expect(usage.code).toBe(2);

    const made = await runCli(['ledger', 'keygen']);
    expect(made.code).toBe(0);
    expect(parsePrivateKey(made.stdout, 'keygen').asymmetricKeyType).toBe('ed25519');
  }, 60_000);
});
