// The counters one time span accumulates (since start, or one bucket of the rolling window), all of
// them bounded and mergeable, so the window report is the merge of its live buckets.
import * as hdr from 'hdr-histogram-js';
import { z } from 'zod';
import type { ShadowFailure, ShadowRole } from '../exchange.js';
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
/** Why a shadow call gave no usable answer: a transport failure, or a 5xx answer. */
export type FailureKind = ShadowFailure | 'http_5xx';
export const FAILURE_KINDS: readonly FailureKind[] = ['timeout', 'refused', 'reset', 'too_large', 'error', 'http_5xx'];
const RESULT_KINDS: readonly ResultKind[] = ['match', 'mismatch', 'error', 'incomplete'];
const ROLES: readonly ShadowRole[] = ['incumbent', 'candidate', 'baseline'];

// ---- serialized form: plain JSON (IPC, a state backend), bounded, mergeable ----

/** An HDR histogram as hdr-histogram-js's compressed base64 (V2 encoding + deflate), null when empty. */
const encodedHistogram = z.string().max(512 * 1024).nullable();
/** A bounded uniform sample: how many values the stream had, and the kept ones as base64 little-endian float64. */
const reservoirSnapshot = z.object({ seen: z.number().int().nonnegative(), values: z.string().max(1_400_000) });
const count = z.number().int().nonnegative();
const keyed = <T extends z.ZodTypeAny>(value: T, limit: number) => z.array(z.tuple([z.string().max(4096), value])).max(limit);

export const tallySnapshotSchema = z.object({
  exchanges: count,
  /** match, mismatch, error, incomplete. */
  results: z.tuple([count, count, count, count]),
  compared: count,
  baselineCompared: count,
  /** path → [candidate, noise, ...kinds in DIFFERENCE_KINDS order]. */
  fields: keyed(z.array(count).length(2 + DIFFERENCE_KINDS.length), MAX_FIELDS),
  statusPairs: keyed(count, MAX_SERIES + 1),
  /** incumbent, candidate, baseline: [calls, errors]. */
  calls: z.tuple([z.tuple([count, count]), z.tuple([count, count]), z.tuple([count, count])]),
  /** incumbent, candidate, baseline: failed calls by FAILURE_KINDS, in that order. */
  failures: z.tuple([z.array(count).length(FAILURE_KINDS.length), z.array(count).length(FAILURE_KINDS.length), z.array(count).length(FAILURE_KINDS.length)]),
  labelObservations: count,
  labelAgreements: count,
  confusion: keyed(count, MAX_SERIES + 1),
  /** path → [n, sum, sumSq, sumAbs], |delta| sample. */
  scores: keyed(z.tuple([z.tuple([count, z.number(), z.number(), z.number()]), reservoirSnapshot]), MAX_SERIES),
  /** path → [n, sum, below]. */
  similarity: keyed(z.tuple([count, z.number(), count]), MAX_SERIES),
  overlap: keyed(z.tuple([count, z.number(), count]), MAX_SERIES),
  /** incumbent, candidate, baseline. */
  shadowLatency: z.tuple([
    z.object({ hist: encodedHistogram, sample: reservoirSnapshot }),
    z.object({ hist: encodedHistogram, sample: reservoirSnapshot }),
    z.object({ hist: encodedHistogram, sample: reservoirSnapshot }),
  ]),
  /** upstream → [calls, errors, histogram]. */
  primary: keyed(z.tuple([count, count, encodedHistogram]), MAX_SERIES),
});
export type TallySnapshot = z.infer<typeof tallySnapshotSchema>;

export function encodeHistogram(h: hdr.Histogram): string | null {
  return h.totalCount === 0 ? null : hdr.encodeIntoCompressedBase64(h);
}

/** Adds an encoded histogram's counts into `into` (precision is the coarser of the two). */
export function addEncodedHistogram(into: hdr.Histogram, encoded: string | null): void {
  if (encoded === null) return;
  const h = hdr.decodeFromCompressedBase64(encoded, 32, false);
  into.add(h);
  h.destroy();
}

function encodeValues(values: readonly number[]): string {
  return Buffer.from(Float64Array.from(values).buffer).toString('base64');
}

