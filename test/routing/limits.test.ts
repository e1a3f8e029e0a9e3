// Live limits: token bucket (rate and burst) with Retry-After, and the concurrency cap.
import { describe, expect, it } from 'vitest';
import { LiveLimits } from '../../src/routing/limits.js';

describe('LiveLimits', () => {
  it('admits a burst, then refuses with Retry-After until tokens refill', () => {
    const l = new LiveLimits({ maxRps: 2, burst: 3 }, 0);
    expect([l.tryAcquire(0), l.tryAcquire(0), l.tryAcquire(0)]).toEqual([0, 0, 0]);
    expect(l.tryAcquire(0)).toBe(1);
    expect(l.lastRefusal).toBe('rate');
    expect(l.tryAcquire(499)).toBeGreaterThan(0);
    expect(l.tryAcquire(500)).toBe(0);
  });

  it('gives a Retry-After of several seconds when the rate is below one per second', () => {
    const l = new LiveLimits({ maxRps: 0.25 }, 0);
    expect(l.tryAcquire(0)).toBe(0);
    expect(l.tryAcquire(0)).toBe(4);
  });

  it('caps concurrency and frees a slot on release', () => {
    const l = new LiveLimits({ maxConcurrency: 2 }, 0);
    expect([l.tryAcquire(0), l.tryAcquire(0), l.tryAcquire(0)]).toEqual([0, 0, 1]);
    expect(l.lastRefusal).toBe('concurrency');
    l.release();
    expect(l.tryAcquire(0)).toBe(0);
    expect(l.inFlightCount).toBe(2);
  });
});
