// The ground floor: one hash (whose canary buckets and sampling points never move between versions), one
// token bucket with one default burst, one canonical JSON.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { stickyBucket } from '../../src/routing/canary.js';
import { unitHash } from '../../src/shadow/admission.js';
import { hash32 } from '../../src/demo/random.js';
import { fmix32, fnv1a, keyedHash, seedOf } from '../../src/kernel/hash.js';
import { TokenBucket, defaultBurst } from '../../src/kernel/token-bucket.js';
import { canonicalJson } from '../../src/kernel/canonical-json.js';
import { LiveLimits } from '../../src/routing/limits.js';

/** Digests of 100,000 assignments computed by 43e1ef9's own functions (before the kernel existed). */
const PINNED = {
  sticky: 'a3e588212ef408cc06739e0b6911888af622983b615b3e0438c30c3e89c97f9a',
  sample: '2407a44a7e0af4f08f86c22c93b39ab6c62b87dab959ed254bcf773d8eb42c9f',
  demo: '0a99b0c07ef7d0b42688ddfe90ad9e24b1ddff3c72cfd2adacdc815fd6fe5f41',
};

describe('kernel hash', () => {
  it('moves no user: canary buckets, sticky sampling points and demo choices equal 43e1ef9 for 100,000 keys', () => {
    const a = createHash('sha256');
    const b = createHash('sha256');
    const c = createHash('sha256');
    for (let i = 0; i < 100_000; i++) {
      const key = i % 3 === 0 ? `user-${i}` : i % 3 === 1 ? `${i * 7919}` : `u_${((i * 2654435761) >>> 0).toString(36)}@example.org`;
      a.update(`${stickyBucket('predict', key)},`);
      b.update(`${unitHash('predict', key)},`);
      c.update(`${hash32(key, i & 7)},`);
    }
    expect({ sticky: a.digest('hex'), sample: b.digest('hex'), demo: c.digest('hex') }).toEqual(PINNED);
  });

  it('is FNV-1a: the published test vectors', () => {
    expect(fnv1a('') >>> 0).toBe(0x811c9dc5);
    expect(fnv1a('a') >>> 0).toBe(0xe40c292c);
    expect(fnv1a('foobar') >>> 0).toBe(0xbf9cf968);
    expect(seedOf('foobar')).toBe(0xbf9cf968);
  });

  it('separates salt from key and spreads sequential keys evenly', () => {
    expect(keyedHash('ab', 'c')).not.toBe(keyedHash('a', 'bc'));
    const low = Array.from({ length: 20_000 }, (_, i) => keyedHash('r', `user-${i}`) % 100).filter((x) => x < 25).length;
    expect(low / 20_000).toBeGreaterThan(0.23);
    expect(low / 20_000).toBeLessThan(0.27);
    expect(fmix32(0)).toBe(0);
  });
});

describe('kernel token bucket', () => {
  it('defaults its burst to a tenth of a second of rate, at least one, for live limits and shadow copies alike', () => {
    expect(defaultBurst(100)).toBe(10);
    expect(defaultBurst(0.5)).toBe(1);
    const bucket = new TokenBucket(100, undefined, 0);
    const live = new LiveLimits({ maxRps: 100 }, 0);
    let shadowTaken = 0;
    let liveTaken = 0;
    for (let i = 0; i < 50; i++) {
      if (bucket.tryTake(0)) shadowTaken++;
      if (live.tryAcquire(0) === 0) liveTaken++;
    }
    expect(shadowTaken).toBe(10);
    expect(liveTaken).toBe(10);
  });

  it('refills at its rate and says when to retry', () => {
    const b = new TokenBucket(2, 1, 0);
    expect(b.tryTake(0)).toBe(true);
    expect(b.tryTake(0)).toBe(false);
    expect(b.retryAfterSeconds()).toBe(1);
    expect(b.tryTake(499)).toBe(false);
    expect(b.tryTake(500)).toBe(true);
  });
});

describe('kernel canonical JSON', () => {
  it('sorts members, leaves out undefined members and writes undefined elements as null, as JSON.stringify does', () => {
    expect(canonicalJson({ b: 1, a: [1, undefined, { d: undefined, c: 'x' }] })).toBe('{"a":[1,null,{"c":"x"}],"b":1}');
    expect(canonicalJson({ b: 1, a: 2 })).toBe(canonicalJson({ a: 2, b: 1 }));
    expect(canonicalJson(undefined)).toBe('null');
    const value = { z: [3, { y: null, x: 'é' }], a: true };
    expect(JSON.parse(canonicalJson(value))).toEqual(JSON.parse(JSON.stringify(value)));
  });
});
