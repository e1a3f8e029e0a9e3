// Recent live results of one upstream role on one route (requests, errors, latency histogram), kept
// in a few rotating time slots so guardrails judge the recent past, in fixed memory.
import { build, type Histogram } from 'hdr-histogram-js';

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
    return {
      requests,
      errors,
      errorRate: requests > 0 ? errors / requests : null,
      p99Ms: requests > 0 ? this.merged.getValueAtPercentile(99) / 1000 : null,
    };
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
