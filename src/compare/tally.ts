// The counters one time span accumulates (since start, or one bucket of the rolling window), all of
// them bounded and mergeable, so the window report is the merge of its live buckets.
import * as hdr from 'hdr-histogram-js';
import type { ShadowRole } from '../exchange.js';
import { DIFFERENCE_KINDS, type DifferenceKind } from './diff.js';
import { Reservoir } from './stats.js';

/** Distinct fields counted per span; later ones go to `other` (answers with free-form keys). */
export const MAX_FIELDS = 256;
/** Distinct measured paths (scores, text, topK), status pairs, label pairs and primary upstreams. */
export const MAX_SERIES = 64;
export const OTHER = 'other';

/** Latencies are recorded in microseconds up to a minute; slower calls count as a minute. */
const HIGHEST_US = 60_000_000;

/**
 * Since-start histograms keep 3 significant digits (0.1%, ~70 KB each); window buckets are many, so
 * they keep 2 (1%, ~11 KB). Packed arrays would be smaller still but merge 50× slower, and the window
 * report merges every bucket.
 */
export function newHistogram(compact: boolean): hdr.Histogram {
  return hdr.build({ bitBucketSize: 32, lowestDiscernibleValue: 1, highestTrackableValue: HIGHEST_US, numberOfSignificantValueDigits: compact ? 2 : 3 });
}

export function recordLatency(h: hdr.Histogram, latencyMs: number): void {
  h.recordValue(Math.min(HIGHEST_US, Math.max(1, Math.round(latencyMs * 1000))));
}

export interface FieldTally {
  /** Candidate-vs-incumbent comparisons where this field differed. */
  candidate: number;
  /** Incumbent-vs-baseline comparisons where it differed (noise). */
  noise: number;
  readonly kinds: Record<DifferenceKind, number>;
}

export interface ScoreTally { n: number; sum: number; sumSq: number; sumAbs: number; readonly abs: Reservoir }
export interface MeanTally { n: number; sum: number; below: number }
export interface LatencyTrack { readonly hist: hdr.Histogram; readonly sample: Reservoir }
export interface CallTally { calls: number; errors: number }
export interface PrimaryTally extends CallTally { readonly hist: hdr.Histogram }

export type ResultKind = 'match' | 'mismatch' | 'error' | 'incomplete';

