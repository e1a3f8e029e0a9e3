// A route's results on the live thread, built per config generation beside the route: its comparer
// (tallies the shadow threads' diffs, the live latencies), its stream book (streamed answers' token
// timing), its field labels (bounded Prometheus labels) and the dataset line it appends. A reload that
// keeps the route's comparison keeps its comparer (and stream book); the field labels stay with the
// route's name, because a counter series must not change meaning.
import type { RouteConfig } from '../config/schema.js';
import { RouteComparer, type ComparerSnapshot, type RouteReport } from '../compare/index.js';
import { StreamBook, type StreamReport } from '../compare/stream-book.js';
import type { DatasetWriter } from '../dataset/writer.js';
import { withOipRules } from '../grpc/route.js';
import { FieldLabelTracker, observeComparison } from '../observe/comparisons.js';
import type { Metrics } from '../observe/metrics.js';
import type { CopyResult } from '../shadow-threads/protocol.js';
import { SliceBook, type SliceReport, type SliceSnapshot } from '../quality/slices.js';

/** Where every route's results go beyond the route: the metrics and the process's one dataset writer. */
export interface ResultSinks {
  readonly metrics: Metrics;
  /** The dataset writer in force (undefined when not recording); one file for every route. */
  writer(): DatasetWriter | undefined;
}

export class RouteResults {
  /** Undefined when the route does not compare (no shadow, or compare.enabled false). */
  readonly comparer: RouteComparer | undefined;
  private readonly key: string | undefined;
  private book: StreamBook | undefined;
  /** compare.slices: the per-segment table (docs/slices.md), kept with the comparer it tallies beside. */
  private slices: SliceBook | undefined;
  /** Shared with the route's next generations (see the header). */
  private readonly labels: { tracker?: FieldLabelTracker };

  /** `previous`: the same route's results in the generation this one replaces. */
  constructor(private readonly route: RouteConfig, previous: RouteResults | undefined, private readonly sinks: ResultSinks) {
    this.labels = previous?.labels ?? {};
    if (route.shadow === undefined || !route.shadow.compare.enabled) return;
    const compare = route.grpc?.preset === 'oip' ? withOipRules(route.shadow.compare) : route.shadow.compare;
    this.key = JSON.stringify([compare, route.shadow.targets, route.shadow.baseline]);
    if (previous?.comparer !== undefined && previous.key === this.key) {
      this.comparer = previous.comparer;
      this.book = previous.book;
      this.slices = previous.slices;
    } else {
      this.comparer = new RouteComparer(route.name, compare, { hasBaseline: route.shadow.baseline !== undefined });
    }
  }

  /** The one result hook: a shadow thread diffed and serialized; here only tallies and appends. */
  record(result: CopyResult): void {
    const comparer = this.comparer;
    if (comparer && result.streams) {
      // Streamed answers: the thread compared their assembled text; their token timing goes to the stream book.
      (this.book ??= new StreamBook(this.route.shadow!.compare)).record(result.streams);
    }
    if (comparer && result.diff) {
      const outcome = comparer.recordDiff(result.diff, Date.now());
      const cfg = this.route.shadow!.compare.slices;
      if (cfg !== undefined && result.slices) {
        // Over the comparer's rolling window, as the report's verdict and an experiment's criteria are (docs/slices.md).
        const w = this.route.shadow!.compare.window;
        (this.slices ??= new SliceBook(cfg, { lengthMs: w.length, bucketMs: w.bucket })).record(result.slices, result.diff, Date.now());
      }
      observeComparison(this.sinks.metrics, this.route.name, outcome, (this.labels.tracker ??= new FieldLabelTracker(this.route.shadow!.compare)));
    }
    const w = this.sinks.writer();
    if (w === undefined) return;
    if (result.recordDrop === 'leak') this.sinks.metrics.datasetRecordsDropped.inc({ reason: 'leak' });
    else if (result.line !== undefined) w.writeLine(result.line);
  }

  /** The route's report, with its streaming section when the route's answers stream, and its slices when configured. */
  report(nowMs: number): (RouteReport & { streams?: StreamReport; slices?: SliceReport }) | undefined {
    const c = this.comparer;
    if (c === undefined) return undefined;
    const report = this.book !== undefined ? { ...c.report(nowMs), streams: this.book.report() } : c.report(nowMs);
    return this.slices !== undefined ? { ...report, slices: this.slices.report(nowMs) } : report;
  }

  /** compare.slices: the table's report (metrics) and snapshot (a fleet's evidence), once a segment was recorded. */
  sliceReport(nowMs = Date.now()): SliceReport | undefined {
    return this.slices?.report(nowMs);
  }

  sliceSnapshot(nowMs = Date.now()): SliceSnapshot | undefined {
    return this.slices?.snapshot(nowMs);
  }

  snapshot(): ComparerSnapshot | undefined {
    return this.comparer?.snapshot();
  }
}
