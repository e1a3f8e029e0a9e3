// The running process: builds a Generation (route table, pools, shadows, policies) from a validated
// config, swaps it atomically on reload, and connects the rooms — proxy → shadow → compare / dataset,
// live results → canary guardrails, and the admin API over all of it.
import { isDeepStrictEqual } from 'node:util';
import cluster from 'node:cluster';
import { Pool } from '../http/undici.js';
import { Registry } from 'prom-client';
import type { Config, RouteConfig } from '../config/schema.js';
import { createMetrics, type Metrics } from '../observe/metrics.js';
import { createLogger, type Logger } from '../observe/log.js';
import { ProxyServer, type Generation, type LiveRoute, type LiveTarget } from '../proxy/server.js';
import { createPassthrough } from '../proxy/passthrough.js';
import { upstreamPoolOptions } from '../http/upstream.js';
import { RouteTable } from '../routing/route-table.js';
import { stickyKeyReader } from '../routing/canary.js';
import type { RoutingRuntime } from '../routing/runtime.js';
import type { AuditLog } from '../state/audit.js';
import type { AuditSink, EvidenceSnapshot, FleetView, RouteEvidence, StateBackend } from '../state/backend.js';
import { comparerSnapshots, fleetReport } from '../state/report.js';
import type { FleetQuery } from '../state/ipc.js';
import type { ExperimentRegistry } from '../experiments/index.js';
import { OverloadMonitor } from '../shadow/admission.js';
import { RouteShadow } from '../shadow/shadow.js';
import { ShadowThreadPool, defaultShadowThreads } from '../shadow-threads/pool.js';
import { createAnonymizer } from '../anonymize/index.js';
import { withDropped, type RouteComparer, type RouteReport } from '../compare/index.js';
import { DatasetWriter, perWorkerPath } from '../dataset/writer.js';
import { loadDataKeys } from '../dataset/crypt.js';
import { forwardSealed, LineageLedger, peersOf } from './experiment-lineage.js';
import { ledgerVerifiers } from '../ledger/keys.js';
import { publishRouteUpstreams } from '../observe/route-info.js';
import { createTracer, type Tracer } from '../observe/trace.js';
import { GrpcChannels } from '../grpc/channels.js';
import { grpcMethods, liveGrpc } from '../grpc/route.js';
import type { StreamReport } from '../compare/stream-book.js';
import { QualityBook } from '../quality/index.js';
import { readQualityReference } from './quality-reference.js';
import { sliceMetricRows, type SliceReport } from '../quality/slices.js';
import { RouteResults } from './route-results.js';
import { exposedGc, fullGc, idleGcOptions, mb, startIdleGc, type IdleGcOptions } from '../observe/idle-gc.js';
import { Wiring, errorSummary, installSignals, stateBackend, type AdminPlane, type ReloadResult } from './wiring.js';

export type { ReloadResult } from './wiring.js';

export interface StartOptions {
  /** The file to re-read on reload (SIGHUP, POST /admin/reload). */
  readonly configPath?: string;
  readonly logger?: Logger;
  readonly registry?: Registry;
  /** Install SIGHUP (reload) and SIGTERM/SIGINT (drain, then exit) handlers: `serve` does. */
  readonly handleSignals?: boolean;
  /** Override listening ports (tests and the demo use 0). */
  readonly port?: number;
  readonly adminPort?: number;
  /** Start the admin API (default true). */
  readonly admin?: boolean;
  /** A node:cluster worker: the primary owns the admin port. */
  readonly worker?: boolean;
}

interface RouteRuntime extends LiveRoute {
  readonly comparer: RouteComparer | undefined;
  /** The route's results in this generation (comparer, stream book, field labels, dataset line). */
  readonly results: RouteResults;
}

interface AppGeneration extends Generation {
  readonly config: Config;
  /** HTTP/2 sessions of gRPC routes' live calls (the shadow threads hold their own). */
  readonly grpc: GrpcChannels | undefined;
  /** The shadow threads process this generation's copies under the same number. */
  readonly generation: number;
  readonly routes: RouteTable<RouteRuntime>;
  /** The compared routes' results, by route name. */
  readonly compared: ReadonlyMap<string, RouteResults & { readonly comparer: RouteComparer }>;
}

