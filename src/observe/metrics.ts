// Every Prometheus metric shadowgate exports, defined once (prefix shadowgate_, base units, bounded
// labels). One Metrics per registry, so tests and cluster workers each get their own.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { packageVersion } from '../version.js';
import { LiveCounter, LiveHistogram } from './live-metrics.js';

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createMetrics(registry = new Registry(), opts: { defaults?: boolean; version?: string } = {}) {
  if (opts.defaults !== false) {
    // Unprefixed, as every Node.js exporter names them, so stock process and runtime dashboards work.
    collectDefaultMetrics({ register: registry });
    // prom-client names these gauges *_total, which Prometheus reserves for counters (promtool rejects them).
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
      registry.removeSingleMetric(name);
    }
  }
  const r = [registry];
  // The metrics counted per request or per copy are Live*: their children count in place and reach
  // prom-client when scraped (live-metrics.ts); their names, labels and values are the same.
  // Read when scraped (nothing on the live path): the app points these at the proxy, routing and pools.
  const scrape: {
    liveInFlight?: () => number;
    slotsInUse?: () => [string, number][];
    upstreamConnections?: () => [string, { connected: number; running: number; pending: number }][];
    /** Each route's data-quality report (src/quality, read structurally). */
    quality?: () => [string, QualityScrape][];
    /** compare.slices: one row per route × path × shown segment (top-k and (other): bounded) × metric. */
    slices?: () => { route: string; path: string; segment: string; metric: string; rate: number | null; flagged: boolean }[];
  } = {};
  const buildInfo = new Gauge({ name: 'shadowgate_build_info', help: 'Always 1; the labels say which shadowgate and Node.js are running.', labelNames: ['version', 'node'] as const, registers: r });
  buildInfo.set({ version: opts.version ?? packageVersion(), node: process.versions.node }, 1);
  return {
    registry,
    requests: new LiveCounter({ name: 'shadowgate_requests_total', help: 'Live requests answered, by route, upstream and status code.', labelNames: ['route', 'upstream', 'code'] as const, registers: r }),
    requestDuration: new LiveHistogram({ name: 'shadowgate_request_duration_seconds', help: 'Upstream call duration by route, upstream and role (primary or shadow).', labelNames: ['route', 'upstream', 'role'] as const, buckets: LATENCY_BUCKETS, registers: r }),
    shadowRequests: new LiveCounter({ name: 'shadowgate_shadow_requests_total', help: 'Shadow calls by route, target and outcome (a status class or a failure).', labelNames: ['route', 'target', 'outcome'] as const, registers: r }),
    shadowDropped: new LiveCounter({ name: 'shadowgate_shadow_dropped_total', help: 'Shadow copies not sent, by route and reason.', labelNames: ['route', 'reason'] as const, registers: r }),
    shadowInFlight: new Gauge({ name: 'shadowgate_shadow_in_flight', help: 'Shadow copies in flight, by route.', labelNames: ['route'] as const, registers: r }),
    idleGc: new Counter({ name: 'shadowgate_idle_gc_total', help: 'Full GCs run when the proxy went idle after its heap grew (needs node --expose-gc), by thread (live, shadow).', labelNames: ['thread'] as const, registers: r }),
    shadowThreadRestarts: new Counter({ name: 'shadowgate_shadow_thread_restarts_total', help: 'Shadow threads that ended unexpectedly and were replaced.', registers: r }),
    shadowThreadQueue: new Gauge({ name: 'shadowgate_shadow_thread_queue', help: 'Shadow copies handed to the shadow threads and not yet started, all threads.', registers: r }),
    rawDataMirroring: new Gauge({ name: 'shadowgate_raw_data_mirroring', help: '1 when a route mirrors raw data (policy none with allowRawData).', labelNames: ['route'] as const, registers: r }),
    comparisons: new LiveCounter({ name: 'shadowgate_comparisons_total', help: 'Shadow comparisons by route and result.', labelNames: ['route', 'result'] as const, registers: r }),
    fieldMismatches: new LiveCounter({ name: 'shadowgate_field_mismatches_total', help: 'Field mismatches (configured and top-N fields; the rest as other).', labelNames: ['route', 'field'] as const, registers: r }),
    // Every worker sets the same value: aggregated across workers it is the value, not a sum.
    canaryWeight: new Gauge({ name: 'shadowgate_canary_weight_percent', help: 'Share of live traffic the candidate serves, in percent.', labelNames: ['route'] as const, registers: r, aggregator: 'max' }),
    stateBackendUp: new Gauge({ name: 'shadowgate_state_backend_up', help: '1 while the state backend (file, ipc to the cluster primary, or redis) is reachable; 0 means serving on the last known state.', labelNames: ['backend'] as const, registers: r, aggregator: 'min' }),
    fleetJudge: new Gauge({ name: 'shadowgate_fleet_judge', help: '1 while this process judges rollouts and guardrails for its fleet (the cluster primary, or the redis lease holder).', registers: r, aggregator: 'sum' }),
    routeUpstreams: new Gauge({ name: 'shadowgate_route_upstream_info', help: 'Each route\'s incumbent and candidate upstream (value 1), for alert rules.', labelNames: ['route', 'upstream', 'role'] as const, registers: r, aggregator: 'max' }),
    canaryRollbacks: new Counter({ name: 'shadowgate_canary_rollbacks_total', help: 'Canary rollbacks by route and reason.', labelNames: ['route', 'reason'] as const, registers: r }),
    rolloutStepOverdue: new Gauge({ name: 'shadowgate_rollout_step_overdue', help: '1 while a rollout step has waited past rollout.maxStepDuration for the evidence it needs (the step holds, rolls back or advances as configured).', labelNames: ['route'] as const, registers: r, aggregator: 'max' }),
    canaryDecisions: new LiveCounter({ name: 'shadowgate_canary_decisions_total', help: 'Live canary decisions by route, target and reason.', labelNames: ['route', 'target', 'reason'] as const, registers: r }),
    canaryFallbacks: new Counter({ name: 'shadowgate_canary_fallbacks_total', help: 'Live requests retried on the incumbent after the candidate failed.', labelNames: ['route'] as const, registers: r }),
    upstreamRetries: new Counter({ name: 'shadowgate_upstream_retries_total', help: 'Live requests sent again, once, on a fresh upstream connection after a reused one was closed (closed) or reset (reset) before any byte of the answer; only idempotent requests.', labelNames: ['route', 'reason'] as const, registers: r }),
    throttled: new LiveCounter({ name: 'shadowgate_throttled_total', help: 'Live requests refused with 429 by route and limit.', labelNames: ['route', 'limit'] as const, registers: r }),
    anonymizerReplacements: new LiveCounter({ name: 'shadowgate_anonymizer_replacements_total', help: 'Values replaced by the anonymizer by route and entity.', labelNames: ['route', 'entity'] as const, registers: r }),
    anonymizerLeaksBlocked: new Counter({ name: 'shadowgate_anonymizer_leaks_blocked_total', help: 'Shadow copies dropped because the leak guard found personal data.', labelNames: ['route'] as const, registers: r }),
    configReloads: new Counter({ name: 'shadowgate_config_reloads_total', help: 'Configuration reloads by result.', labelNames: ['result'] as const, registers: r }),
    connectionsClosed: new Counter({ name: 'shadowgate_connections_closed_total', help: 'Client connections the proxy closed itself, by reason (headers, body, idle, send timeouts; evicted or max_connections at the connection limit; invalid requests; resets: an HTTP/2 session past its reset budget). HTTP/2 streams reset or answered 408 for a body or send timeout count under body and send.', labelNames: ['reason'] as const, registers: r }),
    datasetRecords: new Counter({ name: 'shadowgate_dataset_records_total', help: 'Dataset records written.', registers: r }),
    datasetRecordsDropped: new Counter({ name: 'shadowgate_dataset_records_dropped_total', help: 'Dataset records dropped, by reason.', labelNames: ['reason'] as const, registers: r }),
    grpcResponses: new Counter({ name: 'shadowgate_grpc_responses_total', help: 'Live gRPC calls by route, upstream and grpc-status (name, or none when the call was cut).', labelNames: ['route', 'upstream', 'grpc_status'] as const, registers: r }),
    scrape,
    liveInFlight: new Gauge({ name: 'shadowgate_live_in_flight', help: 'Live requests in progress (read at scrape time): back to its resting value once cancelled or finished requests have released everything.', registers: r,
      collect() { if (scrape.liveInFlight) this.set(scrape.liveInFlight()); } }),
    routeSlotsInUse: new Gauge({ name: 'shadowgate_route_slots_in_use', help: 'Live concurrency slots in use by route (routes with limits; read at scrape time).', labelNames: ['route'] as const, registers: r,
      collect() { for (const [route, n] of scrape.slotsInUse?.() ?? []) this.set({ route }, n); } }),
    upstreamConnections: new Gauge({ name: 'shadowgate_upstream_connections', help: 'Live pool connections by upstream and state (open: connected; busy: carrying a call; queued: calls waiting for one), read at scrape time.', labelNames: ['upstream', 'state'] as const, registers: r,
      collect() {
        for (const [upstream, s] of scrape.upstreamConnections?.() ?? []) {
          this.set({ upstream, state: 'open' }, s.connected);
          this.set({ upstream, state: 'busy' }, s.running);
          this.set({ upstream, state: 'queued' }, s.pending);
        }
      } }),
    ...qualityGauges(r, scrape),
    sliceFlagged: new Gauge({ name: 'shadowgate_slice_flagged', help: 'compare.slices: 1 while the candidate is significantly worse in this segment than in the rest of the traffic on this metric (Benjamini–Hochberg at compare.slices.fdr), read at scrape time; segments are each path\'s top-k values and (other).', labelNames: ['route', 'path', 'segment', 'metric'] as const, registers: r, aggregator: 'max',
      collect() {
        this.reset();
        for (const x of scrape.slices?.() ?? []) this.set({ route: x.route, path: x.path, segment: x.segment, metric: x.metric }, x.flagged ? 1 : 0);
      } }),
    sliceRate: new Gauge({ name: 'shadowgate_slice_rate', help: 'compare.slices: the rate of the candidate-worse event in this segment (disagreement; errors: the candidate failed where the incumbent answered; slower: the candidate answered later), read at scrape time.', labelNames: ['route', 'path', 'segment', 'metric'] as const, registers: r, aggregator: 'average',
      collect() {
        this.reset();
        for (const x of scrape.slices?.() ?? []) if (x.rate !== null) this.set({ route: x.route, path: x.path, segment: x.segment, metric: x.metric }, x.rate);
      } }),
    traceSpans: new Counter({ name: 'shadowgate_trace_spans_total', help: 'Spans given to the OTLP exporter, by outcome (exported, dropped when the queue was full, failed to send).', labelNames: ['outcome'] as const, registers: r }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** The part of a route's quality report the metrics read (docs/quality.md). */
export interface QualityScrape {
  readonly status: string;
  readonly reference: { readonly rows: number };
  readonly alerts: readonly { readonly check: string }[];
  readonly features: readonly { readonly name: string; readonly drift: { readonly statistic: string; readonly value: number; readonly pValue: number | null; readonly drifted: boolean; readonly psi: number | null } | null }[];
  readonly gate: { readonly open: boolean };
}

const QUALITY_CHECKS = ['drift', 'missing', 'type', 'range', 'unseen'] as const;

/**
 * Data quality and drift, read at scrape time. Labels are bounded: routes, the route's features (at most
 * 32 each, from the config), the five checks and four statistics.
 */
function qualityGauges(r: Registry[], scrape: { quality?: () => [string, QualityScrape][] }) {
  const each = (g: Gauge, set: (route: string, q: QualityScrape) => void) => {
    g.reset();
    for (const [route, q] of scrape.quality?.() ?? []) set(route, q);
  };
  return {
    qualityDrift: new Gauge({ name: 'shadowgate_quality_drift', help: 'Drift of an input feature from the route\'s reference, by the statistic that judged it (ks: D, chi2: the statistic, wasserstein: normalized distance, jensen-shannon: distance).', labelNames: ['route', 'feature', 'statistic'] as const, registers: r, aggregator: 'max',
      collect() { each(this, (route, q) => { for (const f of q.features) if (f.drift) this.set({ route, feature: f.name, statistic: f.drift.statistic }, f.drift.value); }); } }),
    qualityDriftPValue: new Gauge({ name: 'shadowgate_quality_drift_p_value', help: 'p-value of an input feature\'s two-sample test (KS or chi-squared) against the reference.', labelNames: ['route', 'feature'] as const, registers: r, aggregator: 'min',
      collect() { each(this, (route, q) => { for (const f of q.features) if (f.drift?.pValue != null) this.set({ route, feature: f.name }, f.drift.pValue); }); } }),
    qualityDrifted: new Gauge({ name: 'shadowgate_quality_drifted', help: '1 while an input feature has drifted from the route\'s reference (past its threshold).', labelNames: ['route', 'feature'] as const, registers: r, aggregator: 'max',
      collect() { each(this, (route, q) => { for (const f of q.features) if (f.drift) this.set({ route, feature: f.name }, f.drift.drifted ? 1 : 0); }); } }),
    qualityPsi: new Gauge({ name: 'shadowgate_quality_psi', help: 'Population stability index of an input feature against the route\'s reference (reported, not gated).', labelNames: ['route', 'feature'] as const, registers: r, aggregator: 'max',
      collect() { each(this, (route, q) => { for (const f of q.features) if (f.drift?.psi != null) this.set({ route, feature: f.name }, f.drift.psi); }); } }),
    qualityAlerts: new Gauge({ name: 'shadowgate_quality_alerts', help: 'Data-quality alerts standing on a route, by check (drift, missing, type, range, unseen).', labelNames: ['route', 'check'] as const, registers: r, aggregator: 'max',
      collect() { each(this, (route, q) => { for (const check of QUALITY_CHECKS) this.set({ route, check }, q.alerts.filter((a) => a.check === check).length); }); } }),
    qualityReferenceRows: new Gauge({ name: 'shadowgate_quality_reference_rows', help: 'Copies in the route\'s data-quality reference (learned from its first quality.referenceSize copies).', labelNames: ['route'] as const, registers: r, aggregator: 'min',
      collect() { each(this, (route, q) => this.set({ route }, q.reference.rows)); } }),
    qualityGateOpen: new Gauge({ name: 'shadowgate_quality_gate_open', help: '1 while the route\'s data quality lets its experiments pass; 0 while the reference is learned or an alert stands.', labelNames: ['route'] as const, registers: r, aggregator: 'min',
      collect() { each(this, (route, q) => this.set({ route }, q.gate.open ? 1 : 0)); } }),
  };
}

/** Metric label for an HTTP status: the code itself (a bounded set). */
export function codeLabel(status: number): string {
  return status >= 100 && status < 600 ? String(status) : 'other';
}
