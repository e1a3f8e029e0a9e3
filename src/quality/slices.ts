// The fairness check (docs/slices.md): agreement, candidate failures and latency per segment of configured
// request paths (`$.features.country`: its top-k values plus `(other)`), each segment tested against the rest
// of the traffic with anytime-valid bounds, Benjamini–Hochberg across segments × metrics, and the segments
// where the candidate is significantly worse flagged. Pure: counts in, a report out; no clock, no I/O.
//
// Each metric is the rate of one per-exchange event where the candidate did worse than the incumbent on the
// same request: `disagreement` (labels differ; without a label path, any real field difference),
// `errors` (the candidate failed where the incumbent answered), `slower` (both answered, the candidate
// later). A segment is flagged when the rate in it exceeds the rate in the rest of the traffic by more than
// `minEffect` — the bound of the difference past it, as every check of the report is judged — so a
// candidate uniformly worse is the verdict's business, and a candidate worse *for some* is this one's.
import { z } from 'zod';
import type { SlicesConfig } from '../config/schema.js';
import type { CallSummary, ExchangeDiff } from '../compare/index.js';
import { differenceSequence, proportionSequence } from '../compare/sequential.js';
import { MISSING, MAX_SLICE_VALUE_CHARS } from './slice-keys.js';

/** The segment every value outside a path's top-k falls into. */
export const OTHER = '(other)';
/** Values tracked per path beyond those shown: top-k is chosen among these by count; the rest is (other). */
const TRACKED_PER_SHOWN = 4;
const MAX_TRACKED = 200;

export const SLICE_METRICS = ['disagreement', 'errors', 'slower'] as const;
export type SliceMetric = (typeof SLICE_METRICS)[number];

// The slice key (read in the shadow thread) lives in slice-keys.ts: the thread loads it without zod.
export { MISSING, MAX_SLICE_VALUE_CHARS, compileSlicePaths, sliceKeys, type SlicePaths } from './slice-keys.js';

// ---- what one exchange tells the table ----

/** Per-exchange events, each the numerator (and denominator) of one metric. */
export interface SliceObservation {
  /** Both answered usably and were compared; `disagree` when they differ. */
  readonly compared: boolean;
  readonly disagree: boolean;
  /** Both were called; `candidateOnlyFailed` when the candidate failed and the incumbent did not. */
  readonly paired: boolean;
  readonly candidateOnlyFailed: boolean;
  /** Both answered; `slower` when the candidate took longer. */
  readonly answered: boolean;
  readonly slower: boolean;
}

const failed = (c: CallSummary): boolean => c.status === 0 || c.error !== undefined || c.status >= 500;

/** The events of one compared (or failed) exchange, from the diff the shadow thread made. */
export function observationOf(d: ExchangeDiff): SliceObservation {
  const inc = d.calls.find((c) => c.role === 'incumbent');
  const cand = d.calls.find((c) => c.role === 'candidate');
  const paired = inc !== undefined && cand !== undefined;
  const answered = paired && !failed(inc) && !failed(cand);
  let disagree = false;
  if (d.state === 'compared') {
    if (d.labels !== undefined) disagree = d.labels[0] !== d.labels[1];
    else {
      // Without a label: any difference the baseline did not also show (the exchange's own mismatch).
      const noise = d.noise === undefined ? undefined : new Set(d.noise);
      disagree = d.fields.some(([path]) => noise === undefined || !noise.has(path));
    }
  }
  return {
    compared: d.state === 'compared', disagree,
    paired, candidateOnlyFailed: paired && failed(cand) && !failed(inc),
    answered, slower: answered && cand.latencyMs > inc.latencyMs,
  };
}

// ---- the bounded table ----

/** Counts of one segment (or of a whole path): numerator and denominator per metric. */
interface Cell {
  exchanges: number;
  compared: number;
  disagree: number;
  paired: number;
  candidateOnlyFailed: number;
  answered: number;
  slower: number;
}

const emptyCell = (): Cell => ({ exchanges: 0, compared: 0, disagree: 0, paired: 0, candidateOnlyFailed: 0, answered: 0, slower: 0 });

