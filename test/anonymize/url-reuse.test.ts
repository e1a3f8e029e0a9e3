// A request target whose anonymization read nothing personal is reused per policy (policy.ts, Run.marks);
// one with anything in it is anonymized every time: the same outcome, the same counts, the same leak or
// failure on every request, never a cached "clean" answer for a target that held personal data.
import { describe, expect, test } from 'vitest';
import { jsonRequest, policyFrom } from './helpers.js';

const outcome = (p: ReturnType<typeof policyFrom>, url: string) => {
  const o = p.anonymize(jsonRequest({ a: 1 }, url));
  return o.ok ? { url: o.request.url, counts: [...o.replacements] } : { reason: o.reason, counts: [...o.replacements] };
};

describe('request targets across requests', () => {
  test('each target gives the same outcome every time, clean or not', () => {
    const scan = policyFrom({ unknown: 'scan', query: { token: 'pseudonym' } });
    const keep = policyFrom({ unknown: 'keep' });
    const targets = ['/v1/score?model=fraud-v2', '/v1/score?email=ada%40example.org&x=1', '/v1/users/Ada%20Lovelace', '/v1/score?token=t1',
      '/v1/x?q=%E0%A4%A', '/v1/score?note=call+%2B44+7700+900123', '/v1/score?model=fraud-v2',
      `/v1/score?pad=${'x'.repeat(300)}`, `/v1/score?pad=${'x'.repeat(300)}&email=ada%40example.org`];
    for (const p of [scan, keep]) {
      const first = targets.map((t) => outcome(p, t));
      for (let round = 0; round < 3; round++) expect(targets.map((t) => outcome(p, t))).toEqual(first);
    }
    expect(outcome(scan, '/v1/score?email=ada%40example.org&x=1').counts).toEqual([['email', 1]]);
    expect(outcome(keep, '/v1/score?email=ada%40example.org&x=1')).toMatchObject({ reason: 'leak' });
    expect(outcome(scan, '/v1/x?q=%E0%A4%A')).toMatchObject({ reason: 'unsupported' });
    expect(outcome(scan, '/v1/score?model=fraud-v2')).toEqual({ url: '/v1/score?model=fraud-v2', counts: [] });
  });
});
