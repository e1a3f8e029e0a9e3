// The one wiring of shadowgate's control plane, used by a single process (app.ts) and by a cluster
// primary (primary.ts): the state backend (one kind per deployment, src/state/), the audit trail, the
// experiments, the routing runtime and its guardrail signals, the admin API's context, the reload
// sequence and the signals. What differs between the two is what each serves (traffic and its results,
// or workers), given as an `AdminPlane` and a reload step; nothing here asks which backend it runs on
// beyond the one question of whose comparers the judge reads.
import type { Logger } from 'pino';
import { loadConfigFile } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { ConfigError, ShadowgateError } from '../errors.js';
import type { Metrics } from '../observe/metrics.js';
import type { RouteComparer } from '../compare/index.js';
import { RoutingRuntime } from '../routing/runtime.js';
import { AuditLog, auditRoutingEvents } from '../state/audit.js';
import type { AuditSink, FleetView, StateBackend } from '../state/backend.js';
import { fleetViewOf } from '../state/evidence.js';
import { FileBackend } from '../state/file.js';
import { IpcBackend, type FleetQuery } from '../state/ipc.js';
import { PrimaryBackend } from '../state/primary.js';
import { RedisBackend, assertRedisConfig } from '../state/redis.js';
import { FleetSignals } from '../state/report.js';
import { startAdminServer } from '../admin/server.js';
import type { AdminContext } from '../admin/context.js';
import { ExperimentRegistry } from '../experiments/index.js';
import { configGateRefusals } from '../experiments/config-gate.js';

export type ReloadResult = { ok: true } | { ok: false; problems: string[] };

type GuardSignals = ReturnType<RouteComparer['guardSignals']>;

export interface WiringOptions {
  readonly config: Config;
  readonly log: Logger;
  readonly metrics: Metrics;
  /** The process's state backend (`stateBackend` or `primaryBackend` below). */
  readonly backend: StateBackend;
  /** The file to re-read on reload (SIGHUP, POST /admin/reload). */
  readonly configPath?: string;
  /** This process's own comparers' signals, for a judge that reads no fleet (file, ipc). */
  readonly localSignals?: (route: string, nowMs: number) => GuardSignals | undefined;
}

/** What each kind of process serves through the admin API (the rest of its context is the wiring's). */
export type AdminPlane = Pick<AdminContext, 'ready' | 'readiness' | 'report' | 'samples' | 'reload'> & {
  /** The Prometheus exposition (after the routing runtime's gauges are flushed). */
  exposition(): Promise<{ contentType: string; body: string }>;
  /** The audit sink the admin API appends to (default: the fleet's trail). */
  readonly audit?: AuditSink;
};

export class Wiring {
  /** The configuration in force (swapped by a successful reload). */
  config: Config;
  readonly log: Logger;
  readonly metrics: Metrics;
  /** Where routing state lives and how this process meets its fleet (src/state/). */
  readonly backend: StateBackend;
  readonly audit: AuditLog;
  /** The audit trail as the fleet sees it (this process's file, plus the fleet's where there is one). */
  readonly auditTrail: AuditSink;
  /** Experiments and the canary gate (docs/experiments.md); configured ones join on reload. */
  readonly experiments: ExperimentRegistry;
  readonly routing: RoutingRuntime;
  private admin: { port: number; close(): Promise<void> } | undefined;

  constructor(private readonly opts: WiringOptions) {
    const { config, log, metrics } = opts;
    this.config = config;
    this.log = log;
    this.metrics = metrics;
    this.audit = new AuditLog(config.admin.auditFile, log);
    this.backend = opts.backend;
    this.auditTrail = this.backend.auditSink(this.audit);
    this.experiments = new ExperimentRegistry(config.experiments, config.admin.experimentsFile);
    const backend = this.backend;
    // A judge that sees other processes (a Redis replica, a cluster primary) reads the fleet's merged
    // comparers; every other process its own.
    const fleetSignals = new FleetSignals();
    const local = opts.localSignals ?? (() => undefined);
    const fleetJudged = backend.kind === 'redis' || backend.kind === 'primary';
    this.routing = new RoutingRuntime(config, {
      metrics,
      log,
      signals: fleetJudged
        ? (route, nowMs) => fleetSignals.get(this.config.routes.find((r) => r.name === route), backend.snapshots(nowMs), nowMs)
        : (route, nowMs) => local(route, nowMs),
      store: backend.store,
      judge: () => backend.isJudge(),
      evidence: (route, nowMs, z) => backend.evidence(route, nowMs, z),
      onEvent: auditRoutingEvents(this.auditTrail, log),
    });
  }

  get adminPort(): number {
    return this.admin?.port ?? 0;
  }

  /**
   * Reads the config file again (or takes the given one), validates it fully, then swaps: `prepare`
   * builds what the new config needs (throwing changes nothing) and returns the swap, which runs after
   * the routing runtime and the experiments took the new config.
   */
  async reload(next: Config | undefined, prepare: (config: Config) => () => void, done = 'configuration reloaded'): Promise<ReloadResult> {
    try {
      const config = next ?? loadConfigFile(this.requireConfigPath());
      this.gate(config);
      const swap = prepare(config);
      this.routing.applyConfig(config);
      this.experiments.sync(config.experiments);
      this.config = config;
      swap();
      this.metrics.configReloads.inc({ result: 'success' });
      this.log.info({ routes: config.routes.map((r) => r.name) }, done);
      return { ok: true };
    } catch (err) {
      this.metrics.configReloads.inc({ result: 'error' });
      const problems = err instanceof ConfigError ? [...err.problems] : [errorSummary(err).message];
      this.log.error({ problems }, 'configuration reload failed; the running configuration stays');
      return { ok: false, problems };
    }
  }

