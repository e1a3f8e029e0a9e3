// The `ipc` backend: node:cluster workers and their primary. The primary owns the routing state (its
// own store: the state file, or Redis), judges rollouts and guardrails on the workers' merged
// evidence, serves the admin API, and pushes every change to every worker over the IPC channel
// (sub-millisecond on one host). A worker applies its own fast decisions at once and sends them up.
import cluster, { type Worker } from 'node:cluster';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { AuditRecord } from './audit.js';
import { ShadowgateError } from '../errors.js';
import type { PersistedRoute, PersistedState } from '../routing/rollout.js';
import type { RoutingStore, StoreChange } from '../routing/runtime.js';
import type { AuditSink, EvidenceSnapshot, ReplicaLink, StateBackend } from './backend.js';
import { EvidenceBoard, STALE_INTERVALS } from './evidence.js';

type Routes = Record<string, PersistedRoute>;
/** What the primary asks its workers: their metrics, samples, comparer snapshots, or to cut their dataset file (an experiment starts or concludes). */
export type FleetQuery = 'metrics' | 'samples' | 'report' | 'cut';

type FleetMessage =
  | { sg: 'fleet'; t: 'hello' }
  | { sg: 'fleet'; t: 'state'; routes: Routes; full?: boolean; sentAt?: number }
  | { sg: 'fleet'; t: 'save'; routes: Routes }
  | { sg: 'fleet'; t: 'evidence'; snap: EvidenceSnapshot }
  | { sg: 'fleet'; t: 'audit'; rec: AuditRecord }
  | { sg: 'fleet'; t: 'request'; id: number; what: FleetQuery; route?: string }
  | { sg: 'fleet'; t: 'reply'; id: number; body: unknown; error?: string };

function isFleetMessage(m: unknown): m is FleetMessage {
  return typeof m === 'object' && m !== null && (m as { sg?: unknown }).sg === 'fleet';
}

/** How long a worker waits for the primary's state before it refuses to serve. */
const HELLO_TIMEOUT_MS = 10_000;

function pick(routes: Routes, names: readonly string[]): Routes {
  const out: Routes = {};
  for (const n of names) if (routes[n] !== undefined) out[n] = routes[n];
  return out;
}

// ---- the worker's side ----

export class IpcBackend implements StateBackend {
  readonly kind = 'ipc';
  readonly replica = `${hostname()}:${process.pid}`;
  readonly store: RoutingStore;
  private link: ReplicaLink | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly onMessage = (m: unknown): void => this.receive(m);
  private first: ((ok: boolean) => void) | undefined;

  constructor(
    private readonly evidenceIntervalMs: number,
    private readonly answer: (what: FleetQuery, route: string | undefined) => unknown,
  ) {
    this.store = {
      load: () => undefined,
      save: (state: PersistedState, change?: StoreChange) => {
        // A worker's own change (an operator acts on the primary): the primary orders and re-broadcasts it.
        if (change !== undefined && change.routes.length > 0) this.send({ sg: 'fleet', t: 'save', routes: pick(state.routes, change.routes) });
      },
    };
  }

  private send(m: FleetMessage): void {
    if (process.connected) process.send?.(m);
  }

  isJudge(): boolean {
    return false;
  }

  evidence(): undefined {
    return undefined;
  }

  snapshots(): EvidenceSnapshot[] {
    return [];
  }

  async start(link: ReplicaLink): Promise<void> {
    if (process.send === undefined) throw new ShadowgateError('SG_ERR_STATE', 'the ipc state backend runs only in a cluster worker', 500);
    this.link = link;
    process.on('message', this.onMessage);
    const ready = new Promise<boolean>((resolve) => { this.first = resolve; });
    const deadline = setTimeout(() => this.first?.(false), HELLO_TIMEOUT_MS);
    this.send({ sg: 'fleet', t: 'hello' });
    const ok = await ready;
    clearTimeout(deadline);
    if (!ok) throw new ShadowgateError('SG_ERR_STATE', `no routing state from the cluster primary within ${HELLO_TIMEOUT_MS}ms`, 500);
    this.timer = setInterval(() => this.publish(), this.evidenceIntervalMs);
    this.timer.unref();
  }

  private publish(): void {
    const link = this.link;
    if (link === undefined) return;
    const now = Date.now();
    this.send({ sg: 'fleet', t: 'evidence', snap: { replica: this.replica, at: now, routes: link.evidence(now) } });
  }

  private receive(m: unknown): void {
    if (!isFleetMessage(m)) return;
    if (m.t === 'state') {
      // The first whole state replaces what this worker derived from the config, whatever its revisions.
      const first = m.full === true ? this.first : undefined;
      const applied = this.link?.routing.applyRemote(m.routes, { force: first !== undefined }) ?? [];
      // The propagation delay from the primary (same host, same clock), for operators and the bench.
      if (applied.length > 0 && m.sentAt !== undefined) this.link?.log.debug({ routes: applied, delayMs: Date.now() - m.sentAt }, 'routing state applied');
      if (first !== undefined) {
        this.first = undefined;
        first(true);
      }
    } else if (m.t === 'request') {
      void (async () => {
        try {
          this.send({ sg: 'fleet', t: 'reply', id: m.id, body: await this.answer(m.what, m.route) });
        } catch (err) {
          this.send({ sg: 'fleet', t: 'reply', id: m.id, body: null, error: (err as Error).message });
        }
      })();
    }
  }

  auditSink(local: AuditSink): AuditSink {
    // The primary writes the one audit file; a worker's automatic changes go there.
    return {
      append: (rec) => {
        this.send({ sg: 'fleet', t: 'audit', rec });
        return Promise.resolve();
      },
      latest: (limit) => local.latest(limit),
    };
  }

