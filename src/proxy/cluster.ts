// Multi-core serving (`server.workers: N`): node:cluster workers share the proxy port, each a full
// shadowgate with its own pools and shadows; the primary process serves the aggregated /metrics
// (prom-client's AggregatorRegistry) and health on the admin port, and relays SIGHUP and SIGTERM.
// Live canary decisions stay consistent across workers because they hash the same key with the same
// salt against the same configured weight.
import cluster from 'node:cluster';
import http from 'node:http';
import { AggregatorRegistry } from 'prom-client';
import type { Config } from '../config/schema.js';
import { ShadowgateError, errorBody } from '../errors.js';
import { createLogger } from '../observe/log.js';

export async function serveCluster(config: Config, configPath: string): Promise<void> {
  if (cluster.isPrimary) return runPrimary(config);
  const { startShadowgate } = await import('../app.js');
  const started = await startShadowgate(config, { configPath, handleSignals: true, admin: false, worker: true });
  // A worker whose primary died (even by SIGKILL) drains and exits instead of serving on, orphaned.
  process.once('disconnect', () => void started.close().then(() => process.exit(0), () => process.exit(1)));
  AggregatorRegistry.setRegistries([started.app.metrics.registry]);
  // prom-client answers the primary's metric requests only once an AggregatorRegistry exists here.
  new AggregatorRegistry();
}

function runPrimary(config: Config): Promise<void> {
  if (config.routes.some((r) => r.canary?.rollout !== undefined)) {
    throw new ShadowgateError('SG_ERR_CONFIG', 'canary rollouts need one process to own their state: use server.workers: 1 with canary.rollout', 500);
  }
  const log = createLogger(config.log.level);
  const aggregator = new AggregatorRegistry();
  let stopping = false;
  // Ready means every worker is accepting on the proxy port, not merely forked.
  const listening = new Set<number>();
  cluster.on('listening', (worker) => listening.add(worker.id));
  for (let i = 0; i < config.server.workers; i++) cluster.fork();
  cluster.on('exit', (worker, code) => {
    listening.delete(worker.id);
    if (stopping) return;
    log.error({ worker: worker.process.pid, code }, 'worker exited; starting another');
    cluster.fork();
  });
  const admin = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics') {
      aggregator.clusterMetrics().then((text) => {
        res.writeHead(200, { 'content-type': aggregator.contentType });
        res.end(text);
      }, (err: Error) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(err.message);
      });
      return;
    }
    if (path === '/healthz' || path === '/readyz') {
      const workers = Object.keys(cluster.workers ?? {}).length;
      const ok = !stopping && (path === '/healthz' ? workers > 0 : listening.size >= config.server.workers);
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: ok ? 'ok' : stopping ? 'draining' : 'starting', workers, listening: listening.size }));
      return;
    }
    const err = new ShadowgateError('SG_ERR_NOT_IN_CLUSTER', 'the admin API runs with server.workers: 1; a cluster serves /metrics, /healthz and /readyz', 501);
    res.writeHead(err.status, { 'content-type': 'application/json' });
    res.end(errorBody(err, ''));
  });
  admin.listen(config.admin.port, config.admin.host, () => {
    const addr = admin.address();
    log.info({ workers: config.server.workers, adminPort: typeof addr === 'object' && addr ? addr.port : config.admin.port }, 'shadowgate cluster admin listening');
  });
  const relay = (signal: NodeJS.Signals) => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill(signal);
  };
  process.on('SIGHUP', () => relay('SIGHUP'));
  const stop = (signal: NodeJS.Signals) => {
    stopping = true;
    // A terminal's Ctrl-C already reached every worker (same process group); SIGTERM must be relayed.
    if (signal === 'SIGTERM') relay(signal);
    admin.close();
    cluster.on('exit', () => {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
    });
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  return Promise.resolve();
}
