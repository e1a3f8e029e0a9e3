// The routing runtime: one controller per route holding its canary split, live limits, recent live
// stats, and rollout state (config baseline + runtime override, steps, guardrails, automatic rollback),
// persisted through a StateStore and evaluated on unref'd timers or synchronously (evaluateNow).
import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from 'pino';
import { guardrailsSchema } from '../config/schema/canary.js';
import type { CanaryConfig, Config, GuardrailsConfig, RouteConfig } from '../config/schema.js';
import { ShadowgateError } from '../errors.js';
import type { Metrics } from '../observe/metrics.js';
import { ALL_DECISIONS, CanarySplit, DECISIONS, type CanaryDecision, type CanaryTarget } from './canary.js';
import { LiveLimits } from './limits.js';
import { LiveWindow, isLiveError, type LiveWindowSnapshot, type WindowSnapshot } from './live-stats.js';
import { observationsNeeded } from '../compare/sequential.js';
import { hardFailureCheck, isHardFailure, p99BoundZ, type GuardrailCheck } from './guardrails.js';
import {
  INITIAL_ROLLOUT, SYSTEM_BY, persistedOf, snapshotOf, transition, weightOf,
  type RolloutEffect, type RolloutEvent, type RolloutMachineState, type RouteSnapshot, type Transition,
} from './rollout-machine.js';
import {
  describeRollback, evaluateGuardrails, type PersistedRoute, type PersistedState, type RollbackReason, type RolloutState, type SignalsFn,
} from './rollout.js';

/** Who changed something: a token (from the admin API) or the runtime itself. */
export interface Actor {
  readonly token: string;
  readonly role: string;
  readonly source: string;
}
export const SYSTEM_ACTOR: Actor = Object.freeze({ token: SYSTEM_BY, role: 'system', source: 'local' });

export type { RouteSnapshot } from './rollout-machine.js';

export interface RoutingEvent {
  readonly action: 'rollback' | 'rollout.advance' | 'rollout.complete';
  readonly route: string;
  readonly actor: Actor;
  readonly before: RouteSnapshot;
  readonly after: RouteSnapshot;
  readonly reason?: RollbackReason;
}

/**
 * Where routing state lives (src/state/: a local file, the cluster primary over IPC, or Redis). `save`
 * receives the whole state and the routes that changed; a shared store publishes those to the fleet.
 * `fenced` marks the judge's own decisions (rollout steps, guardrail rollbacks): a shared store refuses
 * them once the judge has lost its lease, so a deposed judge cannot overwrite its successor.
 */
export interface RoutingStore {
  load(): PersistedState | undefined;
  /** Returns at once (the change is already in force); a promise, when given, settles once it is durable. */
  save(state: PersistedState, change?: StoreChange): void | Promise<void>;
  /** Resolves once every state saved so far is durable. */
  flush?(): Promise<void>;
}

export interface StoreChange {
  readonly routes: readonly string[];
  readonly fenced: boolean;
}

/** Merged live evidence of a route across the fleet (the judge decides on it instead of its own windows). */
export interface FleetEvidence {
  readonly incumbent: WindowSnapshot;
  readonly candidate: WindowSnapshot;
}

export interface RoutingRuntimeOptions {
  readonly metrics: Metrics;
  readonly log: Logger;
  /** The comparison engine's view of a route (disagreement, verdict). */
  readonly signals?: SignalsFn;
  readonly store?: RoutingStore;
  /** Automatic changes (rollback, step advance) for the audit trail. */
  readonly onEvent?: (event: RoutingEvent) => void;
  /** Seeded in tests; Math.random otherwise. */
  readonly random?: () => number;
  /** Evaluate on timers (default true); tests call evaluateNow instead. */
  readonly timers?: boolean;
  readonly now?: () => number;
  /**
   * Whether this process judges rollouts and guardrails (default: always). In a fleet only one does:
   * the cluster primary, or the holder of the Redis lease; the others follow the state it publishes.
   */
  readonly judge?: () => boolean;
  /** The fleet's merged live windows of a route; undefined judges on this process's own windows. */
  readonly evidence?: (route: string, nowMs: number, z: number) => FleetEvidence | undefined;
}

