// The one bounded map (src/kernel/bounded-map.ts) behind every memo and cache that was a Map "cleared when
// full" (key classification, NFKC, trusted addresses, compare rules per field, numeric pseudonyms): at most
// `max` entries, the older half forgotten at a time, an entry in use carried over.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BoundedMap, BoundedSet } from '../../src/kernel/bounded-map.js';

describe('BoundedMap', () => {
  it('never holds more than max entries, and forgets the older half at a time (not everything at once)', () => {
    const m = new BoundedMap<number, number>(100);
    for (let i = 0; i < 10_000; i++) m.set(i, i * 2);
    let held = 0;
    for (let i = 0; i < 10_000; i++) if (m.get(i) !== undefined) held++;
    expect(held).toBeLessThanOrEqual(100);
    // The most recent half is always there: a full table does not start from nothing.
    for (let i = 9_950; i < 10_000; i++) expect(m.get(i)).toBe(i * 2);
  });

  it('keeps an entry that is still read across turnovers', () => {
    const m = new BoundedMap<string, string>(10);
    m.set('hot', 'value');
    for (let i = 0; i < 1_000; i++) {
      m.set(`cold-${i}`, 'x');
      expect(m.get('hot')).toBe('value');
    }
  });

  it('stores null and false (only undefined is a miss)', () => {
    const m = new BoundedMap<string, boolean | null>(4);
    m.set('a', false);
    m.set('b', null);
    expect(m.get('a')).toBe(false);
    expect(m.get('b')).toBeNull();
    expect(m.get('c')).toBeUndefined();
  });
});

describe('BoundedSet', () => {
  it('remembers recent members within its bound', () => {
    const s = new BoundedSet(8);
    for (let i = 0; i < 100; i++) s.add(String(i));
    expect(s.has('99')).toBe(true);
    expect(s.has('0')).toBe(false);
  });
});

describe('BoundedSet.add in one probe (setAbsent)', () => {
  it('keeps and forgets exactly what hasCurrent-then-set kept and forgot (fast-check)', () => {
    fc.assert(fc.property(fc.integer({ min: 2, max: 12 }), fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 20 })), { maxLength: 300 }), (max, ops) => {
      const set = new BoundedSet(max);
      const model = new BoundedMap<string, true>(max);
      for (const [add, n] of ops) {
        const v = `v${n}`;
        if (add) {
          set.add(v);
          if (!model.hasCurrent(v)) model.set(v, true);
        } else expect(set.has(v)).toBe(model.get(v) !== undefined);
      }
      for (let n = 0; n <= 20; n++) expect(set.has(`v${n}`)).toBe(model.get(`v${n}`) !== undefined);
    }), { numRuns: 300 });
  });
});
