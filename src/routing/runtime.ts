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
  describeRollback, evaluateGuardrails, type PersistedRoute, type PersistedState, type RollbackReason, type RolloutState, type SignalsFn,
} from './rollout.js';

/** Who changed something: a token (from the admin API) or the runtime itself. */
export interface Actor {
  readonly token: string;
  readonly role: string;
  readonly source: string;
}
export const SYSTEM_ACTOR: Actor = Object.freeze({ token: 'shadowgate', role: 'system', source: 'local' });

export interface RouteSnapshot {
  readonly weight: number;
  readonly state: RolloutState;
  readonly step: number | null;
}

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
  override: number | null = null;
  state: RolloutState = 'static';
  step = 0;
  stepStartedAt = 0;
  stepRequests = 0;
  rollback: RollbackReason | null = null;
  /** Order of shared changes: a remote state applies only when its revision is newer. */
  rev = 0;
  changedAt = 0;
  changedBy = '';
  status = '';
  lastEvaluation: { at: number; checks: readonly GuardrailCheck[] } | null = null;
  /** The step waited past rollout.maxStepDuration (alerted once per step). */
  overdue = false;
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

  get weight(): number {
    if (this.config.canary === undefined) return 0;
    return this.override ?? this.config.canary.weight;
  }

  snapshot(): RouteSnapshot {
    return { weight: this.weight, state: this.state, step: this.config.canary?.rollout && this.stepActive() ? this.step : null };
  }

  stepActive(): boolean {
    return this.state === 'running' || this.state === 'paused' || this.state === 'complete';
  }

  /** Pushes the effective weight into the split and the gauge. */
  publish(): void {
    if (this.split === undefined) return;
    const w = this.weight;
    this.split.setWeight(w);
    this.split.blockCandidate(this.state === 'rolled_back');
    this.metrics.canaryWeight.set({ route: this.config.name }, w);
  }

  restore(saved: PersistedRoute): void {
    this.override = saved.override;
    this.state = saved.state;
    this.step = saved.step;
    this.stepStartedAt = saved.stepStartedAt;
    this.rollback = saved.rollback;
    this.changedAt = saved.changedAt;
    this.changedBy = saved.changedBy;
    this.rev = saved.rev ?? 0;
  }

  persisted(): PersistedRoute {
    return {
      override: this.override, state: this.state, step: this.step, stepStartedAt: this.stepStartedAt,
      rollback: this.rollback, changedAt: this.changedAt, changedBy: this.changedBy, rev: this.rev,
    };
  }
}

/** An automatic rollback's reason, with the check's evidence. */
function reasonOf(check: GuardrailCheck, at: number): RollbackReason {
  return { metric: check.metric, value: check.value, threshold: check.threshold, at, by: 'guardrail', n: check.n, bound: check.bound, detail: check.detail };
}

function intervalOf(canary: CanaryConfig | undefined): number {
  return canary?.rollout?.interval ?? DEFAULT_EVALUATION_INTERVAL_MS;
}

