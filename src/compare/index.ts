// The comparison engine's entry: one RouteComparer per route, fed by the live shadow path and by
// offline replay with the same calls. Pure: no sockets, no timers, no global randomness; time is nowMs.
import { z } from 'zod';
import type { CompareConfig } from '../config/schema.js';
import { ShadowgateError } from '../errors.js';
import type { ShadowExchange, ShadowResponse, ShadowRole } from '../exchange.js';
import { DiffResult, NOT_JSON, diffResponses, parseBody, type DifferenceKind } from './diff.js';
import type { CompareOutcome } from './labels.js';
import { canonicalJson, valueAt } from './paths.js';
import { buildSpanReport, type RouteReport, type SpanReport, type Verdict } from './report.js';
import { CompiledRules } from './rules.js';
import { SampleStore, type FieldSamples } from './samples.js';
import { seededRandom } from './stats.js';
import { Tally, recordLatency, tallySnapshotSchema } from './tally.js';

export { FieldLabelTracker, observeComparison, type CompareOutcome } from './labels.js';
export { renderReport } from './render.js';
export type { FieldSamples, Sample } from './samples.js';
export type { FieldReport, LatencyComparison, LatencySummary, Reason, RouteReport, SpanReport, Verdict } from './report.js';
export { CompiledRules, PRESETS, effectiveRules } from './rules.js';
export type { TallySnapshot } from './tally.js';

/** Window buckets kept at most, whatever length/bucket says (each holds a few histograms). */
const MAX_BUCKETS = 120;
/** How long guardSignals reuses its last answer while exchanges keep arriving. */
const GUARD_REUSE_MS = 1000;
/** Smallest reservoir per bucket and side. */
const MIN_BUCKET_SAMPLE = 500;
/** Label values longer than this are cut: a label is a class name, not a document. */
const MAX_LABEL_CHARS = 64;

export interface GuardSignals {
  readonly observations: number;
  readonly disagreement: number | null;
  readonly verdict: Verdict;
}

interface Bucket {
  epoch: number;
  readonly tally: Tally;
}

/**
 * A comparer's evidence as plain JSON, for IPC or a state backend: the since-start tally and the window
 * buckets that hold data, each keyed by its epoch (floor(ms / bucketMs)), so merging keeps the window
 * exact to a bucket. Bounded: at most 1 + MAX_BUCKETS tallies (see Tally.snapshot for a tally's bound).
 * Field samples (SampleStore) are not part of it: they are examples, not evidence.
 */
export const comparerSnapshotSchema = z.object({
  v: z.literal(1),
  route: z.string(),
  bucketMs: z.number().positive(),
  /** First moment recorded, null when nothing was. */
  startMs: z.number().nullable(),
  total: tallySnapshotSchema,
  buckets: z.array(z.tuple([z.number().int(), tallySnapshotSchema])).max(MAX_BUCKETS),
});
export type ComparerSnapshot = z.infer<typeof comparerSnapshotSchema>;

/** Validates a snapshot received from elsewhere (another process, a backend). */
export function parseComparerSnapshot(data: unknown): ComparerSnapshot {
  const r = comparerSnapshotSchema.safeParse(data);
  if (!r.success) throw new ShadowgateError('SG_ERR_BAD_SNAPSHOT', `invalid comparer snapshot: ${r.error.issues[0]?.path.join('.') ?? ''} ${r.error.issues[0]?.message ?? ''}`, 400);
  return r.data;
}

/** A shadow call that produced no usable answer: transport failure or a server error. */
function failed(r: ShadowResponse): boolean {
  return r.status === 0 || r.error !== undefined || r.status >= 500;
}

function labelText(v: unknown): string {
  return (typeof v === 'string' ? v : v === undefined ? '(missing)' : canonicalJson(v)).slice(0, MAX_LABEL_CHARS);
}