function add(c: Cell, o: SliceObservation): void {
  c.exchanges++;
  if (o.compared) { c.compared++; if (o.disagree) c.disagree++; }
  if (o.paired) { c.paired++; if (o.candidateOnlyFailed) c.candidateOnlyFailed++; }
  if (o.answered) { c.answered++; if (o.slower) c.slower++; }
}

function addCell(into: Cell, c: Cell): void {
  into.exchanges += c.exchanges;
  into.compared += c.compared;
  into.disagree += c.disagree;
  into.paired += c.paired;
  into.candidateOnlyFailed += c.candidateOnlyFailed;
  into.answered += c.answered;
  into.slower += c.slower;
}

/** [events, trials] of a metric in a cell. */
function counts(c: Cell, m: SliceMetric): readonly [number, number] {
  switch (m) {
    case 'disagreement': return [c.disagree, c.compared];
    case 'errors': return [c.candidateOnlyFailed, c.paired];
    case 'slower': return [c.slower, c.answered];
  }
}

const count = z.number().int().nonnegative();
const cellSchema = z.tuple([count, count, count, count, count, count, count]);
type CellTuple = z.infer<typeof cellSchema>;
const cellTuple = (c: Cell): CellTuple => [c.exchanges, c.compared, c.disagree, c.paired, c.candidateOnlyFailed, c.answered, c.slower];
const cellOf = (t: CellTuple): Cell => ({ exchanges: t[0], compared: t[1], disagree: t[2], paired: t[3], candidateOnlyFailed: t[4], answered: t[5], slower: t[6] });

/** A SliceBook as plain JSON: bounded by the table's own bound (≤ 4 paths × ≤ 200 values). */
export const sliceSnapshotSchema = z.object({
  v: z.literal(1),
  paths: z.array(z.object({
    path: z.string(),
    values: z.array(z.tuple([z.string().max(MAX_SLICE_VALUE_CHARS), cellSchema])).max(MAX_TRACKED),
    overflow: cellSchema,
    total: cellSchema,
  })).max(4),
});
export type SliceSnapshot = z.infer<typeof sliceSnapshotSchema>;

interface PathTable {
  readonly path: string;
  readonly topK: number;
  readonly capacity: number;
  readonly values: Map<string, Cell>;
  /** Values that arrived once the table was full. */
  readonly overflow: Cell;
  readonly total: Cell;
}

// ---- the report ----

export interface Bounds { readonly low: number; readonly high: number }

export interface SliceMetricReport {
  readonly metric: SliceMetric;
  /** Events / trials in the segment, and the rate in the rest of the path's traffic. */
  readonly k: number;
  readonly n: number;
  readonly rate: number | null;
  readonly restRate: number | null;
  readonly restN: number;
  /** Anytime-valid bounds on the segment's rate (at the FDR level). */
  readonly interval: Bounds | null;
  /** Segment rate − rest rate, with its anytime-valid bounds (each side at fdr/2). */
  readonly difference: number | null;
  readonly differenceInterval: Bounds | null;
  /** The minEffect the difference's bound must pass. */
  readonly threshold: number;
  /** Anytime-valid p-value of "the segment is at most `threshold` worse than the rest"; null: not tested. */
  readonly p: number | null;
  /** Benjamini–Hochberg adjusted p-value across every test of the route (null: not tested). */
  readonly adjusted: number | null;
  readonly status: 'flagged' | 'ok' | 'insufficient';
}

export interface SegmentReport {
  readonly value: string;
  readonly exchanges: number;
  readonly metrics: readonly SliceMetricReport[];
  readonly flagged: boolean;
}

export interface SlicePathReport {
  readonly path: string;
  readonly topK: number;
  readonly exchanges: number;
  /** Distinct values seen beyond the table's bound land in (other) without their own count. */
  readonly segments: readonly SegmentReport[];
}

