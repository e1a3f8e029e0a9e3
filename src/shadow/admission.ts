// Admission control for shadow copies: each check is O(1) and allocation-free, so a copy that will be
// dropped costs the live path next to nothing. Order (cheapest and most selective first) lives in
// RouteShadow.offer: sample → body size → token bucket → in-flight → overload.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { keyedUnit } from '../kernel/hash.js';

export { TokenBucket } from '../kernel/token-bucket.js';

/** Sticky sampling's separator ('|'), kept so that the users sampled before stay sampled. */
const SAMPLE_SEPARATOR = 0x7c;

/** A user's key mapped to [0, 1) by the kernel's keyed hash: it always lands on the same point. */
export function unitHash(salt: string, key: string): number {
  return keyedUnit(salt, key, SAMPLE_SEPARATOR);
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