function bump<K>(map: Map<K, number>, key: K, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

/** The map entry for `key`, or for `other` once the map is full (`other` included, it holds `limit` keys). */
export function boundedEntry<V>(map: Map<string, V>, key: string, limit: number, create: () => V): V {
  let v = map.get(key);
  if (v !== undefined) return v;
  if (map.size >= limit - 1) key = OTHER;
  v = map.get(key);
  if (v === undefined) {
    v = create();
    map.set(key, v);
  }
  return v;
}

export function newFieldTally(): FieldTally {
  const kinds = {} as Record<DifferenceKind, number>;
  for (const k of DIFFERENCE_KINDS) kinds[k] = 0;
  return { candidate: 0, noise: 0, kinds };
}

export class Tally {
  exchanges = 0;
  readonly results: Record<ResultKind, number> = { match: 0, mismatch: 0, error: 0, incomplete: 0 };
  /** Exchanges where incumbent and candidate both answered without error, so their answers compare. */
  compared = 0;
  baselineCompared = 0;
  readonly fields = new Map<string, FieldTally>();
  /** `incumbentStatus candidateStatus` → count, for exchanges whose statuses differ. */
  readonly statusPairs = new Map<string, number>();
  readonly calls: Record<ShadowRole, CallTally> = { incumbent: { calls: 0, errors: 0 }, candidate: { calls: 0, errors: 0 }, baseline: { calls: 0, errors: 0 } };
  labelObservations = 0;
  labelAgreements = 0;
  /** `incumbentLabel\u0000candidateLabel` → count. */
  readonly confusion = new Map<string, number>();
  readonly scores = new Map<string, ScoreTally>();
  readonly similarity = new Map<string, MeanTally>();
  readonly overlap = new Map<string, MeanTally>();
  readonly shadowLatency: Record<ShadowRole, LatencyTrack>;
  readonly primary = new Map<string, PrimaryTally>();

  constructor(private readonly reservoirSize: number, private readonly compact: boolean, private readonly random: () => number) {
    const track = (): LatencyTrack => ({ hist: newHistogram(compact), sample: new Reservoir(reservoirSize, random) });
    this.shadowLatency = { incumbent: track(), candidate: track(), baseline: track() };
  }

  field(path: string): FieldTally {
    return boundedEntry(this.fields, path, MAX_FIELDS, newFieldTally);
  }

  score(path: string): ScoreTally {
    return boundedEntry(this.scores, path, MAX_SERIES, () => ({ n: 0, sum: 0, sumSq: 0, sumAbs: 0, abs: new Reservoir(this.reservoirSize, this.random) }));
  }

  mean(map: Map<string, MeanTally>, path: string): MeanTally {
    return boundedEntry(map, path, MAX_SERIES, () => ({ n: 0, sum: 0, below: 0 }));
  }

  primaryFor(upstream: string): PrimaryTally {
    return boundedEntry(this.primary, upstream, MAX_SERIES, () => ({ calls: 0, errors: 0, hist: newHistogram(this.compact) }));
  }

  statusPair(incumbent: number, candidate: number): void {
    const key = `${incumbent} ${candidate}`;
    if (this.statusPairs.has(key) || this.statusPairs.size < MAX_SERIES) bump(this.statusPairs, key);
    else bump(this.statusPairs, OTHER);
  }

  labelPair(incumbent: string, candidate: string): void {
    this.labelObservations++;
    if (incumbent === candidate) this.labelAgreements++;
    const key = `${incumbent}\u0000${candidate}`;
    if (this.confusion.has(key) || this.confusion.size < MAX_SERIES) bump(this.confusion, key);
    else bump(this.confusion, `${OTHER}\u0000${OTHER}`);
  }

  /** Adds this span's counts into `into` (used to build the window from its buckets). */
  mergeInto(into: Tally): void {
    into.exchanges += this.exchanges;
    for (const k of Object.keys(this.results) as ResultKind[]) into.results[k] += this.results[k];
    into.compared += this.compared;
    into.baselineCompared += this.baselineCompared;
    for (const [path, f] of this.fields) {
      const t = into.field(path);
      t.candidate += f.candidate;
      t.noise += f.noise;
      for (const k of DIFFERENCE_KINDS) t.kinds[k] += f.kinds[k];
    }
    for (const [key, n] of this.statusPairs) bump(into.statusPairs, key, n);
    for (const role of Object.keys(this.calls) as ShadowRole[]) {
      into.calls[role].calls += this.calls[role].calls;
      into.calls[role].errors += this.calls[role].errors;
      into.shadowLatency[role].hist.add(this.shadowLatency[role].hist);
      for (const v of this.shadowLatency[role].sample.values()) into.shadowLatency[role].sample.offer(v);
    }
    into.labelObservations += this.labelObservations;
    into.labelAgreements += this.labelAgreements;
    for (const [key, n] of this.confusion) bump(into.confusion, key, n);
    for (const [path, s] of this.scores) {
      const t = into.score(path);
      t.n += s.n;
      t.sum += s.sum;
      t.sumSq += s.sumSq;
      t.sumAbs += s.sumAbs;
      for (const v of s.abs.values()) t.abs.offer(v);
    }
    for (const [src, dst] of [[this.similarity, into.similarity], [this.overlap, into.overlap]] as const) {
      for (const [path, m] of src) {
        const t = into.mean(dst, path);
        t.n += m.n;
        t.sum += m.sum;
        t.below += m.below;
      }
    }
    for (const [upstream, p] of this.primary) {
      const t = into.primaryFor(upstream);
      t.calls += p.calls;
      t.errors += p.errors;
      t.hist.add(p.hist);
    }
  }

  reset(): void {
    this.exchanges = 0;
    for (const k of Object.keys(this.results) as ResultKind[]) this.results[k] = 0;
    this.compared = 0;
    this.baselineCompared = 0;
    this.fields.clear();
    this.statusPairs.clear();
    for (const role of Object.keys(this.calls) as ShadowRole[]) {
      this.calls[role].calls = 0;
      this.calls[role].errors = 0;
      this.shadowLatency[role].hist.reset();
      this.shadowLatency[role].sample.reset();
    }
    this.labelObservations = 0;
    this.labelAgreements = 0;
    this.confusion.clear();
    this.scores.clear();
    this.similarity.clear();
    this.overlap.clear();
    // Keep primary histograms allocated: upstreams are few and come back every bucket.
    for (const p of this.primary.values()) {
      p.calls = 0;
      p.errors = 0;
      p.hist.reset();
    }
  }
}
