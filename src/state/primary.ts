// The `primary` backend: a node:cluster primary, the state backend of a host's workers. It owns the
// routing state through the store underneath (the state file, or Redis when this host is one replica of
// a larger fleet), pushes every change to its workers over IPC (ClusterHub, PrimaryStore in ipc.ts),
// judges on their merged evidence (or while it holds the Redis lease) and asks them for what only they
// hold (metrics, samples, comparer snapshots). Its workers run the `ipc` backend.
import type { Logger } from 'pino';
import type { FleetEvidence } from '../routing/runtime.js';
import type { AuditSink, EvidenceSnapshot, ReplicaLink, StateBackend } from './backend.js';
import { ClusterHub, PrimaryStore, type FleetQuery } from './ipc.js';
import type { RedisBackend } from './redis.js';
import { StateFile } from './state-file.js';

export interface PrimaryBackendOptions {
  readonly log: Logger;
  readonly evidenceIntervalMs: number;
  /** Where the state lives: this host's state file (the primary is the whole fleet's judge)… */
  readonly stateFile: string;
  /** …or Redis (the primary is one replica of the fleet; built with `onApplied` → `remoteApplied`). */
  readonly redis?: (onApplied: (routes: readonly string[]) => void) => RedisBackend;
}

export class PrimaryBackend implements StateBackend {
  readonly kind = 'primary';
  readonly replica: string;
  readonly store: PrimaryStore;
  /** The workers' link: state pushes, their evidence, their answers. */
  readonly hub: ClusterHub;
  private readonly redis: RedisBackend | undefined;
  private trail: AuditSink | undefined;

  constructor(opts: PrimaryBackendOptions) {
    this.redis = opts.redis?.((names) => this.store.remoteApplied(names));
    this.replica = this.redis?.replica ?? `primary:${process.pid}`;
    this.store = new PrimaryStore(this.redis?.store ?? new StateFile(opts.stateFile), (routes) => this.hub.broadcast(routes));
    this.hub = new ClusterHub({
      log: opts.log,
      evidenceIntervalMs: opts.evidenceIntervalMs,
      state: () => this.store.full(),
      onSave: (routes) => this.store.fromWorker(routes),
      onAudit: (rec) => void this.trail?.append(rec).catch((err: unknown) => opts.log.error({ err: (err as Error).message }, 'audit record could not be written')),
    });
  }

  /** What /admin/fleet shows: the store the fleet shares (a primary over the state file, or Redis). */
  get shared(): 'file' | 'redis' {
    return this.redis ? 'redis' : 'file';
  }

  isJudge(): boolean {
    return this.redis?.isJudge() ?? true;
  }

  evidence(route: string, nowMs: number, z?: number): FleetEvidence | undefined {
    return (this.redis ?? this.hub.board).evidence(route, nowMs, z);
  }

  /** The fleet's snapshots: every replica's through Redis, or this host's workers'. */
  snapshots(nowMs: number): EvidenceSnapshot[] {
    return this.redis ? this.redis.snapshots(nowMs) : this.hub.board.fresh(nowMs);
  }

  /** Other hosts' latest snapshots (Redis), without this host's workers (asked afresh instead). */
  otherHosts(nowMs: number): EvidenceSnapshot[] {
    const redis = this.redis;
    return redis ? redis.snapshots(nowMs).filter((s) => !s.replica.startsWith(`${redis.replica}>`)) : [];
  }

  /** Asks every worker (a worker that does not answer within the deadline is left out). */
  ask(what: FleetQuery, route: string | undefined, timeoutMs: number): Promise<unknown[]> {
    return this.hub.ask(what, route, timeoutMs);
  }

  async start(link: ReplicaLink): Promise<void> {
    this.store.bind(link.routing);
    // The fleet's state before any worker starts serving; this host's evidence is its workers'.
    await this.redis?.start({ routing: link.routing, log: link.log, evidence: () => ({}), snapshots: (nowMs) => this.hub.board.fresh(nowMs) });
  }

  auditSink(local: AuditSink): AuditSink {
    this.trail = this.redis?.auditSink(local) ?? local;
    return this.trail;
  }

  up(): boolean {
    return this.redis?.up() ?? true;
  }

  pendingChanges(): string[] {
    return this.redis?.pendingChanges() ?? [];
  }

  close(): Promise<void> {
    return this.redis?.close() ?? Promise.resolve();
  }
}
