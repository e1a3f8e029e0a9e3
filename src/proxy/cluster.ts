// Multi-core serving (`server.workers: N`): node:cluster workers share the proxy port, each a full
// shadowgate with its own pools and shadows, following the routing state its primary pushes (the
// `ipc` state backend, src/state/ipc.ts). The primary serves no traffic: it owns the canary state
// (its state file), judges rollouts and guardrails on the workers' merged live windows, serves the
// whole admin API (metrics aggregated across workers, gauges not summed), writes the audit trail,
// and relays SIGHUP and SIGTERM. With state.backend redis the primary is one replica of a fleet of
// hosts: its store is Redis, it judges while it holds the lease, it publishes its workers' evidence
// and pushes the fleet's changes to them.
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, Registry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import { AuditLog, auditRoutingEvents } from '../state/audit.js';
import type { AdminContext } from '../admin/context.js';
import { startAdminServer } from '../admin/server.js';
import { ExperimentRegistry } from '../experiments/index.js';
import { configGateRefusals } from '../experiments/config-gate.js';
import { StateFile } from '../state/state-file.js';
import { loadConfigFile } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { ConfigError } from '../errors.js';
import { createLogger } from '../observe/log.js';
import { createMetrics } from '../observe/metrics.js';
import { RoutingRuntime } from '../routing/runtime.js';
import type { EvidenceSnapshot } from '../state/backend.js';
import { contributorsOf } from '../state/evidence.js';
import { ClusterHub, PrimaryStore } from '../state/ipc.js';
import { RedisBackend, assertRedisConfig } from '../state/redis.js';
import { FleetSignals, fleetReport } from '../state/report.js';

/** How long the primary waits for its workers' metrics, samples or report. */
const ASK_TIMEOUT_MS = 2000;
/** Gauges the primary owns: the workers' copies (briefly behind after a change) are not merged in. */
const PRIMARY_GAUGES = new Set(['shadowgate_canary_weight_percent']);

export async function serveCluster(config: Config, configPath: string): Promise<void> {
  if (cluster.isPrimary) return runPrimary(config, configPath);
  const { startShadowgate } = await import('../app.js');
  const started = await startShadowgate(config, { configPath, handleSignals: true, admin: false, worker: true });
  // A worker whose primary died (even by SIGKILL) drains and exits instead of serving on, orphaned.
  process.once('disconnect', () => void started.close().then(() => process.exit(0), () => process.exit(1)));
}