export const DEFAULT_EVALUATION_INTERVAL_MS = 10_000;
/**
 * Guardrails judge the last two to three slots of max(interval, this): a very short interval must not
 * shrink the window to a handful of requests, nor drop data a slightly late timer still needs.
 */
const MIN_WINDOW_SLOT_MS = 5000;
/** canary_decisions_total lags live decisions by at most this much (or call flushMetrics before a scrape). */
const METRICS_FLUSH_MS = 1000;
const DEFAULT_GUARDRAILS: GuardrailsConfig = guardrailsSchema.parse({});

export interface RouteView {
  readonly name: string;
  readonly primary: string;
  readonly candidate: string | null;
  readonly weight: { readonly value: number; readonly source: 'config' | 'runtime'; readonly config: number };
  readonly state: RolloutState;
  readonly status: string;
  readonly rollout: { readonly step: number; readonly steps: readonly number[]; readonly stepStartedAt: number; readonly stepRequests: number } | null;
  readonly rollback: RollbackReason | null;
  readonly changed: { readonly at: number; readonly by: string } | null;
  readonly lastEvaluation: { readonly at: number; readonly checks: readonly GuardrailCheck[] } | null;
  readonly limits: RouteConfig['limits'] | null;
}

type Counter = { inc(value?: number): void };

class RouteController {
  config: RouteConfig;
  split: CanarySplit | undefined;
  limits: LiveLimits | undefined;
  readonly incumbent: LiveWindow;
  readonly candidate: LiveWindow;
  /** The rollout's state: assigned only from a transition of rollout-machine.ts (RoutingRuntime.apply). */
  rollout: RolloutMachineState = INITIAL_ROLLOUT;
  stepRequests = 0;
  lastEvaluation: { at: number; checks: readonly GuardrailCheck[] } | null = null;
  timer: NodeJS.Timeout | undefined;
  intervalMs: number;
  /** Decisions counted in plain numbers on the hot path, added to the Prometheus counter by flushMetrics. */
  readonly decisionCounts = new Float64Array(ALL_DECISIONS.length);
  decisionCounters: Counter[] = [];
  throttledRate: Counter;
  throttledConcurrency: Counter;

  constructor(config: RouteConfig, readonly metrics: Metrics, random: () => number, nowMs: number) {
    this.config = config;
    this.intervalMs = intervalOf(config.canary);
    const slotMs = Math.max(this.intervalMs, MIN_WINDOW_SLOT_MS);
    this.incumbent = new LiveWindow(slotMs);
    this.candidate = new LiveWindow(slotMs);
    this.throttledRate = metrics.throttled.labels(config.name, 'rate');
    this.throttledConcurrency = metrics.throttled.labels(config.name, 'concurrency');
    this.configure(config, random, nowMs);
  }

  configure(config: RouteConfig, random: () => number, nowMs: number): void {
    const prev = this.config;
    this.config = config;
    if (config.canary === undefined) {
      this.split = undefined;
    } else if (this.split === undefined || JSON.stringify(prev.canary) !== JSON.stringify(config.canary)) {
      this.split = new CanarySplit(config.name, config.canary, random);
      this.flushDecisions();
      this.decisionCounters = ALL_DECISIONS.map((d) => this.metrics.canaryDecisions.labels(config.name, d.target, d.reason));
    }
    if (config.limits === undefined) this.limits = undefined;
    else if (this.limits === undefined || JSON.stringify(prev.limits) !== JSON.stringify(config.limits)) {
      this.limits = new LiveLimits(config.limits, nowMs);
    }
  }

  flushDecisions(): void {
    const counts = this.decisionCounts;
    for (let i = 0; i < counts.length; i++) {
      if (counts[i]! > 0) {
        this.decisionCounters[i]?.inc(counts[i]);
        counts[i] = 0;
      }
    }
  }

  get guardrails(): GuardrailsConfig {
    return this.config.canary?.guardrails ?? DEFAULT_GUARDRAILS;
  }