export class Shadowgate {
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly proxy: ProxyServer;
  readonly overload: OverloadMonitor;
  port = 0;
  adminPort = 0;
  private gen!: AppGeneration;
  /** The control plane: state backend, audit, experiments, routing runtime, admin API, reload (wiring.ts). */
  readonly wiring: Wiring;
  /** Each route's data quality and drift (routes[].quality, docs/quality.md). */
  private readonly quality = new QualityBook();
  /** The one dataset writer of the process (every route's results append to it). */
  private writer: { key: string; writer: DatasetWriter } | undefined;
  /**
   * The lineage ledger (config `ledger:`, and with `ledger.stream: redis` the fleet's stream, where
   * experiment entries go); workers of a cluster write their own `.w<id>` file and forward their sealed
   * files' entries to the primary's.
   */
  private readonly lineage: LineageLedger;
  private closing: Promise<void> | undefined;
  private stopIdleGc: (() => void) | undefined;
  readonly routing: RoutingRuntime;
  readonly audit: AuditLog;
  /** Where routing state lives and how this process meets its fleet (src/state/). */
  readonly backend: StateBackend;
  /** The audit trail as the fleet sees it (this process's file, plus the fleet's where there is one). */
  readonly auditTrail: AuditSink;
  /** Experiments and the canary gate (docs/experiments.md); configured ones join on reload. */
  readonly experiments: ExperimentRegistry;
  /** Anonymization, the leak guard, comparison and dataset serialization run there, never here. */
  readonly shadowThreads: ShadowThreadPool;
  private generations = 0;

  constructor(config: Config, readonly opts: StartOptions = {}) {
    this.log = opts.logger ?? createLogger(config.log.level);
    this.metrics = createMetrics(opts.registry ?? new Registry());
    this.overload = new OverloadMonitor(config.server.maxEventLoopDelay);
    this.wiring = new Wiring({
      config, log: this.log, metrics: this.metrics,
      backend: stateBackend(config, this.log, this.metrics, opts.worker ? { answer: (what, route) => this.answer(what, route) } : undefined),
      ...(opts.configPath !== undefined ? { configPath: opts.configPath } : {}),
      localSignals: (route, nowMs) => this.gen.compared.get(route)?.comparer.guardSignals(nowMs),
    });
    ({ routing: this.routing, audit: this.audit, backend: this.backend, auditTrail: this.auditTrail, experiments: this.experiments } = this.wiring);
    this.lineage = new LineageLedger(this.log, () => this.backend.isJudge(), opts.worker !== true,
      { replica: () => this.backend.replica, peers: () => peersOf(this.backend.snapshots(Date.now()), this.backend.replica) });
    this.shadowThreads = new ShadowThreadPool({
      threads: config.server.shadowThreads ?? defaultShadowThreads(),
      queue: config.server.shadowQueue,
      nice: config.server.shadowThreadNice,
      metrics: this.metrics,
      log: this.log,
    });
    this.gen = this.build(config, undefined);
    publishRouteUpstreams(this.metrics, config);
    this.proxy = new ProxyServer({
      generation: () => this.gen,
      metrics: this.metrics,
      accessLog: config.log.access ? this.log.child({ log: 'access' }) : undefined,
      log: this.log,
      tls: config.server.tls,
      http2: config.server.http2,
    });
    const scrape = this.metrics.scrape;
    scrape.liveInFlight = () => this.proxy.inFlightCount;
    scrape.slotsInUse = () => this.routing.slotsInUse();
    scrape.upstreamConnections = () => [...this.gen.pools].map(([name, pool]) => [name, pool.stats]);
    scrape.quality = () => this.quality.reports(Date.now());
    scrape.slices = () => sliceMetricRows([...this.gen.compared].flatMap(([name, r]): [string, SliceReport][] => { const s = r.sliceReport(); return s === undefined ? [] : [[name, s]]; }));
  }

