// Shared fixtures for the anonymizer tests: a fixed test key and a policy builder over the real schema.
import { createAnonymizer, type CompiledPolicy } from '../../src/anonymize/index.js';
import { anonymizeSchema } from '../../src/config/schema/anonymize.js';
import type { RawRequest } from '../../src/exchange.js';

export const TEST_KEY = 'test-key-0123456789abcdefghijklmnopqrstuvwxyz';

export function policyFrom(policy: Record<string, unknown>, extra: Record<string, unknown> = {}, key = TEST_KEY): CompiledPolicy {
  const cfg = anonymizeSchema.parse({ key, ...extra, policies: { p: policy } });
  const p = createAnonymizer(cfg, ['p']).policy('p');
  if (p === undefined) throw new Error('policy p was not compiled');
  return p;
}

export function jsonRequest(body: unknown, url = '/v1/predict', headers: Record<string, string> = {}): RawRequest {
  return { method: 'POST', url, headers: { 'content-type': 'application/json', ...headers }, body: Buffer.from(JSON.stringify(body)) };
}

/** The anonymized request, failing the test with the outcome's reason when it was dropped. */
export function mustAnonymize(p: CompiledPolicy, req: RawRequest): { url: string; headers: Readonly<Record<string, string>>; body: string } {
  const out = p.anonymize(req);
  if (!out.ok) throw new Error(`dropped: ${out.reason}: ${out.detail}`);
  return { url: out.request.url, headers: out.request.headers, body: out.request.body.toString('utf8') };
}