export interface FlaggedSlice {
  readonly path: string;
  readonly value: string;
  readonly metric: SliceMetric;
  readonly rate: number;
  readonly restRate: number;
  readonly differenceInterval: Bounds;
  readonly adjusted: number;
  /** `$.features.country = DE: disagreement 10.2% vs 0.4% in the rest (difference ≥ +6.1 points > +2.0; BH-adjusted p 0.0003)`. */
  readonly detail: string;
}

export interface SliceReport {
  readonly fdr: number;
  readonly minSamples: number;
  /** Tests run (segments × metrics with enough exchanges on both sides). */
  readonly tested: number;
  readonly paths: readonly SlicePathReport[];
  readonly flagged: readonly FlaggedSlice[];
  /** Counted over the comparer's rolling window (the live route); absent: every exchange given (replay, since start). */
  readonly window?: SliceWindow;
}

/**
 * Benjamini–Hochberg step-up: the adjusted p-values (p.adjust(…, "BH")) and which hypotheses are rejected
 * at false discovery rate `q` (adjusted ≤ q).
 */
export function benjaminiHochberg(ps: readonly number[], q: number): { adjusted: number[]; rejected: boolean[] } {
  const m = ps.length;
  const order = ps.map((p, i) => [p, i] as const).sort((a, b) => a[0] - b[0]);
  const adjusted = new Array<number>(m).fill(1);
  let running = 1;
  for (let r = m - 1; r >= 0; r--) {
    const [p, i] = order[r]!;
    running = Math.min(running, (p * m) / (r + 1));
    adjusted[i] = Math.min(1, running);
  }
  return { adjusted, rejected: adjusted.map((a) => a <= q) };
}

const MIN_P = 1e-15;

/**
 * Anytime-valid p-value of H0 "rate₁ − rate₂ ≤ δ": the smallest α at which the (1 − α) confidence
 * sequence of the difference (each rate's beta-binomial mixture sequence at α/2, compare/sequential.ts)
 * lies wholly above δ. Valid however often it is computed, as the report's own bounds are.
 */
export function differencePValue(k1: number, n1: number, k2: number, n2: number, delta: number): number {
  const low = (alpha: number) => differenceSequence(k1, n1, k2, n2, alpha)?.low ?? -Infinity;
  if (!(low(1) > delta)) return 1;
  if (low(MIN_P) > delta) return MIN_P;
  let a = Math.log(MIN_P); // low(e^a) ≤ δ
  let b = 0; // low(e^b) > δ
  for (let i = 0; i < 30; i++) {
    const mid = (a + b) / 2;
    if (low(Math.exp(mid)) > delta) b = mid;
    else a = mid;
  }
  return Math.exp(b);
}

