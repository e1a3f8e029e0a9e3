// Canary routing end to end, through the real proxy: the override header, fallback to the incumbent,
// live limits, and the automatic rollback after which no live request reaches the candidate.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { send, sendMany, startFromYaml } from '../helpers/app.js';

let incumbent: TestUpstream;
let candidate: TestUpstream;

beforeEach(async () => {
  incumbent = await startUpstream((_q, _b, res) => res.end('incumbent'));
  candidate = await startUpstream((_q, _b, res) => res.end('candidate'));
});

afterEach(async () => {
  await incumbent.close();
  await candidate.close();
});

const yaml = (canary: string, extra = '') => `
upstreams: { incumbent: { url: "${incumbent.url}" }, candidate: { url: "${candidate.url}" } }
routes:
  - name: predict
    match: { pathPrefix: /v1 }
    primary: incumbent
    canary: { upstream: candidate, ${canary} }
${extra}
`;

describe('canary on the live path', () => {
  it('serves sticky users consistently at the configured share, and honours the override header first', async () => {
    const gw = await startFromYaml(yaml('weight: 30, stickyBy: header:x-user-id, override: { header: x-shadowgate-target }'));
    try {
      const first = await sendMany(200, 8, (i) => send(gw.url, { path: '/v1/p', headers: { 'x-user-id': `user-${i}` } }));
      const again = await sendMany(200, 8, (i) => send(gw.url, { path: '/v1/p', headers: { 'x-user-id': `user-${i}` } }));
      expect(again.map((a) => a.body)).toEqual(first.map((a) => a.body));
      const share = first.filter((a) => a.body === 'candidate').length / first.length;
      expect(share).toBeGreaterThan(0.18);
      expect(share).toBeLessThan(0.42);
      const forced = await send(gw.url, { path: '/v1/p', headers: { 'x-user-id': 'user-0', 'x-shadowgate-target': first[0]!.body === 'candidate' ? 'incumbent' : 'candidate' } });
      expect(forced.body).not.toBe(first[0]!.body);
    } finally {
      await gw.close();
    }
  });

  it('retries a failed candidate call once on the incumbent when the route allows it', async () => {
    candidate.behaviour = (_q, _b, res) => { res.statusCode = 503; res.end('candidate down'); };
    const gw = await startFromYaml(yaml('weight: 100, fallbackToIncumbent: true'));
    try {
      const answers = await sendMany(10, 2, () => send(gw.url, { method: 'POST', path: '/v1/p', body: '{"x":1}' }));
      expect(answers.map((a) => [a.status, a.body])).toEqual(Array(10).fill([200, 'incumbent']));
      expect(candidate.received).toHaveLength(10);
      expect(incumbent.received.map((r) => r.body.toString())).toEqual(Array(10).fill('{"x":1}'));
      const fallbacks = await gw.app.metrics.canaryFallbacks.get();
      expect(fallbacks.values[0]?.value).toBe(10);
    } finally {
      await gw.close();
    }
  });

  it('passes a candidate failure through when fallback is off', async () => {
    candidate.behaviour = (_q, _b, res) => { res.statusCode = 503; res.end('candidate down'); };
    const gw = await startFromYaml(yaml('weight: 100'));
    try {
      const res = await send(gw.url, { path: '/v1/p' });
      expect([res.status, res.body]).toEqual([503, 'candidate down']);
    } finally {
      await gw.close();
    }
  });

  it('rolls back when the candidate starts failing, and no live request reaches it afterwards', async () => {
    const gw = await startFromYaml(yaml(
      // The evaluation path (the hard-failure fast path is test/routing/hard-failure-e2e.test.ts).
      'weight: 0, rollout: { steps: [50], stepDuration: 1h, minRequests: 10, interval: 1h }, guardrails: { maxErrorRateDelta: 0.05, minRequests: 10, hardFailure: { enabled: false } }',
    ));
    try {
      candidate.behaviour = (_q, _b, res) => { res.statusCode = 500; res.end('boom'); };
      await sendMany(100, 4, (i) => send(gw.url, { path: `/v1/p?i=${i}` }));
      expect(candidate.received.length).toBeGreaterThan(20);
      const [view] = gw.app.routing.evaluateNow();
      expect(view).toMatchObject({ name: 'predict', state: 'rolled_back', weight: { value: 0 } });
      expect(view!.rollback).toMatchObject({ metric: 'error_rate_delta', threshold: 0.05 });
      const seen = candidate.received.length;
      const after = await sendMany(100, 4, (i) => send(gw.url, { path: `/v1/p?after=${i}` }));
      expect(after.every((a) => a.body === 'incumbent')).toBe(true);
      expect(candidate.received.length).toBe(seen);
      const rollbacks = await gw.app.metrics.canaryRollbacks.get();
      expect(rollbacks.values).toEqual([expect.objectContaining({ value: 1, labels: expect.objectContaining({ route: 'predict' }) })]);
    } finally {
      await gw.close();
    }
  });

  it('answers 429 with Retry-After when a live limit refuses, and counts it', async () => {
    const held: (() => void)[] = [];
    incumbent.behaviour = (_q, _b, res) => held.push(() => res.end('incumbent'));
    const gw = await startFromYaml(yaml('weight: 0', '    limits: { maxConcurrency: 2 }'));
    try {
      const first = [send(gw.url, { path: '/v1/a' }), send(gw.url, { path: '/v1/b' })];
      while (held.length < 2) await new Promise((r) => setTimeout(r, 5));
      const refused = await send(gw.url, { path: '/v1/c' });
      expect(refused.status).toBe(429);
      expect(refused.headers['retry-after']).toBeDefined();
      expect(JSON.parse(refused.body).error.code).toBe('SG_ERR_RATE_LIMITED');
      incumbent.behaviour = (_q, _b, res) => res.end('incumbent');
      for (const r of held.splice(0)) r();
      expect((await Promise.all(first)).map((a) => a.status)).toEqual([200, 200]);
      expect((await send(gw.url, { path: '/v1/d' })).status).toBe(200);
    } finally {
      for (const r of held) r();
      await gw.close();
    }
  });
});