  get config(): Config {
    return this.gen.config;
  }

  /** The live shadow of a route (for tests and the admin view). */
  routeShadow(route: string): RouteShadow | undefined {
    return this.gen.routes.get(route)?.shadow;
  }

  get ready(): boolean {
    return this.closing === undefined;
  }

  /** Builds everything a config needs; throws (and changes nothing) when any part is invalid. */
  private build(config: Config, previous: AppGeneration | undefined): AppGeneration {
    const inUse = config.routes.flatMap((r) => (r.shadow?.policy && r.shadow.policy !== 'none' ? [r.shadow.policy] : []));
    // Validation only (key, policies): the compiled policies live in the shadow threads, not here.
    createAnonymizer(config.anonymize, inUse);
    // The ledger's key and the keys of encryption at rest are checked before anything is swapped.
    if (config.record?.encryption) loadDataKeys(config.record.encryption);
    if (config.ledger) ledgerVerifiers(config.ledger);
    const generation = ++this.generations;
    const pools = new Map<string, Pool>();
    const retryPools = new Map<string, Pool>();
    const timeouts = new Map<string, number>();
    const queueLimits = new Map<string, { maxQueue: number; capacity: number }>();
    for (const [name, u] of Object.entries(config.upstreams)) {
      if (u.maxQueue !== undefined) queueLimits.set(name, { maxQueue: u.maxQueue, capacity: u.connections * u.pipelining });
      const prev = previous?.config.upstreams[name];
      const reuse = prev !== undefined && isDeepStrictEqual(prev, u) ? previous!.pools.get(name) : undefined;
      pools.set(name, reuse ?? new Pool(u.url, { connections: u.connections, pipelining: u.pipelining, keepAliveTimeout: 30_000, ...upstreamPoolOptions(u) }));
      // Live retries after a lost keep-alive connection: each call on a connection of its own (proxy/server.ts retry).
      retryPools.set(name, (reuse && previous!.retryPools.get(name)) ?? new Pool(u.url, { connections: u.connections, ...upstreamPoolOptions(u) }));
      timeouts.set(name, u.timeout);
    }
    const sameUpstreams = previous !== undefined && isDeepStrictEqual(previous.config.upstreams, config.upstreams);
    const sameTracing = previous !== undefined && isDeepStrictEqual(previous.config.tracing, config.tracing);
    const tracer = sameTracing ? previous!.tracer : createTracer(config.tracing, this.metrics.traceSpans);
    const wantsGrpc = config.routes.some((r) => r.protocol === 'grpc');
    const grpc = !wantsGrpc ? undefined : sameUpstreams && previous!.grpc ? previous!.grpc : new GrpcChannels(config.upstreams);
    const routes = new RouteTable(config.routes.map((r) => this.buildRoute(r, generation, tracer, grpc, previous?.routes.get(r.name)?.results)));
    const compared = new Map<string, RouteResults & { readonly comparer: RouteComparer }>();
    for (const r of routes.all()) if (r.results.comparer !== undefined) compared.set(r.name, r.results as RouteResults & { readonly comparer: RouteComparer });
    const pt = config.server.passthrough;
    const passthrough = pt !== undefined ? createPassthrough(pt, config.upstreams[pt]!.url, config.upstreams[pt]!.timeout, config.upstreams[pt]!.connections) : undefined;
    const { timeouts: clientTimeouts, maxConnections, maxHeaders, h2 } = config.server;
    return {
      config, generation, pools, retryPools, timeouts, queueLimits, routes, compared, grpc, maxBodyBytes: config.server.maxBodyBytes, passthrough,
      client: { timeouts: clientTimeouts, maxConnections, maxHeaders, h2 },
      ...(tracer ? { tracer } : {}),
    };
  }