/** A route's state in words that mean what they say (a static 30% canary is not "off"). */
function describeState(c: RouteController): string {
  const w = c.weight;
  const rollout = c.config.canary?.rollout;
  switch (c.state) {
    case 'rolled_back': return c.rollback ? describeRollback(c.rollback) : 'rolled back';
    case 'idle': return 'idle: waiting for resume';
    case 'promoted': return `promoted: the candidate serves ${w}%`;
    case 'complete': return 'complete: promote to finish';
    case 'paused': return `paused at ${w}%${rollout ? ` (step ${c.step + 1}/${rollout.steps.length}); resume to continue` : ''}`;
    case 'running': return `running: step ${c.step + 1}/${rollout?.steps.length ?? 1} at ${w}%`;
    case 'static': return w > 0 ? `static canary at ${w}%, guardrails watching` : 'off: weight 0, the candidate serves nothing';
  }
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

  private initialState(c: RouteController, saved: PersistedRoute | undefined, now: number): void {
    const canary = c.config.canary;
    if (canary === undefined) return;
    if (saved !== undefined) {
      c.restore(saved);
      this.reconcileRollout(c, now);
      return;
    }
    const rollout = canary.rollout;
    if (rollout === undefined) c.state = 'static';
    else if (rollout.autoStart) this.startRollout(c, now, SYSTEM_ACTOR.token);
    else c.state = 'idle';
  }

  /** A config whose rollout changed under a saved state: keep what still makes sense. */
  private reconcileRollout(c: RouteController, now: number): void {
    const rollout = c.config.canary?.rollout;
    if (rollout === undefined) {
      if (c.stepActive() || c.state === 'idle') c.state = 'static';
      return;
    }
    if (c.state === 'static') {
      if (rollout.autoStart) this.startRollout(c, now, SYSTEM_ACTOR.token);
      else c.state = 'idle';
    }
    if (c.step >= rollout.steps.length) c.step = rollout.steps.length - 1;
  }

  private startRollout(c: RouteController, now: number, by: string): void {
    const steps = c.config.canary!.rollout!.steps;
    c.state = 'running';
    c.step = 0;
    c.override = steps[0]!;
    c.rollback = null;
    this.beginStep(c, now);
    c.changedAt = now;
    c.changedBy = by;
  }

  private beginStep(c: RouteController, now: number): void {
    c.stepStartedAt = now;
    c.stepRequests = 0;
    // A new step is judged on its own traffic, not on the previous step's (the incumbent's too).
    c.candidate.clear();
    c.incumbent.restartStep();
    this.setOverdue(c, false);
  }

  private setOverdue(c: RouteController, overdue: boolean): void {
    if (c.overdue === overdue) return;
    c.overdue = overdue;
    this.opts.metrics.rolloutStepOverdue.set({ route: c.config.name }, overdue ? 1 : 0);
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
    this.rollbackRoute(c, reasonOf(check, now), SYSTEM_ACTOR, now);
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
    const canary = c.config.canary;
    if (canary === undefined || this.closed) return;
    if (c.state === 'rolled_back') {
      c.status = c.rollback ? describeRollback(c.rollback) : 'rolled back';
      return;
    }
    if (c.weight === 0 && c.state !== 'running') {
      c.status = describeState(c);
      return;
    }
    if (this.opts.judge !== undefined && !this.opts.judge()) {
      c.status = 'following the fleet judge';
      return;
    }
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
    const breach = checks.find((k) => k.result === 'breach');
    if (breach !== undefined) {
      this.rollbackRoute(c, reasonOf(breach, now), SYSTEM_ACTOR, now);
      return;
    }
    const rollout = canary.rollout;
    if (c.state !== 'running' || rollout === undefined) {
      c.status = describeState(c);
      return;
    }
    const elapsed = now - c.stepStartedAt;
    const label = `step ${c.step + 1}/${rollout.steps.length} at ${c.weight}%`;
    if (elapsed < rollout.stepDuration) {
      c.status = `holding: ${label}, ${Math.ceil((rollout.stepDuration - elapsed) / 1000)}s left`;
      return;
    }
    const stepN = Math.max(c.stepRequests, candidateWindow.step.requests);
    if (stepN < rollout.minRequests || checks.some((k) => k.result === 'insufficient data')) {
      const need = `stalled: insufficient data: ${label}, ${expectedDecision(c, checks, stepN, rollout.minRequests, elapsed, now)}`;
      if (rollout.maxStepDuration === undefined || elapsed < rollout.maxStepDuration) {
        c.status = need;
        return;
      }
      if (!this.overdueStep(c, now, need, stepN, signals?.verdict)) return;
    }
    this.advance(c, now);
  }

  /**
   * A step that could not be judged within rollout.maxStepDuration does what the operator chose: hold
   * (and alert), roll back, or advance — the latter only on the shadow comparison's verdict of pass.
   * Returns true when the step is to advance.
   */
  private overdueStep(c: RouteController, now: number, need: string, stepN: number, verdict: string | undefined): boolean {
    const rollout = c.config.canary!.rollout!;
    const choice = rollout.onMaxStepDuration;
    const after = `after ${Math.round(rollout.maxStepDuration! / 1000)}s (rollout.maxStepDuration)`;
    if (!c.overdue) {
      this.setOverdue(c, true);
      this.opts.log.error({ alert: 'rollout_step_overdue', route: c.config.name, step: c.step + 1, requests: stepN, choice },
        `ALERT rollout step ${c.step + 1} on ${c.config.name} could not be judged ${after}: ${need}; onMaxStepDuration: ${choice}`);
    }
    if (choice === 'rollback') {
      this.rollbackRoute(c, {
        metric: 'max_step_duration', value: stepN, threshold: rollout.minRequests, at: now, by: 'guardrail', n: stepN, bound: null,
        detail: `${stepN} candidate requests ${after}, ${rollout.minRequests} needed`,
      }, SYSTEM_ACTOR, now);
      return false;
    }
    if (choice === 'promote' && verdict === 'pass') return true;
    c.status = `overdue: ${need.replace(/^stalled: insufficient data: /, '')} ${after}; holding (onMaxStepDuration: ${choice}`
      + `${choice === 'promote' ? `, which advances only on a shadow verdict of pass, now ${verdict ?? 'no shadow comparison'}` : ''})`;
    return false;
  }

  private advance(c: RouteController, now: number): void {
    const rollout = c.config.canary!.rollout!;
    const before = c.snapshot();
    this.setOverdue(c, false);
    if (c.step + 1 >= rollout.steps.length) {
      c.state = 'complete';
      c.status = 'complete: promote to finish';
      this.changed(c, now, SYSTEM_ACTOR.token, true);
      this.emit({ action: 'rollout.complete', route: c.config.name, actor: SYSTEM_ACTOR, before, after: c.snapshot() });
      return;
    }
    c.step++;
    c.override = rollout.steps[c.step]!;
    this.beginStep(c, now);
    c.status = `advanced: step ${c.step + 1}/${rollout.steps.length} at ${c.weight}%`;
    this.changed(c, now, SYSTEM_ACTOR.token, true);
    this.opts.log.info({ route: c.config.name, step: c.step + 1, weight: c.weight }, 'canary rollout advanced');
    this.emit({ action: 'rollout.advance', route: c.config.name, actor: SYSTEM_ACTOR, before, after: c.snapshot() });
  }

  private rollbackRoute(c: RouteController, reason: RollbackReason, actor: Actor, now: number): void {
    const before = c.snapshot();
    c.override = 0;
    c.state = 'rolled_back';
    c.rollback = reason;
    this.setOverdue(c, false);
    c.status = describeRollback(reason);
    // Weight 0 reaches the split before anything else (persisting may be slow): no request after this.
    c.publish();
    this.opts.metrics.canaryRollbacks.inc({ route: c.config.name, reason: reason.metric });
    // The judge's guardrail decisions are fenced; the hard-failure fast path is every replica's own.
    this.changed(c, now, actor.token, reason.by === 'guardrail' && reason.metric !== 'hard_failure');
    if (reason.by === 'guardrail') {
      this.opts.log.error({ alert: 'canary_rollback', route: c.config.name, metric: reason.metric, value: reason.value, threshold: reason.threshold },
        `ALERT canary rolled back on ${c.config.name}: ${reason.metric} ${String(reason.value)} > ${String(reason.threshold)}`);
      this.emit({ action: 'rollback', route: c.config.name, actor, before, after: c.snapshot(), reason });
    }
  }

  private emit(event: RoutingEvent): void {
    try {
      this.opts.onEvent?.(event);
    } catch (err) {
      this.opts.log.error({ route: event.route, err: (err as Error).message }, 'routing event sink failed');
    }
  }

  private changed(c: RouteController, now: number, by: string, fenced = false): void {
    c.changedAt = now;
    c.changedBy = by;
    // An operator's change shows at once: a status computed before it (weight 0: "off") would lie until
    // the next evaluation.
    if (by !== SYSTEM_ACTOR.token) c.status = describeState(c);
    c.publish();
    this.persist({ routes: [c.config.name], fenced });
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
    const c = this.canaryRoute(route);
    const before = c.snapshot();
    c.override = Math.round(weight * 100) / 100;
    if (c.state === 'running' || c.state === 'complete') c.state = 'paused';
    else if (c.state === 'rolled_back' || c.state === 'promoted') c.state = c.config.canary!.rollout ? 'paused' : 'static';
    else if (c.state === 'idle') c.state = 'paused';
    c.rollback = null;
    this.changed(c, this.now(), actor.token);
    return { before, after: c.snapshot() };
  }

  /** Drops the runtime override: the config weight applies again (a rollout, if any, stays as it is). */
  clearOverride(route: string, actor: Actor): { before: RouteSnapshot; after: RouteSnapshot } {
    const c = this.canaryRoute(route);
    const before = c.snapshot();
    c.override = null;
    if (c.state === 'rolled_back' || c.state === 'promoted') c.state = c.config.canary!.rollout ? 'idle' : 'static';
    c.rollback = null;
    this.changed(c, this.now(), actor.token);
    return { before, after: c.snapshot() };
  }

  rollback(route: string, actor: Actor): { before: RouteSnapshot; after: RouteSnapshot } {
    const c = this.canaryRoute(route);
    const before = c.snapshot();
    const now = this.now();
    this.rollbackRoute(c, { metric: 'manual', value: null, threshold: null, at: now, by: actor.token }, actor, now);
    return { before, after: c.snapshot() };
  }

  promote(route: string, actor: Actor): { before: RouteSnapshot; after: RouteSnapshot } {
    const c = this.canaryRoute(route);
    const before = c.snapshot();
    c.override = 100;
    c.state = 'promoted';
    c.rollback = null;
    this.changed(c, this.now(), actor.token);
    return { before, after: c.snapshot() };
  }

  pause(route: string, actor: Actor): { before: RouteSnapshot; after: RouteSnapshot } {
    const c = this.canaryRoute(route);
    if (c.state !== 'running') throw new ShadowgateError('SG_ERR_CONFLICT', `route "${route}" has no running rollout (state ${c.state})`, 409);
    const before = c.snapshot();
    c.state = 'paused';
    this.changed(c, this.now(), actor.token);
    return { before, after: c.snapshot() };
  }

  /** Resumes a paused rollout (the step clock restarts), or starts it from step 1 when idle or rolled back. */
  resume(route: string, actor: Actor): { before: RouteSnapshot; after: RouteSnapshot } {
    const c = this.canaryRoute(route);
    const rollout = c.config.canary!.rollout;
    if (rollout === undefined) throw new ShadowgateError('SG_ERR_CONFLICT', `route "${route}" has no rollout configured`, 409);
    if (c.state === 'running') throw new ShadowgateError('SG_ERR_CONFLICT', `route "${route}" is already running`, 409);
    const before = c.snapshot();
    const now = this.now();
    if (c.state === 'paused') {
      c.state = 'running';
      c.override = rollout.steps[Math.min(c.step, rollout.steps.length - 1)]!;
      this.beginStep(c, now);
    } else {
      this.startRollout(c, now, actor.token);
    }
    this.changed(c, now, actor.token);
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
      if (c === undefined || c.config.canary === undefined) continue;
      const rev = saved.rev ?? 0;
      if (rev <= c.rev && opts.force !== true) continue;
      const newStep = saved.step !== c.step || saved.stepStartedAt !== c.stepStartedAt;
      c.restore(saved);
      if (newStep) {
        c.stepRequests = 0;
        c.candidate.clear();
      }
      if (c.state === 'rolled_back') c.status = 'rolled back';
      this.reconcileRollout(c, now);
      c.publish();
      applied.push(name);
    }
    return applied;
  }

  /** Records the revision a shared store gave to this process's own change (so its echo is not re-applied). */
  acknowledge(route: string, rev: number): void {
    const c = this.routes.get(route);
    if (c !== undefined && rev > c.rev) c.rev = rev;
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
        if (r.canary === undefined) {
          c.state = 'static';
          c.override = null;
        } else if (!hadCanary) {
          this.initialState(c, undefined, now);
        } else {
          this.reconcileRollout(c, now);
        }
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
