// The one rate limiter: a token bucket, `rate` tokens a second, at most `burst` saved up. Live limits
// (429 with Retry-After) and shadow admission (copies) both use it, with one default burst.

/** Without an explicit burst: a tenth of a second of rate, and never below one. */
export function defaultBurst(rate: number): number {
  return Math.max(1, Math.ceil(rate / 10));
}

export class TokenBucket {
  private tokens: number;
  private last: number;
  constructor(private readonly rate: number, private readonly burst: number = defaultBurst(rate), now = performance.now()) {
    this.tokens = burst;
    this.last = now;
  }

  private refill(now: number): void {
    const elapsed = now - this.last;
    if (elapsed > 0) {
      this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.rate) / 1000);
      this.last = now;
    }
  }

  /** Takes one token if there is one. */
  tryTake(now = performance.now()): boolean {
    this.refill(now);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }

  /** Whole seconds until a token is there (≥ 1), for Retry-After; call after a refused tryTake. */
  retryAfterSeconds(): number {
    return Math.max(1, Math.ceil((1 - this.tokens) / this.rate));
  }
}
