// Live results of one upstream role on one route, in fixed memory: the whole current step's counts and
// latency histogram (what the guardrails judge: evidence accumulates over the step, with anytime-valid
// bounds), a few rotating time slots (what the dashboard shows: the recent past), and the outcomes of the
// most recent calls (what the hard-failure fast path judges, whatever came before them).
import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64, type Histogram } from 'hdr-histogram-js';
import { z } from 'zod';
import { sequentialQuantileBounds } from '../compare/sequential.js';
import { Z95, normalSf, quantileBounds } from '../compare/stats.js';
import { ShadowgateError } from '../errors.js';

/** Latency in microseconds up to one minute; slower answers count as one minute. */
const MAX_MICROS = 60_000_000;

function newHistogram(): Histogram {
  return build({ lowestDiscernibleValue: 1, highestTrackableValue: MAX_MICROS, numberOfSignificantValueDigits: 2, autoResize: false });
}

/**
 * A failure the upstream is responsible for: 5xx, or no HTTP answer at all (status < 100). A client
 * that gave up (499) is not the upstream's fault.
 */
export function isLiveError(status: number): boolean {
  return status >= 500 || status < 100;
}

class Slot {
  epoch = -1;
  requests = 0;
  errors = 0;
  readonly latency = newHistogram();
  reset(epoch: number): void {
    this.epoch = epoch;
    this.requests = 0;
    this.errors = 0;
    this.latency.reset();
  }
}

/**
 * A LiveWindow's slots that hold data, as plain JSON (IPC, a state backend): per slot its epoch
 * (floor(ms / slotMs)), requests, errors and the latency histogram in hdr-histogram-js's compressed
 * base64. Bounded: at most `slots` entries, each histogram at most ~2,300 buckets (2 significant
 * digits over 1 µs..60 s), typically a few hundred bytes.
 */
export const liveWindowSnapshotSchema = z.object({
  slotMs: z.number().positive(),
  slots: z.array(z.object({
    epoch: z.number().int().nonnegative(),
    requests: z.number().int().nonnegative(),
    errors: z.number().int().nonnegative(),
    latency: z.string().max(256 * 1024).nullable(),
  })).max(64),
  /** The hard-failure counters: [second, requests, errors] for the last RECENT_SLOTS seconds. */
  recent: z.array(z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative(), z.number().int().nonnegative()])).max(64),
  /** The current step's evidence (absent from processes that predate it). */
  step: z.object({
    requests: z.number().int().nonnegative(),
    errors: z.number().int().nonnegative(),
    latency: z.string().max(256 * 1024).nullable(),
  }).optional(),
});
export type LiveWindowSnapshot = z.infer<typeof liveWindowSnapshotSchema>;

/** The whole step's evidence: what the guardrails judge (bounds anytime-valid, so looking often costs nothing). */
export interface StepSnapshot {
  readonly requests: number;
  readonly errors: number;
  readonly p99Ms: number | null;
  /** Anytime-valid bounds on the p99 (both sides together at the α snapshot() was given): 0 / Infinity when too few requests bound a side. */
  readonly p99LowMs: number;
  readonly p99HighMs: number;
  readonly maxMs: number;
}

/** The window (requests … maxMs: the recent slots, for the dashboard) and the step (for the guardrails). */
export interface WindowSnapshot {
  readonly requests: number;
  readonly errors: number;
  readonly errorRate: number | null;
  /** p99 latency in milliseconds, null without data. */
  readonly p99Ms: number | null;
  /** One-sided bounds on the p99 at the z snapshot() was given: 0 / Infinity when too few requests bound that side. */
  readonly p99LowMs: number;
  readonly p99HighMs: number;
  /** The largest latency recorded, ms (0 without data). */
  readonly maxMs: number;
  readonly step: StepSnapshot;
}

/** One-second request and error counts over the last few seconds (shared with the fleet's evidence). */
export const RECENT_SLOTS = 5;
const RECENT_MS = 1000;
/** Outcomes of the most recent calls kept for the hard-failure fast path (it reads the last hardFailure.minRequests). */
export const RECENT_OUTCOMES = 256;

