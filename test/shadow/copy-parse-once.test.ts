// One parse per body per copy in the shadow thread: a route with quality features, a quality score,
// comparison slices and a diff reads the anonymized request once (the features and the slice keys share
// it) and each answer once (the score, the diff and its label share it). Real sandbox servers, the real
// dispatcher and the real thread route; JSON.parse is only watched, never replaced.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { RouteConfig, ShadowConfig } from '../../src/config/schema.js';
import { createAnonymizer } from '../../src/anonymize/index.js';
import { ShadowDispatcher } from '../../src/pipeline/dispatch.js';
import { processCopy, threadRoute } from '../../src/shadow-threads/copy.js';
import { json, startUpstream, type TestUpstream } from '../helpers/upstream.js';

let control: TestUpstream;
let candidate: TestUpstream;

beforeAll(async () => {
  control = await startUpstream(json(200, { label: 'ok', score: 0.25, from: 'control' }));
  candidate = await startUpstream(json(200, { label: 'ok', score: 0.75, from: 'candidate' }));
});

afterAll(async () => {
  await control.close();
  await candidate.close();
});

describe('a copy in the shadow thread', () => {
  it('parses the anonymized body once and each answer once (quality, slices, diff)', async () => {
    const config = parseConfig(`
upstreams:
  live: { url: "${control.url}" }
  control: { url: "${control.url}" }
  candidate: { url: "${candidate.url}" }
anonymize:
  key: test-only-key-0123456789abcdef0123456789abcdef
  policies:
    txn:
      fields: { "$.user.email": email, "$.features.country": keep, "$.features.amount": keep }
routes:
  - name: score
    match: { pathPrefix: /score }
    primary: live
    quality:
      features: ["$.features.amount", "$.features.country", "$.user.email"]
      predictions: { score: $.score }
    shadow:
      targets: [control, candidate]
      policy: txn
      record: false
      compare:
        label: $.label
        scores: [$.score]
        slices: { paths: [{ path: $.features.country, topK: 5 }] }
`);
    const r = config.routes[0]! as RouteConfig & { shadow: ShadowConfig };
    const anonymizer = createAnonymizer(config.anonymize, ['txn']);
    const route = threadRoute(r, config, (name) => anonymizer.policy(name), undefined);
    const dispatcher = new ShadowDispatcher(config.upstreams);
    const body = Buffer.from(JSON.stringify({ user: { email: 'ada@example.org' }, features: { country: 'FR', amount: 120 } }));
    const parse = vi.spyOn(JSON, 'parse');
    try {
      const result = await processCopy(route, dispatcher, { id: 1, generation: 1, route: 'score', requestId: 'r1', method: 'POST', url: '/score', headers: { 'content-type': 'application/json' }, body });
      expect(result.drop).toBeUndefined();
      expect(result.error).toBeUndefined();
      // Everything was read: the features, both scores, the slice key and the diff's label.
      expect(result.quality?.scores).toEqual([0.25, 0.75]);
      expect(result.quality?.features.length).toBe(3);
      expect(result.slices).toEqual(['FR']);
      expect(result.diff).toBeDefined();
      const texts = parse.mock.calls.map((c) => String(c[0]));
      const anonymizedParses = texts.filter((t) => t.includes('"country":"FR"') && !t.includes('ada@example.org')).length;
      const controlParses = texts.filter((t) => t.includes('"from":"control"')).length;
      const candidateParses = texts.filter((t) => t.includes('"from":"candidate"')).length;
      expect({ anonymizedParses, controlParses, candidateParses }).toEqual({ anonymizedParses: 1, controlParses: 1, candidateParses: 1 });
    } finally {
      parse.mockRestore();
      await dispatcher.close();
    }
  });
});
