// One load run with autocannon's programmatic API: the bench body, POSTed over N keep-alive
// connections for a duration, optionally at a fixed offered rate; returns the numbers the table needs.
import autocannon from 'autocannon';
import { REQUEST_BODY, REQUEST_PATH } from './fixtures.js';

export type LoadOptions = { url: string; connections: number; durationS: number; overallRate?: number; body?: string };
export type LoadResult = {
  requests: number; rps: number; p50Ms: number; p99Ms: number; p999Ms: number; maxMs: number;
  errors: number; timeouts: number; non2xx: number;
};

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const result = await autocannon({
    url: `${opts.url}${REQUEST_PATH}`,
    method: 'POST',
    body: opts.body ?? REQUEST_BODY,
    headers: { 'content-type': 'application/json', 'x-user-id': 'u-0042-8812' },
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