  /**
   * The experiment gate (src/experiments/config-gate.ts): a reload may not give a gated candidate live
   * traffic. A cluster worker (ipc) skips it: its registry is a copy, the primary holds the experiments
   * and asks the gate on its own reload.
   */
  private gate(config: Config): void {
    if (this.backend.kind === 'ipc') return;
    const refused = configGateRefusals(this.config, config, (route, candidate) => {
      const known = this.experiments.gate(route, candidate)?.reason;
      // An experiment this configuration adds starts proposed: it closes the gate too.
      const added = config.experiments.find((e) => e.route === route && (e.candidate === undefined || e.candidate === candidate) && !this.experiments.list().some((k) => k.id === e.id));
      return known ?? (added === undefined ? undefined : `route "${route}"'s candidate is bound to experiment "${added.id}" (new in this configuration: proposed)`);
    });
    if (refused.length > 0) throw new ShadowgateError('SG_ERR_EXPERIMENT_GATE', `the experiment gate refuses this configuration: ${refused.join('; ')}`);
  }

  private requireConfigPath(): string {
    if (this.opts.configPath === undefined) throw new ShadowgateError('SG_ERR_RELOAD', 'this process was started without a config file to re-read', 409);
    return this.opts.configPath;
  }

  /** GET /admin/fleet: who this process is in its fleet, whether it judges, and whose evidence it sees. */
  fleetView(): FleetView {
    return fleetViewOf(this.backend, Date.now());
  }

  adminContext(plane: AdminPlane): AdminContext {
    return {
      ready: () => plane.ready(),
      ...(plane.readiness ? { readiness: () => plane.readiness!() } : {}),
      metrics: async () => {
        this.routing.flushMetrics();
        this.metrics.fleetJudge.set(this.backend.isJudge() ? 1 : 0);
        return plane.exposition();
      },
      report: (route) => plane.report(route),
      samples: (route) => plane.samples(route),
      recordConfig: () => this.config.record,
      reload: () => plane.reload(),
      routing: this.routing,
      audit: plane.audit ?? this.auditTrail,
      experiments: this.experiments,
      reportConfidence: (route) => {
        const r = this.config.routes.find((x) => x.name === route);
        return r?.shadow === undefined ? undefined : 1 - r.shadow.compare.regression.alpha;
      },
      fleet: () => this.fleetView(),
    };
  }

  /** Binds the admin API (port: an override of admin.port, tests and the demo use 0). */
  async startAdmin(plane: AdminPlane, port?: number): Promise<number> {
    const cfg = this.config.admin;
    this.admin = await startAdminServer(this.adminContext(plane), port === undefined ? cfg : { ...cfg, port }, this.log);
    return this.admin.port;
  }

  async stopAdmin(): Promise<void> {
    await this.admin?.close();
  }
}

/** SIGHUP reloads; SIGTERM and SIGINT stop (once). */
export function installSignals(on: { reload(): void; stop(signal: NodeJS.Signals): void }): void {
  process.on('SIGHUP', () => on.reload());
  process.once('SIGTERM', () => on.stop('SIGTERM'));
  process.once('SIGINT', () => on.stop('SIGINT'));
}

export function errorSummary(err: unknown): { code?: string; message: string } {
  if (err instanceof ShadowgateError) return { code: err.code, message: err.message };
  return { message: err instanceof Error ? err.message : String(err) };
}

/**
 * The state backend of a process that serves traffic: ipc for a cluster worker (`answer`: its answers to
 * the primary), else file or redis as `state.backend` says.
 */
export function stateBackend(config: Config, log: Logger, metrics: Metrics, worker?: { answer: (what: FleetQuery, route: string | undefined) => unknown }): StateBackend {
  if (worker !== undefined) {
    metrics.stateBackendUp.set({ backend: 'ipc' }, 1);
    return new IpcBackend(config.state.evidenceInterval, worker.answer);
  }
  return redisBackend(config, log, metrics)?.() ?? new FileBackend(config.admin.stateFile);
}

/** The state backend of a cluster primary: its workers' hub over the state file, or over a Redis replica. */
export function primaryBackend(config: Config, log: Logger, metrics: Metrics): PrimaryBackend {
  const redis = redisBackend(config, log, metrics);
  return new PrimaryBackend({ log, evidenceIntervalMs: config.state.evidenceInterval, stateFile: config.admin.stateFile, ...(redis ? { redis } : {}) });
}

/** With state.backend redis, the Redis replica's factory (its up gauge starts at 0); else the file's gauge is 1. */
function redisBackend(config: Config, log: Logger, metrics: Metrics): ((onApplied?: (routes: readonly string[]) => void) => RedisBackend) | undefined {
  const up = metrics.stateBackendUp;
  if (config.state.backend !== 'redis') {
    up.set({ backend: 'file' }, 1);
    return undefined;
  }
  up.set({ backend: 'redis' }, 0);
  return (onApplied) => new RedisBackend({
    cfg: assertRedisConfig(config.state.redis), evidenceIntervalMs: config.state.evidenceInterval, stateFile: config.admin.stateFile, log,
    onUp: (ok) => up.set({ backend: 'redis' }, ok ? 1 : 0),
    ...(onApplied ? { onApplied } : {}),
  });
}
