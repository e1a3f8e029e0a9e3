// The comparison engine's entry: one RouteComparer per route, fed by the live shadow path and by
// offline replay with the same calls. Pure: no sockets, no timers, no global randomness; time is nowMs.
import { z } from 'zod';
import type { CompareConfig } from '../config/schema.js';
import { ShadowgateError } from '../errors.js';
import type { ShadowExchange, ShadowRole } from '../exchange.js';
import { seedOf } from '../kernel/hash.js';
import { buildSpanReport, type HistoryPoint, type RouteReport, type SpanReport, type Verdict } from './report.js';
import { CompiledRules } from './rules.js';
import { SampleGate, SampleStore, type FieldSamples } from './samples.js';
import { seededRandom } from './stats.js';
import { Tally, recordLatency, tallySnapshotSchema } from './tally.js';
import { diffExchange, failed, type CallSummary, type ExchangeDiff } from './exchange-diff.js';

/** What one exchange's comparison came to (the metrics side, observe/comparisons.ts, labels it). */
export interface CompareOutcome {
  readonly result: 'match' | 'mismatch' | 'error' | 'incomplete';
  /** Normalized paths that differed (candidate vs incumbent), distinct. */
  readonly fields: readonly string[];
}
export { evidenceLine, renderReport, windowTitle } from './render.js';
export { diffExchange, type CallSummary, type DiffOptions, type ExchangeDiff } from './exchange-diff.js';
export { withDropped } from './report.js';
export { SampleGate } from './samples.js';
export type { FieldSamples, Sample } from './samples.js';
export type { FieldReport, HistoryPoint, LatencyComparison, LatencySummary, Reason, RouteReport, SpanReport, Verdict } from './report.js';
export { CompiledRules, PRESETS, effectiveRules } from './rules.js';
export { NOT_JSON, ParsedAnswers } from './diff.js';
export type { TallySnapshot } from './tally.js';

/** Window buckets kept at most, whatever length/bucket says (each holds a few histograms). */
const MAX_BUCKETS = 120;
/** How long guardSignals reuses its last answer while exchanges keep arriving. */
const GUARD_REUSE_MS = 1000;
/** Smallest reservoir per bucket and side. */
const MIN_BUCKET_SAMPLE = 500;

export interface GuardSignals {
  /** Exchanges both sides answered in the window. */
  readonly observations: number;
  readonly disagreement: number | null;
  /** Lower bound of the disagreement's 95% interval: what a guardrail compares with its threshold. */
  readonly disagreementLow: number | null;
  readonly verdict: Verdict;
  /** The window these come from: the report's own (the same evidence the report, console and analysis read). */
  readonly window: { readonly fromMs: number; readonly toMs: number };
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
  /** Chooses samples for record(); a shadow thread keeps its own for the exchanges it diffs. */
  private readonly gate: SampleGate;
  private version = 0;
  private guardCache: { version: number; atMs: number; signals: GuardSignals } | undefined;

