// Datasets at rest: a rotated file gets a signed manifest and a ledger entry; encrypted rotated files
// read back to the same records; a flipped byte in an encrypted file, a truncation, or a plain file
// that no longer matches its manifest is refused, naming the file.
import { randomBytes } from 'node:crypto';
import { readdir, readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordSchema } from '../../src/config/schema/record.js';
import { loadDataKeys } from '../../src/dataset/crypt.js';
import { manifestPath, type Manifest } from '../../src/dataset/manifest.js';
import { readDataset, type ReadOptions } from '../../src/dataset/reader.js';
import { toDatasetRecord } from '../../src/dataset/record.js';
import { DatasetWriter } from '../../src/dataset/writer.js';
import { generatePrivateKeyPem, parsePrivateKey, signerOf, verifierOf } from '../../src/ledger/keys.js';
import { headPath, Ledger } from '../../src/ledger/ledger.js';
import { verifyLedger } from '../../src/ledger/verify.js';
import { silentLogger } from '../../src/observe/log.js';
import { createMetrics } from '../../src/observe/metrics.js';
import { exchange, tempDir } from './fixtures.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => { ({ dir, cleanup } = await tempDir()); });
afterEach(() => cleanup());

const signer = signerOf(parsePrivateKey(generatePrivateKeyPem(), 'test'));
const verifiers = [verifierOf(signer.publicKey)];
const KEY_A = randomBytes(32).toString('base64url');
const KEY_B = randomBytes(32).toString('base64url');
const lineBytes = Buffer.byteLength(JSON.stringify(toDatasetRecord(exchange(100))) + '\n');
const ROTATED = /^shadow-\d{8}T\d{6}-\d{3}Z(_\d{4})?\.jsonl(\.gz)?$/;

/** Writes `n` records, 4 per file, and returns the rotated files (sealed) in write order. */
async function record(n: number, over: Record<string, unknown>, ledger?: Ledger): Promise<string[]> {
  const cfg = recordSchema.parse({ path: join(dir, 'shadow.jsonl'), maxFileBytes: lineBytes * 4 + 10, keepFiles: 100, ...over });
  const w = new DatasetWriter(cfg, { metrics: createMetrics(undefined, { defaults: false }), log: silentLogger(), ledger });
  for (let i = 0; i < n; i++) expect(w.write(toDatasetRecord(exchange(i)))).toBe(true);
  await w.close();
  await ledger?.close();
  return (await readdir(dir)).filter((f) => ROTATED.test(f)).sort().map((f) => join(dir, f));
}

async function readAll(paths: string[], opts: ReadOptions = {}): Promise<number[]> {
  const ids: number[] = [];
  for await (const item of readDataset(paths, opts)) ids.push(item.record.ts - 1_700_000_000_000);
  return ids;
}

const expected = (n: number) => Array.from({ length: n }, (_v, i) => i);

