// The pseudonyms' HMAC-SHA256 (src/anonymize/hmac.ts) is byte for byte node:crypto's: every pseudonym
// stays what it was before (same key, same value → same token across releases), for any key length and any
// message (block boundaries, multi-byte UTF-8, lone surrogates).
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HmacSha256 } from '../../src/anonymize/hmac.js';
import { KeyedHash } from '../../src/anonymize/keyed.js';

const reference = (key: Uint8Array, m: string) => createHmac('sha256', key).update(m).digest();

describe('HmacSha256', () => {
  it('equals createHmac at every length around the block boundaries, for short, 64-byte and long keys', () => {
    for (const keyLength of [1, 32, 43, 63, 64, 65, 200]) {
      const key = Buffer.alloc(keyLength, 0).map((_, i) => (i * 37 + keyLength) & 255);
      const h = new HmacSha256(key);
      for (let n = 0; n <= 200; n++) {
        for (const m of ['a'.repeat(n), 'é'.repeat(n), '😀'.repeat(n >> 1), '\ud800'.repeat(n % 7) + 'x'.repeat(n)]) {
          expect(h.digest(m).equals(reference(key, m)), `key ${keyLength} B, message ${JSON.stringify(m.slice(0, 8))}… of ${m.length}`).toBe(true);
        }
      }
    }
  });

  it('equals createHmac on random keys and strings (fast-check)', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 130 }), fc.array(fc.string({ unit: 'binary', maxLength: 150 }), { maxLength: 5 }), (key, messages) => {
      const h = new HmacSha256(key);
      // One instance reused for several messages: no state leaks from one digest into the next.
      for (const m of messages) expect(h.digest(m).equals(reference(key, m))).toBe(true);
    }), { numRuns: 300 });
  });

  it('a long message (several blocks, past the scratch buffer) too', () => {
    const key = Buffer.from('k'.repeat(40));
    const m = 'x'.repeat(10_000) + 'ü'.repeat(5000);
    expect(new HmacSha256(key).digest(m).equals(reference(key, m))).toBe(true);
  });

  it('KeyedHash.bytes is the HMAC of entity NUL value, memoized or not', () => {
    const key = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyzABCDEF');
    const k = new KeyedHash(key, 16);
    for (const entity of ['email', 'email-domain', 'phone', 'surname']) {
      for (const v of ['ada@example.org', 'example.org', '+44 7700 900123', 'Lovelace']) {
        expect(k.bytes(entity, v).equals(reference(key, `${entity}\u0000${v}`))).toBe(true);
        expect(k.bytes(entity, v).equals(reference(key, `${entity}\u0000${v}`))).toBe(true);
      }
    }
  });

  it('digestPair (no joined string, no result buffer) is the HMAC of domain NUL value, long and non-ASCII too', () => {
    const key = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyzABCDEF');
    const h = new HmacSha256(key);
    const out = new Uint8Array(32);
    fc.assert(fc.property(fc.constantFrom('email', 'phone', 'id', 'ip'), fc.string({ unit: 'binary', maxLength: 90 }), (domain, v) => {
      h.digestPair(domain, v, out);
      expect(Buffer.from(out).equals(reference(key, `${domain}\u0000${v}`))).toBe(true);
    }), { numRuns: 400 });
    const long = 'é'.repeat(1500) + '\ud800';
    h.digestPair('id', long, out);
    expect(Buffer.from(out).equals(reference(key, `id\u0000${long}`))).toBe(true);
  });
});
