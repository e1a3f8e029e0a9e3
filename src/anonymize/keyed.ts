// Keyed, memoized HMAC-SHA256 over (entity, normalized value): the one source of determinism for every
// pseudonym. Same key + same value → same bytes across requests and restarts; no key → nothing.
import { BoundedMap } from '../kernel/bounded-map.js';
import { HmacSha256 } from './hmac.js';

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
/** Domains whose inputs recur across different values (see bytes). */
const SHARED_PARTS = new Set(['email-domain', 'date-shift', 'first-name', 'surname', 'initial']);

export class KeyedHash {
  readonly #hmac: HmacSha256;
  readonly #memo: BoundedMap<string, Buffer>;

  constructor(key: Buffer, cacheSize: number) {
    this.#hmac = new HmacSha256(key);
    // Two generations, not an LRU: under churn (many distinct users) its bookkeeping cost more than it saved.
    this.#memo = new BoundedMap<string, Buffer>(Math.max(2, cacheSize));
  }

  /** 32 keyed bytes for `value` in the `entity` domain (domains keep equal strings of different kinds apart). */
  bytes(entity: string, value: string): Buffer {
    // Whole values (an email's local part, a phone, a card) are memoized by the engine per transform
    // output already: only the parts shared between values (domains, name tokens, subjects) are kept here.
    if (!SHARED_PARTS.has(entity)) return this.#hmac.digest(`${entity}\u0000${value}`);
    const memoKey = `${entity}\u0000${value}`;
    let out = this.#memo.get(memoKey);
    if (out === undefined) {
      out = this.#hmac.digest(memoKey);
      this.#memo.set(memoKey, out);
    }
    return out;
  }

  /** `length` lower-case base32 characters (5 bits each, up to 51). */
  base32(entity: string, value: string, length: number): string {
    const b = this.bytes(entity, value);
    let out = '';
    let acc = 0;
    let bits = 0;
    for (let i = 0; i < b.length && out.length < length; i++) {
      acc = (acc << 8) | b[i]!;
      bits += 8;
      while (bits >= 5 && out.length < length) {
        bits -= 5;
        out += BASE32[(acc >>> bits) & 31];
      }
      acc &= 0xff;
    }
    return out;
  }

  /** `length` keyed decimal digits (≤ 64: two per byte from nibbles, bias is irrelevant here). */
  digits(entity: string, value: string, length: number): string {
    const b = this.bytes(entity, value);
    let out = '';
    for (let i = 0; out.length < length; i++) {
      const byte = b[i % b.length]! ^ (i >= b.length ? 0x5a : 0);
      out += String((byte >> 4) % 10);
      if (out.length < length) out += String((byte & 15) % 10);
    }
    return out;
  }

  /** A keyed integer in [0, n). */
  pick(entity: string, value: string, n: number): number {
    return this.bytes(entity, value).readUInt32BE(0) % n;
  }
}