export class LiveWindow {
  private readonly slots: Slot[];
  private readonly merged = newHistogram();
  private readonly recentEpoch = new Float64Array(RECENT_SLOTS).fill(-1);
  private readonly recentRequests = new Uint32Array(RECENT_SLOTS);
  private readonly recentErrors = new Uint32Array(RECENT_SLOTS);
  /** 1 for a failed call, 0 for an answered one, the newest at outcomePos − 1. */
  private readonly outcomes = new Uint8Array(RECENT_OUTCOMES);
  private outcomePos = 0;
  private outcomeCount = 0;
  private stepRequests = 0;
  private stepErrors = 0;
  private readonly stepLatency = newHistogram();

  /** `slots` slots of `slotMs` each: the window covers between (slots-1) and slots of them. */
  constructor(private readonly slotMs: number, slots = 3) {
    this.slots = Array.from({ length: slots }, () => new Slot());
  }

  record(status: number, latencyMs: number, nowMs: number): void {
    const failed = isLiveError(status);
    this.countRecent(Math.floor(nowMs / RECENT_MS), 1, failed ? 1 : 0);
    this.outcomes[this.outcomePos] = failed ? 1 : 0;
    this.outcomePos = (this.outcomePos + 1) % RECENT_OUTCOMES;
    if (this.outcomeCount < RECENT_OUTCOMES) this.outcomeCount++;
    const micros = Math.round(latencyMs * 1000);
    const clamped = micros < 1 ? 1 : micros > MAX_MICROS ? MAX_MICROS : micros;
    this.stepRequests++;
    if (failed) this.stepErrors++;
    this.stepLatency.recordValue(clamped);
    const epoch = Math.floor(nowMs / this.slotMs);
    const slot = this.slots[epoch % this.slots.length]!;
    if (slot.epoch !== epoch) {
      // A late result from a slot already recycled is dropped rather than counted in the wrong slot.
      if (slot.epoch > epoch) return;
      slot.reset(epoch);
    }
    slot.requests++;
    if (failed) slot.errors++;
    slot.latency.recordValue(clamped);
  }

  /** How many of the last `limit` calls this process saw (at most RECENT_OUTCOMES); no allocation. */
  recentCalls(limit: number): number {
    return Math.min(limit, this.outcomeCount);
  }

  /** Failed calls among the last recentCalls(limit) calls: the hard-failure fast path's evidence. */
  recentFailures(limit: number): number {
    const n = this.recentCalls(limit);
    let errors = 0;
    for (let i = 1; i <= n; i++) errors += this.outcomes[(this.outcomePos - i + RECENT_OUTCOMES) % RECENT_OUTCOMES]!;
    return errors;
  }

  private countRecent(second: number, requests: number, errors: number): void {
    const i = second % RECENT_SLOTS;
    if (this.recentEpoch[i] !== second) {
      if (this.recentEpoch[i]! > second) return;
      this.recentEpoch[i] = second;
      this.recentRequests[i] = 0;
      this.recentErrors[i] = 0;
    }
    this.recentRequests[i]! += requests;
    this.recentErrors[i]! += errors;
  }

  /** Requests (errors: false) or errors (true) in the last RECENT_SLOTS seconds; no allocation. */
  recent(nowMs: number, errors: boolean): number {
    const second = Math.floor(nowMs / RECENT_MS);
    const counts = errors ? this.recentErrors : this.recentRequests;
    let sum = 0;
    for (let i = 0; i < RECENT_SLOTS; i++) {
      const e = this.recentEpoch[i]!;
      if (e >= 0 && e <= second && second - e < RECENT_SLOTS) sum += counts[i]!;
    }
    return sum;
  }

  /**
   * `z`: the one-sided z of the p99 bounds (guardrails.p99BoundZ). The window's bounds are fixed-sample
   * at that z (the dashboard); the step's are anytime-valid at α = P(Z > z) for both sides together.
   */
  snapshot(nowMs: number, z = Z95): WindowSnapshot {
    const epoch = Math.floor(nowMs / this.slotMs);
    let requests = 0;
    let errors = 0;
    this.merged.reset();
    for (const s of this.slots) {
      if (s.epoch < 0 || s.epoch > epoch || epoch - s.epoch >= this.slots.length) continue;
      requests += s.requests;
      errors += s.errors;
      this.merged.add(s.latency);
    }
    const bounds = quantileBounds(this.merged, 0.99, z);
    const maxMs = this.merged.totalCount > 0 ? this.merged.maxValue / 1000 : 0;
    return {
      requests,
      errors,
      errorRate: requests > 0 ? errors / requests : null,
      p99Ms: requests > 0 ? Math.min(this.merged.getValueAtPercentile(99) / 1000, maxMs) : null,
      p99LowMs: bounds.low / 1000,
      p99HighMs: bounds.high / 1000,
      maxMs,
      step: this.stepSnapshot(normalSf(z)),
    };
  }