async function runPrimary(initial: Config, configPath: string): Promise<void> {
  let config = initial;
  const log = createLogger(config.log.level);
  const metrics = createMetrics(new Registry(), { defaults: false });
  const audit = new AuditLog(config.admin.auditFile, log);
  let stopping = false;
  const signals = new FleetSignals();
  // With state.backend redis this host's primary is one replica of a larger fleet (the judge while it
  // holds the lease); with file it is the whole fleet's judge.
  const redis = config.state.backend === 'redis' ? new RedisBackend({
    cfg: assertRedisConfig(config.state.redis), evidenceIntervalMs: config.state.evidenceInterval, stateFile: config.admin.stateFile, log,
    onUp: (ok) => metrics.stateBackendUp.set({ backend: 'redis' }, ok ? 1 : 0),
    onApplied: (names) => store.remoteApplied(names),
  }) : undefined;
  metrics.stateBackendUp.set({ backend: redis ? 'redis' : 'file' }, redis ? 0 : 1);
  const auditTrail = redis?.auditSink(audit) ?? audit;
  const store = new PrimaryStore(redis?.store ?? new StateFile(config.admin.stateFile), (routes) => hub.broadcast(routes));
  const fleetSnapshots = (nowMs: number) => (redis ? redis.snapshots(nowMs) : hub.board.fresh(nowMs));
  const routing: RoutingRuntime = new RoutingRuntime(config, {
    metrics,
    log,
    store,
    judge: redis === undefined ? undefined : () => redis.isJudge(),
    evidence: (route, nowMs, z) => (redis ?? hub.board).evidence(route, nowMs, z),
    signals: (route, nowMs) => signals.get(config.routes.find((r) => r.name === route), fleetSnapshots(nowMs), nowMs),
    onEvent: auditRoutingEvents(auditTrail, log),
  });
  const hub: ClusterHub = new ClusterHub({
    log,
    evidenceIntervalMs: config.state.evidenceInterval,
    state: () => store.full(),
    onSave: (routes) => store.fromWorker(routes),
    onAudit: (rec) => void auditTrail.append(rec).catch((err: unknown) => log.error({ err: (err as Error).message }, 'audit record could not be written')),
  });
  store.bind(routing);
  // The fleet's state before any worker starts serving.
  await redis?.start({ routing, log, evidence: () => ({}), snapshots: (nowMs) => hub.board.fresh(nowMs) });

  // Ready means every worker is accepting on the proxy port, not merely forked.
  const listening = new Set<number>();
  cluster.on('listening', (worker) => listening.add(worker.id));
  const fork = (): Worker => {
    const w = cluster.fork();
    hub.attach(w);
    return w;
  };
  for (let i = 0; i < config.server.workers; i++) fork();
  cluster.on('exit', (worker, code) => {
    listening.delete(worker.id);
    if (stopping) return;
    log.error({ worker: worker.process.pid, code }, 'worker exited; starting another');
    fork();
  });
  const relay = (signal: NodeJS.Signals) => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill(signal);
  };
  const workerCount = () => Object.keys(cluster.workers ?? {}).length;

  // The admin API lives here in cluster mode: so do the experiments and the canary gate.
  const experiments = new ExperimentRegistry(config.experiments, config.admin.experimentsFile);
  const ctx: AdminContext = {
    experiments,
    reportConfidence: (route) => {
      const r = config.routes.find((x) => x.name === route);
      return r?.shadow === undefined ? undefined : 1 - r.shadow.compare.regression.alpha;
    },
    ready: () => !stopping && listening.size >= config.server.workers,
    readiness: () => ({ workers: workerCount(), listening: listening.size, ...(stopping ? { draining: true } : {}) }),
    metrics: async () => {
      routing.flushMetrics();
      metrics.fleetJudge.set(redis === undefined || redis.isJudge() ? 1 : 0);
      const parts = (await hub.ask('metrics', undefined, ASK_TIMEOUT_MS)) as MetricObjectWithValues<MetricValue<string>>[][];
      const own = await metrics.registry.getMetricsAsJSON();
      const merged = AggregatorRegistry.aggregate([...parts.map((p) => p.filter((m) => !PRIMARY_GAUGES.has(m.name))), own]);
      return { contentType: merged.contentType, body: await merged.metrics() };
    },
    report: async (route) => {
      // Asked now (not the last interval's snapshots): the report counts every exchange compared so far.
      const now = Date.now();
      const answers = (await hub.ask('report', undefined, ASK_TIMEOUT_MS)) as EvidenceSnapshot['routes'][];
      const mine = answers.map((routes, i) => ({ replica: `${redis?.replica ?? 'primary'}>worker-${i + 1}`, at: now, routes }));
      // Other hosts' latest snapshots (Redis), this host's workers' as of now.
      const others = redis ? redis.snapshots(now).filter((s) => !s.replica.startsWith(`${redis.replica}>`)) : [];
      return fleetReport(config, [...others, ...mine], route, now);
    },
    samples: async (route) => {
      const answers = await hub.ask('samples', route, ASK_TIMEOUT_MS);
      return answers.find((a) => a !== null);
    },
    reload: async () => {
      try {
        const next = loadConfigFile(configPath);
        // The experiment gate (the primary holds the experiments): no reload gives a gated candidate traffic.
        const refused = configGateRefusals(config, next, (route, candidate) => experiments.gate(route, candidate)?.reason);
        if (refused.length > 0) throw new Error(`the experiment gate refuses this configuration: ${refused.join('; ')}`);
        routing.applyConfig(next);
        experiments.sync(next.experiments);
        config = next;
        relay('SIGHUP');
        metrics.configReloads.inc({ result: 'success' });
        log.info({ routes: next.routes.map((r) => r.name) }, 'configuration reloaded; workers told');
        return { ok: true };
      } catch (err) {
        metrics.configReloads.inc({ result: 'error' });
        const problems = err instanceof ConfigError ? [...err.problems] : [(err as Error).message];
        log.error({ problems }, 'configuration reload failed; the running configuration stays');
        return { ok: false, problems };
      }
    },
    recordConfig: () => config.record,
    routing,
    audit: auditTrail,
    fleet: () => {
      const now = Date.now();
      return {
        backend: redis ? 'redis' : 'file', replica: redis?.replica ?? `primary:${process.pid}`, up: redis?.up() ?? true,
        judge: redis?.isJudge() ?? true, contributors: contributorsOf(fleetSnapshots(now), now), pending: redis?.pendingChanges() ?? [],
      };
    },
  };
  const admin = await startAdminServer(ctx, config.admin, log);
  log.info({ workers: config.server.workers, adminPort: admin.port }, 'shadowgate cluster admin listening');

  process.on('SIGHUP', () => void ctx.reload());
  const stop = (signal: NodeJS.Signals) => {
    stopping = true;
    // A terminal's Ctrl-C already reached every worker (same process group); SIGTERM must be relayed.
    if (signal === 'SIGTERM') relay(signal);
    routing.close();
    void admin.close();
    void redis?.close();
    cluster.on('exit', () => {
      if (workerCount() === 0) void Promise.all([audit.close(), routing.flush()]).finally(() => process.exit(0));
    });
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}