function hashSeed(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

export class RouteComparer {
  readonly rules: CompiledRules;
  readonly hasBaseline: boolean;
  private readonly cfg: Readonly<CompareConfig>;
  private readonly total: Tally;
  private readonly buckets: Bucket[];
  private readonly bucketMs: number;
  private latestEpoch = -Infinity;
  private startMs: number | undefined;
  private readonly store: SampleStore;
  private readonly candidateDiff = new DiffResult();
  private readonly noiseDiff = new DiffResult();
  private readonly fieldsOf = new Map<string, DifferenceKind>();
  private version = 0;
  private guardCache: { version: number; atMs: number; signals: GuardSignals } | undefined;

  constructor(readonly route: string, cfg: Readonly<CompareConfig>, opts: { hasBaseline?: boolean; seed?: number } = {}) {
    this.cfg = cfg;
    this.rules = new CompiledRules(cfg);
    this.hasBaseline = opts.hasBaseline ?? false;
    const random = seededRandom(opts.seed ?? hashSeed(route));
    this.total = new Tally(cfg.reservoirSize, false, random);
    this.bucketMs = Math.max(1, cfg.window.bucket);
    const count = Math.min(MAX_BUCKETS, Math.max(1, Math.ceil(cfg.window.length / this.bucketMs)));
    // Each bucket keeps its share of the reservoir, but enough that a window whose traffic sits in one
    // bucket (a burst, or a replay on a frozen clock) still has a usable sample.
    const perBucket = Math.min(cfg.reservoirSize, Math.max(MIN_BUCKET_SAMPLE, Math.ceil(cfg.reservoirSize / count)));
    this.buckets = Array.from({ length: count }, () => ({ epoch: -1, tally: new Tally(perBucket, true, random) }));
    this.store = new SampleStore(cfg.samplesPerField, cfg.maxSampleBytes);
  }

  /** The window bucket for a moment, or undefined when it is older than the window (late replayed data). */
  private bucketAt(nowMs: number): Tally | undefined {
    this.startMs = Math.min(this.startMs ?? nowMs, nowMs);
    const epoch = Math.floor(nowMs / this.bucketMs);
    if (epoch <= this.latestEpoch - this.buckets.length) return undefined;
    this.latestEpoch = Math.max(this.latestEpoch, epoch);
    const b = this.buckets[epoch % this.buckets.length]!;
    if (b.epoch === epoch) return b.tally;
    if (b.epoch > epoch) return undefined;
    b.epoch = epoch;
    b.tally.reset();
    return b.tally;
  }

  /** The window buckets that still belong to the window ending at the latest recorded moment. */
  private liveBuckets(): Bucket[] {
    return this.buckets.filter((b) => b.epoch >= 0 && b.epoch > this.latestEpoch - this.buckets.length && !b.tally.isEmpty());
  }

  /** This comparer's evidence (since start and by window bucket) as bounded, mergeable JSON. */
  snapshot(): ComparerSnapshot {
    return {
      v: 1,
      route: this.route,
      bucketMs: this.bucketMs,
      startMs: this.startMs ?? null,
      total: this.total.snapshot(),
      buckets: this.liveBuckets().sort((a, b) => a.epoch - b.epoch).map((b) => [b.epoch, b.tally.snapshot()]),
    };
  }

  /**
   * Adds another comparer's snapshot (another worker's, or a delta from drain()) to this one: counts
   * add, histograms add, samples merge weighted by their streams' sizes. Buckets older than this
   * window are dropped, as late data is when recorded.
   */
  merge(s: ComparerSnapshot): void {
    if (s.bucketMs !== this.bucketMs) {
      throw new ShadowgateError('SG_ERR_BAD_SNAPSHOT', `snapshot of route ${s.route} has ${s.bucketMs} ms buckets, this comparer ${this.bucketMs} ms`, 400);
    }
    this.version++;
    this.total.merge(s.total);
    const start = this.startMs;
    for (const [epoch, tally] of s.buckets) this.bucketAt(epoch * this.bucketMs)?.merge(tally);
    this.startMs = s.startMs === null ? start : Math.min(start ?? s.startMs, s.startMs);
  }

  /** snapshot() and then forget it: a worker sends deltas, the owner of the report merges them. */
  drain(): ComparerSnapshot {
    const s = this.snapshot();
    this.version++;
    this.total.reset();
    for (const b of this.buckets) {
      b.epoch = -1;
      b.tally.reset();
    }
    this.startMs = undefined;
    return s;
  }

  record(ex: ShadowExchange, nowMs: number): CompareOutcome {
    this.version++;
    const { incumbent: inc, candidate: cand, baseline: base } = ex.responses;
    const window = this.bucketAt(nowMs);
    for (const t of window ? [this.total, window] : [this.total]) {
      t.exchanges++;
      for (const [role, r] of [['incumbent', inc], ['candidate', cand], ['baseline', base]] as const) if (r) this.countCall(t, role, r);
      if (inc && cand && inc.status !== cand.status) t.statusPair(inc.status, cand.status);
    }
    if (!inc || !cand) return this.finish(window, 'incomplete', []);
    if (failed(inc) || failed(cand)) return this.finish(window, 'error', []);

    const pInc = parseBody(inc);
    const pCand = parseBody(cand);
    const diff = this.candidateDiff;
    diff.clear();
    diffResponses(inc, pInc, cand, pCand, this.rules, diff);
    const fields = this.fieldsOf;
    fields.clear();
    for (const [path, kind] of diff.differences) if (!fields.has(path)) fields.set(path, kind);

    let noise: Set<string> | undefined;
    if (base && !failed(base)) {
      this.noiseDiff.clear();
      diffResponses(inc, pInc, base, parseBody(base), this.rules, this.noiseDiff);
      noise = new Set(this.noiseDiff.differences.map(([path]) => path));
    }
    const labels = this.rules.labelPath && pInc !== NOT_JSON && pCand !== NOT_JSON
      ? [labelText(valueAt(pInc, this.rules.labelPath)), labelText(valueAt(pCand, this.rules.labelPath))] as const
      : undefined;

    for (const t of window ? [this.total, window] : [this.total]) {
      t.compared++;
      for (const [path, kind] of fields) {
        const f = t.field(path);
        f.candidate++;
        f.kinds[kind]++;
      }
      if (noise) {
        t.baselineCompared++;
        for (const path of noise) t.field(path).noise++;
      }
      if (labels) t.labelPair(labels[0], labels[1]);
      for (const [path, delta] of diff.scoreDeltas) {
        const s = t.score(path);
        s.n++;
        s.sum += delta;
        s.sumSq += delta * delta;
        s.sumAbs += Math.abs(delta);
        s.abs.offer(Math.abs(delta));
      }
      for (const [path, sim] of diff.similarities) {
        const m = t.mean(t.similarity, path);
        m.n++;
        m.sum += sim;
        if (sim < (this.rules.at(path).minSimilarity ?? 0)) m.below++;
      }
      for (const [path, overlap] of diff.overlaps) {
        const m = t.mean(t.overlap, path);
        m.n++;
        m.sum += overlap;
      }
    }
    if (fields.size > 0) this.store.add(fields.keys(), ex, cand, 'candidate');
    // The exchange's outcome (and the field_mismatches_total it feeds) leaves out what the two incumbent
    // calls of this same exchange also disagreed on: a timestamp must not make every answer a mismatch.
    // The per-field rates above still count everything, so noise is measured, not hidden.
    const real: string[] = [];
    for (const path of fields.keys()) if (noise === undefined || !noise.has(path)) real.push(path);
    return this.finish(window, real.length > 0 ? 'mismatch' : 'match', real);
  }

  private countCall(t: Tally, role: ShadowRole, r: ShadowResponse): void {
    const calls = t.calls[role];
    calls.calls++;
    if (failed(r)) {
      calls.errors++;
      t.failures[role][r.error ?? (r.status >= 500 ? 'http_5xx' : 'error')]++;
      return;
    }
    // Only answered calls race fairly: a timeout's latency is the timeout, not the model.
    const track = t.shadowLatency[role];
    recordLatency(track.hist, r.latencyMs);
    track.sample.offer(r.latencyMs);
  }

  private finish(window: Tally | undefined, result: CompareOutcome['result'], fields: readonly string[]): CompareOutcome {
    this.total.results[result]++;
    if (window) window.results[result]++;
    return { result, fields };
  }

  recordPrimary(upstream: string, latencyMs: number, status: number, nowMs: number): void {
    this.version++;
    const window = this.bucketAt(nowMs);
    for (const t of window ? [this.total, window] : [this.total]) {
      const p = t.primaryFor(upstream);
      p.calls++;
      if (status === 0 || status >= 500) p.errors++;
      recordLatency(p.hist, latencyMs);
    }
  }

  private windowSpan(nowMs: number): SpanReport {
    const epoch = Math.floor(nowMs / this.bucketMs);
    // Merging offers every bucket's sample to one reservoirSize reservoir: the window's tests then cost
    // what since-start's do. Quiet buckets are over-represented, but equally for both sides of the race.
    const merged = new Tally(this.cfg.reservoirSize, true, seededRandom(epoch));
    for (const b of this.buckets) if (b.epoch > epoch - this.buckets.length && b.epoch <= epoch) b.tally.mergeInto(merged);
    const fromMs = Math.max(this.startMs ?? nowMs, (epoch - this.buckets.length + 1) * this.bucketMs);
    return buildSpanReport(merged, { cfg: this.cfg, hasBaseline: this.hasBaseline, labelPath: this.rules.rules.label, fromMs, toMs: nowMs });
  }

  report(nowMs: number): RouteReport {
    const window = this.windowSpan(nowMs);
    const sinceStart = buildSpanReport(this.total, { cfg: this.cfg, hasBaseline: this.hasBaseline, labelPath: this.rules.rules.label, fromMs: this.startMs ?? nowMs, toMs: nowMs });
    return {
      route: this.route,
      generatedAt: nowMs,
      hasBaseline: this.hasBaseline,
      verdict: window.verdict,
      window: { ...window, lengthMs: this.buckets.length * this.bucketMs, bucketMs: this.bucketMs },
      sinceStart,
    };
  }

  samples(): FieldSamples {
    return this.store.snapshot(this.route);
  }

  /**
   * Rolling-window signals for the canary guardrails. A window report costs milliseconds, so the answer
   * is reused for GUARD_REUSE_MS of the caller's clock (a guardrail polling often sees at most 1 s old data).
   */
  guardSignals(nowMs: number): GuardSignals {
    const c = this.guardCache;
    const sameBucket = c !== undefined && Math.floor(c.atMs / this.bucketMs) === Math.floor(nowMs / this.bucketMs);
    if (c && nowMs >= c.atMs && (nowMs - c.atMs < GUARD_REUSE_MS || (c.version === this.version && sameBucket))) return c.signals;
    const span = this.windowSpan(nowMs);
    const signals = { observations: span.compared + span.results.error, disagreement: span.disagreement?.rate ?? null, verdict: span.verdict };
    this.guardCache = { version: this.version, atMs: nowMs, signals };
    return signals;
  }
}
