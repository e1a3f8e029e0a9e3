// Encryption at rest of rotated dataset files: AES-256-GCM in chunks, so a file is encrypted and
// decrypted as a stream. Layout (docs/lineage.md):
//   header  "SGENC1" · flags (1 byte; bit 0: the plaintext is gzip) · key id length (1) · key id · chunk size (u32 BE)
//   chunk   length of ciphertext (u32 BE) · nonce (12, random) · ciphertext · tag (16)
// Each chunk is authenticated with the header, its index and a last-chunk flag as additional data:
// a flipped byte, a reordered, dropped or duplicated chunk, and a file cut at a chunk boundary all fail.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import type { DataKeyConfig, EncryptionConfig } from '../config/schema.js';
import { ShadowgateError } from '../errors.js';

export const ENC_MAGIC = Buffer.from('SGENC1', 'latin1');
const CHUNK = 64 * 1024;
const NONCE = 12;
const TAG = 16;
const MAX_CHUNK = 16 * 1024 * 1024;

export interface DataKeys {
  /** The key new files are encrypted with. */
  readonly current: { readonly id: string; readonly key: Buffer };
  /** Every configured key by id (current and previous): files are decrypted by the id in their header. */
  readonly byId: ReadonlyMap<string, Buffer>;
}

function keyError(message: string): ShadowgateError {
  return new ShadowgateError('SG_ERR_CONFIG', message);
}

