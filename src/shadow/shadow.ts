// One route's shadow, on the live thread: offer → admission → hand-off to a shadow thread (which
// anonymizes, sends, compares and serializes) → its compact result counted here and passed to the result
// hook. Nothing here can reach the client's answer: offer is called after the primary response ended,
// never throws, never waits, and every drop is counted by reason.
import type { ShadowConfig } from '../config/schema.js';
import type { RawRequest } from '../exchange.js';
import type { Metrics } from '../observe/metrics.js';
import type { CopyInput, ResultSink } from '../shadow-threads/pool.js';
import type { CopyResult, TargetCall } from '../shadow-threads/protocol.js';
import { OverloadMonitor, TokenBucket, unitHash } from './admission.js';
import { defaultBurst } from '../kernel/token-bucket.js';
import { formatTraceparent, type TraceContext, type Tracer } from '../observe/trace.js';

export type DropReason = 'sampled_out' | 'body_too_large' | 'rate_limited' | 'in_flight' | 'overload' | 'target_down' | 'no_policy' | 'leak'
  | 'anonymize_error' | 'unreadable_body' | 'draining' | 'thread_crash' | 'rewrite_error'
  | 'unsupported_body' | 'malformed_body' | 'scan_limit' | 'policy_drops_body';

/** Where admitted copies go: the shadow threads. False when their queues are full (the copy is then an overload drop). */
export interface ShadowHandOff {
  post(copy: CopyInput, generation: number, sink: ResultSink): boolean;
}

/** Consecutive failed calls (no answer at all) after which a target is treated as down. */
export const BREAKER_FAILURES = 5;
const BREAKER_COOLDOWN_MS = 1000;
const BREAKER_MAX_COOLDOWN_MS = 30_000;

/**
 * A target that keeps failing (refused, reset, timed out) is skipped for a cool-down that doubles while it
 * stays down, then probed with one copy: a dead candidate costs neither a connect attempt nor an
 * anonymization per request. Time comes from the caller, so the breaker itself is deterministic.
 */
export class TargetBreaker {
  private failures = 0;
  private openUntil = 0;
  private cooldown = BREAKER_COOLDOWN_MS;

  /** May a copy go now? After the cool-down one copy passes as a probe, and the breaker closes again. */
  allows(nowMs: number): boolean {
    if (this.failures < BREAKER_FAILURES) return true;
    if (nowMs < this.openUntil) return false;
    this.openUntil = nowMs + this.cooldown; // the probe: the next ones wait for its answer or the next cool-down
    return true;
  }

  record(answered: boolean, nowMs: number): void {
    if (answered) {
      this.failures = 0;
      this.cooldown = BREAKER_COOLDOWN_MS;
      return;
    }
    this.failures++;
    if (this.failures === BREAKER_FAILURES) {
      this.openUntil = nowMs + this.cooldown;
    } else if (this.failures > BREAKER_FAILURES) {
      this.cooldown = Math.min(this.cooldown * 2, BREAKER_MAX_COOLDOWN_MS);
      this.openUntil = nowMs + this.cooldown;
    }
  }

  get isOpen(): boolean {
    return this.failures >= BREAKER_FAILURES;
  }
}

export interface OfferedExchange extends RawRequest {
  readonly requestId: string;
  /** The route's sticky key (user), when sampling by key. */
  readonly stickyKey: string | undefined;
  /** The live call's trace context when the proxy made its own span. */
  readonly liveTrace?: TraceContext;
}

export interface RouteShadowDeps {
  readonly threads: ShadowHandOff;
  /** The configuration generation this route belongs to (the threads process its copies under it). */
  readonly generation: number;
  /** The route's policy name; `none` mirrors raw data (only with allowRawData); undefined fails closed. */
  readonly policy: string | undefined;
  readonly metrics: Metrics;
  readonly overload: OverloadMonitor;
  /** A sent copy's result (the comparison and dataset line inside), after its counts are taken. */
  readonly onResult: (result: CopyResult) => void;
  readonly onError?: (err: unknown) => void;
  readonly random?: () => number;
  /** Exports each copy's span (only when tracing.otlp is configured). */
  readonly tracer?: Tracer;
}

export class RouteShadow implements ResultSink {
  private inFlight = 0;
  private peak = 0;
  private readonly bucket: TokenBucket;
  /** Per target (incumbent, candidate, baseline order); the copy is only worth sending while all can answer. */
  private readonly breakers: readonly TargetBreaker[];
  private readonly random: () => number;
  private closed = false;
  /** Prometheus children resolved once per label set, not per copy. */
  private readonly outcomeCounters = new Map<string, { inc(): void }>();
  private readonly latency = new Map<string, { observe(v: number): void }>();
  private readonly inFlightGauge: { inc(): void; dec(): void };
  private readonly dropCounters = new Map<string, { inc(): void }>();
  private readonly entityCounters = new Map<string, { inc(n: number): void }>();
  /** threadId → copies whose policy ran on that thread (a handful of threads; capped all the same). */
  private readonly policyThreads = new Map<number, number>();

  constructor(readonly route: string, readonly cfg: Readonly<ShadowConfig>, private readonly deps: RouteShadowDeps) {
    this.bucket = new TokenBucket(cfg.maxRps, cfg.burst ?? defaultBurst(cfg.maxRps));
    const targets = cfg.targets.length + (cfg.baseline !== undefined ? 1 : 0);
    this.breakers = Array.from({ length: targets }, () => new TargetBreaker());
    this.random = deps.random ?? Math.random;
    this.inFlightGauge = deps.metrics.shadowInFlight.labels(route);
    deps.metrics.rawDataMirroring.set({ route }, deps.policy === 'none' ? 1 : 0);
  }

