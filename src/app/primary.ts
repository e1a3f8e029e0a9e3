// Multi-core serving (`server.workers: N`): the cluster primary over the same wiring as a single
// process (wiring.ts), with the `primary` state backend (src/state/primary.ts). It serves no traffic:
// it owns the canary state (its state file, or Redis as one replica of a fleet of hosts), judges
// rollouts and guardrails on its workers' merged evidence, serves the whole admin API (metrics
// aggregated across workers, gauges not summed; the report and samples asked of the workers), writes
// the audit trail and, holding the experiments, the lineage ledger (its workers cut their dataset files
// when an experiment starts or concludes and forward each sealed file's entry), and relays SIGHUP and SIGTERM. The workers (proxy/cluster.ts forks them) are each a
// full shadowgate (app.ts) on the `ipc` backend.
import { AggregatorRegistry, Registry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import type { Config } from '../config/schema.js';
import { createLogger } from '../observe/log.js';
import { createMetrics } from '../observe/metrics.js';
import { WorkerFleet, exitWithPrimary, isClusterPrimary } from '../proxy/cluster.js';
import type { EvidenceSnapshot } from '../state/backend.js';
import { fleetReport } from '../state/report.js';
import { startShadowgate } from './app.js';
import { ledgerVerifiers } from '../ledger/keys.js';
import { LineageLedger, peersOf } from './experiment-lineage.js';
import { Wiring, installSignals, primaryBackend, type AdminPlane } from './wiring.js';

/** How long the primary waits for its workers' metrics, samples or report. */
const ASK_TIMEOUT_MS = 2000;
/** How long the primary waits for its workers to cut and seal their dataset files (gzip, manifest). */
const CUT_TIMEOUT_MS = 30_000;
/** Gauges the primary owns: the workers' copies (briefly behind after a change) are not merged in. */
const PRIMARY_GAUGES = new Set(['shadowgate_canary_weight_percent']);

export async function serveCluster(config: Config, configPath: string): Promise<void> {
  if (isClusterPrimary()) return runPrimary(config, configPath);
  const started = await startShadowgate(config, { configPath, handleSignals: true, admin: false, worker: true });
  exitWithPrimary(() => started.close());
}

async function runPrimary(config: Config, configPath: string): Promise<void> {
  const log = createLogger(config.log.level);
  const metrics = createMetrics(new Registry(), { defaults: false });
  const backend = primaryBackend(config, log, metrics);
  const wiring = new Wiring({ config, log, metrics, backend, configPath });
  const { routing, audit } = wiring;
  // The fleet's state before any worker starts serving.
  await backend.start({ routing, log, evidence: () => ({}) });
  // The ledger of the process that holds the experiments; its workers' sealed files are entered here too.
  const lineage = new LineageLedger(log, () => backend.isJudge(), true, { replica: () => backend.replica, peers: () => peersOf(backend.snapshots(Date.now()), backend.replica) });
  lineage.apply(config, configPath);

  const workers = new WorkerFleet({
    count: config.server.workers, log,
    onFork: (w) => {
      backend.hub.attach(w);
      lineage.receive(w);
    },
  });
  workers.start();

  const reload = () => wiring.reload(undefined, (next) => {
    if (next.ledger) ledgerVerifiers(next.ledger);
    return () => {
      workers.relay('SIGHUP');
      lineage.apply(next, configPath);
    };
  }, 'configuration reloaded; workers told');
  const plane: AdminPlane = {
    ready: () => !workers.draining && workers.listeningCount >= wiring.config.server.workers,
    readiness: () => ({ workers: workers.size, listening: workers.listeningCount, ...(workers.draining ? { draining: true } : {}) }),
    exposition: async () => {
      const parts = (await backend.ask('metrics', undefined, ASK_TIMEOUT_MS)) as MetricObjectWithValues<MetricValue<string>>[][];
      const own = await metrics.registry.getMetricsAsJSON();
      const merged = AggregatorRegistry.aggregate([...parts.map((p) => p.filter((m) => !PRIMARY_GAUGES.has(m.name))), own]);
      return { contentType: merged.contentType, body: await merged.metrics() };
    },
    report: async (route) => {
      // Asked now (not the last interval's snapshots): the report counts every exchange compared so far.
      const now = Date.now();
      const answers = (await backend.ask('report', undefined, ASK_TIMEOUT_MS)) as EvidenceSnapshot['routes'][];
      const mine = answers.map((routes, i) => ({ replica: `${backend.shared === 'redis' ? backend.replica : 'primary'}>worker-${i + 1}`, at: now, routes }));
      // Other hosts' latest snapshots (Redis), this host's workers' as of now.
      return fleetReport(wiring.config, [...backend.otherHosts(now), ...mine], route, now);
    },
    samples: async (route) => {
      const answers = await backend.ask('samples', route, ASK_TIMEOUT_MS);
      return answers.find((a) => a !== null);
    },
    reload,
    audit: lineage.audit(wiring.auditTrail, {
      config: () => wiring.config, configPath,
      // The workers' writers: each cuts its file in progress, seals it and forwards its entry before answering.
      recorder: () => (wiring.config.record?.enabled ? { cut: () => backend.ask('cut', undefined, CUT_TIMEOUT_MS) } : undefined),
      experiment: (id) => wiring.experiments.list().find((e) => e.id === id),
    }),
  };
  const adminPort = await wiring.startAdmin(plane);
  log.info({ workers: config.server.workers, adminPort }, 'shadowgate cluster admin listening');

  installSignals({
    reload: () => void reload(),
    stop: (signal) => {
      // A terminal's Ctrl-C already reached every worker (same process group); SIGTERM must be relayed.
      workers.stop(() => void Promise.all([audit.close(), routing.flush(), lineage.close()]).finally(() => process.exit(0)));
      if (signal === 'SIGTERM') workers.relay(signal);
      routing.close();
      void wiring.stopAdmin();
      void backend.close();
    },
  });
}
