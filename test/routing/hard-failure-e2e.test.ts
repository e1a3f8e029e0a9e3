// The hard-failure fast path through the real proxy (issue 12, finding 5): a canary answering 500 to
// everything, guardrails evaluated every 10 s, is rolled back after at most hardFailure.minRequests (20)
// failed candidate answers — counted requests, no wall time — and no later request reaches it.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { send, startFromYaml } from '../helpers/app.js';

let incumbent: TestUpstream;
let candidate: TestUpstream;

beforeEach(async () => {
  incumbent = await startUpstream((_q, _b, res) => res.end('incumbent'));
  candidate = await startUpstream((_q, _b, res) => { res.statusCode = 500; res.end('candidate broken'); });
});

afterEach(async () => {
  await incumbent.close();
  await candidate.close();
});

describe('a canary answering 500 to everything', () => {
  it('is rolled back after 20 failed answers whatever the 10 s evaluation interval, and gets no request after', async () => {
    const gw = await startFromYaml(`
upstreams: { incumbent: { url: "${incumbent.url}" }, candidate: { url: "${candidate.url}" } }
routes:
  - name: predict
    match: { pathPrefix: /v1 }
    primary: incumbent
    canary: { upstream: candidate, weight: 50, rollout: { steps: [50], interval: 10s, stepDuration: 1h } }
`);
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 300; i++) statuses.push((await send(gw.url, { path: '/v1/p' })).status);
      const failedAnswers = statuses.filter((s) => s === 500).length;
      // Half the traffic went to the candidate until the 20th failure; everything after is the incumbent's.
      // (Exactly 20 unless the machine stalls so long that failures age out of the 5 s fast-path window.)
      expect(failedAnswers).toBeGreaterThanOrEqual(20);
      expect(failedAnswers).toBeLessThanOrEqual(30);
      expect(candidate.received).toHaveLength(failedAnswers);
      const last = statuses.lastIndexOf(500);
      expect(statuses.slice(last + 1).every((s) => s === 200)).toBe(true);
      const view = gw.app.routing.route('predict')!;
      expect(view).toMatchObject({ state: 'rolled_back', weight: { value: 0 }, rollback: { metric: 'hard_failure', value: 1, by: 'guardrail' } });
      // Issue 21 finding 3: the fast path judges the last N requests, not the last seconds (the words say so).
      expect(view.status).toMatch(/^rolled back automatically at .*: 100% of the last \d+ candidate requests failing, limit 50% \(hard-failure fast path\)$/);
      const rollbacks = await gw.app.metrics.canaryRollbacks.get();
      expect(rollbacks.values).toEqual([expect.objectContaining({ value: 1, labels: { route: 'predict', reason: 'hard_failure' } })]);
    } finally {
      await gw.close();
    }
  });
});
