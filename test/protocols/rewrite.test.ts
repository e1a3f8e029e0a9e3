// shadow.rewrite: each target's copy with its own body values and headers, applied to the anonymized copy.
import { describe, expect, it } from 'vitest';
import { TargetRewriter, compileRewrites, parseBodyPath } from '../../src/pipeline/rewrite.js';
import { targetRewriteSchema } from '../../src/config/schema/protocols.js';
import { parseConfig } from '../../src/config/load.js';
import type { AnonymizedRequest } from '../../src/exchange.js';

const copy = (body: unknown, headers: Record<string, string> = {}): AnonymizedRequest =>
  ({ method: 'POST', url: '/v1/chat', headers: { 'content-type': 'application/json', ...headers }, body: Buffer.from(JSON.stringify(body)) });
const rewriter = (cfg: unknown) => new TargetRewriter(targetRewriteSchema.parse(cfg));

describe('TargetRewriter', () => {
  it('sets body paths, creating missing objects, and leaves the common copy untouched', () => {
    const req = copy({ model: 'chat-v1', messages: [{ role: 'user', content: 'x' }] });
    const out = rewriter({ body: { '$.model': 'chat-v2', '$.parameters.temperature': 0, '$.messages[0].role': 'human', '$["odd key"]': [1] } }).apply(req);
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    expect(JSON.parse(out.request.body.toString())).toEqual({ model: 'chat-v2', messages: [{ role: 'human', content: 'x' }], parameters: { temperature: 0 }, 'odd key': [1] });
    expect(JSON.parse(req.body.toString()).model).toBe('chat-v1');
  });

  it('sets and removes headers (names lower-cased); a set header replaces the copy\'s own', () => {
    const out = rewriter({ headers: { set: { 'X-Model': 'v2', 'content-type': 'application/vnd+json' }, remove: ['Accept'] } })
      .apply(copy({}, { accept: '*/*', 'x-keep': '1' }));
    expect(out.ok && out.request.headers).toEqual({ 'content-type': 'application/vnd+json', 'x-model': 'v2', 'x-keep': '1' });
  });

  it('refuses a body that is not JSON, or a path through a value of another kind', () => {
    const r = rewriter({ body: { '$.model': 'x' } });
    expect(r.apply({ ...copy({}), body: Buffer.from('not json') })).toEqual({ ok: false, detail: "the copy's body is not JSON" });
    expect(r.apply(copy([1, 2]))).toEqual({ ok: false, detail: 'cannot set $.model: not an object' });
    expect(rewriter({ body: { '$.a[5]': 1 } }).apply(copy({ a: [] }))).toEqual({ ok: false, detail: 'cannot set $.a[5]: index 5 past the end' });
  });

  it('an object value is copied per request, never shared between copies', () => {
    const r = rewriter({ body: { '$.options': { n: 1 } } });
    const a = r.apply(copy({}));
    const b = r.apply(copy({}));
    expect(a.ok && b.ok && JSON.parse(a.request.body.toString())).toEqual({ options: { n: 1 } });
    expect(b.ok && JSON.parse(b.request.body.toString())).toEqual({ options: { n: 1 } });
  });

  it('parses quoted members and indices', () => {
    expect(parseBodyPath('$.a["b.c"][2].d')).toEqual([{ kind: 'member', key: 'a' }, { kind: 'member', key: 'b.c' }, { kind: 'index', index: 2 }, { kind: 'member', key: 'd' }]);
    expect(compileRewrites(undefined).size).toBe(0);
  });
});

describe('shadow.rewrite in the configuration', () => {
  const config = (rewrite: string) => `
upstreams: { a: { url: "http://127.0.0.1:1" }, b: { url: "http://127.0.0.1:2" } }
routes:
  - name: chat
    primary: a
    shadow: { targets: [a, b], policy: none, allowRawData: true, rewrite: ${rewrite} }
`;

  it('accepts the documented shape', () => {
    const cfg = parseConfig(config('{ b: { body: { "$.model": new-model }, headers: { set: { x-model: new-model }, remove: [authorization] } } }'));
    expect(cfg.routes[0]!.shadow!.rewrite).toEqual({ b: { body: { '$.model': 'new-model' }, headers: { set: { 'x-model': 'new-model' }, remove: ['authorization'] } } });
  });

  it('names the path of an unknown target, a bad body path and a reserved header', () => {
    expect(() => parseConfig(config('{ c: { body: { "$.model": x } } }'))).toThrow(/routes\[0\]\.shadow\.rewrite\.c .*not a shadow target/);
    expect(() => parseConfig(config('{ b: { body: { "model": x } } }'))).toThrow(/rewrite\.b\.body\.model.*expected a path/);
    expect(() => parseConfig(config('{ b: { headers: { set: { x-shadowgate-shadow: "0" } } } }'))).toThrow(/cannot be rewritten/);
  });
});