  private buildRoute(r: RouteConfig, generation: number, tracer: Tracer | undefined, grpc: GrpcChannels | undefined, previous: RouteResults | undefined): RouteRuntime {
    const metrics = this.metrics;
    const results = new RouteResults(r, previous, { metrics, writer: () => this.writer?.writer });
    const comparer = results.comparer;
    this.quality.forRoute(r);
    const policyName = r.shadow?.policy;
    // gRPC: the .proto files load here too, so a bad one fails the configuration (the threads decode with them).
    const methods = r.protocol === 'grpc' ? grpcMethods(r) : undefined;
    const shadow = r.shadow === undefined ? undefined : new RouteShadow(r.name, r.shadow, {
      threads: this.shadowThreads,
      generation,
      policy: policyName === 'none' && !r.shadow.allowRawData ? undefined : policyName,
      metrics,
      overload: this.overload,
      onResult: (result) => {
        if (result.quality) this.quality.observe(r.name, result.quality, Date.now(), result.diff?.labels);
        results.record(result);
      },
      onError: (err) => this.log.error({ route: r.name, err: errorSummary(err) }, 'shadow hook failed'),
      ...(tracer ? { tracer } : {}),
    });
    const upstreams: Record<LiveTarget, string> = { incumbent: r.primary, candidate: r.canary?.upstream ?? r.primary };
    const sticky = stickyKeyReader(r.canary?.stickyBy ?? 'none') ?? noKey;
    // Prometheus children are looked up once per (upstream, code), not per request (no key string either).
    const children = new Map<string, Map<number, { inc(): void }>>();
    const durations = new Map<string, { observe(v: number): void }>();
    const routing = this.routing;
    return {
      config: r, name: r.name, upstreams, shadow, comparer, results,
      ...(methods && grpc ? { grpc: liveGrpc(r.name, grpc, metrics) } : {}),
      fallbackToIncumbent: r.canary?.fallbackToIncumbent ?? false,
      decide: (headers, remote) => routing.decide(r.name, headers, remote),
      stickyKey: sticky,
      tryAcquire: (now) => routing.tryAcquire(r.name, now),
      release: () => routing.release(r.name),
      onLive(target, upstream, status, latencyMs, fellBack) {
        let byCode = children.get(upstream);
        if (!byCode) children.set(upstream, (byCode = new Map()));
        let c = byCode.get(status);
        if (!c) byCode.set(status, (c = metrics.requests.labels(r.name, upstream, String(status))));
        c.inc();
        let d = durations.get(upstream);
        if (!d) durations.set(upstream, (d = metrics.requestDuration.labels(r.name, upstream, 'primary')));
        d.observe(latencyMs / 1000);
        if (fellBack) metrics.canaryFallbacks.inc({ route: r.name });
        const now = Date.now();
        routing.recordLive(r.name, target, status, latencyMs, now);
        comparer?.recordPrimary(upstream, latencyMs, status, now);
      },
    };
  }

  /** Binds the proxy (and the admin API), then serves. */
  async listen(): Promise<void> {
    const cfg = this.gen.config;
    // quality.reference.dataset: a reference that cannot be read (or fails its manifest) refuses the start.
    await this.loadQualityReferences(cfg, true);
    // The fleet's state first: no request is served on a weight the fleet has already changed.
    await this.backend.start({ routing: this.routing, log: this.log, evidence: () => this.evidence() });
    this.shadowThreads.start(cfg, this.gen.generation);
    void this.shadowThreads.ready.then(() => this.log.info({ threads: this.shadowThreads.threadIds.length }, 'shadow threads ready'), () => undefined);
    this.port = await this.proxy.listen(this.opts.port ?? cfg.server.port, cfg.server.host);
    await this.startAdmin();
    this.applyRecording(cfg);
    this.overload.reset();
    for (const r of cfg.routes) {
      if (r.shadow?.policy === 'none' && r.shadow.allowRawData) {
        this.log.warn({ route: r.name }, 'route mirrors RAW data (policy none, allowRawData): use with synthetic traffic only');
      }
    }
    this.log.info({ port: this.port, adminPort: this.adminPort, routes: cfg.routes.map((r) => r.name) }, 'shadowgate listening');
    const idleGc = idleGcOptions(cfg.server.idleGc);
    if (idleGc !== undefined) this.stopIdleGc = this.startIdleGc(idleGc);
  }

