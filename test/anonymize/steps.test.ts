// The step cache (src/anonymize/steps.ts) answers as the JSON-path step it caches: for random policies'
// paths and random walks of member names and indices, the same states and the same matched rule; past its
// bound it starts over and still answers the same.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { parseJsonPath, step, type Segment, type States } from '../../src/kernel/json-path.js';
import { StepCache } from '../../src/anonymize/steps.js';
import { classifyKey } from '../../src/anonymize/detectors/key-names.js';
import { KeyedHash } from '../../src/anonymize/keyed.js';
import { fieldScanOptions, type EngineContext } from '../../src/anonymize/run.js';
import { BoundedSet } from '../../src/kernel/bounded-map.js';
import { TEST_KEY } from './helpers.js';

const ctx = (): EngineContext => ({
  hash: new KeyedHash(Buffer.from(TEST_KEY), 1000), maxScanBytes: 4096, recent: new BoundedSet(1000),
  clean: new BoundedSet(1000), cleanStructured: new BoundedSet(1000), outputs: new Map(), memoSize: 1000,
});

const PATHS = ['$.user.email', '$.items[*].name', '$..phone', '$.items[0].phone', '$.a.*.b', '$..*', '$.records[*].email', '$.a[1][2]'];
const NAMES = ['user', 'email', 'items', 'name', 'phone', 'a', 'b', 'records', 'x'];

describe('StepCache', () => {
  test('answers as step on random walks (fast-check)', () => {
    fc.assert(fc.property(
      fc.subarray(PATHS, { minLength: 1 }),
      fc.array(fc.array(fc.oneof(fc.constantFrom(...NAMES), fc.nat({ max: 3 })), { maxLength: 6 }), { maxLength: 20 }),
      (chosen, walks) => {
        const paths = chosen.map((p) => parseJsonPath(p) as Segment[]);
        const cache = new StepCache(paths, ctx());
        for (const walk of walks) {
          let cached: States = cache.initial;
          let plain: States = cache.initial;
          for (const key of walk) {
            const a = cache.step(cached, key);
            const b = step(paths, plain, key);
            expect(a.matched).toBe(b.matched);
            expect([...a.states]).toEqual([...b.states]);
            // The same question twice: the same answer object, so its states are the next lookup's key.
            expect(cache.step(cached, key)).toBe(a);
            cached = a.states;
            plain = b.states;
          }
        }
      }), { numRuns: 300 });
  });

  test('past its bound it starts over and still answers as step', () => {
    const paths = ['$..email', '$.user.*.name'].map((p) => parseJsonPath(p) as Segment[]);
    const cache = new StepCache(paths, ctx());
    for (let i = 0; i < 10_000; i++) {
      const key = i % 3 === 0 ? 'email' : `k${i}`;
      const a = cache.step(cache.initial, key);
      const b = step(paths, cache.initial, key);
      expect([a.matched, [...a.states]]).toEqual([b.matched, [...b.states]]);
    }
  });

  test('a member name is read as the classifiers read it, once', () => {
    const cache = new StepCache([], ctx());
    for (const k of ['email', 'merchant_category', 'given_name', 'city', 'x', 'first_name', 'note']) {
      const m = cache.member(k);
      expect([m.key, m.entity, m.opts]).toEqual([k, classifyKey(k), fieldScanOptions(k)]);
      expect(cache.member(k)).toBe(m);
    }
  });

  test('interned names: equal text gives the same string, a hash collision (Aa, BB) never the wrong one', () => {
    const cache = new StepCache([], ctx());
    const hash = (s: string) => [...s].reduce((h, c) => (Math.imul(h, 31) + c.charCodeAt(0)) | 0, 0);
    expect(hash('Aa')).toBe(hash('BB'));
    const text = '{"Aa":1,"BB":2,"Aa":3,"AaBB":4,"BBAa":5}';
    const got = [2, 9, 16, 23, 32].map((at) => {
      const end = text.indexOf('"', at);
      return cache.intern(text, at, end, hash(text.slice(at, end)));
    });
    expect(got).toEqual(['Aa', 'BB', 'Aa', 'AaBB', 'BBAa']);
    expect(cache.intern(text, 16, 18, hash('Aa'))).toBe(cache.intern(text, 16, 18, hash('Aa')));
  });
});
