// Recent live results of one upstream role on one route (requests, errors, latency histogram), kept
// in a few rotating time slots so guardrails judge the recent past, in fixed memory.
import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64, type Histogram } from 'hdr-histogram-js';
import { z } from 'zod';
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
});
export type LiveWindowSnapshot = z.infer<typeof liveWindowSnapshotSchema>;

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

  /** The slots that hold data, to send elsewhere; merge() on the other side adds them. */
  encode(): LiveWindowSnapshot {
    const slots: LiveWindowSnapshot['slots'] = [];
    for (const s of this.slots) {
      if (s.epoch < 0 || s.requests === 0) continue;
      slots.push({ epoch: s.epoch, requests: s.requests, errors: s.errors, latency: s.latency.totalCount > 0 ? encodeIntoCompressedBase64(s.latency) : null });
    }
    slots.sort((a, b) => a.epoch - b.epoch);
    return { slotMs: this.slotMs, slots };
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
  }

  destroy(): void {
    for (const s of this.slots) s.latency.destroy();
    this.merged.destroy();
  }
}