  /** observe/idle-gc.ts: one full GC per thread when quiet after the heap grew (docs/memory.md); needs --expose-gc. */
  private startIdleGc(options: IdleGcOptions): (() => void) | undefined {
    const gc = exposedGc();
    if (gc === undefined) {
      this.log.debug('idle gc off: node runs without --expose-gc');
      return undefined;
    }
    return startIdleGc({
      inFlight: () => this.proxy.inFlightCount,
      started: () => this.proxy.startedCount,
      run: () => {
        const run = fullGc(gc);
        this.metrics.idleGc.inc({ thread: 'live' });
        this.log.info({ thread: 'live', heapUsedMB: [mb(run.beforeBytes), mb(run.afterBytes)], ms: run.ms }, 'idle gc');
        this.shadowThreads.idleGc();
      },
    }, options);
  }

  /** Reads the config file again (or takes the given config), validates it fully, then swaps. */
  reload(next?: Config): Promise<ReloadResult> {
    return this.wiring.reload(next, (config) => {
      const previous = this.gen;
      const gen = this.build(config, previous);
      this.reloadListenerTls(previous.config, config);
      return () => {
        publishRouteUpstreams(this.metrics, config);
        // A route the reload removed takes its comparison with it: report(route) no longer answers for it.
        this.gen = gen;
        this.quality.keep(config.routes.map((r) => r.name));
        void this.loadQualityReferences(config, false);
        // In the same turn as the swap: every copy of the new generation reaches a thread after its config.
        this.shadowThreads.configure(config, gen.generation);
        this.applyRecording(config);
        this.retire(previous, gen);
      };
    });
  }

  /**
   * quality.reference.dataset: reads the reference of each route that waits for its dataset
   * (src/app/quality-reference.ts). At start a refusal throws; after a reload it closes the route's gate
   * with the reason (the configuration is already in force).
   */
  private async loadQualityReferences(config: Config, strict: boolean): Promise<void> {
    for (const [i, r] of config.routes.entries()) {
      const quality = r.quality?.reference === undefined ? undefined : this.quality.forRoute(r);
      if (quality === undefined || !quality.awaitingReference) continue;
      try {
        const ref = await readQualityReference(config, i);
        quality.learnReference(ref.rows, ref.files);
        this.log.info({ route: r.name, files: ref.files, rows: ref.rows.length }, 'quality reference read from the dataset');
      } catch (err) {
        if (strict) throw err;
        const why = errorSummary(err).message;
        quality.refuseReference(`the reference dataset was refused: ${why}`);
        this.log.error({ route: r.name, err: why }, 'quality reference refused');
      }
    }
  }

  /** A new certificate (the files are re-read on every reload) serves new connections; the protocol stays. */
  private reloadListenerTls(previous: Config, next: Config): void {
    const before = previous.server.tls;
    const after = next.server.tls;
    if (isDeepStrictEqual(before, after) && previous.server.http2 === next.server.http2) return;
    if (before !== undefined && after !== undefined && this.proxy.server.reloadTls(after)) {
      this.log.info({ cert: after.cert.path }, 'listener certificate reloaded');
      if (previous.server.http2 !== next.server.http2) this.log.warn('server.http2 changes take effect on restart');
      return;
    }
    this.log.warn('server.tls on/off and server.http2 changes take effect on restart');
  }

  private async startAdmin(): Promise<void> {
    if (this.opts.admin === false || this.opts.worker) return;
    this.adminPort = await this.wiring.startAdmin(this.adminPlane(), this.opts.adminPort);
  }

