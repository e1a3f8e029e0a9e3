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
}

function cut(buf: Buffer, limit: number): { body: string; truncated: boolean } {
  // Slicing bytes may split a UTF-8 sequence; toString replaces the torn tail, which is fine for a sample.
  return buf.length <= limit ? { body: buf.toString('utf8'), truncated: false } : { body: buf.subarray(0, limit).toString('utf8'), truncated: true };
}

export class SampleStore {
  private readonly byField = new Map<string, { next: number; seen: number; items: Sample[] }>();

  constructor(private readonly perField: number, private readonly maxSampleBytes: number) {}

  /** Keeps the exchange as an example of each field (a ring of `perField`, refreshed every REFRESH_EVERY-th mismatch once full). */
  add(fields: Iterable<string>, ex: ShadowExchange, other: ShadowResponse, role: 'candidate' | 'baseline'): void {
    if (this.perField === 0) return;
    let sample: Sample | undefined;
    for (const field of fields) {
      let slot = this.byField.get(field);
      if (slot === undefined) {
        if (this.byField.size >= MAX_SAMPLED_FIELDS) continue;
        slot = { next: 0, seen: 0, items: [] };
        this.byField.set(field, slot);
      }
      slot.seen++;
      if (slot.items.length >= this.perField && slot.seen % REFRESH_EVERY !== 0) continue;
      sample ??= this.build(ex, other, role);
      if (slot.items.length < this.perField) slot.items.push(sample);
      else slot.items[slot.next] = sample;
      slot.next = (slot.next + 1) % this.perField;
    }
  }

  private build(ex: ShadowExchange, other: ShadowResponse, role: 'candidate' | 'baseline'): Sample {
    // A third of the budget each for the request and the two answers.
    const third = Math.max(1, Math.floor(this.maxSampleBytes / 3));
    const inc = ex.responses.incumbent;
    return {
      requestId: ex.requestId,
      ts: ex.ts,
      request: { method: ex.request.method, url: ex.request.url.slice(0, 2048), ...cut(ex.request.body, third) },
      incumbent: { status: inc?.status ?? 0, ...cut(inc?.body ?? Buffer.alloc(0), third) },
      other: { role, status: other.status, ...cut(other.body, third) },
    };
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
