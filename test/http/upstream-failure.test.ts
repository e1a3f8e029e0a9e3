// One upstream failure classifier (src/http/failure.ts) for the live path and the copy pipeline, which on
// 43e1ef9 disagreed on AbortError: the pipeline called a call we cancelled a timeout (counted against the
// target as slowness), the live path a plain failure. The rule: a deadline is a timeout, our own
// cancellation is `aborted` (a copy: a plain error), a refused or dropped connection says so. Real undici
// calls against real sockets produce each error.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, request } from 'undici';
import { classifyUpstreamFailure } from '../../src/http/failure.js';
import { classifyFailure } from '../../src/pipeline/dispatch.js';

let hanging: Server;
let resetting: Server;
let url: string;
let resetUrl: string;
const held: import('node:http').ServerResponse[] = [];

function listen(s: Server): Promise<string> {
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(s.address() as AddressInfo).port}`)));
}

beforeAll(async () => {
  // Never answers (until closed): a call to it ends by a deadline or by our abort.
  hanging = createServer((_req, res) => { held.push(res); });
  // Drops the connection as soon as a request arrives.
  resetting = createServer((req) => req.socket.destroy());
  url = await listen(hanging);
  resetUrl = await listen(resetting);
});

afterAll(async () => {
  for (const r of held) r.destroy();
  await Promise.all([hanging, resetting].map((s) => new Promise((r) => { s.closeAllConnections(); s.close(r); })));
});

async function failureOf(call: () => Promise<unknown>): Promise<unknown> {
  try {
    await call();
  } catch (err) {
    return err;
  }
  throw new Error('the call did not fail');
}

describe('the upstream failure classifier', () => {
  it('calls a call we cancelled (AbortError) aborted, and the copy pipeline counts it as an error, not a timeout', async () => {
    const ac = new AbortController();
    const pending = failureOf(() => request(url, { signal: ac.signal }));
    // Aborted once the server holds the request (no timer: the server's own event).
    await new Promise<void>((resolve) => hanging.once('request', () => resolve()));
    ac.abort();
    const err = await pending;
    expect((err as Error).name).toBe('AbortError');
    expect(classifyUpstreamFailure(err)).toBe('aborted');
    expect(classifyFailure(err)).toBe('error');
  });

  it('calls a passed deadline a timeout, whether undici\'s headers timeout or an AbortSignal.timeout', async () => {
    const client = new Client(url, { headersTimeout: 200 });
    try {
      const err = await failureOf(() => client.request({ path: '/', method: 'GET' }));
      expect((err as { code?: string }).code).toBe('UND_ERR_HEADERS_TIMEOUT');
      expect(classifyUpstreamFailure(err)).toBe('timeout');
      expect(classifyFailure(err)).toBe('timeout');
    } finally {
      await client.destroy();
    }
    const err = await failureOf(() => request(url, { signal: AbortSignal.timeout(200) }));
    expect((err as Error).name).toBe('TimeoutError');
    expect(classifyUpstreamFailure(err)).toBe('timeout');
    expect(classifyFailure(err)).toBe('timeout');
  });

  it('calls a refused connection refused and a dropped one reset', async () => {
    const closed = createServer();
    const closedUrl = await listen(closed);
    await new Promise((r) => closed.close(r));
    const refused = await failureOf(() => request(closedUrl));
    expect(classifyUpstreamFailure(refused)).toBe('refused');
    expect(classifyFailure(refused)).toBe('refused');
    const reset = await failureOf(() => request(resetUrl));
    expect(classifyUpstreamFailure(reset)).toBe('reset');
    expect(classifyFailure(reset)).toBe('reset');
  });

  it('calls anything else an error', () => {
    expect(classifyUpstreamFailure(new Error('boom'))).toBe('error');
    expect(classifyUpstreamFailure(undefined)).toBe('error');
    expect(classifyUpstreamFailure('text')).toBe('error');
  });
});
