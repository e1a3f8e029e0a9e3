// One ledger for a Redis fleet (docs/lineage.md): every replica forwards its experiment entries to an
// inbox stream; only the judge (the lease holder) chains them — seq, prev, signature — into the fleet's
// ledger stream. The chain's head (seq, hash, signature, and how far the inbox was taken) is one key,
// replaced together with each append by a compare-and-set script: a judge that lost its lease and still
// appends finds the head moved and stops, so two judges can never fork the chain. `ledger export` writes
// the stream and its head as a ledger file that `ledger verify` checks like any other.
import type { Redis } from 'ioredis';
import { canonicalJson } from '../kernel/canonical-json.js';
import { packageVersion } from '../version.js';
import type { Signer } from './keys.js';
import { GENESIS, LEDGER_VERSION, sha256Hex, type EntryInput, type LedgerEntry, type LedgerHead } from './ledger.js';

export interface StreamKeys { readonly inbox: string; readonly chain: string; readonly head: string }

export function streamKeys(prefix: string): StreamKeys {
  return { inbox: `${prefix}ledger:inbox`, chain: `${prefix}ledger:chain`, head: `${prefix}ledger:head` };
}

interface StoredHead extends LedgerHead {
  /** The last inbox entry chained. */
  readonly cursor: string;
}

/** Appends one line when the head is still the one read (its seq), and moves the head with it. */
const APPEND = `
local h = redis.call('GET', KEYS[1])
local seq = 0
if h then seq = cjson.decode(h).seq end
if tostring(seq) ~= ARGV[1] then return 0 end
redis.call('XADD', KEYS[2], '*', 'line', ARGV[3])
redis.call('SET', KEYS[1], ARGV[2])
return 1`;

/** What a replica forwards: the event, when and by which code it happened. */
interface Forwarded { readonly input: EntryInput; readonly at: string; readonly codeVersion: string }

export class LedgerStream {
  private readonly keys: StreamKeys;

  constructor(private readonly redis: Redis, prefix: string, private readonly signer: Signer, private readonly isJudge: () => boolean) {
    this.keys = streamKeys(prefix);
  }

  /** Any replica: hands an entry to the judge (durable in Redis once this resolves). */
  async append(input: EntryInput, at: Date = new Date()): Promise<void> {
    const f: Forwarded = { input, at: at.toISOString(), codeVersion: packageVersion() };
    await this.redis.xadd(this.keys.inbox, '*', 'entry', JSON.stringify(f));
  }

  private async head(): Promise<StoredHead> {
    const text = await this.redis.get(this.keys.head);
    return text === null ? { seq: 0, hash: GENESIS, keyId: this.signer.keyId, sig: '', cursor: '0-0' } : (JSON.parse(text) as StoredHead);
  }

  /** The judge: chains what the inbox holds past the head (up to `max`); returns how many were appended. */
  async pump(max = 100): Promise<number> {
    if (!this.isJudge()) return 0;
    let head = await this.head();
    const items = await this.redis.xrange(this.keys.inbox, `(${head.cursor}`, '+', 'COUNT', max);
    let appended = 0;
    for (const [id, fields] of items) {
      if (!this.isJudge()) break;
      const f = JSON.parse(fields[fields.indexOf('entry') + 1] ?? '{}') as Forwarded;
      const unsigned = { ...f.input, v: LEDGER_VERSION, seq: head.seq + 1, at: f.at, codeVersion: f.codeVersion, prev: head.hash, keyId: this.signer.keyId } as const;
      const entry: LedgerEntry = { ...unsigned, sig: this.signer.sign(canonicalJson(unsigned)) };
      const line = canonicalJson(entry);
      const h = { seq: entry.seq, hash: sha256Hex(line), keyId: this.signer.keyId };
      const next: StoredHead = { ...h, sig: this.signer.sign(canonicalJson(h)), cursor: id };
      const ok = await this.redis.eval(APPEND, 2, this.keys.head, this.keys.chain, String(head.seq), JSON.stringify(next), line);
      // The head moved: another judge appended since we read it. The next pump starts from its head.
      if (Number(ok) !== 1) break;
      head = next;
      appended++;
    }
    return appended;
  }
}

/** The fleet's ledger as a ledger file's text and its head file's text (`ledger verify` reads both). */
export async function exportStream(redis: Redis, prefix: string): Promise<{ text: string; head: string | undefined; entries: number }> {
  const keys = streamKeys(prefix);
  const lines: string[] = [];
  let from = '-';
  for (;;) {
    const batch = await redis.xrange(keys.chain, from, '+', 'COUNT', 1000);
    for (const [, fields] of batch) lines.push(fields[fields.indexOf('line') + 1] ?? '');
    if (batch.length < 1000) break;
    from = `(${batch[batch.length - 1]![0]}`;
  }
  const stored = await redis.get(keys.head);
  let head: string | undefined;
  if (stored !== null) {
    const { cursor: _cursor, ...h } = JSON.parse(stored) as StoredHead;
    head = `${canonicalJson(h)}\n`;
  }
  return { text: lines.map((l) => `${l}\n`).join(''), head, entries: lines.length };
}
