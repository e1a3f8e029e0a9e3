// Issue 19 (memory comes back after a burst): the trigger of the idle GC, as a pure function of samples.
import { describe, expect, it } from 'vitest';
import { afterIdleGc, decideIdleGc, idleGcOptions, initialIdleGcState, IDLE_GC_DEFAULTS, type IdleGcOptions, type IdleGcSample, type IdleGcState } from '../../src/observe/idle-gc.js';
import { parseConfig } from '../../src/config/load.js';

const MB = 1024 * 1024;

/** Feeds samples in order; returns the indexes at which a GC was asked for (and applies what the GC left). */
function runs(samples: readonly IdleGcSample[], left = 22 * MB, o: IdleGcOptions = IDLE_GC_DEFAULTS): number[] {
  let state: IdleGcState = initialIdleGcState(samples[0]!);
  const out: number[] = [];
  samples.slice(1).forEach((s, i) => {
    const d = decideIdleGc(state, s, o);
    state = d.state;
    if (d.run) {
      out.push(i + 1);
      state = afterIdleGc(state, left);
    }
  });
  return out;
}

const idle = (heapMB: number, started: number): IdleGcSample => ({ inFlight: 0, started, heapUsed: heapMB * MB });
const busy = (heapMB: number, started: number): IdleGcSample => ({ inFlight: 300, started, heapUsed: heapMB * MB });

describe('decideIdleGc', () => {
  it('asks once, after two quiet samples, when the heap grew well above its low point during a burst', () => {
    expect(IDLE_GC_DEFAULTS.quietSamples).toBe(2);
    const samples = [idle(22, 0), idle(22, 0), busy(60, 5_000), busy(82, 12_000), idle(80, 12_000), idle(80, 12_000), idle(22, 12_000), idle(22, 12_000), idle(22, 12_000)];
    expect(runs(samples)).toEqual([5]);
  });

  it('does not ask while traffic flows, however much the heap grew', () => {
    const samples = [idle(22, 0)];
    for (let i = 1; i <= 20; i++) samples.push({ inFlight: 0, started: i * 500, heapUsed: 90 * MB }); // 500 req/s, none in flight at the sample
    for (let i = 1; i <= 20; i++) samples.push({ inFlight: 4, started: 10_000, heapUsed: 90 * MB }); // long requests in progress
    expect(runs(samples)).toEqual([]);
  });

  it('does not ask when the heap did not grow enough (an idle proxy, or light traffic)', () => {
    const samples = [idle(22, 0), busy(35, 100), ...Array.from({ length: 10 }, () => idle(35, 100))];
    expect(35 - 22).toBeLessThan(IDLE_GC_DEFAULTS.minGrowthBytes / MB);
    expect(runs(samples)).toEqual([]);
  });

  it('a trickle of requests and one in flight still count as quiet', () => {
    const samples = [idle(22, 0), busy(80, 9_000), { inFlight: 1, started: 9_001, heapUsed: 80 * MB }, idle(80, 9_003), { inFlight: 1, started: 9_004, heapUsed: 80 * MB }];
    expect(runs(samples)).toEqual([3]);
  });

  it('measures growth from the lowest heap seen, so a heap V8 collected on its own triggers nothing', () => {
    const samples = [idle(40, 0), idle(22, 0), busy(70, 3_000), idle(30, 3_000), idle(30, 3_000), idle(30, 3_000), idle(30, 3_000)];
    expect(runs(samples)).toEqual([]);
  });

  it('runs once per growth: a GC that freed little is not repeated while idle, a new burst may ask again', () => {
    const samples = [idle(22, 0), busy(80, 10_000), ...Array.from({ length: 12 }, () => idle(80, 10_000)), busy(120, 20_000), idle(120, 20_000), idle(120, 20_000), idle(120, 20_000)];
    // The GC left 75 MB (live data): no second GC at 80 MB while idle; the next burst grows it past 75 + 37.5.
    expect(runs(samples, 75 * MB)).toEqual([3, 16]);
  });

  it('a bar of 0 runs once after each burst, and never while no request came since the last GC', () => {
    const o = idleGcOptions({ minGrowthMb: 0, minGrowthRatio: 0, quietSamples: 2 })!;
    const quiet = (n: number, started: number) => Array.from({ length: n }, () => idle(22, started));
    // Start, idle for long: nothing. A small burst (the heap did not grow at all): one GC. Idle again: nothing.
    const samples = [idle(22, 0), ...quiet(10, 0), busy(22, 50), ...quiet(10, 50), busy(22, 60), ...quiet(3, 60)];
    expect(runs(samples, 22 * MB, o)).toEqual([13, 24]);
  });
});

describe('server.idleGc', () => {
  const server = (idleGc: string) => parseConfig(`server: { idleGc: ${idleGc} }\nupstreams: { a: { url: "http://127.0.0.1:1" } }\nroutes: [{ name: r, match: { pathPrefix: / }, primary: a }]\n`).server.idleGc;

  it('true is the defaults, false is off, an object sets the bar (each key defaulted)', () => {
    expect(idleGcOptions(server('true'))).toEqual(IDLE_GC_DEFAULTS);
    expect(idleGcOptions(parseConfig('upstreams: { a: { url: "http://127.0.0.1:1" } }\nroutes: [{ name: r, match: { pathPrefix: / }, primary: a }]\n').server.idleGc)).toEqual(IDLE_GC_DEFAULTS);
    expect(idleGcOptions(server('false'))).toBeUndefined();
    expect(idleGcOptions(server('{ minGrowthMb: 4 }'))).toEqual({ ...IDLE_GC_DEFAULTS, minGrowthBytes: 4 * MB });
    expect(idleGcOptions(server('{ minGrowthMb: 0, minGrowthRatio: 0.25, quietSamples: 5 }'))).toEqual({ ...IDLE_GC_DEFAULTS, minGrowthBytes: 0, growthRatio: 0.25, quietSamples: 5 });
  });

  it('refuses an unknown key and a bar below 0', () => {
    expect(() => server('{ minGrowth: 4 }')).toThrow(/minGrowth/);
    expect(() => server('{ minGrowthMb: -1 }')).toThrow();
    expect(() => server('{ quietSamples: 0 }')).toThrow();
  });
});