describe('datasets at rest', () => {
  it('each rotated file gets a signed manifest and a dataset.rotated ledger entry', async () => {
    const ledger = new Ledger(join(dir, 'ledger.jsonl'), signer);
    const files = await record(12, { gzip: true }, ledger);
    expect(files).toHaveLength(2); // 12 records, 4 per file: two rotated, the active one holds the rest
    for (const [i, f] of files.entries()) {
      const m = JSON.parse(await readFile(manifestPath(f), 'utf8')) as Manifest;
      expect(m).toMatchObject({ v: 1, file: f.slice(dir.length + 1), records: 4, gzip: true, keyId: signer.keyId, policies: ['default@0123456789ab'] });
      expect(m.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(Date.parse(m.timeRange!.to) - Date.parse(m.timeRange!.from)).toBe(3);
      expect(Date.parse(m.timeRange!.from)).toBe(1_700_000_000_000 + 4 * i);
    }
    const text = await readFile(join(dir, 'ledger.jsonl'), 'utf8');
    expect(verifyLedger(text, { verifiers, head: await readFile(headPath(join(dir, 'ledger.jsonl')), 'utf8') })).toMatchObject({ ok: true, entries: 2 });
    const entries = text.trim().split('\n').map((l) => JSON.parse(l) as { type: string; datasets: { file: string; records: number }[] });
    expect(entries.map((e) => e.type)).toEqual(['dataset.rotated', 'dataset.rotated']);
    expect(entries.map((e) => e.datasets[0]!.file)).toEqual(files);
    // Verified (digest and signature) on the way in.
    expect(await readAll([...files, join(dir, 'shadow.jsonl')], { manifestVerifiers: verifiers })).toEqual(expected(12));
  });

  it('a plain file that no longer matches its manifest is refused before any record, naming the file', async () => {
    const files = await record(8, { manifest: true });
    const f = files[0]!;
    const text = await readFile(f, 'utf8');
    await writeFile(f, text.replace('"status":200', '"status":201'));
    await expect(readAll(files)).rejects.toThrow(new RegExp(`dataset file ${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} refused: its SHA-256 .* does not match its manifest`));
  });

  it('a manifest whose signature does not verify is refused', async () => {
    const ledger = new Ledger(join(dir, 'ledger.jsonl'), signer);
    const files = await record(8, {}, ledger);
    const m = JSON.parse(await readFile(manifestPath(files[0]!), 'utf8')) as Manifest;
    await writeFile(manifestPath(files[0]!), JSON.stringify({ ...m, records: 5 }));
    await expect(readAll(files, { manifestVerifiers: verifiers })).rejects.toThrow(/manifest's signature is bad/);
    // Without keys the digest still holds; with another key the signer is unknown.
    const other = [verifierOf(signerOf(parsePrivateKey(generatePrivateKeyPem(), 'o')).publicKey)];
    await writeFile(manifestPath(files[0]!), JSON.stringify(m));
    await expect(readAll(files, { manifestVerifiers: other })).rejects.toThrow(/not the configured ledger key/);
  });

  for (const gzip of [false, true]) {
    it(`an encrypted dataset (gzip ${gzip}) reads back to the same records, by key id after a key rotation`, async () => {
      // Files under key A, then the key rotates to B with A kept for reading.
      const before = await record(12, { gzip, encryption: { keyId: 'a', key: KEY_A } });
      expect(before).toHaveLength(2);
      for (const f of before) expect((await readFile(f)).subarray(0, 6).toString()).toBe('SGENC1');
      const keys = loadDataKeys(recordSchema.parse({ path: 'x.jsonl', encryption: { keyId: 'b', key: KEY_B, previous: [{ keyId: 'a', key: KEY_A }] } }).encryption!);
      expect(await readAll(before, { decryptKeys: keys.byId })).toEqual(expected(8));
      // Without the key: refused, naming the key id.
      await expect(readAll(before, { decryptKeys: new Map([['b', Buffer.from(KEY_B, 'base64url')]]) })).rejects.toThrow(/encrypted with key id "a", which is not among/);
      // Plaintext never stays beside the rotated file.
      expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    });
  }

  it('a large encrypted file (several chunks) round-trips; a flipped byte anywhere, a truncation, or a dropped chunk is refused', async () => {
    const big = { ...toDatasetRecord(exchange(0)) };
    const cfg = recordSchema.parse({ path: join(dir, 'shadow.jsonl'), maxFileBytes: '1mb', keepFiles: 100, encryption: { keyId: 'a', key: KEY_A } });
    const w = new DatasetWriter(cfg, { metrics: createMetrics(undefined, { defaults: false }), log: silentLogger() });
    const n = Math.ceil((1024 * 1024) / Buffer.byteLength(JSON.stringify(big))) + 10;
    for (let i = 0; i < n; i++) w.write(toDatasetRecord(exchange(i)));
    await w.close();
    const [f] = (await readdir(dir)).filter((x) => ROTATED.test(x)).map((x) => join(dir, x));
    const keys = loadDataKeys(cfg.encryption!).byId;
    const ok = await readAll([f!], { decryptKeys: keys });
    expect(ok.length).toBeGreaterThan(100);
    expect(ok).toEqual(expected(ok.length));
    const orig = await readFile(f!);
    // A seeded sample of positions across the header and every chunk (frames, nonces, bodies, tags).
    let x = 24;
    const at = new Set<number>([0, 6, 7, 8, 10, 14, 15, 16, 40, orig.length - 1, orig.length - 17]);
    while (at.size < 40) { x = (x * 1103515245 + 12345) % 2 ** 31; at.add(x % orig.length); }
    for (const i of at) {
      const b = Buffer.from(orig);
      b[i] = b[i]! ^ 0x01;
      await writeFile(f!, b);
      await expect(readAll([f!], { decryptKeys: keys }), `byte ${i}`).rejects.toThrow(new RegExp(`${f!.slice(dir.length + 1).replace(/\./g, '\\.')}`));
    }
    // Cut at a chunk boundary (after the first chunk): the missing last-chunk flag tells.
    const header = 6 + 2 + 1 + 4;
    const firstChunk = 4 + 12 + orig.readUInt32BE(header) + 16;
    await writeFile(f!, orig.subarray(0, header + firstChunk));
    await expect(readAll([f!], { decryptKeys: keys })).rejects.toThrow(/truncated/);
    // A middle chunk dropped.
    const second = 4 + 12 + orig.readUInt32BE(header + firstChunk) + 16;
    await writeFile(f!, Buffer.concat([orig.subarray(0, header + firstChunk), orig.subarray(header + firstChunk + second)]));
    await expect(readAll([f!], { decryptKeys: keys })).rejects.toThrow(/fails authentication/);
    await writeFile(f!, orig);
    await truncate(f!, orig.length - 1);
    await expect(readAll([f!], { decryptKeys: keys })).rejects.toThrow(/truncated/);
  }, 60_000);
});