  up(): boolean {
    return process.connected;
  }

  close(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    process.off('message', this.onMessage);
    return Promise.resolve();
  }
}

// ---- the primary's side ----

export interface ClusterHubOptions {
  readonly log: Logger;
  readonly evidenceIntervalMs: number;
  /** The whole current state, sent to a worker that says hello. */
  readonly state: () => Routes;
  /** Routes a worker changed on its own (a fast-path rollback). */
  readonly onSave: (routes: Routes) => void;
  readonly onAudit: (rec: AuditRecord) => void;
}

export class ClusterHub {
  readonly board: EvidenceBoard;
  private nextId = 1;
  private readonly pending = new Map<number, (reply: { body: unknown; error?: string }) => void>();

  constructor(private readonly opts: ClusterHubOptions) {
    this.board = new EvidenceBoard(opts.evidenceIntervalMs * STALE_INTERVALS);
  }

  attach(worker: Worker): void {
    const id = `${hostname()}:${worker.process.pid ?? worker.id}`;
    worker.on('message', (m: unknown) => {
      if (!isFleetMessage(m)) return;
      switch (m.t) {
        case 'hello':
          this.sendTo(worker, { sg: 'fleet', t: 'state', routes: this.opts.state(), full: true });
          break;
        case 'save':
          this.opts.onSave(m.routes);
          break;
        case 'evidence':
          this.board.put({ ...m.snap, replica: id });
          break;
        case 'audit':
          this.opts.onAudit(m.rec);
          break;
        case 'reply':
          this.pending.get(m.id)?.(m.error === undefined ? { body: m.body } : { body: m.body, error: m.error });
          break;
        default:
          break;
      }
    });
    worker.once('exit', () => this.board.remove(id));
  }

  private sendTo(worker: Worker, m: FleetMessage): void {
    if (worker.isConnected()) worker.send(m);
  }

  private workers(): Worker[] {
    return Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && w.isConnected());
  }

  /** Pushes changed routes to every worker. */
  broadcast(routes: Routes): void {
    if (Object.keys(routes).length === 0) return;
    const sentAt = Date.now();
    for (const w of this.workers()) this.sendTo(w, { sg: 'fleet', t: 'state', routes, sentAt });
  }

  /** Asks every worker; answers within the deadline (a worker that does not answer is left out). */
  async ask(what: FleetQuery, route: string | undefined, timeoutMs: number): Promise<unknown[]> {
    const asks = this.workers().map((w) => new Promise<unknown>((resolve) => {
      const id = this.nextId++;
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.opts.log.warn({ worker: w.process.pid, what }, 'worker did not answer in time');
        resolve(undefined);
      }, timeoutMs);
      this.pending.set(id, (reply) => {
        clearTimeout(timer);
        this.pending.delete(id);
        if (reply.error !== undefined) this.opts.log.error({ worker: w.process.pid, what, err: reply.error }, 'worker could not answer');
        resolve(reply.error === undefined ? reply.body : undefined);
      });
      this.sendTo(w, { sg: 'fleet', t: 'request', id, what, ...(route === undefined ? {} : { route }) });
    }));
    return (await Promise.all(asks)).filter((b) => b !== undefined);
  }
}

/**
 * The primary's routing store: the store underneath (the state file, or Redis for a fleet of hosts),
 * plus the push of every change to this host's workers, each push stamped with this host's own
 * revision (workers apply a newer one; IPC keeps their order). A worker's own change (a fast-path
 * rollback) arrives through `fromWorker`, is applied to the primary's runtime, saved and pushed like
 * any other; a change the fleet made elsewhere arrives through `remoteApplied`.
 */
export class PrimaryStore implements RoutingStore {
  private hostRev = 0;
  private routing: { applyRemote(routes: Routes, opts?: { force?: boolean }): string[]; persistedRoutes(): Routes } | undefined;

  constructor(private readonly inner: RoutingStore, private readonly broadcast: (routes: Routes) => void) {}

  bind(routing: NonNullable<PrimaryStore['routing']>): void {
    this.routing = routing;
  }

  load(): PersistedState | undefined {
    return this.inner.load();
  }

  save(state: PersistedState, change?: StoreChange): void | Promise<void> {
    try {
      return this.inner.save(state, change);
    } finally {
      // Durability lost is logged by the runtime; the workers still follow the change.
      this.push(pick(state.routes, change?.routes ?? []));
    }
  }

  flush(): Promise<void> {
    return this.inner.flush?.() ?? Promise.resolve();
  }

  private stamp(routes: Routes): Routes {
    const out: Routes = {};
    for (const [name, r] of Object.entries(routes)) out[name] = { ...r, rev: ++this.hostRev };
    return out;
  }

  private push(routes: Routes): void {
    if (Object.keys(routes).length > 0) this.broadcast(this.stamp(routes));
  }

  /** The whole state, for a worker that says hello. */
  full(): Routes {
    return this.stamp(this.routing?.persistedRoutes() ?? {});
  }

  fromWorker(routes: Routes): void {
    const routing = this.routing;
    if (routing === undefined) return;
    const applied = routing.applyRemote(routes, { force: true });
    if (applied.length > 0) this.save({ v: 1, savedAt: Date.now(), routes: routing.persistedRoutes() }, { routes: applied, fenced: false });
  }

  remoteApplied(names: readonly string[]): void {
    if (this.routing !== undefined) this.push(pick(this.routing.persistedRoutes(), names));
  }
}
