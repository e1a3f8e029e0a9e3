// The `redis` backend: any number of shadowgate processes share one routing state, elect one judge,
// pool their evidence and their audit trail. Keys (all under state.redis.keyPrefix):
//   routes    hash   route → {"rev":N,"route":<persisted route>}, written only by the SAVE script
//   rev       string the fleet's change counter (INCR inside SAVE: one total order of changes)
//   changes   channel every SAVE publishes "route\n<value>" here; replicas apply newer revisions
//   lease     string "<replica>|<fencing token>" with a TTL: its holder is the judge
//   fence     string the fencing token counter (INCR on every new lease)
//   evidence  hash   replica → its latest evidence snapshot (JSON)
//   audit     stream one entry per audit record (capped)
// A replica applies its own decisions at once and writes them after; every `reconcile` it re-reads
// the whole hash (a missed message heals). Without Redis it serves on its last known state (fail
// static, also cached in the local state file), stops judging (rollouts pause), keeps the changes it
// makes meanwhile in a journal (the state file's `pending`), and on reconnect merges them into Redis
// (MERGE's rule), re-states what it knows (SEED), then reconciles. The ordering rule, in full, is in
// docs/fleet-outages.md.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { AuditRecord } from './audit.js';
import { StateFile } from './state-file.js';
import type { RedisStateConfig } from '../config/schema.js';
import { ShadowgateError } from '../errors.js';
import { persistedRouteSchema, type PersistedRoute, type PersistedState } from '../routing/rollout.js';
import type { FleetEvidence, RoutingStore, StoreChange } from '../routing/runtime.js';
import type { AuditSink, EvidenceSnapshot, ReplicaLink, StateBackend } from './backend.js';
import { EvidenceBoard, STALE_INTERVALS } from './evidence.js';

type Routes = Record<string, PersistedRoute>;

/**
 * ioredis is loaded by the first redis backend, not at import: a process on the file or ipc backend never
 * holds its ~1.2 MB of heap and its code (docs/memory.md).
 */
const requireCjs = createRequire(import.meta.url);
export const redisClass = (): typeof Redis => (requireCjs('ioredis') as { Redis: typeof Redis }).Redis;

/** Audit entries kept in the stream (approximately: XADD MAXLEN ~). */
const AUDIT_STREAM_MAX = 10_000;
/** Evidence of a replica silent for this many intervals is deleted from the hash. */
const EVIDENCE_FORGET_INTERVALS = 20;
/** How long start() waits for a first answer before serving on the last known state. */
const CONNECT_WAIT_MS = 3000;

// KEYS: routes, rev, lease. ARGV: route, value JSON, fencing token ('' = unfenced), channel, base
// revision (the route's revision the change was made on), rolled back ('1' | '0'), changedAt (ms).
// Writes a change under a new revision unless Redis holds a newer change of the route (revision above
// `base`: made where this replica could not see it) that wins: a rollback wins over anything that is
// not one, else the later changedAt wins, a tie keeps what Redis has. Returns {rev, ''} when written,
// {0, the value in Redis} when that value wins, {-1, ''} when the fence is stale.
const MERGE = `
if ARGV[3] ~= '' then
  local cur = redis.call('GET', KEYS[3])
  if not cur then return {-1, ''} end
  local tok = string.match(cur, '|(%d+)$')
  if tok ~= ARGV[3] then return {-1, ''} end
end
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if raw then
  local ok, cur = pcall(cjson.decode, raw)
  if ok and type(cur) == 'table' and type(cur.rev) == 'number' and cur.rev > tonumber(ARGV[5]) then
    local r = type(cur.route) == 'table' and cur.route or {}
    local theirs = (r.state == 'rolled_back') and 1 or 0
    local mine = tonumber(ARGV[6])
    if theirs > mine then return {0, raw} end
    if theirs == mine and tonumber(ARGV[7]) <= (tonumber(r.changedAt) or 0) then return {0, raw} end
  end
end
local rev = redis.call('INCR', KEYS[2])
local v = '{"rev":' .. rev .. ',"route":' .. ARGV[2] .. '}'
redis.call('HSET', KEYS[1], ARGV[1], v)
redis.call('PUBLISH', ARGV[4], ARGV[1] .. '\\n' .. v)
return {rev, ''}`;

