// Recent live results of one upstream role on one route (requests, errors, latency histogram), kept
// in a few rotating time slots so guardrails judge the recent past, in fixed memory.
import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64, type Histogram } from 'hdr-histogram-js';

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

export interface WindowSnapshot {
  readonly requests: number;
  readonly errors: number;
  readonly errorRate: number | null;
  /** p99 latency in milliseconds, null without data. */
  readonly p99Ms: number | null;
}

/** One process's live window as it crosses to the judge (IPC or Redis): a few hundred bytes. */
export interface ExportedWindow {
  readonly requests: number;
  readonly errors: number;
  /** hdr-histogram-js compressed base64 of latencies in microseconds; null without requests. */
  readonly latency: string | null;
}

function windowOf(requests: number, errors: number, latency: Histogram): WindowSnapshot {
  return {
    requests,
    errors,
    errorRate: requests > 0 ? errors / requests : null,
    p99Ms: requests > 0 ? latency.getValueAtPercentile(99) / 1000 : null,
  };
}

/** The fleet's window: the sum of several processes' exported windows (a damaged histogram is skipped). */
export function mergeWindows(windows: readonly ExportedWindow[]): WindowSnapshot {
  const merged = newHistogram();
  let requests = 0;
  let errors = 0;
  try {
    for (const w of windows) {
      requests += w.requests;
      errors += w.errors;
      if (w.latency === null) continue;
      try {
        const h = decodeFromCompressedBase64(w.latency, 32, false);
        merged.add(h);
        h.destroy();
      } catch {
        // Counts still count; only this process's latencies are missing from the p99.
      }
    }
    return windowOf(requests, errors, merged);
  } finally {
    merged.destroy();
  }
}

export class LiveWindow {
  private readonly slots: Slot[];
  private readonly merged = newHistogram();

  /** `slots` slots of `slotMs` each: the window covers between (slots-1) and slots of them. */
  constructor(private readonly slotMs: number, slots = 3) {
    this.slots = Array.from({ length: slots }, () => new Slot());
  }

  record(status: number, latencyMs: number, nowMs: number): void {
    const epoch = Math.floor(nowMs / this.slotMs);
    const slot = this.slots[epoch % this.slots.length]!;
    if (slot.epoch !== epoch) {
      // A late result from a slot already recycled is dropped rather than counted in the wrong slot.
      if (slot.epoch > epoch) return;
      slot.reset(epoch);
    }
    slot.requests++;
    if (isLiveError(status)) slot.errors++;
    const micros = Math.round(latencyMs * 1000);
    slot.latency.recordValue(micros < 1 ? 1 : micros > MAX_MICROS ? MAX_MICROS : micros);
  }

  snapshot(nowMs: number): WindowSnapshot {
    const { requests, errors } = this.mergeSlots(nowMs);
    return windowOf(requests, errors, this.merged);
  }

  /** The window as plain JSON (counts and the encoded latency histogram) for another process to merge. */
  exportWindow(nowMs: number): ExportedWindow {
    const { requests, errors } = this.mergeSlots(nowMs);
    return { requests, errors, latency: requests > 0 ? encodeIntoCompressedBase64(this.merged) : null };
  }

  private mergeSlots(nowMs: number): { requests: number; errors: number } {
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
    return { requests, errors };
  }

  /** Forgets everything (a new rollout step judges the candidate afresh). */
  clear(): void {
    for (const s of this.slots) s.reset(-1);
  }

  destroy(): void {
    for (const s of this.slots) s.latency.destroy();
    this.merged.destroy();
  }
}
