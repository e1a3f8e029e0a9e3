// Replay of datasets at rest: an encrypted, manifest-sealed dataset replays to the live run's verdict
// with the configured keys; a flipped byte, or a file that no longer matches its manifest, is refused.
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recordSchema } from '../../src/config/schema/record.js';
import type { Config } from '../../src/config/schema.js';
import { encryptFileInPlace, loadDataKeys } from '../../src/dataset/crypt.js';
import { scanRecords, writeManifest } from '../../src/dataset/manifest.js';
import { replayDataset } from '../../src/replay/replay.js';
import { exportPublicKey, generatePrivateKeyPem, parsePrivateKey, signerOf } from '../../src/ledger/keys.js';
import { label, liveRun, useModelRoom } from './models.js';

const room = useModelRoom();

describe('replay of datasets at rest', () => {
  it('an encrypted, signed dataset replays to the same verdict; a tampered one is refused naming the file', async () => {
    const { config } = await room.models((i) => (i % 8 === 0 ? 'fish' : label(i)));
    const path = join(room.dir, 'shadow-1.jsonl');
    const live = await liveRun(config, 64, path);
    const pem = generatePrivateKeyPem();
    const encryption = { keyId: 'k1', key: randomBytes(32).toString('base64url') };
    const sealed: Config = {
      ...config,
      record: recordSchema.parse({ path: join(room.dir, 'shadow.jsonl'), encryption }),
      ledger: { path: join(room.dir, 'ledger.jsonl'), key: pem, previousPublicKeys: [], cutTimeout: 30_000 },
    };
    // As the writer seals a rotated file: stats of the plaintext, encryption, then the signed manifest.
    const stats = await scanRecords(path);
    await encryptFileInPlace(path, loadDataKeys(sealed.record!.encryption!), false);
    await writeManifest(path, stats, { gzip: false, encryptionKeyId: 'k1', signer: signerOf(parsePrivateKey(pem, 'k')) });

    const result = await replayDataset({ config: sealed, datasets: [path] });
    expect(result.sent).toBe(64);
    expect(result.reports[0]!.verdict).toBe(live.verdict);
    expect(result.reports[0]!.sinceStart.compared).toBe(live.sinceStart.compared);

    // After a ledger key rotation the manifest still verifies under the old public key, listed as previous.
    const rotated = generatePrivateKeyPem();
    const oldPub = join(room.dir, 'old.pub');
    await writeFile(oldPub, exportPublicKey(signerOf(parsePrivateKey(pem, 'k')).publicKey));
    await expect(replayDataset({ config: { ...sealed, ledger: { ...sealed.ledger!, key: rotated } }, datasets: [path] })).rejects.toThrow(/not the configured ledger key/);
    const again = await replayDataset({ config: { ...sealed, ledger: { ...sealed.ledger!, key: rotated, previousPublicKeys: [oldPub] } }, datasets: [path] });
    expect(again.sent).toBe(64);

    // Without the keys configured, the encrypted file cannot be read.
    await expect(replayDataset({ config: { ...sealed, record: undefined, ledger: undefined }, datasets: [path] })).rejects.toThrow(/which is not among the configured record.encryption keys/);

    const orig = await readFile(path);
    const flipped = Buffer.from(orig);
    const mid = Math.floor(orig.length / 2);
    flipped[mid] = flipped[mid]! ^ 0x01;
    await writeFile(path, flipped);
    await expect(replayDataset({ config: sealed, datasets: [path] })).rejects.toMatchObject({
      code: 'SG_ERR_DATASET', message: expect.stringMatching(new RegExp(`dataset file .*shadow-1\\.jsonl refused: its SHA-256`)),
    });
  }, 60_000);
});