  /** Whether offers need the route's sticky key (only sticky sampling below 100% reads it). */
  get wantsStickyKey(): boolean {
    return this.cfg.sampleBy === 'sticky' && this.cfg.sampleRate < 1;
  }

  /** Copies handed to the shadow threads whose result has not come back. */
  get inFlightCount(): number {
    return this.inFlight;
  }

  /** Where this route's copies were anonymized: worker_threads threadId → copies (never the live thread's). */
  get policyThreadIds(): ReadonlyMap<number, number> {
    return this.policyThreads;
  }

  /** The most copies this route ever had in flight at once (maxInFlight bounds it). */
  get peakInFlight(): number {
    return this.peak;
  }

  /** Offers a finished live exchange. Never throws; returns the drop reason, or undefined when handed off. */
  offer(ex: OfferedExchange): DropReason | undefined {
    try {
      const reason = this.admit(ex);
      if (reason !== undefined) this.countDrop(reason);
      return reason;
    } catch (err) {
      this.countDrop('overload');
      this.deps.onError?.(err);
      return 'overload';
    }
  }

  private admit(ex: OfferedExchange): DropReason | undefined {
    const cfg = this.cfg;
    if (this.closed) return 'draining';
    if (cfg.sampleRate < 1) {
      const point = cfg.sampleBy === 'sticky' && ex.stickyKey !== undefined ? unitHash(this.route, ex.stickyKey) : this.random();
      if (point >= cfg.sampleRate) return 'sampled_out';
    }
    if (ex.body.length > cfg.maxBodyBytes) return 'body_too_large';
    if (!this.bucket.tryTake()) return 'rate_limited';
    if (this.inFlight >= cfg.maxInFlight) return 'in_flight';
    if (this.deps.overload.isOverloaded) return 'overload';
    if (!this.targetsUp(Date.now())) return 'target_down';
    if (this.deps.policy === undefined) return 'no_policy';
    const copy: CopyInput = {
      route: this.route, requestId: ex.requestId, method: ex.method, url: ex.url, headers: ex.headers, body: ex.body,
      // The proxy's own span, when it made one; else the thread reads the client's traceparent from the headers.
      ...(ex.liveTrace !== undefined ? { traceparent: formatTraceparent(ex.liveTrace) } : {}),
    };
    if (!this.deps.threads.post(copy, this.deps.generation, this)) return 'overload';
    if (++this.inFlight > this.peak) this.peak = this.inFlight;
    this.inFlightGauge.inc();
    return undefined;
  }

  private targetsUp(nowMs: number): boolean {
    for (const b of this.breakers) if (!b.allows(nowMs)) return false;
    return true;
  }

  private countDrop(reason: DropReason): void {
    let c = this.dropCounters.get(reason);
    if (!c) this.dropCounters.set(reason, (c = this.deps.metrics.shadowDropped.labels(this.route, reason)));
    c.inc();
  }

  private countReplacements(replacements: readonly (readonly [string, number])[]): void {
    for (const [entity, n] of replacements) {
      let c = this.entityCounters.get(entity);
      if (!c) this.entityCounters.set(entity, (c = this.deps.metrics.anonymizerReplacements.labels(this.route, entity)));
      c.inc(n);
    }
  }

  /** A shadow thread finished the copy: its counts here, then the result hook (comparison, dataset). */
  settle(r: CopyResult): void {
    this.inFlight--;
    this.inFlightGauge.dec();
    this.countReplacements(r.replacements);
    const seen = this.policyThreads.get(r.threadId);
    if (seen !== undefined || this.policyThreads.size < 64) this.policyThreads.set(r.threadId, (seen ?? 0) + 1);
    if (r.error !== undefined) this.deps.onError?.(new Error(r.error));
    if (r.drop !== undefined) {
      if (r.drop === 'leak') this.deps.metrics.anonymizerLeaksBlocked.inc({ route: this.route });
      this.countDrop(r.drop);
      return;
    }
    const now = Date.now();
    const end = performance.now();
    for (let i = 0; i < r.calls.length; i++) {
      const c = r.calls[i]!;
      this.countOutcome(c);
      this.breakers[i]?.record(c.status !== 0, now);
      // The span ends when its result is here (the thread hand-off included): its length is the call's own.
      if (r.trace !== undefined && c.spanId !== undefined) {
        this.deps.tracer?.shadowSpan(r.trace, { ...r.trace, spanId: c.spanId }, { route: this.route, target: c.target, role: c.role, status: c.status, outcome: c.error ?? statusClass(c.status) }, end - c.latencyMs, end);
      }
    }
    if (this.closed) return;
    try {
      this.deps.onResult(r);
    } catch (err) {
      this.deps.onError?.(err);
    }
  }

  /** The thread holding the copy died before answering. */
  lost(): void {
    this.inFlight--;
    this.inFlightGauge.dec();
    this.countDrop('thread_crash');
  }

  private countOutcome(r: TargetCall): void {
    const outcome = r.error ?? statusClass(r.status);
    const key = `${r.target}|${outcome}`;
    let c = this.outcomeCounters.get(key);
    if (!c) this.outcomeCounters.set(key, (c = this.deps.metrics.shadowRequests.labels(this.route, r.target, outcome)));
    c.inc();
    if (r.error) return;
    let h = this.latency.get(r.target);
    if (!h) this.latency.set(r.target, (h = this.deps.metrics.requestDuration.labels(this.route, r.target, 'shadow')));
    h.observe(r.latencyMs / 1000);
  }

  /** Stops admitting and drops results still to come (shadow work is abandoned on shutdown). */
  close(): void {
    this.closed = true;
  }
}

function statusClass(status: number): string {
  return status >= 500 ? '5xx' : status >= 400 ? '4xx' : status >= 300 ? '3xx' : '2xx';
}
