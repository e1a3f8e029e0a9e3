// The signed manifest beside each rotated dataset file (`<file>.manifest.json`): the file's SHA-256 as
// stored (after gzip and encryption), its records, time range and policies, signed with the ledger's
// Ed25519 key when one is configured. The reader refuses a file whose manifest does not match.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile, rename } from 'node:fs/promises';
import { basename } from 'node:path';
import { ShadowgateError } from '../errors.js';
import { canonicalJson } from '../kernel/canonical-json.js';
import type { Signer, Verifier } from '../ledger/keys.js';

export const MANIFEST_VERSION = 1;

export interface RecordStats {
  readonly records: number;
  /** Record timestamps (ISO), earliest and latest; absent for an empty file. */
  readonly timeRange?: { readonly from: string; readonly to: string };
  /** Policy ids (`name@digest`) of the records, sorted. */
  readonly policies: readonly string[];
}

export interface Manifest extends RecordStats {
  readonly v: 1;
  readonly file: string;
  readonly sha256: string;
  readonly bytes: number;
  readonly gzip: boolean;
  readonly encryption?: { readonly keyId: string };
  readonly createdAt: string;
  readonly keyId?: string;
  readonly sig?: string;
}

export function manifestPath(file: string): string {
  return `${file}.manifest.json`;
}

/** The head of a record line as the writer lays it out: `{"v":1,"ts":…,"route":"…","policy":"…"`. */
const HEAD = /^\{"v":\d+,"ts":(\d+),"route":"(?:[^"\\]|\\.)*","policy":"((?:[^"\\]|\\.)*)"/;

/** Counts a plain JSONL file's records and collects their time range and policies (a background job). */
export async function scanRecords(path: string): Promise<RecordStats> {
  let records = 0;
  let from = Infinity;
  let to = -Infinity;
  const policies = new Set<string>();
  const line = (text: string) => {
    if (text.trim() === '') return;
    records++;
    let ts: number | undefined;
    let policy: string | undefined;
    const m = HEAD.exec(text);
    if (m) {
      ts = Number(m[1]);
      policy = JSON.parse(`"${m[2]!}"`) as string;
    } else {
      try {
        const r = JSON.parse(text) as { ts?: unknown; policy?: unknown };
        if (typeof r.ts === 'number') ts = r.ts;
        if (typeof r.policy === 'string') policy = r.policy;
      } catch {
        // counted; a reader reports the line
      }
    }
    if (ts !== undefined) {
      from = Math.min(from, ts);
      to = Math.max(to, ts);
    }
    if (policy !== undefined) policies.add(policy);
  };
  let rest = '';
  for await (const chunk of createReadStream(path, { encoding: 'utf8' }) as AsyncIterable<string>) {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop()!;
    for (const p of parts) line(p);
  }
  line(rest);
  return { records, ...(records > 0 && Number.isFinite(from) ? { timeRange: { from: new Date(from).toISOString(), to: new Date(to).toISOString() } } : {}), policies: [...policies].sort() };
}

export async function fileDigest(path: string): Promise<{ sha256: string; bytes: number }> {
  const h = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    h.update(chunk);
    bytes += chunk.length;
  }
  return { sha256: h.digest('hex'), bytes };
}

/** Writes `<file>.manifest.json` (temporary file, fsync, rename) and returns it. */
export async function writeManifest(file: string, stats: RecordStats, opts: { gzip: boolean; encryptionKeyId?: string | undefined; signer?: Signer | undefined }): Promise<Manifest> {
  const digest = await fileDigest(file);
  const unsigned = {
    v: MANIFEST_VERSION, file: basename(file), ...digest, ...stats, gzip: opts.gzip,
    ...(opts.encryptionKeyId !== undefined ? { encryption: { keyId: opts.encryptionKeyId } } : {}),
    createdAt: new Date().toISOString(),
    ...(opts.signer ? { keyId: opts.signer.keyId } : {}),
  } as const;
  const manifest: Manifest = opts.signer ? { ...unsigned, sig: opts.signer.sign(canonicalJson(unsigned)) } : unsigned;
  const path = manifestPath(file);
  const tmp = `${path}.tmp`;
  const h = await open(tmp, 'w');
  try {
    await h.write(`${JSON.stringify(manifest, null, 2)}\n`);
    await h.sync();
  } finally {
    await h.close();
  }
  await rename(tmp, path);
  return manifest;
}

/**
 * Checks `file` against its manifest when one is beside it: the digest must match, and with public keys
 * given the signature must verify under one of them. Returns the manifest (undefined when there is none);
 * throws SG_ERR_DATASET naming the file otherwise.
 */
export async function checkManifest(file: string, verifiers: readonly Verifier[]): Promise<Manifest | undefined> {
  let text: string;
  try {
    text = await readFile(manifestPath(file), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw refused(file, `its manifest cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let m: Manifest;
  try {
    m = JSON.parse(text) as Manifest;
  } catch {
    throw refused(file, 'its manifest is not valid JSON');
  }
  if (m === null || typeof m !== 'object' || typeof m.sha256 !== 'string') throw refused(file, 'its manifest is malformed');
  if (m.file !== basename(file)) throw refused(file, `its manifest describes another file (${String(m.file)})`);
  if (verifiers.length > 0) {
    const { sig, ...unsigned } = m;
    const v = verifiers.find((x) => x.keyId === m.keyId);
    if (sig === undefined) throw refused(file, 'its manifest is not signed, and manifest signatures are checked (a ledger key is configured)');
    if (!v) throw refused(file, `its manifest is signed by key ${String(m.keyId)}, not the configured ledger key`);
    if (!v.verify(canonicalJson(unsigned), sig)) throw refused(file, 'its manifest\'s signature is bad (the manifest was edited)');
  }
  const actual = await fileDigest(file);
  if (actual.sha256 !== m.sha256 || actual.bytes !== m.bytes) {
    throw refused(file, `its SHA-256 ${actual.sha256.slice(0, 16)}… (${actual.bytes} bytes) does not match its manifest's ${m.sha256.slice(0, 16)}… (${m.bytes} bytes): the file was changed`);
  }
  return m;
}

function refused(file: string, why: string): ShadowgateError {
  return new ShadowgateError('SG_ERR_DATASET', `dataset file ${file} refused: ${why}`);
}