  get override(): number | null { return this.rollout.override; }
  get state(): RolloutState { return this.rollout.state; }
  get step(): number { return this.rollout.step; }
  get stepStartedAt(): number { return this.rollout.stepStartedAt; }
  get rollback(): RollbackReason | null { return this.rollout.rollback; }
  get rev(): number { return this.rollout.rev; }
  get changedAt(): number { return this.rollout.changedAt; }
  get changedBy(): string { return this.rollout.changedBy; }
  get status(): string { return this.rollout.status; }

  get weight(): number {
    return weightOf(this.rollout, this.config.canary);
  }

  snapshot(): RouteSnapshot {
    return snapshotOf(this.rollout, this.config.canary);
  }

  /** Pushes the effective weight into the split and the gauge. */
  publish(): void {
    if (this.split === undefined) return;
    const w = this.weight;
    this.split.setWeight(w);
    this.split.blockCandidate(this.state === 'rolled_back');
    this.metrics.canaryWeight.set({ route: this.config.name }, w);
  }

  persisted(): PersistedRoute {
    return persistedOf(this.rollout);
  }
}

function intervalOf(canary: CanaryConfig | undefined): number {
  return canary?.rollout?.interval ?? DEFAULT_EVALUATION_INTERVAL_MS;
}

/** "1m 40s", "3 min", "2 h" for a status line. */
function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${Math.round(s / 3600)} h`;
}

/**
 * What a step still needs and when it should have it: "needs ~180 more candidate requests, ~3 min at
 * the current rate". The checks' own needs (minRequests on each side) and the step's count whichever is larger.
 */
function expectedDecision(c: RouteController, checks: readonly GuardrailCheck[], stepN: number, minRequests: number, elapsedMs: number, now: number): string {
  const g = c.guardrails;
  const waiting = checks.filter((k) => k.result === 'insufficient data').map((k) => k.metric);
  let more = Math.max(minRequests - stepN, waiting.includes('error_rate_delta') || waiting.includes('p99_ratio') ? g.minRequests - stepN : 0);
  // An error rate past its threshold on the point but not yet on the bound: what the sequence needs to settle it.
  const errors = checks.find((k) => k.metric === 'error_rate_delta' && k.result === 'insufficient data' && typeof k.value === 'number');
  if (errors !== undefined && stepN >= g.minRequests) {
    const cand = c.candidate.snapshot(now).step;
    const needed = cand.requests > 0 ? observationsNeeded(cand.errors / cand.requests, null, g.maxErrorRateDelta, 1 - g.confidence) : null;
    if (needed !== null) more = Math.max(more, needed - stepN);
  }
  const rate = elapsedMs > 0 ? stepN / (elapsedMs / 1000) : 0;
  const parts: string[] = [];
  if (more > 0) parts.push(`needs ~${more} more candidate requests, ${rate > 0 ? `~${duration((more / rate) * 1000)} at the current rate (${Number(rate.toPrecision(2))}/s)` : 'none arriving yet'}`);
  const other = waiting.filter((m) => m !== 'error_rate_delta' || more <= 0);
  if (other.length > 0) parts.push(`waiting on ${other.join(', ')}`);
  return parts.length > 0 ? parts.join('; ') : `${stepN} of ${minRequests} candidate requests`;
}

export class RoutingRuntime {
  private readonly routes = new Map<string, RouteController>();
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly timers: boolean;
  private closed = false;
  private flushTimer: NodeJS.Timeout | undefined;

  constructor(config: Config, private readonly opts: RoutingRuntimeOptions) {
    this.random = opts.random ?? Math.random;
    this.now = opts.now ?? Date.now;
    this.timers = opts.timers ?? true;
    const restored = opts.store?.load();
    const now = this.now();
    for (const r of config.routes) {
      const c = new RouteController(r, opts.metrics, this.random, now);
      this.initialState(c, restored?.routes[r.name], now);
      this.routes.set(r.name, c);
    }
    for (const c of this.routes.values()) {
      c.publish();
      this.schedule(c);
    }
    if (this.timers) {
      this.flushTimer = setInterval(() => this.flushMetrics(), METRICS_FLUSH_MS);
      this.flushTimer.unref();
    }
    if (restored !== undefined) opts.log.info({ routes: Object.keys(restored.routes) }, 'canary state restored');
  }

  /**
   * One event on a route's rollout: the machine decides (rollout-machine.ts), the runtime assigns its
   * next state and applies its effects in order. An operator action the state refuses is a 409.
   */
  private apply(c: RouteController, event: RolloutEvent, now: number): Transition {
    const t = transition(c.rollout, event, now, c.config.canary);
    if (t.refused !== undefined) throw new ShadowgateError('SG_ERR_CONFLICT', `route "${c.config.name}" ${t.refused}`, 409);
    c.rollout = t.next;
    for (const effect of t.effects) this.effect(c, effect, now);
    return t;
  }

  private effect(c: RouteController, e: RolloutEffect, now: number): void {
    const route = c.config.name;
    switch (e.type) {
      case 'set-weight':
        // Weight 0 reaches the split before anything else (persisting may be slow): no request after this.
        c.publish();
        return;
      case 'persist':
        this.persist({ routes: [route], fenced: e.fenced });
        return;
      case 'reset-step':
        c.stepRequests = 0;
        c.candidate.clear();
        if (e.incumbent) c.incumbent.restartStep();
        return;
      case 'evaluate':
        this.judgeRoute(c, now);
        return;
      case 'audit':
        this.emit({ action: e.action, route, actor: SYSTEM_ACTOR, before: e.before, after: e.after, ...(e.reason !== undefined ? { reason: e.reason } : {}) });
        return;
      case 'alert':
        this.opts.log.error({ alert: e.alert, route, ...e.fields }, e.alert === 'canary_rollback'
          ? `ALERT canary rolled back on ${route}: ${e.message}`
          : `ALERT rollout step ${String(e.fields.step)} on ${route} ${e.message}`);
        return;
      case 'log':
        this.opts.log.info({ route, ...e.fields }, e.message);
        return;
      case 'metric':
        if (e.metric === 'rollback') this.opts.metrics.canaryRollbacks.inc({ route, reason: e.reason });
        else this.opts.metrics.rolloutStepOverdue.set({ route }, e.value);
        return;
    }
  }

  private initialState(c: RouteController, saved: PersistedRoute | undefined, now: number): void {
    this.apply(c, saved === undefined ? { type: 'init' } : { type: 'init', saved }, now);
  }

  private schedule(c: RouteController): void {
    if (c.timer !== undefined) clearInterval(c.timer);
    c.timer = undefined;
    if (!this.timers || this.closed || c.config.canary === undefined) return;
    c.timer = setInterval(() => this.evaluateRoute(c, this.now()), c.intervalMs);
    c.timer.unref();
  }

  /** Adds the decisions counted since the last flush to canary_decisions_total (call before a scrape). */
  flushMetrics(): void {
    for (const c of this.routes.values()) c.flushDecisions();
  }

  // ---- hot path ----

  /** The full decision (target and reason), counted in canary_decisions_total. */
  decision(route: string, headers: IncomingHttpHeaders, remoteAddress: string | undefined): CanaryDecision {
    const c = this.routes.get(route);
    const split = c?.split;
    if (split === undefined) return DECISIONS.off;
    const d = split.decide(headers, remoteAddress);
    // prom-client's child.inc() hashes its labels on every call (~0.7 µs); a Float64Array slot is free.
    c!.decisionCounts[d.slot]!++;
    return d;
  }

  decide(route: string, headers: IncomingHttpHeaders, remoteAddress: string | undefined): CanaryTarget {
    return this.decision(route, headers, remoteAddress).target;
  }

  tryAcquire(route: string, nowMs: number): number {
    const c = this.routes.get(route);
    const limits = c?.limits;
    if (limits === undefined) return 0;
    const retry = limits.tryAcquire(nowMs);
    if (retry > 0) (limits.lastRefusal === 'concurrency' ? c!.throttledConcurrency : c!.throttledRate).inc();
    return retry;
  }

  release(route: string): void {
    this.routes.get(route)?.limits?.release();
  }

  /** Live slots in use (routes[].limits), by route; routes without limits hold none. For the metrics scrape. */
  slotsInUse(): [string, number][] {
    const out: [string, number][] = [];
    for (const [name, c] of this.routes) if (c.limits !== undefined) out.push([name, c.limits.inFlightCount]);
    return out;
  }

  /**
   * One finished live call. A candidate call that failed and was retried on the incumbent must be
   * reported as the candidate's failure (target candidate, its status), or guardrails never see it.
   */
  recordLive(route: string, target: CanaryTarget, status: number, latencyMs: number, nowMs: number): void {
    const c = this.routes.get(route);
    if (c?.split === undefined) return;
    if (target === 'candidate') {
      c.candidate.record(status, latencyMs, nowMs);
      c.stepRequests++;
      // The hard-failure fast path: only a failing request can start it, and it reads a few counters.
      if (isLiveError(status) && c.state !== 'rolled_back' && this.hardFailure(c, nowMs)) return;
    } else {
      c.incumbent.record(status, latencyMs, nowMs);
    }
  }

  /** Rolls back now, whatever the evaluation interval, when the candidate fails far past any threshold. */
  private hardFailure(c: RouteController, now: number): boolean {
    const g = c.guardrails;
    // The most recent calls only: a candidate that turns bad after healthy traffic is judged on what it
    // does now, not on an average its healthy history dilutes.
    const requests = c.candidate.recentCalls(g.hardFailure.minRequests);
    const errors = c.candidate.recentFailures(g.hardFailure.minRequests);
    if (!isHardFailure(g, requests, errors)) return false;
    const check = hardFailureCheck(g, requests, errors);
    c.lastEvaluation = { at: now, checks: [check] };
    this.apply(c, { type: 'hard-failure', check }, now);
    return true;
  }

  // ---- evaluation ----

  /** Evaluates every canary route now (what the timers do), and returns their views. */
  evaluateNow(nowMs: number = this.now()): RouteView[] {
    const out: RouteView[] = [];
    this.flushMetrics();
    for (const c of this.routes.values()) {
      if (c.config.canary === undefined) continue;
      this.evaluateRoute(c, nowMs);
      out.push(this.view(c));
    }
    return out;
  }

  private evaluateRoute(c: RouteController, now: number): void {
    if (c.config.canary === undefined || this.closed) return;
    this.apply(c, { type: 'tick', judging: this.opts.judge === undefined || this.opts.judge() }, now);
  }

  /** The guardrails' verdict on a route (the machine asked for it on a tick). */
  private judgeRoute(c: RouteController, now: number): void {
    let signals;
    try {
      signals = this.opts.signals?.(c.config.name, now);
    } catch (err) {
      // A broken comparison engine must not stop the live guardrails: judge without it, and say so.
      this.opts.log.error({ route: c.config.name, err: (err as Error).message }, 'canary signals failed');
      signals = undefined;
    }
    const z = p99BoundZ(c.guardrails);
    const fleet = this.opts.evidence?.(c.config.name, now, z);
    const candidateWindow = fleet?.candidate ?? c.candidate.snapshot(now, z);
    const checks = evaluateGuardrails(c.guardrails, fleet?.incumbent ?? c.incumbent.snapshot(now, z), candidateWindow, signals);
    c.lastEvaluation = { at: now, checks };
    const rollout = c.config.canary?.rollout;
    const stepN = Math.max(c.stepRequests, candidateWindow.step.requests);
    const insufficient = rollout !== undefined && c.state === 'running' && !checks.some((k) => k.result === 'breach')
      && (stepN < rollout.minRequests || checks.some((k) => k.result === 'insufficient data'));
    const need = insufficient ? expectedDecision(c, checks, stepN, rollout.minRequests, now - c.stepStartedAt, now) : '';
    this.apply(c, {
      type: 'verdict', judging: this.opts.judge === undefined || this.opts.judge(), checks, stepN, need,
      ...(signals?.verdict !== undefined ? { shadowVerdict: signals.verdict } : {}),
    }, now);
  }


  private emit(event: RoutingEvent): void {
    try {
      this.opts.onEvent?.(event);
    } catch (err) {
      this.opts.log.error({ route: event.route, err: (err as Error).message }, 'routing event sink failed');
    }
  }

  private persist(change: StoreChange = { routes: [], fenced: false }): void {
    const store = this.opts.store;
    if (store === undefined) return;
    // The running state is still right; only durability is lost, which operators must hear about.
    const failed = (err: unknown) => this.opts.log.error({ err: (err as Error).message }, 'canary state could not be saved');
    try {
      // Written off this thread (a hard-failure rollback is decided on the live path): see state/state-file.ts.
      const written = store.save({ v: 1, savedAt: this.now(), routes: this.persistedRoutes() }, change);
      if (written instanceof Promise) written.catch(failed);
    } catch (err) {
      failed(err);
    }
  }

  /** Resolves once the store holds every change made so far durably (an operator's answer waits on it). */
  flush(): Promise<void> {
    return this.opts.store?.flush?.() ?? Promise.resolve();
  }

  // ---- operator actions (the admin API audits them) ----

  private canaryRoute(route: string): RouteController {
    const c = this.routes.get(route);
    if (c === undefined) throw new ShadowgateError('SG_ERR_NOT_FOUND', `route "${route}" not found`, 404);
    if (c.config.canary === undefined) throw new ShadowgateError('SG_ERR_NO_CANARY', `route "${route}" has no canary`, 409);
    return c;
  }

  /** Sets a runtime weight; a running rollout pauses (the operator took the wheel). */
  setWeight(route: string, weight: number, actor: Actor): { before: RouteSnapshot; after: RouteSnapshot } {
    if (!(weight >= 0 && weight <= 100)) throw new ShadowgateError('SG_ERR_BAD_REQUEST', 'weight must be between 0 and 100', 400);
    return this.operator(route, { type: 'set', weight, by: actor.token });
  }

  /** Drops the runtime override: the config weight applies again (a rollout, if any, stays as it is). */
  clearOverride(route: string, actor: Actor): { before: RouteSnapshot; after: RouteSnapshot } {
    return this.operator(route, { type: 'clear', by: actor.token });
  }

  rollback(route: string, actor: Actor): { before: RouteSnapshot; after: RouteSnapshot } {
    return this.operator(route, { type: 'rollback', by: actor.token });
  }

  promote(route: string, actor: Actor): { before: RouteSnapshot; after: RouteSnapshot } {
    return this.operator(route, { type: 'promote', by: actor.token });
  }

  pause(route: string, actor: Actor): { before: RouteSnapshot; after: RouteSnapshot } {
    return this.operator(route, { type: 'pause', by: actor.token });
  }

  /** Resumes a paused rollout (the step clock restarts), or starts it from step 1 when idle or rolled back. */
  resume(route: string, actor: Actor): { before: RouteSnapshot; after: RouteSnapshot } {
    return this.operator(route, { type: 'resume', by: actor.token });
  }

  private operator(route: string, event: RolloutEvent): { before: RouteSnapshot; after: RouteSnapshot } {
    const c = this.canaryRoute(route);
    const before = c.snapshot();
    this.apply(c, event, this.now());
    return { before, after: c.snapshot() };
  }

  // ---- the fleet ----

  /**
   * A route's state as another process wrote it (the judge, an operator on another replica, a replica's
   * fast-path rollback): applied when its revision is newer than ours, without saving or auditing it
   * again (its writer did). `force` applies whatever the revision (a worker's first state from its
   * primary replaces what it derived from the config). Returns the routes that changed.
   */
  applyRemote(routes: Readonly<Record<string, PersistedRoute>>, opts: { force?: boolean } = {}): string[] {
    const applied: string[] = [];
    const now = this.now();
    for (const [name, saved] of Object.entries(routes)) {
      const c = this.routes.get(name);
      if (c === undefined) continue;
      const t = this.apply(c, opts.force === true ? { type: 'remote', saved, force: true } : { type: 'remote', saved }, now);
      if (t.ignored !== true) applied.push(name);
    }
    return applied;
  }

  /** Records the revision a shared store gave to this process's own change (so its echo is not re-applied). */
  acknowledge(route: string, rev: number): void {
    const c = this.routes.get(route);
    if (c !== undefined) this.apply(c, { type: 'ack', rev }, this.now());
  }

  /** This process's live windows of every canary route, as plain JSON for the fleet's judge. */
  exportEvidence(): Record<string, { incumbent: LiveWindowSnapshot; candidate: LiveWindowSnapshot }> {
    const out: Record<string, { incumbent: LiveWindowSnapshot; candidate: LiveWindowSnapshot }> = {};
    for (const [name, c] of this.routes) {
      if (c.config.canary !== undefined) out[name] = { incumbent: c.incumbent.encode(), candidate: c.candidate.encode() };
    }
    return out;
  }

  /** Every canary route's persisted state (what a shared store publishes on (re)connect). */
  persistedRoutes(): Record<string, PersistedRoute> {
    const routes: Record<string, PersistedRoute> = {};
    for (const [name, c] of this.routes) if (c.config.canary !== undefined) routes[name] = c.persisted();
    return routes;
  }

  // ---- configuration and views ----

  /** A reloaded configuration: new routes start from config, existing ones keep their runtime state. */
  applyConfig(config: Config): void {
    const now = this.now();
    const next = new Map<string, RouteController>();
    for (const r of config.routes) {
      let c = this.routes.get(r.name);
      if (c === undefined) {
        c = new RouteController(r, this.opts.metrics, this.random, now);
        this.initialState(c, undefined, now);
      } else {
        const hadCanary = c.config.canary !== undefined;
        c.configure(r, this.random, now);
        if (r.canary !== undefined && !hadCanary) this.initialState(c, undefined, now);
        else this.apply(c, { type: 'config' }, now);
        const interval = intervalOf(r.canary);
        if (interval !== c.intervalMs) c.intervalMs = interval;
      }
      next.set(r.name, c);
    }
    for (const [name, c] of this.routes) {
      if (!next.has(name)) {
        c.flushDecisions();
        if (c.timer !== undefined) clearInterval(c.timer);
        this.opts.metrics.canaryWeight.remove({ route: name });
      }
    }
    this.routes.clear();
    for (const [name, c] of next) {
      this.routes.set(name, c);
      c.publish();
      this.schedule(c);
    }
    this.persist();
  }

  route(name: string): RouteView | undefined {
    const c = this.routes.get(name);
    return c === undefined ? undefined : this.view(c);
  }

  list(): RouteView[] {
    return [...this.routes.values()].map((c) => this.view(c));
  }

  private view(c: RouteController): RouteView {
    const canary = c.config.canary;
    const rollout = canary?.rollout;
    return {
      name: c.config.name,
      primary: c.config.primary,
      candidate: canary?.upstream ?? null,
      weight: { value: c.weight, source: c.override === null || canary === undefined ? 'config' : 'runtime', config: canary?.weight ?? 0 },
      state: c.state,
      // After a restart nothing was evaluated yet, but a rollback restored from the state file still says why.
      status: c.status || (canary === undefined ? 'no canary' : c.state === 'rolled_back' && c.rollback ? describeRollback(c.rollback) : 'not evaluated yet'),
      rollout: rollout === undefined ? null : { step: c.step, steps: rollout.steps, stepStartedAt: c.stepStartedAt, stepRequests: c.stepRequests },
      rollback: c.rollback,
      changed: c.changedBy === '' ? null : { at: c.changedAt, by: c.changedBy },
      lastEvaluation: c.lastEvaluation,
      limits: c.config.limits ?? null,
    };
  }

  close(): void {
    if (this.closed) return;
    this.flushMetrics();
    this.closed = true;
    if (this.flushTimer !== undefined) clearInterval(this.flushTimer);
    for (const c of this.routes.values()) {
      if (c.timer !== undefined) clearInterval(c.timer);
      c.timer = undefined;
      c.incumbent.destroy();
      c.candidate.destroy();
    }
  }
}
