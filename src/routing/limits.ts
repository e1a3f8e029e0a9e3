// Optional per-route limits on live traffic (`routes[].limits`): a token bucket (maxRps, burst) and a
// concurrency cap. A refusal returns Retry-After seconds; the proxy answers 429 with it.
import type { LimitsConfig } from '../config/schema.js';

export type LimitKind = 'rate' | 'concurrency';

export class LiveLimits {
  private tokens: number;
  private last: number;
  private inFlight = 0;
  private readonly rate: number | undefined;
  private readonly burst: number;
  private readonly maxConcurrency: number | undefined;
  /** Which limit refused the last refused request (for throttled_total{limit}). */
  lastRefusal: LimitKind | undefined;

  constructor(cfg: Readonly<LimitsConfig>, nowMs: number) {
    this.rate = cfg.maxRps;
    // Without an explicit burst, one second's worth: smooth enough, and never below one request.
    this.burst = cfg.burst ?? Math.max(1, Math.ceil(cfg.maxRps ?? 1));
    this.maxConcurrency = cfg.maxConcurrency;
    this.tokens = this.burst;
    this.last = nowMs;
  }

  /** 0 when admitted (call release() when the request ends), else Retry-After seconds (≥ 1). */
  tryAcquire(nowMs: number): number {
    if (this.maxConcurrency !== undefined && this.inFlight >= this.maxConcurrency) {
      this.lastRefusal = 'concurrency';
      return 1;
    }
    const rate = this.rate;
    if (rate !== undefined) {
      if (nowMs > this.last) {
        this.tokens = Math.min(this.burst, this.tokens + ((nowMs - this.last) * rate) / 1000);
        this.last = nowMs;
      }
      if (this.tokens < 1) {
        this.lastRefusal = 'rate';
        return Math.max(1, Math.ceil((1 - this.tokens) / rate));
      }
      this.tokens -= 1;
    }
    this.inFlight++;
    return 0;
  }

  release(): void {
    if (this.inFlight > 0) this.inFlight--;
  }

  get inFlightCount(): number {
    return this.inFlight;
  }
}
