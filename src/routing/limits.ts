// Optional per-route limits on live traffic (`routes[].limits`): a token bucket (maxRps, burst) and a
// concurrency cap. A refusal returns Retry-After seconds; the proxy answers 429 with it.
import type { LimitsConfig } from '../config/schema.js';
import { TokenBucket, defaultBurst } from '../kernel/token-bucket.js';

export type LimitKind = 'rate' | 'concurrency';

export class LiveLimits {
  private inFlight = 0;
  private readonly bucket: TokenBucket | undefined;
  private readonly maxConcurrency: number | undefined;
  /** Which limit refused the last refused request (for throttled_total{limit}). */
  lastRefusal: LimitKind | undefined;

  constructor(cfg: Readonly<LimitsConfig>, nowMs: number) {
    // Without an explicit burst, the kernel's default (a tenth of a second of rate), as for shadow copies.
    this.bucket = cfg.maxRps === undefined ? undefined : new TokenBucket(cfg.maxRps, cfg.burst ?? defaultBurst(cfg.maxRps), nowMs);
    this.maxConcurrency = cfg.maxConcurrency;
  }

  /** 0 when admitted (call release() when the request ends), else Retry-After seconds (≥ 1). */
  tryAcquire(nowMs: number): number {
    if (this.maxConcurrency !== undefined && this.inFlight >= this.maxConcurrency) {
      this.lastRefusal = 'concurrency';
      return 1;
    }
    if (this.bucket !== undefined && !this.bucket.tryTake(nowMs)) {
      this.lastRefusal = 'rate';
      return this.bucket.retryAfterSeconds();
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