// KEYS: routes. ARGV: route, value JSON, its revision, channel. A replica re-states what it knows after
// a reconnect: written under its own revision (it is not a new change) only when Redis has nothing as
// new for the route (Redis came back empty, or from a snapshot older than the fleet). Returns 1 if written.
const SEED = `
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if raw then
  local ok, cur = pcall(cjson.decode, raw)
  if ok and type(cur) == 'table' and type(cur.rev) == 'number' and cur.rev >= tonumber(ARGV[3]) then return 0 end
end
local v = '{"rev":' .. ARGV[3] .. ',"route":' .. ARGV[2] .. '}'
redis.call('HSET', KEYS[1], ARGV[1], v)
redis.call('PUBLISH', ARGV[4], ARGV[1] .. '\\n' .. v)
return 1`;

// KEYS: rev. ARGV: a revision this replica has seen. A Redis restarted empty counts on from there, so
// revisions stay ordered across its restarts (as long as one replica remembers).
const BUMP = `
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if cur < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end
return 0`;

// KEYS: lease, fence. ARGV: replica, ttl ms. Returns the fencing token held, or 0 when another holds it.
const ACQUIRE = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local holder, tok = string.match(cur, '^(.*)|(%d+)$')
  if holder == ARGV[1] then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return tonumber(tok)
  end
  return 0
end
local tok = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. tok, 'PX', ARGV[2])
return tok`;

// KEYS: lease. ARGV: replica. Gives the lease up (a clean shutdown hands over at once).
const RELEASE = `
local cur = redis.call('GET', KEYS[1])
if cur and string.match(cur, '^(.*)|%d+$') == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

function parseValue(text: string): PersistedRoute | undefined {
  try {
    const v = JSON.parse(text) as { rev?: unknown; route?: unknown };
    const route = persistedRouteSchema.safeParse(v.route);
    if (!route.success || typeof v.rev !== 'number') return undefined;
    return { ...route.data, rev: v.rev };
  } catch {
    return undefined;
  }
}

export interface RedisBackendOptions {
  readonly cfg: RedisStateConfig;
  readonly evidenceIntervalMs: number;
  /** The local cache of the last known state (served from when Redis is down at start). */
  readonly stateFile: string;
  readonly log: Logger;
  readonly onUp?: (up: boolean) => void;
  /** Routes the fleet changed elsewhere, now applied here (a cluster primary pushes them to its workers). */
  readonly onApplied?: (routes: readonly string[]) => void;
}

export class RedisBackend implements StateBackend {
  readonly kind = 'redis';
  readonly replica = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  readonly store: RoutingStore;
  private readonly cfg: RedisStateConfig;
  private readonly cmd: Redis;
  private readonly sub: Redis;
  private readonly file: StateFile;
  private readonly board: EvidenceBoard;
  private readonly keys: { routes: string; rev: string; changes: string; lease: string; fence: string; evidence: string; audit: string };
  private link: ReplicaLink | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  /** Fencing token of the lease this replica holds (0: none), valid until judgeUntil. */
  private token = 0;
  private judgeUntil = 0;
  /**
   * The journal: routes changed here that Redis has not taken yet (a write in flight, or Redis away),
   * each with a count of its local changes. Kept in the state file (`pending`), so a restart during an
   * outage keeps them; the base revision of such a change is the route's own `rev` (a local change
   * never moves it). Fleet values of a journaled route wait in `deferred` until its change is settled.
   */
  private readonly journal = new Map<string, number>();
  private readonly deferred = new Map<string, PersistedRoute>();
  /** One write at a time per route, in order (each sends the route as it is when its turn comes). */
  private readonly writes = new Map<string, Promise<void>>();
  /** Routes whose next fleet value replaces ours whatever its revision (after a refused write). */
  private readonly forceNext = new Set<string>();
  private isUp = false;
  private closed = false;
  /** Set on every (re)connect: the next reconcile writes what changed here meanwhile and seeds new routes. */
  private needResync = true;
  private reconciling = false;

