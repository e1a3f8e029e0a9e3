// "Idle after a burst" compaction (docs/memory.md): after a burst, an idle proxy allocates nothing, so no
// major GC runs and the burst's garbage (~80 MB of old space on the live thread) stays in RSS. When the
// heap has grown well above where it was after the last full GC and the proxy has been quiet for a few
// seconds, ask V8 for one full GC (and the shadow threads, through their message channel). Needs Node's
// `--expose-gc` (the image's ENTRYPOINT has it); without it nothing runs. One coarse unref'd timer, never
// on the request path; at most one GC per quiet period after the heap grew.
import { getHeapStatistics } from 'node:v8';
import type { ServerConfig } from '../config/schema.js';

/** One sample, taken once per interval. */
export interface IdleGcSample {
  /** Live requests in progress. */
  readonly inFlight: number;
  /** Live requests started so far (a monotonic count). */
  readonly started: number;
  /** V8 used heap bytes of the live thread. */
  readonly heapUsed: number;
}

export interface IdleGcState {
  /** heapUsed after the last full GC we asked for, or the lowest seen since start. */
  readonly base: number;
  /** Consecutive quiet samples. */
  readonly quiet: number;
  /** The previous sample's started count. */
  readonly started: number;
  /** The started count when `base` was last set by a full GC (or at start): no request since, no GC. */
  readonly startedAtGc: number;
}

export const IDLE_GC_DEFAULTS = {
  /** Samples (one per interval) in a row with at most `maxStartsPerSample` new requests and nothing in flight above `maxInFlight`. */
  quietSamples: 2,
  maxInFlight: 1,
  maxStartsPerSample: 2,
  /** Grown: heapUsed at least base + max(minGrowth, base × growthRatio). */
  minGrowthBytes: 16 * 1024 * 1024,
  growthRatio: 0.5,
  intervalMs: 1_000,
} as const;

export type IdleGcOptions = { readonly [K in keyof typeof IDLE_GC_DEFAULTS]: number };

/** `server.idleGc` → the trigger's options, or undefined when off. */
export function idleGcOptions(setting: ServerConfig['idleGc']): IdleGcOptions | undefined {
  if (setting === false) return undefined;
  if (setting === true) return IDLE_GC_DEFAULTS;
  return { ...IDLE_GC_DEFAULTS, quietSamples: setting.quietSamples, minGrowthBytes: Math.round(setting.minGrowthMb * 1024 * 1024), growthRatio: setting.minGrowthRatio };
}

export function initialIdleGcState(first: IdleGcSample): IdleGcState {
  return { base: first.heapUsed, quiet: 0, started: first.started, startedAtGc: first.started };
}

/** Pure: the next state, and whether to run a full GC now. */
export function decideIdleGc(state: IdleGcState, s: IdleGcSample, o: IdleGcOptions = IDLE_GC_DEFAULTS): { readonly state: IdleGcState; readonly run: boolean } {
  const quietNow = s.inFlight <= o.maxInFlight && s.started - state.started <= o.maxStartsPerSample;
  const quiet = quietNow ? state.quiet + 1 : 0;
  // The base follows the heap down (V8's own major GCs), never up: growth is measured from the lowest point.
  const base = Math.min(state.base, s.heapUsed);
  const grown = s.heapUsed - base >= Math.max(o.minGrowthBytes, base * o.growthRatio);
  // Traffic since the last GC we asked for: with a bar of 0 an idle proxy still never runs it twice.
  const run = grown && quiet >= o.quietSamples && s.started > state.startedAtGc;
  return { state: { base, quiet: run ? 0 : quiet, started: s.started, startedAtGc: state.startedAtGc }, run };
}

/** After a full GC we asked for: growth is measured from the heap it left (one GC per growth, even when it freed little). */
export function afterIdleGc(state: IdleGcState, heapUsed: number): IdleGcState {
  return { ...state, base: heapUsed, startedAtGc: state.started };
}

/** `gc` when Node runs with --expose-gc, else undefined. */
export function exposedGc(): (() => void) | undefined {
  const g = (globalThis as { gc?: unknown }).gc;
  return typeof g === 'function' ? () => void (g as () => unknown)() : undefined;
}

export interface IdleGcRun {
  readonly beforeBytes: number;
  readonly afterBytes: number;
  readonly ms: number;
}

/** Bytes as MB with one decimal (for the log line). */
export function mb(bytes: number): number {
  return Math.round(bytes / 104_857.6) / 10;
}

/** Runs one full GC on this thread and measures it. */
export function fullGc(gc: () => void): IdleGcRun {
  const beforeBytes = getHeapStatistics().used_heap_size;
  const t0 = performance.now();
  gc();
  return { beforeBytes, afterBytes: getHeapStatistics().used_heap_size, ms: Math.round(performance.now() - t0) };
}

export interface IdleGcDeps {
  readonly inFlight: () => number;
  readonly started: () => number;
  /** Called when the decision says run (the live thread's GC and the shadow threads' request). */
  readonly run: () => void;
}

/** Starts the sampler; returns its stop function. */
export function startIdleGc(deps: IdleGcDeps, o: IdleGcOptions = IDLE_GC_DEFAULTS): () => void {
  const sample = (): IdleGcSample => ({ inFlight: deps.inFlight(), started: deps.started(), heapUsed: getHeapStatistics().used_heap_size });
  let state = initialIdleGcState(sample());
  const timer = setInterval(() => {
    const d = decideIdleGc(state, sample(), o);
    state = d.state;
    if (d.run) {
      deps.run();
      state = afterIdleGc(state, getHeapStatistics().used_heap_size);
    }
  }, o.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
