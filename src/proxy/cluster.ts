// Multi-core serving (`server.workers: N`), the listener part: node:cluster workers share the proxy
// port, each a full shadowgate with its own pools and shadows. This file forks them, replaces one that
// dies, counts those accepting on the port, relays signals, and lets a worker leave with its primary.
// The primary's state, admin API and reload are wired in src/app/primary.ts (its state backend is the
// `primary` kind, src/state/primary.ts).
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';

export interface WorkerFleetOptions {
  readonly count: number;
  readonly log: Logger;
  /** Every forked worker, the first ones and their replacements (the state backend attaches to it). */
  readonly onFork: (worker: Worker) => void;
}

/** The primary's workers: forked, replaced when one exits (until stopping), counted while they listen. */
export class WorkerFleet {
  private readonly listening = new Set<number>();
  private stopping = false;

  constructor(private readonly opts: WorkerFleetOptions) {
    // Ready means every worker is accepting on the proxy port, not merely forked.
    cluster.on('listening', (worker) => this.listening.add(worker.id));
    cluster.on('exit', (worker, code) => {
      this.listening.delete(worker.id);
      if (this.stopping) return;
      opts.log.error({ worker: worker.process.pid, code }, 'worker exited; starting another');
      this.fork();
    });
  }

  start(): void {
    for (let i = 0; i < this.opts.count; i++) this.fork();
  }

  private fork(): Worker {
    const w = cluster.fork();
    this.opts.onFork(w);
    return w;
  }

  get draining(): boolean {
    return this.stopping;
  }

  /** Workers alive, and those accepting on the proxy port. */
  get size(): number {
    return Object.keys(cluster.workers ?? {}).length;
  }

  get listeningCount(): number {
    return this.listening.size;
  }

  relay(signal: NodeJS.Signals): void {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill(signal);
  }

  /** No more replacements; `onEmpty` once the last worker has exited. */
  stop(onEmpty: () => void): void {
    this.stopping = true;
    cluster.on('exit', () => {
      if (this.size === 0) onEmpty();
    });
  }
}

/** A worker whose primary died (even by SIGKILL) drains and exits instead of serving on, orphaned. */
export function exitWithPrimary(close: () => Promise<void>): void {
  process.once('disconnect', () => void close().then(() => process.exit(0), () => process.exit(1)));
}

export const isClusterPrimary = (): boolean => cluster.isPrimary;