  constructor(private readonly opts: RedisBackendOptions) {
    this.cfg = opts.cfg;
    const p = opts.cfg.keyPrefix;
    this.keys = { routes: `${p}routes`, rev: `${p}rev`, changes: `${p}changes`, lease: `${p}lease`, fence: `${p}fence`, evidence: `${p}evidence`, audit: `${p}audit` };
    this.board = new EvidenceBoard(opts.evidenceIntervalMs * STALE_INTERVALS);
    this.file = new StateFile(opts.stateFile);
    const common = {
      lazyConnect: true,
      // Fail fast, never queue: a replica without Redis serves on what it has.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: opts.cfg.commandTimeout,
      connectTimeout: Math.max(opts.cfg.commandTimeout, 1000),
      retryStrategy: (times: number) => Math.min(50 * times, 1000),
    };
    const Redis = redisClass();
    this.cmd = new Redis(opts.cfg.url, { ...common, connectionName: `shadowgate:${this.replica}` });
    this.sub = new Redis(opts.cfg.url, { ...common, enableOfflineQueue: true, maxRetriesPerRequest: null, commandTimeout: undefined, connectionName: `shadowgate-sub:${this.replica}` });
    this.cmd.on('error', () => undefined);
    this.sub.on('error', () => undefined);
    this.cmd.on('ready', () => this.setUp(true));
    this.cmd.on('close', () => this.setUp(false));
    this.store = {
      load: () => {
        const saved = this.file.load();
        for (const name of saved?.pending ?? []) this.journal.set(name, (this.journal.get(name) ?? 0) + 1);
        if (saved?.pending?.length) opts.log.warn({ routes: saved.pending }, 'routing changes made here are not in redis yet: merged when it is reachable');
        return saved;
      },
      save: (state, change) => this.save(state, change),
      flush: () => this.file.flush(),
    };
  }

  private setUp(up: boolean): void {
    if (this.isUp === up) return;
    this.isUp = up;
    this.opts.onUp?.(up);
    if (up) {
      this.opts.log.info({ replica: this.replica }, 'state backend redis connected');
      this.needResync = true;
      if (this.link !== undefined) void this.reconcile().catch(() => undefined);
    } else if (!this.closed) {
      this.token = 0;
      this.opts.log.error({ replica: this.replica }, 'state backend redis unavailable: serving on the last known state, rollouts paused');
    }
  }

  up(): boolean {
    return this.isUp;
  }

  isJudge(): boolean {
    return this.token > 0 && Date.now() < this.judgeUntil;
  }

  /** The lease's fencing token while this replica judges (0 otherwise). */
  get fencingToken(): number {
    return this.isJudge() ? this.token : 0;
  }

  evidence(route: string, nowMs: number, z?: number): FleetEvidence | undefined {
    return this.board.evidence(route, nowMs, z);
  }

  snapshots(nowMs: number): EvidenceSnapshot[] {
    return this.board.fresh(nowMs);
  }

  async start(link: ReplicaLink): Promise<void> {
    this.link = link;
    this.sub.on('message', (_channel: string, message: string) => this.onMessage(message));
    const connected = Promise.all([this.cmd.connect(), this.sub.connect()]).then(() => true, () => false);
    const ok = await Promise.race([connected, new Promise<boolean>((r) => setTimeout(() => r(false), CONNECT_WAIT_MS).unref())]);
    // Queued until connected when Redis is not there yet (re-subscribed by ioredis on every reconnect).
    const subscribed = this.sub.subscribe(this.keys.changes).catch((err: unknown) => this.opts.log.warn({ err: (err as Error).message }, 'redis subscribe failed'));
    // …except when that queued SUBSCRIBE went out on a connection that closed before Redis answered (a
    // proxy that accepts while Redis is down): ioredis then never re-subscribes. Subscribing again on
    // every ready is idempotent, and a replica that hears nothing only follows on each reconcile.
    this.sub.on('ready', () => {
      if (!this.closed) void this.sub.subscribe(this.keys.changes).catch(() => undefined);
    });
    if (ok) {
      await subscribed;
      await this.reconcile();
    } else {
      this.opts.log.error({ url: redactUrl(this.cfg.url) }, 'state backend redis unreachable at start: serving on the last known state; retrying');
    }
    const every = (ms: number, fn: () => Promise<void> | void) => {
      const t = setInterval(() => void Promise.resolve(fn()).catch(() => undefined), ms);
      t.unref();
      this.timers.push(t);
    };
    every(this.cfg.reconcile, () => this.reconcile());
    every(Math.max(50, Math.floor(this.cfg.lease / 3)), () => this.renewLease());
    every(this.opts.evidenceIntervalMs, () => this.exchangeEvidence());
    await this.renewLease().catch(() => undefined);
  }

