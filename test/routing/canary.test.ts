// Canary decision properties: share accuracy, stickiness, monotonicity, override precedence and
// trusted sources, and the frozen preallocated decisions.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { canarySchema } from '../../src/config/schema/canary.js';
import { CanarySplit, DECISIONS, cookieValue, stickyBucket, weightToBuckets } from '../../src/routing/canary.js';
import { seededRandom as seeded } from '../../src/compare/stats.js';

const cfg = (o: Record<string, unknown>) => canarySchema.parse({ upstream: 'candidate', ...o });

function share(split: CanarySplit, n: number, headersOf: (i: number) => Record<string, string>): number {
  let c = 0;
  for (let i = 0; i < n; i++) if (split.decide(headersOf(i), '10.0.0.1').target === 'candidate') c++;
  return (100 * c) / n;
}

describe('canary share', () => {
  for (const weight of [0.5, 1, 5, 25, 50, 99.5]) {
    it(`realises ${weight}% within ±0.5 points over 100,000 sticky keys`, () => {
      const split = new CanarySplit('predict', cfg({ weight, stickyBy: 'header:x-user-id' }), seeded(1));
      expect(Math.abs(share(split, 100_000, (i) => ({ 'x-user-id': `user-${i}` })) - weight)).toBeLessThanOrEqual(0.5);
    });
    it(`realises ${weight}% within ±0.5 points over 100,000 random requests`, () => {
      const split = new CanarySplit('predict', cfg({ weight }), seeded(7));
      expect(Math.abs(share(split, 100_000, () => ({})) - weight)).toBeLessThanOrEqual(0.5);
    });
  }

  it('sends nothing at weight 0 and everything at 100', () => {
    const off = new CanarySplit('r', cfg({ weight: 0, stickyBy: 'header:x-user-id' }), seeded(2));
    const all = new CanarySplit('r', cfg({ weight: 100, stickyBy: 'header:x-user-id' }), seeded(2));
    expect(share(off, 5000, (i) => ({ 'x-user-id': String(i) }))).toBe(0);
    expect(share(all, 5000, (i) => ({ 'x-user-id': String(i) }))).toBe(100);
    expect(off.decide({}, undefined)).toBe(DECISIONS.off);
  });

  it('has 0.01-point resolution', () => {
    expect(weightToBuckets(0.01)).toBe(1);
    expect(weightToBuckets(12.34)).toBe(1234);
  });
});

describe('canary stickiness', () => {
  it('keeps every key on its target while the weight is unchanged', () => {
    fc.assert(fc.property(fc.string({ minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 9999 }), (key, buckets) => {
      const split = new CanarySplit('predict', cfg({ weight: buckets / 100, stickyBy: 'header:x-user-id' }), seeded(3));
      const first = split.decide({ 'x-user-id': key }, undefined);
      for (let i = 0; i < 5; i++) expect(split.decide({ 'x-user-id': key }, undefined)).toBe(first);
      expect(first.reason).toBe('sticky');
    }), { seed: 42, numRuns: 300 });
  });

  it('only moves keys from incumbent to candidate when the weight rises (monotone)', () => {
    fc.assert(fc.property(fc.array(fc.string({ minLength: 1, maxLength: 20 }), { minLength: 1, maxLength: 50 }),
      fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 10_000 }), (keys, a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const split = new CanarySplit('predict', cfg({ weight: lo / 100, stickyBy: 'cookie:uid' }), seeded(4));
        const before = keys.map((k) => split.decide({ cookie: `a=1; uid=${k}` }, undefined).target);
        split.setWeight(hi / 100);
        keys.forEach((k, i) => {
          if (before[i] === 'candidate') expect(split.decide({ cookie: `a=1; uid=${k}` }, undefined).target).toBe('candidate');
        });
      }), { seed: 43, numRuns: 300 });
  });

  it('salts the hash per route, so two routes split the same users independently', () => {
    let same = 0;
    for (let i = 0; i < 10_000; i++) if ((stickyBucket('a', `u${i}`) < 5000) === (stickyBucket('b', `u${i}`) < 5000)) same++;
    expect(same).toBeGreaterThan(4500);
    expect(same).toBeLessThan(5500);
  });

  it('reads a cookie by exact name', () => {
    expect(cookieValue('xuid=1; uid=abc; other=2', 'uid')).toBe('abc');
    expect(cookieValue('xuid=1', 'uid')).toBeUndefined();
    expect(cookieValue(undefined, 'uid')).toBeUndefined();
  });
});

describe('canary override', () => {
  it('takes precedence over the sticky key and the weight, both ways', () => {
    const split = new CanarySplit('r', cfg({ weight: 0, stickyBy: 'header:x-user-id', override: {} }), seeded(5));
    expect(split.decide({ 'x-shadowgate-target': 'candidate', 'x-user-id': 'u' }, '1.2.3.4')).toBe(DECISIONS.overrideCandidate);
    split.setWeight(100);
    expect(split.decide({ 'x-shadowgate-target': 'incumbent', 'x-user-id': 'u' }, '1.2.3.4')).toBe(DECISIONS.overrideIncumbent);
    expect(split.decide({ 'x-shadowgate-target': 'bogus', 'x-user-id': 'u' }, '1.2.3.4')).toBe(DECISIONS.stickyCandidate);
  });

  it('is honoured only from trusted sources when they are configured (IPv4, CIDR, IPv6, mapped IPv4)', () => {
    const split = new CanarySplit('r', cfg({ weight: 0, override: { trustedSources: ['10.1.0.0/16', '::1', '192.168.1.7'] } }), seeded(6));
    const h = { 'x-shadowgate-target': 'candidate' };
    expect(split.decide(h, '10.1.200.3').target).toBe('candidate');
    expect(split.decide(h, '::ffff:10.1.0.9').target).toBe('candidate');
    expect(split.decide(h, '::1').target).toBe('candidate');
    expect(split.decide(h, '192.168.1.7').target).toBe('candidate');
    expect(split.decide(h, '10.2.0.1')).toBe(DECISIONS.off);
    expect(split.decide(h, undefined)).toBe(DECISIONS.off);
  });

  it('rejects a trusted source that is not an address or CIDR, even from a config that skipped the schema', () => {
    const raw = (s: string) => ({ ...cfg({}), override: { header: 'x-shadowgate-target', trustedSources: [s] } });
    expect(() => new CanarySplit('r', raw('10.0.0.0/40'))).toThrow(/not an address or CIDR/);
    expect(() => new CanarySplit('r', raw('example.com'))).toThrow(/not an address or CIDR/);
  });

  it('never reaches a blocked (rolled back) candidate, not even by override', () => {
    const split = new CanarySplit('r', cfg({ weight: 50, override: {} }), seeded(8));
    split.blockCandidate(true);
    expect(split.decide({ 'x-shadowgate-target': 'candidate' }, '127.0.0.1')).toBe(DECISIONS.off);
    expect(share(split, 1000, () => ({}))).toBe(0);
  });

  it('returns frozen shared decision objects', () => {
    expect(Object.isFrozen(DECISIONS.randomCandidate)).toBe(true);
  });
});

describe('canary config', () => {
  it('names a bad trusted source in the config, not only at start', () => {
    const r = canarySchema.safeParse({ upstream: 'c', override: { trustedSources: ['10.0.0.0/8', '300.1.1.1', 'fd00::/200'] } });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join('.'))).toEqual(['override.trustedSources.1', 'override.trustedSources.2']);
  });
});