  constructor(readonly route: string, cfg: Readonly<CompareConfig>, opts: { hasBaseline?: boolean; seed?: number } = {}) {
    this.cfg = cfg;
    this.rules = new CompiledRules(cfg);
    this.hasBaseline = opts.hasBaseline ?? false;
    const random = seededRandom(opts.seed ?? seedOf(route));
    this.total = new Tally(cfg.reservoirSize, false, random);
    this.bucketMs = Math.max(1, cfg.window.bucket);
    const count = Math.min(MAX_BUCKETS, Math.max(1, Math.ceil(cfg.window.length / this.bucketMs)));
    // Each bucket keeps its share of the reservoir, but enough that a window whose traffic sits in one
    // bucket (a burst, or a replay on a frozen clock) still has a usable sample.
    const perBucket = Math.min(cfg.reservoirSize, Math.max(MIN_BUCKET_SAMPLE, Math.ceil(cfg.reservoirSize / count)));
    this.buckets = Array.from({ length: count }, () => ({ epoch: -1, tally: new Tally(perBucket, true, random) }));
    this.store = new SampleStore(cfg.samplesPerField);
    this.gate = new SampleGate(cfg.samplesPerField);
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

  /** One exchange, diffed and tallied here (replay, tests): diffExchange + recordDiff on one thread. */
  record(ex: ShadowExchange, nowMs: number): CompareOutcome {
    return this.recordDiff(diffExchange(ex, this.rules, { gate: this.gate, maxSampleBytes: this.cfg.maxSampleBytes }), nowMs);
  }

  /** Tallies an exchange already diffed (by diffExchange, possibly on a shadow thread): counters only. */
  recordDiff(d: ExchangeDiff, nowMs: number): CompareOutcome {
    this.version++;
    const inc = d.calls.find((c) => c.role === 'incumbent');
    const cand = d.calls.find((c) => c.role === 'candidate');
    const window = this.bucketAt(nowMs);
    for (const t of window ? [this.total, window] : [this.total]) {
      t.exchanges++;
      for (const c of d.calls) this.countCall(t, c.role, c);
      if (inc && cand && inc.status !== cand.status) t.statusPair(inc.status, cand.status);
    }
    if (d.state !== 'compared') return this.finish(window, d.state, []);

    for (const t of window ? [this.total, window] : [this.total]) {
      t.compared++;
      for (const [path, kind] of d.fields) {
        const f = t.field(path);
        f.candidate++;
        f.kinds[kind]++;
      }
      if (d.noise) {
        t.baselineCompared++;
        for (const path of d.noise) t.field(path).noise++;
      }
      if (d.labels) t.labelPair(d.labels[0], d.labels[1]);
      for (const [path, delta] of d.scoreDeltas) {
        const s = t.score(path);
        s.n++;
        s.sum += delta;
        s.sumSq += delta * delta;
        s.sumAbs += Math.abs(delta);
        s.abs.offer(Math.abs(delta));
      }
      for (const [path, sim] of d.similarities) {
        const m = t.mean(t.similarity, path);
        m.n++;
        m.sum += sim;
        if (sim < (this.rules.at(path).minSimilarity ?? 0)) m.below++;
      }
      for (const [path, overlap] of d.overlaps) {
        const m = t.mean(t.overlap, path);
        m.n++;
        m.sum += overlap;
      }
    }
    if (d.sample) this.store.keep(d.sample.fields, d.sample.sample);
    // The exchange's outcome (and the field_mismatches_total it feeds) leaves out what the two incumbent
    // calls of this same exchange also disagreed on: a timestamp must not make every answer a mismatch.
    // The per-field rates above still count everything, so noise is measured, not hidden.
    const noise = d.noise === undefined ? undefined : new Set(d.noise);
    const real: string[] = [];
    for (const [path] of d.fields) if (noise === undefined || !noise.has(path)) real.push(path);
    return this.finish(window, real.length > 0 ? 'mismatch' : 'match', real);
  }

  private countCall(t: Tally, role: ShadowRole, r: CallSummary): void {
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

  /**
   * The window bucket by bucket, oldest first: each bucket's own agreement, and the window's verdict as
   * it stood at the end of that bucket (the buckets up to it merged, as the report would have said then).
   */
  history(nowMs: number): HistoryPoint[] {
    const epoch = Math.floor(nowMs / this.bucketMs);
    const live = this.buckets.filter((b) => b.epoch > epoch - this.buckets.length && b.epoch <= epoch && !b.tally.isEmpty()).sort((a, b) => a.epoch - b.epoch);
    const merged = new Tally(this.cfg.reservoirSize, true, seededRandom(epoch));
    const out: HistoryPoint[] = [];
    for (const b of live) {
      b.tally.mergeInto(merged);
      const t = b.tally;
      const agreement = t.labelObservations > 0 ? t.labelAgreements / t.labelObservations
        : t.compared > 0 ? 1 - (t.compared - t.results.match) / t.compared : null;
      const atMs = (b.epoch + 1) * this.bucketMs;
      const span = buildSpanReport(merged, { cfg: this.cfg, hasBaseline: this.hasBaseline, labelPath: this.rules.rules.label, fromMs: this.startMs ?? atMs, toMs: atMs, verdictOnly: true });
      out.push({ fromMs: b.epoch * this.bucketMs, compared: t.compared, agreement: agreement === null ? null : Math.round(agreement * 1e6) / 1e6, verdict: span.verdict });
    }
    return out;
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
      history: this.history(nowMs),
    };
  }

  samples(): FieldSamples {
    return { ...this.store.snapshot(this.route), ignore: this.cfg.ignore };
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
    // Failed calls are not observations (invariant 8): only exchanges both sides answered count.
    // The disagreement the verdict tests: rate minus the baseline's noise, with its anytime-valid lower bound.
    const d = span.disagreement;
    const signals = {
      observations: span.compared, disagreement: d === null ? null : d.rate - (d.noiseRate ?? 0), disagreementLow: d?.differenceInterval?.low ?? null,
      verdict: span.verdict, window: { fromMs: span.fromMs, toMs: span.toMs },
    };
    this.guardCache = { version: this.version, atMs: nowMs, signals };
    return signals;
  }
}
