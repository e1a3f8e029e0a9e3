// One load run: the bench body, POSTed over N keep-alive connections for a duration; returns the numbers
// the table needs. Saturated (no rate): autocannon, every connection back to back. At a fixed offered rate:
// the open-loop pacer (pacer.ts), since autocannon's `overallRate` sends each second's budget as a burst.
import autocannon from 'autocannon';
import { REQUEST_BODY, REQUEST_PATH } from './fixtures.js';
import { runPacedLoad } from './pacer.js';

export type LoadOptions = {
  url: string; connections: number; durationS: number; overallRate?: number; body?: string;
  /** `autocannon`: its own `overallRate` even when paced (bench/pacing-check.ts compares the two loads). */
  loader?: 'autocannon';
};
export type LoadResult = {
  requests: number; rps: number; p50Ms: number; p99Ms: number; p999Ms: number; maxMs: number;
  errors: number; timeouts: number; non2xx: number;
  /** Paced runs: the generator's own lateness at p99 (ms); a large value says the bench machine, not the subject, was slow. */
  sendLagP99Ms?: number;
};

const HEADERS = { 'content-type': 'application/json', 'x-user-id': 'u-0042-8812' };

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  if (opts.overallRate !== undefined && opts.loader !== 'autocannon') {
    return runPacedLoad({ url: opts.url, path: REQUEST_PATH, connections: opts.connections, durationS: opts.durationS, rate: opts.overallRate, body: opts.body ?? REQUEST_BODY, headers: HEADERS });
  }
  const result = await autocannon({
    url: `${opts.url}${REQUEST_PATH}`,
    method: 'POST',
    body: opts.body ?? REQUEST_BODY,
    headers: HEADERS,
    connections: opts.connections,
    duration: opts.durationS,
    timeout: 10,
    ...(opts.overallRate !== undefined ? { overallRate: opts.overallRate } : {}),
  });
  return {
    requests: result.requests.total,
    rps: result.requests.total / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    p999Ms: result.latency.p99_9,
    maxMs: result.latency.max,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
  };
}