const round = (x: number): number => Number(x.toPrecision(6));
const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
const points = (x: number): string => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}`;

/** One route's slice table: bounded (top-k shown of at most 4×k tracked values per path), fed on the live thread. */
/** The comparer's rolling window (compare.window): the span a windowed SliceBook counts over, in buckets. */
export interface SliceWindow { readonly lengthMs: number; readonly bucketMs: number }

function emptyTables(cfg: SlicesConfig): PathTable[] {
  return cfg.paths.map((p) => ({
    path: p.path, topK: p.topK, capacity: Math.min(MAX_TRACKED, TRACKED_PER_SHOWN * p.topK),
    values: new Map(), overflow: emptyCell(), total: emptyCell(),
  }));
}

function addTables(into: readonly PathTable[], from: readonly PathTable[]): void {
  from.forEach((f, i) => {
    const t = into[i]!;
    for (const [value, cell] of f.values) {
      let c = t.values.get(value);
      if (c === undefined && t.values.size < t.capacity) t.values.set(value, (c = emptyCell()));
      addCell(c ?? t.overflow, cell);
    }
    addCell(t.overflow, f.overflow);
    addCell(t.total, f.total);
  });
}

/**
 * A route's slice table. Without a window (replay, a fleet's merge) it counts every exchange it is given;
 * with one (the live route: compare.window) it counts the exchanges of the comparer's rolling window, one
 * table per bucket, the report merging the buckets still inside it (docs/slices.md "Over the window").
 */
export class SliceBook {
  /** Since start, or the current bucket's (windowed). */
  private tables: PathTable[];
  /** Windowed: the buckets by index (time / bucketMs), oldest first; the last one is `tables`. */
  private readonly buckets = new Map<number, PathTable[]>();
  private version = 0;
  private cached: { version: number; oldest: number; report: SliceReport } | undefined;

  constructor(readonly cfg: SlicesConfig, private readonly window?: SliceWindow) {
    this.tables = emptyTables(cfg);
  }

  /** One exchange: its slice keys (one per path, from the shadow thread) and its diff; `nowMs` places it in the window. */
  record(keys: readonly string[], d: ExchangeDiff, nowMs = 0): void {
    this.observe(keys, observationOf(d), nowMs);
  }

  observe(keys: readonly string[], o: SliceObservation, nowMs = 0): void {
    this.version++;
    const tables = this.window === undefined ? this.tables : this.bucketAt(nowMs);
    for (let i = 0; i < tables.length; i++) {
      const t = tables[i]!;
      const key = (keys[i] ?? MISSING).slice(0, MAX_SLICE_VALUE_CHARS);
      let c = t.values.get(key);
      if (c === undefined && t.values.size < t.capacity) t.values.set(key, (c = emptyCell()));
      add(c ?? t.overflow, o);
      add(t.total, o);
    }
  }

  /** The first bucket index still inside the window at `nowMs`. */
  private oldest(nowMs: number): number {
    const w = this.window!;
    return Math.floor(nowMs / w.bucketMs) - Math.max(1, Math.ceil(w.lengthMs / w.bucketMs)) + 1;
  }

  private bucketAt(nowMs: number): PathTable[] {
    const index = Math.floor(nowMs / this.window!.bucketMs);
    let b = this.buckets.get(index);
    if (b === undefined) {
      const oldest = this.oldest(nowMs);
      for (const k of [...this.buckets.keys()]) if (k < oldest) this.buckets.delete(k);
      this.buckets.set(index, (b = emptyTables(this.cfg)));
    }
    return b;
  }

  /** The tables the report and the snapshot read: since start, or the window's buckets merged. */
  private current(nowMs: number): { tables: readonly PathTable[]; oldest: number } {
    if (this.window === undefined) return { tables: this.tables, oldest: 0 };
    const oldest = this.oldest(nowMs);
    const merged = emptyTables(this.cfg);
    for (const index of [...this.buckets.keys()].sort((a, b) => a - b)) if (index >= oldest) addTables(merged, this.buckets.get(index)!);
    return { tables: merged, oldest };
  }

  /** The table as bounded plain JSON (a fleet's processes publish it with their comparer snapshots): the window's, when windowed. */
  snapshot(nowMs = 0): SliceSnapshot {
    return {
      v: 1,
      paths: this.current(nowMs).tables.map((t) => ({ path: t.path, values: [...t.values].map(([v, c]) => [v, cellTuple(c)]), overflow: cellTuple(t.overflow), total: cellTuple(t.total) })),
    };
  }

  /**
   * Adds another process's table (validated first: it comes from IPC or Redis). A path configured
   * differently there (mid-reload) is left out; values beyond this table's bound go to its overflow.
   */
  merge(data: unknown): boolean {
    const parsed = sliceSnapshotSchema.safeParse(data);
    if (!parsed.success) return false;
    this.version++;
    parsed.data.paths.forEach((p, i) => {
      const t = this.tables[i];
      if (t === undefined || t.path !== p.path) return;
      addTables([t], [{ ...t, values: new Map(p.values.map(([v, tuple]) => [v, cellOf(tuple)])), overflow: cellOf(p.overflow), total: cellOf(p.total) }]);
    });
    return true;
  }

  /** The report (windowed: over the buckets inside the window at `nowMs`); cached until an exchange or a bucket's end changes it. */
  report(nowMs = 0): SliceReport {
    const oldest = this.window === undefined ? 0 : this.oldest(nowMs);
    if (this.cached?.version === this.version && this.cached.oldest === oldest) return this.cached.report;
    const built = buildReport(this.cfg, this.current(nowMs).tables);
    const report = this.window === undefined ? built : { ...built, window: this.window };
    this.cached = { version: this.version, oldest, report };
    return report;
  }
}

function buildReport(cfg: SlicesConfig, tables: readonly PathTable[]): SliceReport {
  // Segments: per path, the top-k values by exchanges (ties by name), everything else folded into (other).
  const bySegment = tables.map((t) => {
    const sorted = [...t.values.entries()].filter(([v]) => v !== OTHER).sort((a, b) => b[1].exchanges - a[1].exchanges || (a[0] < b[0] ? -1 : 1));
    const shown = sorted.slice(0, t.topK);
    const other = emptyCell();
    addCell(other, t.overflow);
    for (const [, c] of sorted.slice(t.topK)) addCell(other, c);
    const own = t.values.get(OTHER);
    if (own !== undefined) addCell(other, own);
    const segs: [string, Cell][] = [...shown];
    if (other.exchanges > 0) segs.push([OTHER, other]);
    return { table: t, segs };
  });
  // Every test of the route, then BH across all of them at once.
  interface Test { path: number; seg: number; metric: SliceMetric; k1: number; n1: number; k2: number; n2: number; p: number }
  const tests: Test[] = [];
  bySegment.forEach(({ table, segs }, pi) => segs.forEach(([, c], si) => {
    for (const metric of SLICE_METRICS) {
      const [k1, n1] = counts(c, metric);
      const [kt, nt] = counts(table.total, metric);
      const k2 = kt - k1;
      const n2 = nt - n1;
      if (n1 < cfg.minSamples || n2 < cfg.minSamples) continue;
      tests.push({ path: pi, seg: si, metric, k1, n1, k2, n2, p: differencePValue(k1, n1, k2, n2, cfg.minEffect[metric]) });
    }
  }));
  const bh = benjaminiHochberg(tests.map((t) => t.p), cfg.fdr);
  const result = new Map<string, { p: number; adjusted: number; rejected: boolean }>();
  tests.forEach((t, i) => result.set(`${t.path}/${t.seg}/${t.metric}`, { p: t.p, adjusted: bh.adjusted[i]!, rejected: bh.rejected[i]! }));

  const flagged: FlaggedSlice[] = [];
  const paths = bySegment.map(({ table, segs }, pi): SlicePathReport => ({
    path: table.path, topK: table.topK, exchanges: table.total.exchanges,
    segments: segs.map(([value, c], si): SegmentReport => {
      const metrics = SLICE_METRICS.map((metric): SliceMetricReport => {
        const [k, n] = counts(c, metric);
        const [kt, nt] = counts(table.total, metric);
        const restK = kt - k;
        const restN = nt - n;
        const threshold = cfg.minEffect[metric];
        const rate = n > 0 ? k / n : null;
        const restRate = restN > 0 ? restK / restN : null;
        const ci = proportionSequence(k, n, cfg.fdr);
        const di = n > 0 && restN > 0 ? differenceSequence(k, n, restK, restN, cfg.fdr) : null;
        const r = result.get(`${pi}/${si}/${metric}`);
        const status = r === undefined ? 'insufficient' : r.rejected ? 'flagged' : 'ok';
        if (r?.rejected && rate !== null && restRate !== null && di !== null) {
          const dib = { low: round(di.low), high: round(di.high) };
          flagged.push({
            path: table.path, value, metric, rate: round(rate), restRate: round(restRate), differenceInterval: dib, adjusted: round(r.adjusted),
            detail: `${table.path} = ${value}: ${metric} ${pct(rate)} vs ${pct(restRate)} in the rest (difference ≥ ${points(di.low)} points > ${points(threshold)}; BH-adjusted p ${r.adjusted.toPrecision(2)})`,
          });
        }
        return {
          metric, k, n, rate: rate === null ? null : round(rate), restRate: restRate === null ? null : round(restRate), restN,
          interval: ci === null ? null : { low: round(ci.low), high: round(ci.high) },
          difference: rate === null || restRate === null ? null : round(rate - restRate),
          differenceInterval: di === null ? null : { low: round(di.low), high: round(di.high) },
          threshold, p: r === undefined ? null : round(r.p), adjusted: r === undefined ? null : round(r.adjusted), status,
        };
      });
      return { value, exchanges: c.exchanges, metrics, flagged: metrics.some((m) => m.status === 'flagged') };
    }),
  }));
  return { fdr: cfg.fdr, minSamples: cfg.minSamples, tested: tests.length, paths, flagged };
}

/**
 * Each route's SliceBook, kept while the route's comparer (`owner`) lives: a new comparer (its compare
 * settings changed) starts a new table, as it starts a new report.
 */
export class RouteSliceBooks<Owner> {
  private readonly books = new Map<string, { owner: Owner; book: SliceBook }>();

  record(route: string, owner: Owner, cfg: SlicesConfig | undefined, keys: readonly string[], d: ExchangeDiff): void {
    if (cfg === undefined) return;
    let b = this.books.get(route);
    if (b?.owner !== owner) this.books.set(route, (b = { owner, book: new SliceBook(cfg) }));
    b.book.record(keys, d);
  }

  /** The route's slice report, when its current comparer has a table. */
  report(route: string, owner: Owner): SliceReport | undefined {
    const b = this.books.get(route);
    return b !== undefined && b.owner === owner ? b.book.report() : undefined;
  }

  /** The route's table as a snapshot, when its current comparer has one (a fleet's evidence). */
  snapshot(route: string, owner: Owner): SliceSnapshot | undefined {
    const b = this.books.get(route);
    return b !== undefined && b.owner === owner ? b.book.snapshot() : undefined;
  }

  /** Every route's current report (for the metrics scrape). */
  reports(): [string, SliceReport][] {
    return [...this.books].map(([route, b]) => [route, b.book.report()]);
  }
}

/** The report as metric rows: route × path × shown segment × metric (bounded by the paths' top-k). */
export function sliceMetricRows(reports: readonly (readonly [string, SliceReport])[]): { route: string; path: string; segment: string; metric: string; rate: number | null; flagged: boolean }[] {
  return reports.flatMap(([route, rep]) => rep.paths.flatMap((p) => p.segments.flatMap((s) => s.metrics.map((m) => ({
    route, path: p.path, segment: s.value, metric: m.metric, rate: m.rate, flagged: m.status === 'flagged',
  })))));
}

/** The slices section of `shadowgate report` / `replay` as text lines: flagged segments first, then each path's table. */
export function renderSlices(route: string, rep: SliceReport): string[] {
  const out = [`route ${route}  slices: ${rep.flagged.length === 0 ? 'none flagged' : `${rep.flagged.length} FLAGGED`} (${rep.tested} tests, false discovery rate ${rep.fdr}, segments of ≥ ${rep.minSamples} exchanges tested)`];
  for (const f of rep.flagged) out.push(`  FLAGGED ${f.detail}`);
  const cell = (m: SliceMetricReport) => (m.rate === null ? '-' : `${pct(m.rate)}${m.status === 'flagged' ? ' !' : m.status === 'insufficient' ? ' ?' : ''}`);
  for (const p of rep.paths) {
    const rows = [[p.path, 'exchanges', ...SLICE_METRICS], ...p.segments.map((s) => [`  ${s.value}`, String(s.exchanges), ...s.metrics.map(cell)])];
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const r of rows) out.push(`  ${r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()}`);
  }
  out.push('  (! flagged: worse than in the rest of the traffic; ? too few exchanges to test)', '');
  return out;
}

/** The slices sections of reports that carry one (a report read back as JSON included), as text. */
export function slicesText(reports: readonly object[]): string {
  const lines = reports.flatMap((r) => {
    const o = r as { route?: unknown; slices?: SliceReport };
    return typeof o.route === 'string' && o.slices !== undefined && Array.isArray(o.slices.paths) ? renderSlices(o.route, o.slices) : [];
  });
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
