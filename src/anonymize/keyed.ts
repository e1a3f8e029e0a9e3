// Keyed, memoized HMAC-SHA256 over (entity, normalized value): the one source of determinism for every
// pseudonym. Same key + same value → same bytes across requests and restarts; no key → nothing.
import { BoundedMap } from '../kernel/bounded-map.js';
import { HmacSha256 } from './hmac.js';

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
const DECIMAL = '0123456789';
/** Domains whose inputs recur across different values (see bytes). */
const SHARED_PARTS = new Set(['email-domain', 'date-shift', 'first-name', 'surname', 'initial']);

export class KeyedHash {
  readonly #hmac: HmacSha256;
  /** Per shared domain, its memo by value (no concatenated key per lookup). */
  readonly #memo = new Map<string, BoundedMap<string, Buffer>>();
  readonly #cacheSize: number;
  /** The last unshared digest: read at once by base32/digits/pick, never handed out. */
  readonly #scratch = new Uint8Array(32);

  constructor(key: Buffer, cacheSize: number) {
    this.#hmac = new HmacSha256(key);
    // Two generations, not an LRU: under churn (many distinct users) its bookkeeping cost more than it saved.
    // The domains share the configured bound.
    this.#cacheSize = Math.max(2, Math.ceil(cacheSize / SHARED_PARTS.size));
  }

  /** 32 keyed bytes for `value` in the `entity` domain (domains keep equal strings of different kinds apart). */
  bytes(entity: string, value: string): Buffer {
    const b = this.#read(entity, value);
    return b === this.#scratch ? Buffer.from(b) : (b as Buffer);
  }

  /**
   * The keyed bytes, to be read before the next call: a memoized buffer for the parts shared between
   * values (domains, name tokens, subjects), else the scratch. Whole values (an email's local part, a
   * phone, a card) are memoized by the engine per transform output already.
   */
  #read(entity: string, value: string): Uint8Array {
    if (!SHARED_PARTS.has(entity)) {
      this.#hmac.digestPair(entity, value, this.#scratch);
      return this.#scratch;
    }
    let memo = this.#memo.get(entity);
    if (memo === undefined) {
      memo = new BoundedMap<string, Buffer>(this.#cacheSize);
      this.#memo.set(entity, memo);
    }
    let out = memo.get(value);
    if (out === undefined) {
      out = this.#hmac.digest(`${entity}\u0000${value}`);
      memo.set(value, out);
    }
    return out;
  }

  /** `length` lower-case base32 characters (5 bits each, up to 51). */
  base32(entity: string, value: string, length: number): string {
    const b = this.#read(entity, value);
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
    const b = this.#read(entity, value);
    let out = '';
    for (let i = 0; out.length < length; i++) {
      const byte = b[i % b.length]! ^ (i >= b.length ? 0x5a : 0);
      out += DECIMAL[(byte >> 4) % 10]!;
      if (out.length < length) out += DECIMAL[(byte & 15) % 10]!;
    }
    return out;
  }

  /** A keyed integer in [0, n). */
  pick(entity: string, value: string, n: number): number {
    const b = this.#read(entity, value);
    return ((b[0]! << 24 >>> 0) + (b[1]! << 16) + (b[2]! << 8) + b[3]!) % n;
  }
}
