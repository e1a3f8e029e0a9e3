// The append-only lineage ledger: one canonical-JSON entry per line, each carrying the SHA-256 of the
// previous line (a hash chain) and an Ed25519 signature over itself; `<path>.head` beside it holds the
// signed hash of the latest entry, so that dropping entries from the end is detected too. Appends are
// serialized in this process; one ledger file has one writing process (workers write `.w<id>` files).
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rename, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { packageVersion } from '../version.js';
import { canonicalJson } from '../kernel/canonical-json.js';
import { ledgerError, loadPrivateKey, signerOf, type Signer } from './keys.js';

export const LEDGER_VERSION = 1;
export const GENESIS = '0'.repeat(64);

export const ENTRY_TYPES = ['created', 'approved', 'started', 'concluded', 'overridden', 'dataset.rotated', 'config.loaded'] as const;
export type EntryType = (typeof ENTRY_TYPES)[number];

export interface PolicyRef {
  readonly name: string;
  /** The policy's version when its config names one. */
  readonly version?: string;
  /** The digest of the policy's canonical form (the part after `@` of its id). */
  readonly digest: string;
}

export interface DatasetRef {
  readonly file: string;
  readonly sha256: string;
  readonly bytes?: number;
  readonly records?: number;
}

export interface VerdictSummary {
  readonly verdict: string;
  readonly evidence: Readonly<Record<string, unknown>>;
}

/** What a caller says about an event; the ledger adds seq, time, code version, chain and signature. */
export interface EntryInput {
  readonly type: EntryType;
  readonly experiment?: string;
  readonly configDigest?: string;
  readonly policies?: readonly PolicyRef[];
  readonly seeds?: Readonly<Record<string, number | string>>;
  readonly datasets?: readonly DatasetRef[];
  readonly verdict?: VerdictSummary;
  readonly details?: Readonly<Record<string, unknown>>;
}

export interface LedgerEntry extends EntryInput {
  readonly v: 1;
  readonly seq: number;
  readonly at: string;
  readonly codeVersion: string;
  /** SHA-256 (hex) of the previous line's bytes; GENESIS for the first entry. */
  readonly prev: string;
  readonly keyId: string;
  /** Ed25519 over the canonical JSON of the entry without `sig` (base64). */
  readonly sig: string;
}

export interface LedgerHead {
  readonly seq: number;
  readonly hash: string;
  readonly keyId: string;
  readonly sig: string;
}

/** `name@digest` (src/anonymize/policy.ts policy ids) → its ledger reference. */
export function policyRef(id: string, version?: string): PolicyRef {
  const at = id.lastIndexOf('@');
  return at < 0 ? { name: id, digest: '', version } : { name: id.slice(0, at), digest: id.slice(at + 1), version };
}

/** SHA-256 (hex) of a configuration's canonical JSON: the same config always has the same digest. */
export function configDigest(config: unknown): string {
  return sha256Hex(canonicalJson(config));
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export function signedPart<T extends { sig: string }>(entry: T): Omit<T, 'sig'> {
  const { sig: _sig, ...rest } = entry;
  return rest;
}

export function headPath(path: string): string {
  return `${path}.head`;
}

export class Ledger {
  readonly path: string;
  readonly signer: Signer;
  private seq = 0;
  private last = GENESIS;
  private loaded = false;
  private chain: Promise<unknown> = Promise.resolve();
  private handle: FileHandle | undefined;

  /** A ledger at `path`; its last entry is read on the first append, to continue the chain. */
  constructor(path: string, signer: Signer) {
    this.path = path;
    this.signer = signer;
  }

  /** The ledger of a `ledger:` config section: its key is loaded now (throws SG_ERR_LEDGER naming the place). */
  static fromConfig(cfg: { path: string; key?: string | undefined; keyFile?: string | undefined }, path: string = cfg.path): Ledger {
    return new Ledger(path, signerOf(loadPrivateKey(cfg, 'ledger')));
  }

  private async load(): Promise<void> {
    const path = this.path;
    let text = '';
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw ledgerError(`cannot read ledger ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, err);
    }
    // An unterminated last line is an append cut by a crash: it was never acknowledged, so it goes.
    const end = text.lastIndexOf('\n') + 1;
    if (end < text.length) {
      const h = await open(path, 'r+');
      try {
        await h.truncate(Buffer.byteLength(text.slice(0, end)));
      } finally {
        await h.close();
      }
      text = text.slice(0, end);
    }
    const lines = text.split('\n').filter((l) => l !== '');
    this.loaded = true;
    if (lines.length === 0) return;
    const lastLine = lines[lines.length - 1]!;
    let seq: number;
    try {
      seq = (JSON.parse(lastLine) as { seq: number }).seq;
    } catch (err) {
      throw ledgerError(`ledger ${path}: its last entry (line ${lines.length}) is not JSON; run shadowgate ledger verify`, err);
    }
    if (seq !== lines.length) throw ledgerError(`ledger ${path}: its last entry has seq ${seq} on line ${lines.length}; run shadowgate ledger verify`);
    this.seq = seq;
    this.last = sha256Hex(lastLine);
  }

  /** Appends one signed entry (durable: fsynced, head rewritten) and returns it. Appends run in call order. */
  append(input: EntryInput, at: Date = new Date()): Promise<LedgerEntry> {
    const run = this.chain.then(() => this.write(input, at));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async write(input: EntryInput, at: Date): Promise<LedgerEntry> {
    if (!this.loaded) await this.load();
    const unsigned = { ...input, v: LEDGER_VERSION, seq: this.seq + 1, at: at.toISOString(), codeVersion: packageVersion(), prev: this.last, keyId: this.signer.keyId } as const;
    const entry: LedgerEntry = { ...unsigned, sig: this.signer.sign(canonicalJson(unsigned)) };
    const line = canonicalJson(entry);
    try {
      if (!this.handle) {
        await mkdir(dirname(this.path), { recursive: true });
        this.handle = await open(this.path, 'a');
      }
      await this.handle.write(`${line}\n`);
      await this.handle.datasync();
    } catch (err) {
      throw ledgerError(`cannot append to ledger ${this.path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, err);
    }
    this.seq = entry.seq;
    this.last = sha256Hex(line);
    await this.writeHead();
    return entry;
  }

  private async writeHead(): Promise<void> {
    const unsigned = { seq: this.seq, hash: this.last, keyId: this.signer.keyId };
    const head: LedgerHead = { ...unsigned, sig: this.signer.sign(canonicalJson(unsigned)) };
    const tmp = `${headPath(this.path)}.tmp`;
    const h = await open(tmp, 'w');
    try {
      await h.write(`${canonicalJson(head)}\n`);
      await h.datasync();
    } finally {
      await h.close();
    }
    await rename(tmp, headPath(this.path));
  }

  /** The seq of the last entry once the appends asked for so far are written (0 for an empty ledger). */
  position(): Promise<number> {
    const run = this.chain.then(async () => {
      if (!this.loaded) await this.load();
      return this.seq;
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Waits for pending appends and closes the file. */
  async close(): Promise<void> {
    await this.chain;
    const h = this.handle;
    this.handle = undefined;
    await h?.close();
  }
}
