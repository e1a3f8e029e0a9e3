// One route's shadow: offer → admission → anonymize (or fail closed) → the same copy to every target
// in parallel → one ShadowExchange to the result hook. Nothing here can reach the client's answer: offer
// is called after the primary response ended, never throws, and every drop is counted by reason.
import type { ShadowConfig } from '../config/schema.js';
import type { AnonymizedRequest, RawRequest, ShadowExchange, ShadowResponse, ShadowRole } from '../exchange.js';
import type { Metrics } from '../observe/metrics.js';
import { OverloadMonitor, TokenBucket, unitHash } from './admission.js';
import type { ShadowDispatcher } from './dispatch.js';
import { copyHeaders } from '../proxy/headers.js';

/** What the anonymizer gives the shadow path (src/anonymize implements it). */
export interface ShadowPolicy {
  readonly id: string;
  /** `maxDecodedBytes` bounds a body once its Content-Encoding is undone (the route's shadow.maxBodyBytes). */
  anonymize(req: RawRequest, opts?: { readonly maxDecodedBytes?: number }):
    | { ok: true; request: AnonymizedRequest; replacements: ReadonlyMap<string, number> }
    | { ok: false; reason: 'leak' | 'unsupported' | 'error' | 'unreadable_body' | 'body_too_large'; detail: string; replacements: ReadonlyMap<string, number> };
}

export type DropReason = 'sampled_out' | 'body_too_large' | 'rate_limited' | 'in_flight' | 'overload' | 'target_down' | 'no_policy' | 'leak' | 'anonymize_error' | 'draining' | 'unreadable_body';

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
}

export interface RouteShadowDeps {
  readonly dispatcher: ShadowDispatcher;
  /** The compiled policy; `none` mirrors raw data (only with allowRawData); undefined fails closed. */
  readonly policy: ShadowPolicy | 'none' | undefined;
  readonly metrics: Metrics;
  readonly overload: OverloadMonitor;
  readonly onResult: (ex: ShadowExchange) => void;
  readonly onError?: (err: unknown) => void;
  readonly random?: () => number;
}

export class RouteShadow {
  private inFlight = 0;
  private peak = 0;
  private readonly bucket: TokenBucket;
  private readonly roles: readonly [string, ShadowRole][];
  /** Per target; the copy is only worth sending while both compared targets can answer. */
  private readonly breakers: readonly TargetBreaker[];
  private readonly random: () => number;
  private closed = false;
  /** Prometheus children resolved once per label set, not per copy. */
  private readonly outcomeCounters = new Map<string, { inc(): void }>();
  private readonly latency = new Map<string, { observe(v: number): void }>();
  private readonly inFlightGauge: { inc(): void; dec(): void };
  private readonly dropCounters = new Map<string, { inc(): void }>();
  private readonly entityCounters = new Map<string, { inc(n: number): void }>();

  constructor(readonly route: string, readonly cfg: Readonly<ShadowConfig>, private readonly deps: RouteShadowDeps) {
    this.bucket = new TokenBucket(cfg.maxRps, cfg.burst ?? Math.max(1, Math.ceil(cfg.maxRps / 10)));
    const roles: [string, ShadowRole][] = [[cfg.targets[0]!, 'incumbent']];
    if (cfg.targets[1] !== undefined) roles.push([cfg.targets[1], 'candidate']);
    if (cfg.baseline !== undefined) roles.push([cfg.baseline, 'baseline']);
    this.roles = roles;
    this.breakers = roles.map(() => new TargetBreaker());
    this.random = deps.random ?? Math.random;
    this.inFlightGauge = deps.metrics.shadowInFlight.labels(route);
    deps.metrics.rawDataMirroring.set({ route }, deps.policy === 'none' ? 1 : 0);
  }

  /** Whether offers need the route's sticky key (only sticky sampling below 100% reads it). */
  get wantsStickyKey(): boolean {
    return this.cfg.sampleBy === 'sticky' && this.cfg.sampleRate < 1;
  }

  get inFlightCount(): number {
    return this.inFlight;
  }

  /** The most copies this route ever had in flight at once (maxInFlight bounds it). */
  get peakInFlight(): number {
    return this.peak;
  }

  /** Offers a finished live exchange. Never throws; returns the drop reason, or undefined when sent. */
  offer(ex: OfferedExchange): DropReason | undefined {
    try {
      const reason = this.admit(ex);
      if (reason !== undefined) this.countDrop(reason);
      return reason;
    } catch (err) {
      this.countDrop('anonymize_error');
      this.deps.onError?.(err);
      return 'anonymize_error';
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

    const policy = this.deps.policy;
    let request: AnonymizedRequest;
    let policyId: string;
    if (policy === undefined) return 'no_policy';
    if (policy === 'none') {
      request = rawCopy(ex);
      policyId = 'none';
    } else {
      const out = policy.anonymize(ex, { maxDecodedBytes: cfg.maxBodyBytes });
      this.countReplacements(out.replacements);
      if (!out.ok) {
        if (out.reason === 'leak') {
          this.deps.metrics.anonymizerLeaksBlocked.inc({ route: this.route });
          return 'leak';
        }
        if (out.reason === 'unreadable_body' || out.reason === 'body_too_large') return out.reason;
        return out.reason === 'unsupported' ? 'no_policy' : 'anonymize_error';
      }
      request = out.request;
      policyId = policy.id;
    }
    this.dispatch(ex.requestId, policyId, request);
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

  private countReplacements(replacements: ReadonlyMap<string, number>): void {
    for (const [entity, n] of replacements) {
      let c = this.entityCounters.get(entity);
      if (!c) this.entityCounters.set(entity, (c = this.deps.metrics.anonymizerReplacements.labels(this.route, entity)));
      c.inc(n);
    }
  }

  private dispatch(requestId: string, policyId: string, request: AnonymizedRequest): void {
    if (++this.inFlight > this.peak) this.peak = this.inFlight;
    this.inFlightGauge.inc();
    const ts = Date.now();
    // One header object for every target of this copy (the dispatcher sends it as is).
    const marked: AnonymizedRequest = {
      method: request.method, url: request.url, body: request.body,
      headers: { ...request.headers, 'x-shadowgate-shadow': '1', 'x-shadowgate-policy': policyId },
    };
    const opts = { timeoutMs: this.cfg.timeout, maxResponseBytes: this.cfg.maxResponseBytes };
    const calls = this.roles.map(([target, role]) => this.deps.dispatcher.send(target, role, marked, opts));
    void Promise.all(calls).then((responses) => {
      this.inFlight--;
      this.inFlightGauge.dec();
      const byRole: Partial<Record<ShadowRole, ShadowResponse>> = {};
      const now = Date.now();
      for (let i = 0; i < responses.length; i++) {
        const r = responses[i]!;
        byRole[r.role] = r;
        this.countOutcome(r);
        this.breakers[i]!.record(r.status !== 0, now);
      }
      if (this.closed) return;
      try {
        this.deps.onResult({ route: this.route, requestId, policyId, ts, request, responses: byRole });
      } catch (err) {
        this.deps.onError?.(err);
      }
    });
  }

  private countOutcome(r: ShadowResponse): void {
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

/** policy: none (synthetic traffic only): the request as it came, less hop-by-hop fields. */
function rawCopy(ex: RawRequest): AnonymizedRequest {
  return { method: ex.method, url: ex.url, headers: copyHeaders(ex.headers), body: ex.body };
}
