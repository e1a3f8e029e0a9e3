// Builders for synthetic shadow exchanges: JSON answers with chosen latency and status, no sockets.
import { compareSchema } from '../../src/config/schema/compare.js';
import type { CompareConfig } from '../../src/config/schema.js';
import type { ShadowExchange, ShadowResponse, ShadowRole } from '../../src/exchange.js';

export function compareConfig(raw: Record<string, unknown> = {}): CompareConfig {
  return compareSchema.parse(raw);
}

export function answer(role: ShadowRole, body: unknown, opts: { status?: number; latencyMs?: number; contentType?: string; raw?: string } = {}): ShadowResponse {
  const status = opts.status ?? 200;
  return {
    target: role === 'candidate' ? 'candidate' : 'incumbent',
    role,
    status,
    headers: { 'content-type': opts.contentType ?? 'application/json' },
    body: Buffer.from(opts.raw ?? (body === undefined ? '' : JSON.stringify(body))),
    latencyMs: opts.latencyMs ?? 10,
  };
}

export function failure(role: ShadowRole, error: 'timeout' | 'refused' = 'timeout'): ShadowResponse {
  return { target: role, role, status: 0, headers: {}, body: Buffer.alloc(0), latencyMs: 2000, error };
}

let counter = 0;

export function exchange(responses: Partial<Record<ShadowRole, ShadowResponse>>, ts = 0, requestBody: unknown = { x: 1 }): ShadowExchange {
  counter++;
  return {
    route: 'predict',
    requestId: `req-${counter}`,
    policyId: 'default@000000000000',
    ts,
    request: { method: 'POST', url: '/v1/predict', headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(requestBody)) },
    responses,
  };
}

/** Standard normal from a uniform source (Box-Muller). */
export function gaussian(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}
