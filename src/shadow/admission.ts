// Admission control for shadow copies: each check is O(1) and allocation-free, so a copy that will be
// dropped costs the live path next to nothing. Order (cheapest and most selective first) lives in
// RouteShadow.offer: sample → body size → token bucket → in-flight → overload.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/** A classic token bucket: `rate` tokens a second, at most `burst` saved up. */
export class TokenBucket {
  private tokens: number;
  private last: number;
  constructor(private readonly rate: number, private readonly burst: number, now = performance.now()) {
    this.tokens = burst;
    this.last = now;
  }

  tryTake(now = performance.now()): boolean {
    const elapsed = now - this.last;
    if (elapsed > 0) {
      this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.rate) / 1000);
      this.last = now;
    }
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }
}

/** FNV-1a over a string, mapped to [0, 1): a user's key always lands on the same point. */
export function unitHash(salt: string, key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < salt.length; i++) h = Math.imul(h ^ salt.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ 0x7c, 0x01000193); // separator, so ("ab","c") and ("a","bc") differ
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  // Final avalanche (murmur3 fmix32): FNV alone clusters short, similar keys.
  h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b); h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35); h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

/**
 * Watches event-loop delay; while the recent p99 is above the bound, shadow admission pauses. Shadow
 * work is the first thing shed under load; the primary never is.
 */
export class OverloadMonitor {
  private readonly histogram: IntervalHistogram;
  private readonly timer: NodeJS.Timeout;
  private overloaded = false;
  private lastDelayMs = 0;

  constructor(private readonly maxDelayMs: number, intervalMs = 500) {
    this.histogram = monitorEventLoopDelay({ resolution: 10 });
    this.histogram.enable();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  private sample(): void {
    this.lastDelayMs = this.histogram.percentile(99) / 1e6;
    this.histogram.reset();
    this.overloaded = this.lastDelayMs > this.maxDelayMs;
  }

  get isOverloaded(): boolean {
    return this.overloaded;
  }

  get delayMs(): number {
    return this.lastDelayMs;
  }

  /** Forgets what was measured so far (startup work such as compiling policies is not load). */
  reset(): void {
    this.histogram.reset();
    this.overloaded = false;
  }

  /** For tests and operators: force the state (cleared at the next sample). */
  force(overloaded: boolean): void {
    this.overloaded = overloaded;
  }

  close(): void {
    clearInterval(this.timer);
    this.histogram.disable();
  }
}