  // ---- routing state ----

  private save(state: PersistedState, change: StoreChange | undefined): void {
    // A judge's decision carries its fencing token; without a lease it is not published at all.
    const fence = change?.fenced === true ? this.fencingToken || -1 : 0;
    const names = (change?.routes ?? []).filter((name) => state.routes[name] !== undefined);
    if (fence >= 0) for (const name of names) this.journal.set(name, (this.journal.get(name) ?? 0) + 1);
    // The local cache first, journal included (the last known state after a restart without Redis), then the fleet.
    this.cache(state.routes);
    for (const name of names) {
      if (fence < 0) {
        this.opts.log.warn({ route: name }, 'a judge decision without the lease is not published; the fleet state wins');
        this.forceNext.add(name);
      } else {
        void this.publish(name, fence);
      }
    }
  }

  /** Writes the state file (off this thread): the routes and the journal. */
  private cache(routes: Routes): void {
    this.file.save({ v: 1, savedAt: Date.now(), routes, pending: [...this.journal.keys()] })
      .catch((err: unknown) => this.opts.log.error({ err: (err as Error).message }, 'state cache file could not be written'));
  }

  /** Routes changed here that Redis has not taken yet (the journal). */
  pendingChanges(): string[] {
    return [...this.journal.keys()];
  }

  /** Queues the write of a journaled route; resolves when that write is settled (written, lost, or left for the reconnect). */
  private publish(name: string, fence: number): Promise<void> {
    const next = (this.writes.get(name) ?? Promise.resolve()).then(() => this.write(name, fence));
    this.writes.set(name, next);
    void next.finally(() => {
      if (this.writes.get(name) === next) this.writes.delete(name);
    });
    return next;
  }

  private async write(name: string, fence: number): Promise<void> {
    const count = this.journal.get(name);
    // Settled by an earlier write (which sent the route as it was then, this change included), or not
    // started yet (the journal keeps it for the first resync).
    if (count === undefined || this.link === undefined) return;
    const route = this.link.routing.persistedRoutes()[name];
    if (route === undefined) {
      this.settle(name, count);
      return;
    }
    const { rev: base, ...plain } = route;
    let result: [number, string];
    try {
      result = await this.cmd.eval(MERGE, 3, this.keys.routes, this.keys.rev, this.keys.lease, name, JSON.stringify(plain), fence > 0 ? String(fence) : '',
        this.keys.changes, String(base ?? 0), route.state === 'rolled_back' ? '1' : '0', String(route.changedAt)) as [number, string];
    } catch (err) {
      // Kept in the journal (and the state file): merged on reconnect.
      this.opts.log.warn({ route: name, err: (err as Error).message }, 'routing change not written to redis yet (applied here; merged on reconnect)');
      return;
    }
    const rev = Number(result[0]);
    if (rev > 0) {
      this.link?.routing.acknowledge(name, rev);
      this.settle(name, count);
    } else if (rev === 0) {
      // The fleet holds a change this replica did not see that wins by the rule (e.g. a rollback made elsewhere).
      const theirs = parseValue(result[1]);
      this.opts.log.warn({ route: name, fleet: theirs === undefined ? null : { weight: theirs.override, state: theirs.state, changedBy: theirs.changedBy } },
        'a routing change made here lost to a newer one in the fleet (a rollback wins, then the later change); the fleet state applies');
      this.settle(name, count, theirs);
    } else {
      // A deposed judge: its decision is not the fleet's; the fleet's state comes back on reconcile.
      this.opts.log.warn({ route: name }, 'lost the judge lease before a decision was written; the fleet state wins');
      this.token = 0;
      this.forceNext.add(name);
      this.settle(name, count);
    }
  }

