// The step cache (src/anonymize/steps.ts) answers as the JSON-path step it caches: for random policies'
// paths and random walks of member names and indices, the same states and the same matched rule; past its
// bound it starts over and still answers the same.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { parseJsonPath, step, type Segment, type States } from '../../src/kernel/json-path.js';
import { StepCache } from '../../src/anonymize/steps.js';

const PATHS = ['$.user.email', '$.items[*].name', '$..phone', '$.items[0].phone', '$.a.*.b', '$..*', '$.records[*].email', '$.a[1][2]'];
const NAMES = ['user', 'email', 'items', 'name', 'phone', 'a', 'b', 'records', 'x'];

describe('StepCache', () => {
  test('answers as step on random walks (fast-check)', () => {
    fc.assert(fc.property(
      fc.subarray(PATHS, { minLength: 1 }),
      fc.array(fc.array(fc.oneof(fc.constantFrom(...NAMES), fc.nat({ max: 3 })), { maxLength: 6 }), { maxLength: 20 }),
      (chosen, walks) => {
        const paths = chosen.map((p) => parseJsonPath(p) as Segment[]);
        const cache = new StepCache(paths);
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
    const cache = new StepCache(paths);
    for (let i = 0; i < 10_000; i++) {
      const key = i % 3 === 0 ? 'email' : `k${i}`;
      const a = cache.step(cache.initial, key);
      const b = step(paths, cache.initial, key);
      expect([a.matched, [...a.states]]).toEqual([b.matched, [...b.states]]);
    }
  });
});
