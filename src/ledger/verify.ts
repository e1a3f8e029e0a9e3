// Verifies a ledger: every line canonical JSON, seq 1, 2, 3…, each `prev` the SHA-256 of the line before,
// each signature valid under a known public key, and the head (when present) matching an entry. The
// first bad line is named: any changed byte, dropped, inserted or reordered entry fails here.
import { canonicalJson } from '../kernel/canonical-json.js';
import type { Verifier } from './keys.js';
import { ENTRY_TYPES, GENESIS, sha256Hex, signedPart, type LedgerEntry, type LedgerHead } from './ledger.js';

export type VerifyResult =
  | { readonly ok: true; readonly entries: number; readonly lastHash: string; readonly signaturesChecked: boolean; readonly notes: readonly string[] }
  | { readonly ok: false; readonly line: number; readonly reason: string };

const HEX64 = /^[0-9a-f]{64}$/;

/** Strict base64: what decodes and re-encodes to the same text (Buffer.from skips stray characters). */
function strictBase64(s: string): boolean {
  return s.length > 0 && Buffer.from(s, 'base64').toString('base64') === s;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function verifyLedger(text: string, opts: { verifiers: readonly Verifier[]; head?: string | undefined }): VerifyResult {
  const byId = new Map(opts.verifiers.map((v) => [v.keyId, v]));
  const check = byId.size > 0;
  const lines = text.split('\n');
  // The file ends with a newline: the last piece is empty.
  if (lines[lines.length - 1] !== '') return { ok: false, line: lines.length, reason: 'the last entry is not terminated by a newline (torn or appended to)' };
  lines.pop();
  let prev = GENESIS;
  const hashes: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const n = i + 1;
    const line = lines[i]!;
    const bad = (reason: string): VerifyResult => ({ ok: false, line: n, reason });
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return bad('not valid JSON');
    }
    if (!isObject(value)) return bad('not a JSON object');
    if (canonicalJson(value) !== line) return bad('not in canonical form (the line was edited)');
    const e = value as unknown as LedgerEntry;
    if (e.v !== 1) return bad(`unknown entry version ${String(e.v)}`);
    if (e.seq !== n) return bad(`seq ${String(e.seq)} where ${n} was expected (an entry was dropped, inserted or moved)`);
    if (typeof e.prev !== 'string' || e.prev !== prev) return bad('prev does not match the previous entry\'s hash (an entry before it was changed, dropped or moved)');
    if (!(ENTRY_TYPES as readonly string[]).includes(e.type)) return bad(`unknown entry type ${JSON.stringify(e.type)}`);
    if (typeof e.sig !== 'string' || !strictBase64(e.sig) || typeof e.keyId !== 'string') return bad('missing or malformed signature');
    if (check) {
      const v = byId.get(e.keyId);
      if (!v) return bad(`signed by key ${e.keyId}, which is not among the given public keys`);
      if (!v.verify(canonicalJson(signedPart(e)), e.sig)) return bad('bad signature');
    }
    prev = sha256Hex(line);
    hashes.push(prev);
  }
  const notes: string[] = [];
  if (opts.head === undefined) {
    notes.push('no head file: entries dropped from the end cannot be detected (compare the last hash with a copy kept elsewhere)');
  } else {
    let head: LedgerHead;
    try {
      head = JSON.parse(opts.head) as LedgerHead;
    } catch {
      return { ok: false, line: 0, reason: 'the head file is not valid JSON' };
    }
    if (!isObject(head) || typeof head.seq !== 'number' || typeof head.hash !== 'string' || !HEX64.test(head.hash) || typeof head.sig !== 'string') {
      return { ok: false, line: 0, reason: 'the head file is malformed' };
    }
    if (check) {
      const v = byId.get(head.keyId);
      if (!v || !v.verify(canonicalJson(signedPart(head)), head.sig)) return { ok: false, line: 0, reason: 'the head file\'s signature is bad or by an unknown key' };
    }
    if (head.seq > lines.length) {
      return { ok: false, line: lines.length + 1, reason: `the head names entry ${head.seq} but the ledger ends at ${lines.length} (entries dropped from the end)` };
    }
    if (hashes[head.seq - 1] !== head.hash) return { ok: false, line: head.seq, reason: 'entry does not match the hash the head recorded for it' };
    // Entries after the head: an append whose head update a crash cut short (each one is still signed).
    if (head.seq < lines.length) notes.push(`${lines.length - head.seq} entr${lines.length - head.seq === 1 ? 'y' : 'ies'} after the head (an interrupted append)`);
  }
  if (!check) notes.push('signatures NOT checked: give --public-key to check them');
  return { ok: true, entries: lines.length, lastHash: prev, signaturesChecked: check, notes };
}