  /** The report of every route, or of one (undefined when it is unknown); a fleet's when there is one. */
  report(route?: string): RouteReport[] | RouteReport | undefined {
    const now = Date.now();
    if (this.backend.kind === 'redis') {
      // The other replicas' latest snapshots, and this one's as of now.
      const snaps = this.backend.snapshots(now).filter((s) => s.replica !== this.backend.replica);
      snaps.push({ replica: this.backend.replica, at: now, routes: comparerSnapshots(this.gen.compared, this.sliceSnapshots, this.qualitySections) });
      // Each replica's quality section travels in its snapshot: the fleet's report combines them.
      return fleetReport(this.gen.config, snaps, route, now);
    }
    if (route !== undefined) return this.routeReport(route, now);
    return this.gen.config.routes.flatMap((r) => {
      const rep = this.routeReport(r.name, now);
      return rep ? [rep] : [];
    });
  }

  /** shadowgate_shadow_dropped_total by route and reason (whatever reasons the shadow path counts). */
  private async droppedByRoute(): Promise<Map<string, Record<string, number>>> {
    const out = new Map<string, Record<string, number>>();
    for (const v of (await this.metrics.shadowDropped.get()).values) {
      const route = String(v.labels.route ?? '');
      const by = out.get(route) ?? {};
      by[String(v.labels.reason ?? 'other')] = (by[String(v.labels.reason ?? 'other')] ?? 0) + v.value;
      out.set(route, by);
    }
    return out;
  }

  /** A route's report, with its streaming section when the route's answers stream. */
  private routeReport(route: string, now: number): (RouteReport & { streams?: StreamReport }) | undefined {
    const report = this.gen.compared.get(route)?.report(now);
    return report === undefined ? undefined : this.withQuality(report, now);
  }

  /** compare.slices: each compared route's table for a fleet's evidence. */
  private readonly sliceSnapshots = { snapshot: (route: string) => this.gen.compared.get(route)?.sliceSnapshot() };

  /** routes[].quality: each route's section for a fleet's evidence. */
  private readonly qualitySections = (route: string) => this.quality.report(route, Date.now());

  /** A report with the route's quality section (routes[].quality), when it has one. */
  private withQuality<R extends RouteReport>(r: R, now: number): R {
    const quality = this.quality.report(r.route, now);
    return quality === undefined ? r : { ...r, quality };
  }

  private adminPlane(): AdminPlane {
    return {
      ready: () => this.ready,
      exposition: async () => ({ contentType: this.metrics.registry.contentType, body: await this.metrics.registry.metrics() }),
      // With the copies dropped before comparison, by reason: a verdict on few of many offered says so.
      report: async (route) => withDropped(this.report(route), await this.droppedByRoute()),
      samples: (route) => this.gen.compared.get(route)?.comparer.samples(),
      reload: () => this.reload(),
      audit: this.lineage.audit(this.auditTrail, {
        config: () => this.gen.config, configPath: this.opts.configPath,
        recorder: () => this.writer?.writer, experiment: (id) => this.experiments.list().find((e) => e.id === id),
      }),
    };
  }

  /** This process's evidence: canary routes' live windows, shadowed routes' comparer snapshots. */
  evidence(): EvidenceSnapshot['routes'] {
    const out: Record<string, RouteEvidence> = {};
    // The quality sections as of their last check (a check of 32 features costs ~20 ms: not every interval).
    const compare = comparerSnapshots(this.gen.compared, this.sliceSnapshots, (route) => this.quality.report(route, Date.now(), false));
    for (const [name, live] of Object.entries(this.routing.exportEvidence())) out[name] = { ...live, ...compare[name] };
    for (const [name, c] of Object.entries(compare)) out[name] ??= c;
    return out;
  }

  /** Who this process is in its fleet, whether it judges, and whose evidence it sees. */
  fleetView(): FleetView {
    return this.wiring.fleetView();
  }

  /** A question from the cluster primary (the ipc backend). */
  private answer(what: FleetQuery, route: string | undefined): unknown {
    switch (what) {
      case 'metrics':
        this.routing.flushMetrics();
        return this.metrics.registry.getMetricsAsJSON();
      case 'samples':
        return route === undefined ? null : this.gen.compared.get(route)?.comparer.samples() ?? null;
      case 'report':
        return comparerSnapshots(this.gen.compared, this.sliceSnapshots, this.qualitySections);
      case 'cut':
        // An experiment starts or concludes on the primary: the file in progress is cut and sealed (its
        // entry forwarded to the primary's ledger before this answer).
        return this.writer?.writer.cut().then(() => true) ?? true;
    }
  }