function loadKey(k: DataKeyConfig, where: string): Buffer {
  let text = k.key;
  if (text === undefined) {
    try {
      text = readFileSync(k.keyFile!, 'utf8');
    } catch (err) {
      throw keyError(`${where}.keyFile: cannot read ${k.keyFile!}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  }
  const key = Buffer.from(text.trim(), 'base64url');
  // The message names the place, never the key.
  if (key.length !== 32) throw keyError(`${where}: key ${k.keyId} is not 32 bytes of base64/base64url (AES-256)`);
  return key;
}

/** Loads `record.encryption` (its keys from the config or their files); throws SG_ERR_CONFIG naming the place. */
export function loadDataKeys(cfg: EncryptionConfig): DataKeys {
  const current = { id: cfg.keyId, key: loadKey(cfg, 'record.encryption') };
  const byId = new Map<string, Buffer>([[current.id, current.key]]);
  cfg.previous.forEach((k, i) => {
    if (!byId.has(k.keyId)) byId.set(k.keyId, loadKey(k, `record.encryption.previous[${i}]`));
  });
  return { current, byId };
}

function header(keyId: string, gzip: boolean): Buffer {
  const id = Buffer.from(keyId, 'utf8');
  const size = Buffer.alloc(4);
  size.writeUInt32BE(CHUNK);
  return Buffer.concat([ENC_MAGIC, Buffer.from([gzip ? 1 : 0, id.length]), id, size]);
}

function aad(head: Buffer, index: number, last: boolean): Buffer {
  const tail = Buffer.alloc(9);
  tail.writeBigUInt64BE(BigInt(index));
  tail[8] = last ? 1 : 0;
  return Buffer.concat([head, tail]);
}

/** Replaces `path` by its encryption (a temporary file, fsynced, renamed over it). */
export async function encryptFileInPlace(path: string, keys: DataKeys, gzip: boolean): Promise<void> {
  const tmp = `${path}.enc.tmp`;
  const src = await open(path, 'r');
  const dst = await open(tmp, 'w');
  try {
    const head = header(keys.current.id, gzip);
    await dst.write(head);
    let index = 0;
    let buf = Buffer.alloc(CHUNK);
    let next = Buffer.alloc(CHUNK);
    let n = (await src.read(buf, 0, CHUNK, null)).bytesRead;
    for (;;) {
      // Read one chunk ahead: the last chunk is flagged in its additional data.
      const m = n === CHUNK ? (await src.read(next, 0, CHUNK, null)).bytesRead : 0;
      const last = m === 0;
      const nonce = randomBytes(NONCE);
      const cipher = createCipheriv('aes-256-gcm', keys.current.key, nonce);
      cipher.setAAD(aad(head, index, last));
      const body = Buffer.concat([cipher.update(buf.subarray(0, n)), cipher.final()]);
      const len = Buffer.alloc(4);
      len.writeUInt32BE(body.length);
      await dst.write(Buffer.concat([len, nonce, body, cipher.getAuthTag()]));
      if (last) break;
      index++;
      [buf, next] = [next, buf];
      n = m;
    }
    await dst.sync();
  } catch (err) {
    await dst.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw err;
  } finally {
    await src.close();
  }
  await dst.close();
  await rename(tmp, path);
}

/**
 * True for an encrypted file, and for one whose magic is damaged (4 of its 6 bytes still match): that
 * one then fails as an encrypted file, naming the damage, instead of reading as lines of binary noise.
 */
export async function isEncrypted(path: string): Promise<boolean> {
  const h = await open(path, 'r');
  try {
    const b = Buffer.alloc(ENC_MAGIC.length);
    const { bytesRead } = await h.read(b, 0, b.length, 0);
    let same = 0;
    for (let i = 0; i < bytesRead; i++) if (b[i] === ENC_MAGIC[i]) same++;
    return bytesRead === b.length && same >= ENC_MAGIC.length - 2;
  } finally {
    await h.close();
  }
}

export interface DecryptedFile {
  readonly keyId: string;
  readonly gzip: boolean;
  /** The plaintext, chunk by chunk; throws SG_ERR_DATASET on a bad tag, an unknown key or a truncation. */
  readonly chunks: AsyncGenerator<Buffer>;
}

/** Opens an encrypted file: reads its header, then streams its chunks decrypted. `onRead` gets bytes read so far. */
export async function openEncrypted(path: string, keys: ReadonlyMap<string, Buffer> | undefined, onRead?: (bytes: number) => void): Promise<DecryptedFile> {
  const fail = (what: string) => new ShadowgateError('SG_ERR_DATASET', `${path}: ${what}`);
  const h = await open(path, 'r');
  let pos = 0;
  const readExactly = async (n: number): Promise<Buffer | undefined> => {
    const b = Buffer.alloc(n);
    let got = 0;
    while (got < n) {
      const { bytesRead } = await h.read(b, got, n - got, pos + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    pos += got;
    onRead?.(pos);
    return got === n ? b : undefined;
  };
  let head: Buffer;
  let keyId: string;
  let gzip: boolean;
  let key: Buffer | undefined;
  try {
    const fixed = await readExactly(ENC_MAGIC.length + 2);
    if (!fixed || !fixed.subarray(0, ENC_MAGIC.length).equals(ENC_MAGIC)) throw fail('the encrypted file\'s header is damaged (bad magic)');
    gzip = (fixed[ENC_MAGIC.length]! & 1) === 1;
    const id = await readExactly(fixed[ENC_MAGIC.length + 1]!);
    const size = await readExactly(4);
    if (!id || !size) throw fail('encrypted file header is cut short');
    keyId = id.toString('utf8');
    head = Buffer.concat([fixed, id, size]);
    key = keys?.get(keyId);
    if (!key) throw fail(`encrypted with key id "${keyId}", which is not among the configured record.encryption keys`);
  } catch (err) {
    await h.close();
    throw err;
  }
  const k = key;
  async function* chunks(): AsyncGenerator<Buffer> {
    try {
      for (let index = 0; ; index++) {
        const len = await readExactly(4);
        if (!len) throw fail(`truncated: the file ends before its last chunk (after chunk ${index})`);
        const n = len.readUInt32BE();
        if (n > MAX_CHUNK) throw fail(`chunk ${index} is corrupt (length ${n})`);
        const frame = await readExactly(NONCE + n + TAG);
        if (!frame) throw fail(`truncated: chunk ${index} is cut short`);
        // Try it as a middle chunk, then as the last: only one of the two authenticates.
        let plain: Buffer | undefined;
        let last = false;
        for (const asLast of [false, true]) {
          try {
            const d = createDecipheriv('aes-256-gcm', k, frame.subarray(0, NONCE));
            d.setAAD(aad(head, index, asLast));
            d.setAuthTag(frame.subarray(NONCE + n));
            plain = Buffer.concat([d.update(frame.subarray(NONCE, NONCE + n)), d.final()]);
            last = asLast;
            break;
          } catch {
            // not this flag
          }
        }
        if (!plain) throw fail(`chunk ${index} fails authentication (the file was changed, or the key ${keyId} is wrong)`);
        if (plain.length > 0) yield plain;
        if (last) {
          if (await readExactly(1)) throw fail(`data after the last chunk (${index})`);
          return;
        }
      }
    } finally {
      await h.close();
    }
  }
  return { keyId, gzip, chunks: chunks() };
}
