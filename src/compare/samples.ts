// Example pairs per differing field (the anonymized request and the two sandbox answers — a live
// answer never gets here), the most recent few per field, each truncated, the field count capped.
import type { ShadowExchange, ShadowResponse } from '../exchange.js';

/** Fields that keep samples; with samplesPerField × maxSampleBytes this bounds the store's bytes. */
export const MAX_SAMPLED_FIELDS = 64;
/** Once a field's ring is full, only every REFRESH_EVERY-th mismatch replaces a sample: copying bodies
 *  for every mismatch of an always-differing field would cost more than the comparison itself. */
export const REFRESH_EVERY = 16;

export interface SampleBody {
  readonly status: number;
  readonly body: string;
  /** True when body was cut to fit the sample budget. */
  readonly truncated: boolean;
}

export interface Sample {
  readonly requestId: string;
  readonly ts: number;
  readonly request: { readonly method: string; readonly url: string; readonly body: string; readonly truncated: boolean };
  readonly incumbent: SampleBody;
  /** The other side: the candidate, or the baseline for a noise sample. */
  readonly other: SampleBody & { readonly role: 'candidate' | 'baseline' };
}

export interface FieldSamples {
  readonly route: string;
  readonly fields: Readonly<Record<string, readonly Sample[]>>;
  /** compare.ignore of the route: a side-by-side view marks those fields ignored, not differing. */
  readonly ignore?: readonly string[];
}

function cut(buf: Buffer, limit: number): { body: string; truncated: boolean } {
  // Slicing bytes may split a UTF-8 sequence; toString replaces the torn tail, which is fine for a sample.
  return buf.length <= limit ? { body: buf.toString('utf8'), truncated: false } : { body: buf.subarray(0, limit).toString('utf8'), truncated: true };
}

/**
 * Decides which fields want a copy of this mismatch: the first `perField` of each field, then every
 * REFRESH_EVERY-th. It runs where the bodies are (a shadow thread, or the comparer itself), so a sample
 * is only built — and only crosses threads — when a ring will keep it.
 */
export class SampleGate {
  private readonly seen = new Map<string, number>();

  constructor(private readonly perField: number) {}

  /** The fields whose ring takes this mismatch (counts it either way); empty when none does. */
  wanted(fields: Iterable<string>): string[] {
    const out: string[] = [];
    if (this.perField === 0) return out;
    for (const field of fields) {
      let seen = this.seen.get(field);
      if (seen === undefined) {
        if (this.seen.size >= MAX_SAMPLED_FIELDS) continue;
        seen = 0;
      }
      this.seen.set(field, ++seen);
      if (seen <= this.perField || seen % REFRESH_EVERY === 0) out.push(field);
    }
    return out;
  }
}

/** One example pair (a third of the budget each for the request and the two answers). */
export function buildSample(ex: ShadowExchange, other: ShadowResponse, role: 'candidate' | 'baseline', maxSampleBytes: number): Sample {
  const third = Math.max(1, Math.floor(maxSampleBytes / 3));
  const inc = ex.responses.incumbent;
  return {
    requestId: ex.requestId,
    ts: ex.ts,
    request: { method: ex.request.method, url: ex.request.url.slice(0, 2048), ...cut(ex.request.body, third) },
    incumbent: { status: inc?.status ?? 0, ...cut(inc?.body ?? Buffer.alloc(0), third) },
    other: { role, status: other.status, ...cut(other.body, third) },
  };
}

/** The rings of samples per field (a SampleGate chose which fields each sample is for). */
export class SampleStore {
  private readonly byField = new Map<string, { next: number; items: Sample[] }>();

  constructor(private readonly perField: number) {}

  keep(fields: readonly string[], sample: Sample): void {
    if (this.perField === 0) return;
    for (const field of fields) {
      let slot = this.byField.get(field);
      if (slot === undefined) {
        if (this.byField.size >= MAX_SAMPLED_FIELDS) continue;
        slot = { next: 0, items: [] };
        this.byField.set(field, slot);
      }
      if (slot.items.length < this.perField) slot.items.push(sample);
      else slot.items[slot.next] = sample;
      slot.next = (slot.next + 1) % this.perField;
    }
  }

  snapshot(route: string): FieldSamples {
    const fields: Record<string, readonly Sample[]> = {};
    for (const [field, slot] of this.byField) {
      // Oldest first: the ring's next slot holds the oldest once it is full.
      fields[field] = slot.items.length < this.perField ? [...slot.items] : [...slot.items.slice(slot.next), ...slot.items.slice(0, slot.next)];
    }
    return { route, fields };
  }
}