  /** Closes what the new generation no longer uses, once its in-flight work is done. */
  private retire(previous: AppGeneration, current: AppGeneration): void {
    for (const r of previous.routes.all()) r.shadow?.close();
    for (const [name, pool] of previous.pools) if (current.pools.get(name) !== pool) void pool.close().catch(() => undefined);
    for (const [name, pool] of previous.retryPools) if (current.retryPools.get(name) !== pool) void pool.close().catch(() => undefined);
    if (previous.passthrough !== undefined) previous.passthrough.close();
    if (previous.tracer !== current.tracer) void previous.tracer?.close();
    if (previous.grpc !== undefined && previous.grpc !== current.grpc) previous.grpc.close();
  }

  private applyRecording(config: Config): void {
    const worker = cluster.isWorker && cluster.worker ? cluster.worker.id : undefined;
    this.lineage.apply(config, this.opts.configPath, config.ledger && worker !== undefined ? perWorkerPath(config.ledger.path, worker) : undefined);
    const rec = config.record;
    const ledger = this.lineage.ledger;
    const key = rec && rec.enabled ? JSON.stringify([rec, config.ledger]) : undefined;
    if (this.writer?.key === key) return;
    const old = this.writer?.writer;
    this.writer = rec && rec.enabled
      ? { key: key!, writer: new DatasetWriter(rec, { metrics: this.metrics, log: this.log, ledger, ...(worker !== undefined && ledger !== undefined ? { onSealed: forwardSealed } : {}) }) }
      : undefined;
    void old?.close();
  }

  /** SIGTERM: stop accepting, finish in-flight live requests, abandon shadow work, flush, close. */
  shutdown(): Promise<void> {
    this.closing ??= (async () => {
      const timeout = this.gen.config.server.drainTimeout;
      this.log.info({ inFlight: this.proxy.inFlightCount, timeoutMs: timeout }, 'draining');
      this.stopIdleGc?.();
      const clean = await this.proxy.drain(timeout);
      for (const r of this.gen.routes.all()) r.shadow?.close();
      await this.shadowThreads.close();
      await Promise.all([...this.gen.pools.values(), ...this.gen.retryPools.values()].map((p) => p.close().catch(() => undefined)));
      this.gen.passthrough?.close();
      // The file in progress is sealed (manifest, ledger entry) before the ledger closes.
      await this.writer?.writer.close({ seal: true });
      await this.lineage.close();
      await this.gen.tracer?.close();
      this.gen.grpc?.close();
      await this.wiring.stopAdmin();
      this.routing.close();
      await this.backend.close();
      await this.audit.close();
      this.overload.close();
      this.log.info({ clean }, 'stopped');
      await new Promise<void>((resolve) => this.log.flush(() => resolve()));
    })();
    return this.closing;
  }

}

export interface StartedShadowgate {
  readonly app: Shadowgate;
  readonly port: number;
  readonly adminPort: number;
  /** Drains live traffic (up to server.drainTimeout), abandons shadow work, flushes, closes. */
  close(): Promise<void>;
}

const noKey = (): undefined => undefined;

/** Starts a shadowgate for `config`: the proxy, the admin API, signal handling when asked. */
export async function startShadowgate(config: Config, opts: StartOptions = {}): Promise<StartedShadowgate> {
  const app = new Shadowgate(config, opts);
  try {
    await app.listen();
  } catch (err) {
    await app.shutdown();
    throw err;
  }
  if (opts.handleSignals) {
    installSignals({
      reload: () => void app.reload(),
      stop: (signal) => {
        app.log.info({ signal }, 'signal received');
        void app.shutdown().then(() => process.exit(0), () => process.exit(1));
      },
    });
  }
  return { app, port: app.port, adminPort: app.adminPort, close: () => app.shutdown() };
}