function decodeValues(text: string): Float64Array {
  const bytes = Buffer.from(text, 'base64');
  const out = new Float64Array(Math.floor(bytes.length / 8));
  for (let i = 0; i < out.length; i++) out[i] = bytes.readDoubleLE(i * 8);
  return out;
}

function snapshotReservoir(r: Reservoir): z.infer<typeof reservoirSnapshot> {
  return { seen: r.count, values: encodeValues(r.values()) };
}

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

function newFailureCounts(): Record<FailureKind, number> {
  const out = {} as Record<FailureKind, number>;
  for (const k of FAILURE_KINDS) out[k] = 0;
  return out;
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
  /** Failed calls by role and why (the report says why nothing could be compared). */
  readonly failures: Record<ShadowRole, Record<FailureKind, number>> = { incumbent: newFailureCounts(), candidate: newFailureCounts(), baseline: newFailureCounts() };
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
    this.bumpBounded(this.statusPairs, `${incumbent} ${candidate}`, 1, OTHER);
  }

  labelPair(incumbent: string, candidate: string): void {
    this.labelObservations++;
    if (incumbent === candidate) this.labelAgreements++;
    this.bumpBounded(this.confusion, `${incumbent}\u0000${candidate}`, 1, `${OTHER}\u0000${OTHER}`);
  }

  /**
   * This span's counts as plain JSON. Its size is bounded whatever the traffic: at most MAX_FIELDS
   * fields, MAX_SERIES of each keyed series, 3 + MAX_SERIES histograms and 3 + MAX_SERIES reservoirs of
   * at most `reservoirSize` float64 values (10.7 base64 characters each: 21 KB at the default 2000).
   * An encoded histogram of this range with every bucket filled is 8.6 KB at 2 digits (window buckets)
   * and 58 KB at 3 (since start); 1,000 latencies of a few ms encode in 0.3 KB and 0.8 KB. Measured:
   * a since-start tally with three full default reservoirs is under 100 KB; a 25-exchange delta with
   * fields, labels and scores under 12 KB (test/compare/snapshot.test.ts).
   */
  snapshot(): TallySnapshot {
    const mean = (m: MeanTally): [number, number, number] => [m.n, m.sum, m.below];
    return {
      exchanges: this.exchanges,
      results: [this.results.match, this.results.mismatch, this.results.error, this.results.incomplete],
      compared: this.compared,
      baselineCompared: this.baselineCompared,
      fields: [...this.fields].map(([path, f]) => [path, [f.candidate, f.noise, ...DIFFERENCE_KINDS.map((k) => f.kinds[k])]]),
      statusPairs: [...this.statusPairs],
      calls: [[this.calls.incumbent.calls, this.calls.incumbent.errors], [this.calls.candidate.calls, this.calls.candidate.errors], [this.calls.baseline.calls, this.calls.baseline.errors]],
      failures: [FAILURE_KINDS.map((k) => this.failures.incumbent[k]), FAILURE_KINDS.map((k) => this.failures.candidate[k]), FAILURE_KINDS.map((k) => this.failures.baseline[k])],
      labelObservations: this.labelObservations,
      labelAgreements: this.labelAgreements,
      confusion: [...this.confusion],
      scores: [...this.scores].map(([path, s]) => [path, [[s.n, s.sum, s.sumSq, s.sumAbs], snapshotReservoir(s.abs)]]),
      similarity: [...this.similarity].map(([path, m]) => [path, mean(m)]),
      overlap: [...this.overlap].map(([path, m]) => [path, mean(m)]),
      shadowLatency: [
        { hist: encodeHistogram(this.shadowLatency.incumbent.hist), sample: snapshotReservoir(this.shadowLatency.incumbent.sample) },
        { hist: encodeHistogram(this.shadowLatency.candidate.hist), sample: snapshotReservoir(this.shadowLatency.candidate.sample) },
        { hist: encodeHistogram(this.shadowLatency.baseline.hist), sample: snapshotReservoir(this.shadowLatency.baseline.sample) },
      ],
      primary: [...this.primary].filter(([, p]) => p.calls > 0).map(([upstream, p]) => [upstream, [p.calls, p.errors, encodeHistogram(p.hist)]]),
    };
  }

  /** Adds a snapshot's counts into this span (a snapshot from another process, or of another span). */
  merge(s: TallySnapshot): void {
    this.exchanges += s.exchanges;
    RESULT_KINDS.forEach((k, i) => { this.results[k] += s.results[i]!; });
    this.compared += s.compared;
    this.baselineCompared += s.baselineCompared;
    for (const [path, counts] of s.fields) {
      const t = this.field(path);
      t.candidate += counts[0]!;
      t.noise += counts[1]!;
      DIFFERENCE_KINDS.forEach((k, i) => { t.kinds[k] += counts[2 + i]!; });
    }
    for (const [key, n] of s.statusPairs) this.bumpBounded(this.statusPairs, key, n, OTHER);
    ROLES.forEach((role, i) => {
      const [calls, errors] = s.calls[i]!;
      this.calls[role].calls += calls;
      this.calls[role].errors += errors;
      FAILURE_KINDS.forEach((k, j) => { this.failures[role][k] += s.failures[i]![j]!; });
      const lat = s.shadowLatency[i]!;
      addEncodedHistogram(this.shadowLatency[role].hist, lat.hist);
      this.shadowLatency[role].sample.mergeSample(lat.sample.seen, decodeValues(lat.sample.values));
    });
    this.labelObservations += s.labelObservations;
    this.labelAgreements += s.labelAgreements;
    for (const [key, n] of s.confusion) this.bumpBounded(this.confusion, key, n, `${OTHER}\u0000${OTHER}`);
    for (const [path, [[n, sum, sumSq, sumAbs], abs]] of s.scores) {
      const t = this.score(path);
      t.n += n;
      t.sum += sum;
      t.sumSq += sumSq;
      t.sumAbs += sumAbs;
      t.abs.mergeSample(abs.seen, decodeValues(abs.values));
    }
    for (const [src, dst] of [[s.similarity, this.similarity], [s.overlap, this.overlap]] as const) {
      for (const [path, [n, sum, below]] of src) {
        const t = this.mean(dst, path);
        t.n += n;
        t.sum += sum;
        t.below += below;
      }
    }
    for (const [upstream, [calls, errors, hist]] of s.primary) {
      const t = this.primaryFor(upstream);
      t.calls += calls;
      t.errors += errors;
      addEncodedHistogram(t.hist, hist);
    }
  }

  /** Counts `key`, or `other` once MAX_SERIES keys are taken. */
  bumpBounded(map: Map<string, number>, key: string, n: number, other: string): void {
    if (map.has(key) || map.size < MAX_SERIES) bump(map, key, n);
    else bump(map, other, n);
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
    for (const [key, n] of this.statusPairs) into.bumpBounded(into.statusPairs, key, n, OTHER);
    for (const role of Object.keys(this.calls) as ShadowRole[]) {
      into.calls[role].calls += this.calls[role].calls;
      into.calls[role].errors += this.calls[role].errors;
      for (const k of FAILURE_KINDS) into.failures[role][k] += this.failures[role][k];
      into.shadowLatency[role].hist.add(this.shadowLatency[role].hist);
      const sample = this.shadowLatency[role].sample;
      into.shadowLatency[role].sample.mergeSample(sample.count, sample.values());
    }
    into.labelObservations += this.labelObservations;
    into.labelAgreements += this.labelAgreements;
    for (const [key, n] of this.confusion) into.bumpBounded(into.confusion, key, n, `${OTHER}\u0000${OTHER}`);
    for (const [path, s] of this.scores) {
      const t = into.score(path);
      t.n += s.n;
      t.sum += s.sum;
      t.sumSq += s.sumSq;
      t.sumAbs += s.sumAbs;
      t.abs.mergeSample(s.abs.count, s.abs.values());
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

  /** Nothing recorded since the last reset. */
  isEmpty(): boolean {
    if (this.exchanges > 0) return false;
    for (const p of this.primary.values()) if (p.calls > 0) return false;
    return true;
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
      for (const k of FAILURE_KINDS) this.failures[role][k] = 0;
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
