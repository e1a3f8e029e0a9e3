// The bench's paced load is paced: requests arrive spread over each second (open loop, wrk2's model), not
// as a burst at the top of every second (autocannon's `overallRate`: each connection spends its budget
// of rate / connections back to back, then idles), and latency is counted from when a request was due.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLoad } from '../../bench/load.js';
import { quantile } from '../../bench/pacer.js';

let server: Server;
let url = '';
/** Arrival times (performance.now() of this process: the load runs in it too). */
const arrivals: number[] = [];
/** While set, answers wait this long (a slow subject). */
let holdMs = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    arrivals.push(performance.now());
    req.resume();
    req.on('end', () => {
      const answer = () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      if (holdMs > 0) setTimeout(answer, holdMs);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('bench paced load', () => {
  it('spreads the offered requests over each second instead of bursting at its start', async () => {
    arrivals.length = 0;
    holdMs = 0;
    const started = performance.now();
    const r = await runLoad({ url, connections: 16, durationS: 3, overallRate: 200 });
    expect(r.errors + r.timeouts).toBe(0);
    expect(r.requests).toBeGreaterThanOrEqual(550);
    // Where in its second each request arrived. Paced: about half in each half-second; a per-second
    // budget spent back to back puts (almost) all of them in the first tenth (43e1ef9's load: none in the
    // second half). A loaded machine delays timers and a late pacer catches up in a batch, but a stall
    // falls anywhere in the second, so the share stays far from zero.
    const laterHalf = arrivals.filter((t) => (t - started) % 1000 >= 500).length / arrivals.length;
    expect(laterHalf).toBeGreaterThan(0.25);
  }, 60_000);

  it('counts latency from when a request was due: a subject slower than the rate is charged for the queue', async () => {
    // 4 connections, 40 ms an answer: at most 100 answers a second for 200 offered. Requests queue, and
    // the later ones wait far longer than the 40 ms their own exchange takes.
    holdMs = 40;
    const r = await runLoad({ url, connections: 4, durationS: 2, overallRate: 200 });
    holdMs = 0;
    expect(r.errors + r.timeouts).toBe(0);
    expect(r.p99Ms).toBeGreaterThan(400);
  }, 60_000);

  it('quantile takes the nearest rank', () => {
    expect(quantile([], 0.99)).toBe(0);
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2);
    expect(quantile([1, 2, 3, 4], 0.99)).toBe(4);
    expect(quantile(Array.from({ length: 1000 }, (_, i) => i + 1), 0.999)).toBe(999);
  });
});