  private stepSnapshot(alpha: number): StepSnapshot {
    const h = this.stepLatency;
    const n = h.totalCount;
    const maxMs = n > 0 ? h.maxValue / 1000 : 0;
    const b = sequentialQuantileBounds(h, 0.99, alpha);
    return {
      requests: this.stepRequests, errors: this.stepErrors, p99Ms: n > 0 ? Math.min(h.getValueAtPercentile(99) / 1000, maxMs) : null,
      p99LowMs: b.low / 1000, p99HighMs: b.high / 1000, maxMs,
    };
  }

  /** A new step: the step's evidence starts afresh; the dashboard's window and the recent outcomes stay. */
  restartStep(): void {
    this.stepRequests = 0;
    this.stepErrors = 0;
    this.stepLatency.reset();
  }

  /** The slots that hold data, to send elsewhere; merge() on the other side adds them. */
  encode(): LiveWindowSnapshot {
    const slots: LiveWindowSnapshot['slots'] = [];
    for (const s of this.slots) {
      if (s.epoch < 0 || s.requests === 0) continue;
      slots.push({ epoch: s.epoch, requests: s.requests, errors: s.errors, latency: s.latency.totalCount > 0 ? encodeIntoCompressedBase64(s.latency) : null });
    }
    slots.sort((a, b) => a.epoch - b.epoch);
    const recent: [number, number, number][] = [];
    for (let i = 0; i < RECENT_SLOTS; i++) {
      if (this.recentEpoch[i]! >= 0 && this.recentRequests[i]! > 0) recent.push([this.recentEpoch[i]!, this.recentRequests[i]!, this.recentErrors[i]!]);
    }
    const step = { requests: this.stepRequests, errors: this.stepErrors, latency: this.stepLatency.totalCount > 0 ? encodeIntoCompressedBase64(this.stepLatency) : null };
    return { slotMs: this.slotMs, slots, recent, step };
  }

  /** encode() and forget: a worker sends deltas, the owner of the guardrails merges them. */
  drain(): LiveWindowSnapshot {
    const out = this.encode();
    this.clear();
    return out;
  }

  /**
   * Adds another window's slots (another worker's, or a delta). A slot older than this window's slot
   * for the same position is dropped, as a late record() is. Slot lengths must match.
   */
  merge(other: LiveWindowSnapshot): void {
    if (other.slotMs !== this.slotMs) throw new ShadowgateError('SG_ERR_BAD_SNAPSHOT', `live window snapshot has ${other.slotMs} ms slots, this window ${this.slotMs} ms`, 400);
    for (const [second, requests, errors] of other.recent ?? []) this.countRecent(second, requests, errors);
    if (other.step !== undefined) {
      this.stepRequests += other.step.requests;
      this.stepErrors += other.step.errors;
      if (other.step.latency !== null) {
        const h = decodeFromCompressedBase64(other.step.latency, 32, false);
        this.stepLatency.add(h);
        h.destroy();
      }
    }
    for (const o of other.slots) {
      const slot = this.slots[o.epoch % this.slots.length]!;
      if (slot.epoch !== o.epoch) {
        if (slot.epoch > o.epoch) continue;
        slot.reset(o.epoch);
      }
      slot.requests += o.requests;
      slot.errors += o.errors;
      if (o.latency !== null) {
        const h = decodeFromCompressedBase64(o.latency, 32, false);
        slot.latency.add(h);
        h.destroy();
      }
    }
  }

  /** Forgets everything (a new rollout step judges the candidate afresh). */
  clear(): void {
    for (const s of this.slots) s.reset(-1);
    this.recentEpoch.fill(-1);
    this.outcomePos = 0;
    this.outcomeCount = 0;
    this.restartStep();
  }

  destroy(): void {
    for (const s of this.slots) s.latency.destroy();
    this.merged.destroy();
    this.stepLatency.destroy();
  }
}