  /**
   * A route's write is done: it leaves the journal unless it changed again meanwhile (that change is
   * written next), and what the fleet sent meanwhile (or the value that won) applies if newer.
   */
  private settle(name: string, count: number, winner?: PersistedRoute): void {
    if (this.journal.get(name) !== count) return; // changed again meanwhile: that change is merged next, by the same rule
    this.journal.delete(name);
    const waiting = this.deferred.get(name);
    this.deferred.delete(name);
    if (winner !== undefined) this.apply({ [name]: winner }, new Set([name]));
    else if (waiting !== undefined) this.apply({ [name]: waiting });
    this.cache(this.link?.routing.persistedRoutes() ?? {});
  }

  private onMessage(message: string): void {
    const nl = message.indexOf('\n');
    if (nl < 0) return;
    const route = parseValue(message.slice(nl + 1));
    if (route !== undefined) this.apply({ [message.slice(0, nl)]: route });
  }

  /** Applies fleet values that are newer (or forced); a journaled route's wait until its own change is settled. */
  private apply(routes: Routes, force: ReadonlySet<string> = new Set()): void {
    const link = this.link;
    if (link === undefined) return;
    const normal: Routes = {};
    const forced: Routes = {};
    for (const [name, r] of Object.entries(routes)) {
      if (this.journal.has(name) && !force.has(name)) {
        const held = this.deferred.get(name);
        if (held === undefined || (r.rev ?? 0) > (held.rev ?? 0)) this.deferred.set(name, r);
        continue;
      }
      if (this.forceNext.delete(name) || force.has(name)) forced[name] = r;
      else normal[name] = r;
    }
    const applied = [...link.routing.applyRemote(normal), ...link.routing.applyRemote(forced, { force: true })];
    if (applied.length > 0) {
      this.opts.onApplied?.(applied);
      this.cache(link.routing.persistedRoutes());
    }
  }

  /** Reads the whole routing hash and applies what is newer (journaled routes wait for their own write). */
  private async reconcile(): Promise<void> {
    if (!this.isUp || this.reconciling) return;
    this.reconciling = true;
    try {
      // A journaled route with no write under way is a change Redis has not taken: merge it now.
      if (this.needResync || [...this.journal.keys()].some((name) => !this.writes.has(name))) await this.resync();
      else await this.readBack(false);
    } finally {
      this.reconciling = false;
    }
  }

  /** `adopt`: after a reconnect, a fleet value as new as ours replaces it (one copy for the whole fleet). */
  private async readBack(adopt: boolean): Promise<void> {
    const link = this.link;
    if (link === undefined) return;
    const all = await this.cmd.hgetall(this.keys.routes);
    const mine = link.routing.persistedRoutes();
    const routes: Routes = {};
    const force = new Set<string>();
    for (const [name, text] of Object.entries(all)) {
      if (this.journal.has(name)) continue;
      const r = parseValue(text);
      if (r === undefined) continue;
      routes[name] = r;
      if (adopt && (r.rev ?? 0) >= (mine[name]?.rev ?? 0)) force.add(name);
    }
    this.apply(routes, force);
  }

  /**
   * (Re)connected: the revision counter continues from the newest revision this replica has seen (a
   * Redis restarted empty or from an old snapshot would count from below it); changes made here while
   * Redis was away are merged (MERGE's rule: they win over an empty or older Redis); every other route
   * is re-stated where Redis has nothing as new (SEED); then everything is read back.
   */
  private async resync(): Promise<void> {
    const link = this.link;
    if (link === undefined) return;
    this.needResync = false;
    try {
      const mine = link.routing.persistedRoutes();
      const seen = Math.max(0, ...Object.values(mine).map((r) => r.rev ?? 0));
      await this.cmd.eval(BUMP, 1, this.keys.rev, String(seen));
      for (const name of [...this.journal.keys()]) await this.publish(name, 0);
      if ([...this.journal.keys()].some((name) => !this.writes.has(name))) throw new Error('a journaled change could not be merged');
      for (const [name, r] of Object.entries(link.routing.persistedRoutes())) {
        if (this.journal.has(name)) continue;
        const { rev, ...plain } = r;
        await this.cmd.eval(SEED, 1, this.keys.routes, name, JSON.stringify(plain), String(rev ?? 0), this.keys.changes);
      }
      await this.readBack(true);
    } catch (err) {
      this.needResync = true;
      this.opts.log.warn({ err: (err as Error).message }, 'redis resync failed; retrying on the next reconcile');
    }
  }

