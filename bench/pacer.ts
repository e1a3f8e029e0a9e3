// An open-loop load at a fixed offered rate (wrk2's model): request i is due at start + i / rate, sent on
// any free connection of a keep-alive pool (queued in the pool when all are busy), and its latency runs
// from when it was DUE, not from when it could be sent — a stalled subject is charged for every request
// that waited behind the stall, and nothing else is.
//
// Why not autocannon's `overallRate`: it gives each connection a budget of rate / connections requests per
// second, which each connection spends back to back from the top of the second, then idles — a saturated
// burst every second, not a paced load — and it corrects for coordinated omission with an expected interval
// of ceil(1 / rate-per-connection) = 1 ms, so each response of L ms is recorded L times: its p99 is the
// burst's tail weighted by latency (docs/performance.md, "Paced means paced").
import { Pool, type Dispatcher } from 'undici';

export type PacedLoadOptions = {
  /** Origin and path of the requests. */
  url: string;
  path: string;
  connections: number;
  durationS: number;
  /** Offered requests per second. */
  rate: number;
  body: string;
  headers: Record<string, string>;
  /** A request not answered within this is a timeout (autocannon's default is 10 s). */
  timeoutMs?: number;
};

export type PacedLoadResult = {
  requests: number; rps: number; p50Ms: number; p99Ms: number; p999Ms: number; maxMs: number;
  errors: number; timeouts: number; non2xx: number;
  /** How late the generator itself sent, at its p99 (ms past the due time, before the pool): its own load. */
  sendLagP99Ms: number;
};

/** One request: its due time, and the handler undici calls (no promise, no body stream per request). */
class Call implements Dispatcher.DispatchHandler {
  status = 0;
  constructor(readonly due: number, readonly load: PacedLoad) {}
  onRequestStart(): void {}
  onResponseStart(_c: Dispatcher.DispatchController, statusCode: number): void {
    this.status = statusCode;
  }
  onResponseData(): void {}
  onResponseEnd(): void {
    this.load.done(this, undefined);
  }
  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    this.load.done(this, err);
  }
}

class PacedLoad {
  readonly latencies: number[] = [];
  readonly lags: number[] = [];
  errors = 0;
  timeouts = 0;
  non2xx = 0;
  private pending = 0;
  private sent = 0;
  private finished: (() => void) | undefined;
  private readonly pool: Pool;
  private readonly total: number;
  private readonly intervalMs: number;
  private readonly body: Buffer;
  private start = 0;
  /** ms from the first due time to the last answer: past the duration when the subject fell behind. */
  elapsedMs = 0;

  constructor(private readonly o: PacedLoadOptions) {
    this.pool = new Pool(o.url, { connections: o.connections, pipelining: 1, keepAliveTimeout: 60_000 });
    this.total = Math.max(1, Math.round(o.rate * o.durationS));
    this.intervalMs = 1000 / o.rate;
    this.body = Buffer.from(o.body);
  }

  run(): Promise<void> {
    return new Promise((resolve) => {
      this.finished = resolve;
      this.start = performance.now();
      this.tick();
    });
  }

  /** Sends every request that is due, then sleeps until the next one is (timers are late, never early). */
  private tick(): void {
    const now = performance.now();
    while (this.sent < this.total) {
      const due = this.start + this.sent * this.intervalMs;
      if (due > now) break;
      this.sent++;
      this.pending++;
      this.lags.push(now - due);
      const timeout = this.o.timeoutMs ?? 10_000;
      this.pool.dispatch({ origin: this.o.url, path: this.o.path, method: 'POST', headers: this.o.headers, body: this.body, headersTimeout: timeout, bodyTimeout: timeout }, new Call(due, this));
    }
    if (this.sent < this.total) setTimeout(() => this.tick(), Math.max(0, this.start + this.sent * this.intervalMs - performance.now()));
    else this.maybeFinished();
  }

  done(call: Call, err: Error | undefined): void {
    this.pending--;
    if (err !== undefined) {
      if ((err as { code?: string }).code === 'UND_ERR_HEADERS_TIMEOUT' || (err as { code?: string }).code === 'UND_ERR_BODY_TIMEOUT') this.timeouts++;
      else this.errors++;
    } else {
      this.latencies.push(performance.now() - call.due);
      if (call.status < 200 || call.status >= 300) this.non2xx++;
    }
    this.maybeFinished();
  }

  private maybeFinished(): void {
    if (this.sent === this.total && this.pending === 0) {
      this.elapsedMs = performance.now() - this.start;
      this.finished?.();
    }
  }

  close(): Promise<void> {
    return this.pool.destroy();
  }
}

/** The value at quantile q of an ascending array (nearest rank), 0 when empty. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export async function runPacedLoad(o: PacedLoadOptions): Promise<PacedLoadResult> {
  const load = new PacedLoad(o);
  try {
    await load.run();
  } finally {
    await load.close();
  }
  const lat = Float64Array.from(load.latencies).sort();
  const lags = Float64Array.from(load.lags).sort();
  const arr = Array.from(lat);
  return {
    requests: lat.length,
    // Served, not offered: a subject that fell behind answered its last request after the duration.
    rps: lat.length / (Math.max(o.durationS * 1000, load.elapsedMs) / 1000),
    p50Ms: quantile(arr, 0.5),
    p99Ms: quantile(arr, 0.99),
    p999Ms: quantile(arr, 0.999),
    maxMs: arr.length > 0 ? arr[arr.length - 1]! : 0,
    errors: load.errors,
    timeouts: load.timeouts,
    non2xx: load.non2xx,
    sendLagP99Ms: quantile(Array.from(lags), 0.99),
  };
}
