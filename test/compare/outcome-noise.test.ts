// The per-exchange outcome cancels noise: what the two incumbent calls of the same exchange disagree on
// does not make the exchange a mismatch, while the field's rates still count it.
import { expect, it } from 'vitest';
import { compareSchema } from '../../src/config/schema/compare.js';
import type { ShadowExchange, ShadowResponse, ShadowRole } from '../../src/exchange.js';
import { RouteComparer } from '../../src/compare/index.js';

function answer(role: ShadowRole, body: unknown): ShadowResponse {
  return { target: role, role, status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(body)), latencyMs: 5 };
}

function exchange(inc: unknown, cand: unknown, base: unknown): ShadowExchange {
  return {
    route: 'r', requestId: 'x', policyId: 'p@000000000000', ts: 0,
    request: { method: 'POST', url: '/', headers: {}, body: Buffer.from('{}') },
    responses: { incumbent: answer('incumbent', inc), candidate: answer('candidate', cand), baseline: answer('baseline', base) },
  };
}

it('calls an exchange a match when its only differences are noise the baseline shows too', () => {
  const c = new RouteComparer('r', compareSchema.parse({}), { hasBaseline: true });
  const noiseOnly = c.record(exchange({ p: 'legit', at: 1 }, { p: 'legit', at: 2 }, { p: 'legit', at: 3 }), 0);
  expect(noiseOnly).toEqual({ result: 'match', fields: [] });
  const real = c.record(exchange({ p: 'legit', at: 1 }, { p: 'fraud', at: 2 }, { p: 'legit', at: 3 }), 0);
  expect(real).toEqual({ result: 'mismatch', fields: ['$.p'] });
  // Without the baseline's word for it, a differing timestamp is a difference.
  const unexplained = c.record(exchange({ p: 'legit', at: 1 }, { p: 'legit', at: 2 }, { p: 'legit', at: 1 }), 0);
  expect(unexplained).toEqual({ result: 'mismatch', fields: ['$.at'] });
  const at = c.report(0).sinceStart.fields.find((f) => f.path === '$.at')!;
  expect(at.candidateDiffs).toBe(3);
});