  // ---- the judge's lease ----

  private async renewLease(): Promise<void> {
    if (!this.isUp || this.closed) {
      this.token = 0;
      return;
    }
    const sentAt = Date.now();
    try {
      const tok = Number(await this.cmd.eval(ACQUIRE, 2, this.keys.lease, this.keys.fence, this.replica, String(this.cfg.lease)));
      const was = this.token;
      this.token = tok;
      // Judge only while the lease surely still holds: counted from when the renewal was sent.
      this.judgeUntil = sentAt + this.cfg.lease - Math.floor(this.cfg.lease / 10);
      if (tok > 0 && was !== tok) this.opts.log.info({ replica: this.replica, fencingToken: tok }, 'judge lease acquired: this replica judges rollouts and guardrails');
      if (tok === 0 && was > 0) this.opts.log.warn({ replica: this.replica }, 'judge lease lost');
    } catch {
      // judgeUntil runs out on its own: a slow Redis does not make two judges.
    }
  }

  // ---- evidence ----

  private async exchangeEvidence(): Promise<void> {
    const link = this.link;
    if (link === undefined) return;
    const now = Date.now();
    // A cluster primary serves no traffic: it publishes its workers' snapshots, each under its own name.
    const mine: EvidenceSnapshot[] = link.snapshots === undefined
      ? [{ replica: this.replica, at: now, routes: link.evidence(now) }]
      : link.snapshots(now).map((s) => ({ ...s, replica: `${this.replica}>${s.replica}` }));
    for (const s of mine) this.board.put(s);
    if (!this.isUp) return;
    if (mine.length > 0) await this.cmd.hset(this.keys.evidence, ...mine.flatMap((s) => [s.replica, JSON.stringify(s)]));
    const all = await this.cmd.hgetall(this.keys.evidence);
    const forget: string[] = [];
    for (const [replica, text] of Object.entries(all)) {
      if (replica === this.replica || replica.startsWith(`${this.replica}>`)) continue;
      try {
        const snap = JSON.parse(text) as EvidenceSnapshot;
        if (now - snap.at > this.opts.evidenceIntervalMs * EVIDENCE_FORGET_INTERVALS) forget.push(replica);
        else this.board.put({ ...snap, replica });
      } catch {
        forget.push(replica);
      }
    }
    if (forget.length > 0 && this.isJudge()) await this.cmd.hdel(this.keys.evidence, ...forget);
  }

  // ---- audit ----

  auditSink(local: AuditSink): AuditSink {
    return {
      append: async (rec) => {
        await local.append(rec);
        if (!this.isUp) return;
        // The local file is the record of truth for this replica; the stream is the fleet's view.
        await this.cmd.xadd(this.keys.audit, 'MAXLEN', '~', String(AUDIT_STREAM_MAX), '*', 'rec', JSON.stringify({ ...rec, replica: this.replica }))
          .catch((err: unknown) => this.opts.log.warn({ err: (err as Error).message }, 'audit record not written to the fleet stream'));
      },
      latest: async (limit) => {
        if (!this.isUp) return local.latest(limit);
        try {
          const entries = await this.cmd.xrevrange(this.keys.audit, '+', '-', 'COUNT', limit);
          const out: AuditRecord[] = [];
          for (const [, fields] of entries.reverse()) {
            const i = fields.indexOf('rec');
            if (i >= 0 && fields[i + 1] !== undefined) out.push(JSON.parse(fields[i + 1]!) as AuditRecord);
          }
          return out;
        } catch {
          return local.latest(limit);
        }
      },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    if (this.isUp && this.token > 0) await this.cmd.eval(RELEASE, 1, this.keys.lease, this.replica).catch(() => undefined);
    this.token = 0;
    this.sub.disconnect();
    this.cmd.disconnect();
    await this.file.flush();
  }
}

/** A Redis URL without its credentials, for logs and messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

export function assertRedisConfig(cfg: RedisStateConfig | undefined): RedisStateConfig {
  if (cfg === undefined) throw new ShadowgateError('SG_ERR_CONFIG', 'state.backend redis needs state.redis.url');
  return cfg;
}
